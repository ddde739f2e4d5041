"""`zk setup`, `zk prove`, `zk verify`, `zk vkey` through click's CliRunner (exit codes and messages)."""
from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from click.testing import CliRunner

import zk.cli.groth16  # noqa: F401  (attaches the commands)
from zk.cli import cli
from zk.field import R
from zk.formats.circom import write_wtns

DATA = pathlib.Path(__file__).parent / "data" / "snarkjs"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """circuit.pk, verification_key.json, proof.json, public.json for tests/data/snarkjs/mul.*"""
    d = tmp_path_factory.mktemp("cli")
    shutil.copy(DATA / "mul.r1cs", d / "mul.r1cs")
    shutil.copy(DATA / "mul.wtns", d / "mul.wtns")
    result = run("setup", d / "mul.r1cs", d / "mul.pk", "--vkey", d / "vk.json")
    assert result.exit_code == 0, result.output
    result = run("prove", d / "mul.pk", d / "mul.wtns", d / "proof.json", d / "public.json")
    assert result.exit_code == 0, result.output
    return d


def test_round_trip(workdir):
    assert json.loads((workdir / "public.json").read_text()) == ["168", "3"]
    result = run("verify", workdir / "vk.json", workdir / "public.json", workdir / "proof.json")
    assert result.exit_code == 0 and "OK" in result.output


def test_stage_lines_and_verbose_timings(workdir, tmp_path):
    result = run("prove", workdir / "mul.pk", workdir / "mul.wtns", tmp_path / "p.json", tmp_path / "q.json", "--verbose")
    assert result.exit_code == 0
    assert "prove: quotient on the coset" in result.output and " s]" in result.output
    result = run("verify", workdir / "vk.json", tmp_path / "q.json", tmp_path / "p.json", "-v")
    assert result.exit_code == 0 and "verified" in result.output


def test_snarkjs_fixture_verifies():
    result = run("verify", DATA / "verification_key.json", DATA / "public.json", DATA / "proof.json")
    assert result.exit_code == 0


def test_invalid_proof_exits_1(workdir, tmp_path):
    (tmp_path / "public.json").write_text(json.dumps(["169", "3"]))
    result = run("verify", workdir / "vk.json", tmp_path / "public.json", workdir / "proof.json")
    assert result.exit_code == 1 and "INVALID" in result.output
    # snarkjs's proof for the same circuit under our (different) key
    result = run("verify", workdir / "vk.json", DATA / "public.json", DATA / "proof.json")
    assert result.exit_code == 1


@pytest.mark.parametrize("public, message", [
    (["168"], "expects 2 public inputs"),
    (["168", "3", "1"], "expects 2 public inputs"),
    (["168", str(3 + R)], "[0, r)"),
    (["168", "0x3"], "decimal"),
])
def test_bad_public_signals_exit_2(workdir, tmp_path, public, message):
    (tmp_path / "public.json").write_text(json.dumps(public))
    result = run("verify", workdir / "vk.json", tmp_path / "public.json", workdir / "proof.json")
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_bad_files_exit_2(workdir, tmp_path):
    proof = json.loads((workdir / "proof.json").read_text())
    proof["pi_a"][0] = "5"
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    result = run("verify", workdir / "vk.json", workdir / "public.json", tmp_path / "proof.json")
    assert result.exit_code == 2 and "not on the" in result.output
    result = run("verify", tmp_path / "missing.json", workdir / "public.json", workdir / "proof.json")
    assert result.exit_code == 2 and "cannot read" in result.output
    (tmp_path / "garbage.json").write_text("{")
    result = run("verify", tmp_path / "garbage.json", workdir / "public.json", workdir / "proof.json")
    assert result.exit_code == 2 and "not valid JSON" in result.output
    vk = json.loads((workdir / "vk.json").read_text())
    vk["vk_delta_2"] = vk["vk_gamma_2"]
    (tmp_path / "vk.json").write_text(json.dumps(vk))
    result = run("verify", tmp_path / "vk.json", workdir / "public.json", workdir / "proof.json")
    assert result.exit_code == 2 and "delta_2 equals gamma_2" in result.output


