"""zk.distributed on a real Dask LocalCluster: two worker processes on 127.0.0.1, one for the module."""
from __future__ import annotations

import os
import signal

import pytest
from click.testing import CliRunner

distributed = pytest.importorskip("distributed")

import zk.cli.distributed  # noqa: E402,F401  (attaches the commands)
from zk.cli import cli  # noqa: E402
from zk.formats.circom import write_wtns  # noqa: E402
from zk.formats.snarkjs import public_to_json, read_proof, read_public, write_json  # noqa: E402
from zk.formats import keyfile  # noqa: E402
from zk.groth16 import setup, verify, verify_batch  # noqa: E402
from zk.distributed import BatchKeyError, prove_batch  # noqa: E402
from zk.distributed.cluster import prepare  # noqa: E402
from zk.distributed.worker import warm_kernels  # noqa: E402
from zk.r1cs import Circuit, Output, Private, Public, compile  # noqa: E402

SECRET = 987654321987654321987  # a private input: must never appear in any message


class Chain(Circuit):
    """y = f^steps(x) with f(v) = v*v + k: one constraint per step; x public, k private."""

    y = Output()
    x = Public()
    k = Private()
    steps = 1

    def define(self, api):
        v = self.x
        for _ in range(self.steps):
            v = v * v + self.k
        api.set_output(self.y, v)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def client():
    warm_kernels()  # compile once here, not in both workers at once
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=50) as cluster:
        with distributed.Client(cluster) as c:
            prepare(c)
            yield c


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A 2^8 circuit's key and 16 witness files (some .wtns, some JSON)."""
    d = tmp_path_factory.mktemp("batch")
    cs = compile(Chain(steps=200))
    pk, vk = setup(cs)
    keyfile.save(pk, d / "chain.pk")
    (d / "w").mkdir()
    for i in range(16):
        values = cs.solve({"x": i + 2, "k": SECRET + i})
        if i % 4 == 3:
            write_json(public_to_json(values), d / "w" / f"w{i:02d}.json")
        else:
            write_wtns(values, d / "w" / f"w{i:02d}.wtns")
    return d, cs, vk


def _witness_paths(d):
    return sorted(str(d / "w" / f) for f in os.listdir(d / "w"))


def _read_all(out):
    return {f: (out / f).read_bytes() for f in sorted(os.listdir(out))}


def _worker_settings(dask_worker):
    callbacks = dask_worker.periodic_callbacks
    return {"profiler": "profile" in callbacks or "profile-cycle" in callbacks, "tick_ms": callbacks["tick"].callback_time}


def test_prepared_workers_run_without_the_profiler_and_with_a_slow_tick(client):
    """The worker plugin's event-loop settings (the per-task overhead figure depends on them)."""
    settings = client.run(_worker_settings)
    assert len(settings) == 2
    assert all(s["profiler"] is False and s["tick_ms"] == 1000 for s in settings.values())


def test_batch_of_16_all_verify_and_a_rerun_replaces_nothing(client, batch, tmp_path):
    d, _cs, vk = batch
    out = tmp_path / "proofs"  # created by prove_batch
    seen = []
    results = prove_batch(d / "chain.pk", _witness_paths(d), client, out_dir=out,
                          progress=lambda r, done, total: seen.append((r.name, done, total)))
    assert [r.status for r in results] == ["proved"] * 16
    assert sorted(n for n, _, _ in seen) == [f"w{i:02d}" for i in range(16)]
    assert [done for _, done, _ in seen] == list(range(1, 17)) and {t for _, _, t in seen} == {16}
    files = _read_all(out)
    assert len(files) == 32 and not any(f.startswith(".") for f in files)
    publics = [read_public(out / f"w{i:02d}.public.json") for i in range(16)]
    proofs = [read_proof(out / f"w{i:02d}.proof.json") for i in range(16)]
    assert verify_batch(vk, list(zip(publics, proofs)))
    assert all(verify(vk, r.public, r.proof) for r in results)
    # A rerun (as after a crash) proves nothing again and leaves every byte as it was.
    again = prove_batch(d / "chain.pk", _witness_paths(d), client, out_dir=out)
    assert {r.status for r in again} == {"kept"}
    assert _read_all(out) == files


def test_bad_witnesses_fail_by_name_without_values_and_the_others_go_on(client, batch, tmp_path):
    d, cs, vk = batch
    good = cs.solve({"x": 5, "k": SECRET})
    wrong = list(good)
    wrong[1] += 1  # the output no longer matches: unsatisfied
    witnesses = {"good": good, "wrong": wrong, "short": good[:-1],
                 "out-of-range": [1] + [SECRET + (1 << 254)] + good[2:], "missing": str(tmp_path / "nope.wtns")}
    results = {r.name: r for r in prove_batch(d / "chain.pk", witnesses, client)}
    assert results["good"].status == "proved" and verify(vk, results["good"].public, results["good"].proof)
    assert "does not satisfy constraint" in results["wrong"].error
    assert "values, the circuit has" in results["short"].error
    assert "is not a field element" in results["out-of-range"].error
    assert "nope.wtns" in results["missing"].error
    for name in ("wrong", "short", "out-of-range", "missing"):
        assert results[name].status == "failed"
        assert str(SECRET)[:10] not in results[name].error


def test_bad_key_stops_the_batch(client, batch, tmp_path):
    d, _cs, _vk = batch
    broken = bytearray((d / "chain.pk").read_bytes())
    broken[-100] ^= 1
    (tmp_path / "broken.pk").write_bytes(bytes(broken))
    with pytest.raises(BatchKeyError, match="corrupted"):
        prove_batch(tmp_path / "broken.pk", _witness_paths(d)[:2], client)


def test_a_worker_killed_during_a_batch_loses_nothing(client, batch, tmp_path):
    d, _cs, vk = batch
    pids = client.run(os.getpid)
    killed = []

    def kill_one(result, done, total):
        if not killed:
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    results = prove_batch(d / "chain.pk", _witness_paths(d), client, out_dir=tmp_path, progress=kill_one)
    assert killed and all(r.ok for r in results), [(r.name, r.error) for r in results if not r.ok]
    publics = [read_public(tmp_path / f"w{i:02d}.public.json") for i in range(16)]
    proofs = [read_proof(tmp_path / f"w{i:02d}.proof.json") for i in range(16)]
    assert verify_batch(vk, list(zip(publics, proofs)))
    client.wait_for_workers(2, timeout=120)


def test_cli_prove_batch(client, batch, tmp_path):
    d, cs, vk = batch
    wdir = tmp_path / "w"
    wdir.mkdir()
    for f in _witness_paths(d)[:3]:
        (wdir / os.path.basename(f)).write_bytes(open(f, "rb").read())
    bad = cs.solve({"x": 3, "k": SECRET})
    bad[1] += 1
    write_wtns(bad, wdir / "bad.wtns")
    scheduler = client.scheduler.address
    result = run("groth16", "prove-batch", d / "chain.pk", wdir, tmp_path / "p", "--scheduler", scheduler)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[-1] == "Error: 1 of 4 witnesses failed: bad"
    assert "3 proved, 0 already there, 1 failed" in result.output
    assert "bad: the witness does not satisfy constraint" in result.output
    assert str(SECRET)[:10] not in result.output
    for name in ("w00", "w01", "w02"):
        assert verify(vk, read_public(tmp_path / "p" / f"{name}.public.json"), read_proof(tmp_path / "p" / f"{name}.proof.json"))
    result = run("prove-batch", d / "chain.pk", wdir, tmp_path / "p", "--scheduler", scheduler)
    assert "0 proved, 3 already there, 1 failed" in result.output