def test_corrupted_or_truncated_key_exits_2(workdir, tmp_path):
    data = (workdir / "mul.pk").read_bytes()
    (tmp_path / "t.pk").write_bytes(data[: len(data) // 2])
    result = run("prove", tmp_path / "t.pk", workdir / "mul.wtns", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 2 and "truncated" in result.output
    flipped = bytearray(data)
    flipped[-10] ^= 1
    (tmp_path / "c.pk").write_bytes(bytes(flipped))
    result = run("prove", tmp_path / "c.pk", workdir / "mul.wtns", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 2 and "corrupted" in result.output
    result = run("prove", DATA / "proof.json", workdir / "mul.wtns", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 2 and "not a zk proving key" in result.output


def test_bad_witness_exits_2(workdir, tmp_path):
    from zk.formats.circom import read_wtns

    witness = read_wtns(workdir / "mul.wtns")
    bad = list(witness)
    bad[1] = 169
    write_wtns(bad, tmp_path / "bad.wtns")
    result = run("prove", workdir / "mul.pk", tmp_path / "bad.wtns", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 2 and "does not satisfy constraint" in result.output
    write_wtns(witness[:-1], tmp_path / "short.wtns")
    result = run("prove", workdir / "mul.pk", tmp_path / "short.wtns", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 2 and "wires" in result.output
    (tmp_path / "w.bin").write_bytes(b"nope")
    result = run("prove", workdir / "mul.pk", tmp_path / "w.bin", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 2


def test_witness_as_json(workdir, tmp_path):
    from zk.formats.circom import read_wtns

    (tmp_path / "w.json").write_text(json.dumps([str(v) for v in read_wtns(workdir / "mul.wtns")]))
    result = run("prove", workdir / "mul.pk", tmp_path / "w.json", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 0, result.output
    assert run("verify", workdir / "vk.json", tmp_path / "q.json", tmp_path / "p.json").exit_code == 0


def test_vkey_export_matches_setup_output(workdir, tmp_path):
    result = run("vkey", workdir / "mul.pk", tmp_path / "vk.json")
    assert result.exit_code == 0
    assert (tmp_path / "vk.json").read_text() == (workdir / "vk.json").read_text()


def test_setup_bad_r1cs_exits_2(tmp_path):
    (tmp_path / "x.r1cs").write_bytes(b"r1cs\x01\x00\x00\x00")
    result = run("setup", tmp_path / "x.r1cs", tmp_path / "x.pk", "--vkey", tmp_path / "vk.json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = run("setup", tmp_path / "absent.r1cs", tmp_path / "x.pk")
    assert result.exit_code == 2
    assert not (tmp_path / "x.pk").exists()


def test_prove_check_validates_a_recorded_key_again(workdir, tmp_path, monkeypatch):
    from zk.groth16 import keys as keys_module

    calls = []
    original = keys_module.check_query_points
    monkeypatch.setattr(keys_module, "check_query_points", lambda *a, **k: (calls.append(a[1]), original(*a, **k))[1])
    pk, wtns = workdir / "mul.pk", workdir / "mul.wtns"
    args = ["prove", str(pk), str(wtns), str(tmp_path / "p.json"), str(tmp_path / "pub.json")]
    assert run(*args).exit_code == 0
    calls.clear()
    assert run(*args).exit_code == 0
    assert calls == []
    assert run(*args, "--check").exit_code == 0
    assert len(calls) == 5


def test_whole_process_exit_status_and_output(workdir, tmp_path):
    """`zk verify` / `zk prove` as processes end without the interpreter's teardown
    (zk.cli._exit_now): the exit status and what they printed must be what click decided."""
    import subprocess
    import sys

    def zk(*args):
        return subprocess.run([sys.executable, "-c", "from zk.cli import main; main()", *map(str, args)],
                              capture_output=True, text=True)

    ok = zk("verify", workdir / "vk.json", workdir / "public.json", workdir / "proof.json")
    assert (ok.returncode, ok.stdout.strip()) == (0, "OK: the proof is valid")
    wrong = tmp_path / "public.json"
    wrong.write_text('["169", "3"]')
    bad = zk("verify", workdir / "vk.json", wrong, workdir / "proof.json")
    assert bad.returncode == 1 and "INVALID" in bad.stderr
    missing = zk("verify", tmp_path / "absent.json", workdir / "public.json", workdir / "proof.json")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
    usage = zk("prove")
    assert usage.returncode == 2 and "Missing argument" in usage.stderr
    proved = zk("prove", workdir / "mul.pk", workdir / "mul.wtns", tmp_path / "p.json", tmp_path / "pub.json")
    assert proved.returncode == 0 and json.loads((tmp_path / "pub.json").read_text()) == ["168", "3"]