@pytest.mark.parametrize("args, message", [
    (["nokey.pk", "{w}", "{p}"], "cannot read proving key"),
    (["{k}", "{p}", "{p}"], "holds no witness"),
    (["{k}", "{w}", "{p}", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "exclude each other"),
])
def test_cli_prove_batch_bad_input(batch, tmp_path, args, message):
    d, _cs, _vk = batch
    (tmp_path / "p").mkdir()
    subst = {"w": d / "w", "p": tmp_path / "p", "k": d / "chain.pk"}
    result = run("prove-batch", *[a.format(**subst) for a in args])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# One proof across workers


@pytest.fixture(scope="module")
def sharded(tmp_path_factory, batch):
    """A 2^12 key in 3 shards, a witness for it, and a small key's 3 shards (a foreign set)."""
    from zk.distributed.sharded import shard_key

    d = tmp_path_factory.mktemp("sharded")
    cs = compile(Chain(steps=(1 << 12) - 3))
    pk, vk = setup(cs)
    assert pk.domain_size == 1 << 12
    keyfile.save(pk, d / "big.pk")
    index = shard_key(d / "big.pk", 3, d / "big.shards")
    write_wtns(cs.solve({"x": 3, "k": SECRET}), d / "big.wtns")
    foreign = shard_key(batch[0] / "chain.pk", 3, d / "small.shards")
    return d, index, vk, foreign


def test_sharded_proof_at_2_12_with_3_shards_verifies(client, sharded):
    from zk.distributed.sharded import prove_sharded
    from zk.formats.circom import read_wtns
    from zk.formats.keyshard import read_index

    d, index, vk, _ = sharded
    proof, public = prove_sharded(index, read_wtns(d / "big.wtns"), client)
    assert verify(vk, public, proof)
    # The index holds no query point (the matrices are most of it); each shard a third of them.
    from zk.formats.keyfile import read_buffer, unpack
    from zk.formats.keyshard import INDEX_MAGIC

    _header, arrays, _digest = unpack(read_buffer(index, "index"), "index", INDEX_MAGIC, "index")
    assert not [name for name in arrays if "query" in name] and "a_coeffs" in arrays
    key_size = (d / "big.pk").stat().st_size
    index_size = (d / "big.shards" / "index.zkshards").stat().st_size
    for i in (1, 2, 3):
        size = (d / "big.shards" / f"part-{i}-of-3.zkshard").stat().st_size
        assert (key_size - index_size) / 3.3 < size < (key_size - index_size) / 2.7
    parts = read_index(index).parts
    assert [p.wires for p in parts][0][0] == 0 and parts[-1].h_rows[1] == 1 << 12


def test_the_commands_sit_in_the_snarkjs_groups_and_the_first_names_are_aliases():
    from zk.cli import _register_commands, groth16_group, zkey_group

    _register_commands()
    assert cli.commands["prove-batch"] is groth16_group.commands["prove-batch"]
    assert cli.commands["prove-sharded"] is groth16_group.commands["prove-sharded"]
    assert cli.commands["key"].commands["shard"] is zkey_group.commands["shard"]


def test_cli_key_shard_and_prove_sharded(client, sharded, tmp_path):
    d, _index, vk, _ = sharded
    result = run("zkey", "shard", d / "big.pk", "--parts", "2", "-o", tmp_path / "s")
    assert result.exit_code == 0, result.output
    result = run("groth16", "prove-sharded", tmp_path / "s" / "index.zkshards", d / "big.wtns", tmp_path / "proof.json",
                 tmp_path / "public.json", "--scheduler", client.scheduler.address)
    assert result.exit_code == 0, result.output
    assert verify(vk, read_public(tmp_path / "public.json"), read_proof(tmp_path / "proof.json"))


def test_sharded_from_a_zkey(client, batch, tmp_path):
    from zk.distributed.sharded import prove_sharded, shard_key
    from zk.formats.zkey import from_proving_key, write_zkey

    d, cs, vk = batch
    write_zkey(from_proving_key(keyfile.load(d / "chain.pk")), tmp_path / "chain.zkey")
    index = shard_key(tmp_path / "chain.zkey", 3)
    assert index == str(tmp_path / "chain.zkey.shards" / "index.zkshards")
    proof, public = prove_sharded(index, cs.solve({"x": 4, "k": SECRET}), client)
    assert verify(vk, public, proof)


def _broken_set(sharded, tmp_path, how):
    import shutil

    d, _index, _vk, foreign = sharded
    target = tmp_path / "set"
    shutil.copytree(d / "big.shards", target)
    if how == "missing":
        (target / "part-2-of-3.zkshard").unlink()
    elif how == "foreign":
        shutil.copy(os.path.join(os.path.dirname(foreign), "part-2-of-3.zkshard"), target / "part-2-of-3.zkshard")
    elif how == "corrupted":
        data = bytearray((target / "part-3-of-3.zkshard").read_bytes())
        data[-1000] ^= 0x40
        (target / "part-3-of-3.zkshard").write_bytes(bytes(data))
    return target / "index.zkshards"


@pytest.mark.parametrize("how, message", [
    ("missing", r"shard 2 \(.*part-2-of-3.zkshard\) is missing"),
    ("foreign", r"shard 2 \(.*\) belongs to another key"),
    ("corrupted", r"shard 3 \(.*\) is corrupted: its SHA-256 checksum does not match"),
])
def test_cli_bad_shard_sets_give_one_line(client, sharded, tmp_path, how, message):
    import re

    d = sharded[0]
    index = _broken_set(sharded, tmp_path, how)
    result = run("prove-sharded", index, d / "big.wtns", tmp_path / "p.json", tmp_path / "q.json",
                 "--scheduler", client.scheduler.address)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0]), result.output
    assert not (tmp_path / "p.json").exists()
