"""zk.distributed on a LocalCluster of this machine: per-task overhead against the in-process
prover, throughput of credits redeem proofs on 1 and 2 workers, memory per worker of a sharded
key against the unsharded prover. Printed as lines, recorded in --benchmark-json's extra_info.

    .venv/bin/python -m pytest bench/bench_distributed.py --benchmark-only -q -s

Sizes: ZK_DIST_OVERHEAD_LOG (default 14), ZK_DIST_SHARD_LOG (default 18; the issue's 2^20 takes a
long setup and a 640 MB key), ZK_DIST_REDEEM_PROOFS (default 64), CREDITS_BENCH_DEPTH (20).
"""
from __future__ import annotations

import os
import time

import pytest

distributed = pytest.importorskip("distributed")

from zk.distributed import prove_batch  # noqa: E402
from zk.distributed.cluster import prepare  # noqa: E402
from zk.distributed.worker import warm_kernels  # noqa: E402
from zk.formats import keyfile  # noqa: E402
from zk.formats.circom import write_wtns  # noqa: E402
from zk.groth16 import setup, verify  # noqa: E402
from zk.r1cs import compile  # noqa: E402

from groth16_circuits import make_circuit  # noqa: E402

OVERHEAD_LOG = int(os.environ.get("ZK_DIST_OVERHEAD_LOG", "14"))
SHARD_LOG = int(os.environ.get("ZK_DIST_SHARD_LOG", "18"))
REDEEM_PROOFS = int(os.environ.get("ZK_DIST_REDEEM_PROOFS", "64"))
SHARDS = 4


def _chain_key(log: int, directory, witnesses: int):
    cs = compile(make_circuit("mul", log))
    pk, vk = setup(cs)
    keyfile.save(pk, directory / "key.pk")
    wdir = directory / "w"
    wdir.mkdir()
    for i in range(witnesses):
        write_wtns(cs.solve({"x": i + 2}), wdir / f"w{i:03d}.wtns")
    return directory / "key.pk", sorted(str(wdir / f) for f in os.listdir(wdir)), vk


class _Cluster:
    def __init__(self, workers: int):
        self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                host="127.0.0.1", dashboard_address=None, silence_logs=50)
        self.client = distributed.Client(self.cluster)
        prepare(self.client)

    def close(self):
        self.client.close()
        self.cluster.close()


@pytest.fixture(scope="module", autouse=True)
def warm():
    warm_kernels()


def test_overhead_per_task_vs_in_process(benchmark, tmp_path):
    """The same work per witness (read the .wtns, prove, write both files once) in this process
    and as Dask tasks on one worker; the first task of each is left out (key loading)."""
    from zk.distributed.worker import prove_task

    n = 9
    key, paths, vk = _chain_key(OVERHEAD_LOG, tmp_path, n)
    (tmp_path / "local").mkdir()
    times = []
    for i, path in enumerate(paths):
        t0 = time.perf_counter()
        assert prove_task(str(key), f"w{i:03d}", path, str(tmp_path / "local"))["status"] == "proved"
        times.append(time.perf_counter() - t0)
    in_process = sum(times[1:]) / (n - 1)

    c = _Cluster(1)
    try:
        stamps = []
        results = benchmark.pedantic(
            prove_batch, args=(key, paths, c.client),
            kwargs={"out_dir": tmp_path / "dask", "progress": lambda r, d, t: stamps.append(time.perf_counter())},
            rounds=1, iterations=1)
    finally:
        c.close()
    assert all(r.status == "proved" for r in results) and verify(vk, results[-1].public, results[-1].proof)
    on_dask = (stamps[-1] - stamps[0]) / (n - 1)  # from the first task's end: key loading left out
    overhead = on_dask / in_process - 1
    print(f"\n2^{OVERHEAD_LOG} per task: in-process {in_process * 1000:.0f} ms, on Dask (1 worker) "
          f"{on_dask * 1000:.0f} ms: overhead {overhead * 100:+.1f}% (target <= 5%)")
    benchmark.extra_info.update(log=OVERHEAD_LOG, in_process_s=in_process, dask_s=on_dask, overhead=overhead)


def _redeem_witness():
    from bench_credits import DEPTH, _inputs
    from circuits.app.system import circuit_classes

    cs = compile(circuit_classes(DEPTH)["redeem"])
    return cs, cs.solve(_inputs(DEPTH)["redeem"]), DEPTH


def test_redeem_throughput_1_vs_2_workers(benchmark, tmp_path):
    cs, witness, depth = _redeem_witness()
    pk, vk = setup(cs)
    keyfile.save(pk, tmp_path / "redeem.pk")
    rates = {}
    for workers in (1, 2):
        c = _Cluster(workers)
        try:
            # One task per worker first: key loading is not throughput.
            prove_batch(tmp_path / "redeem.pk", {f"warm{i}": witness for i in range(workers)}, c.client)
            batch = {f"r{i:03d}": witness for i in range(REDEEM_PROOFS)}
            t0 = time.perf_counter()
            if workers == 2:
                results = benchmark.pedantic(prove_batch, args=(tmp_path / "redeem.pk", batch, c.client),
                                             rounds=1, iterations=1)
            else:
                results = prove_batch(tmp_path / "redeem.pk", batch, c.client)
            elapsed = time.perf_counter() - t0
        finally:
            c.close()
        assert all(r.status == "proved" for r in results) and verify(vk, results[0].public, results[0].proof)
        rates[workers] = REDEEM_PROOFS / elapsed
    print(f"\n{REDEEM_PROOFS} credits redeem proofs (depth {depth}, {cs.n_constraints} constraints): "
          f"1 worker {rates[1]:.2f} proofs/s, 2 workers {rates[2]:.2f} proofs/s ({rates[2] / rates[1]:.2f}x) "
          f"on {os.cpu_count()} CPUs")
    benchmark.extra_info.update(proofs=REDEEM_PROOFS, rate_1=rates[1], rate_2=rates[2])


def _rss_kib() -> dict:
    fields = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                name, value = line.split(":")
                fields[name] = int(value.split()[0])
    return fields


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # resets VmHWM to the current RSS


def test_memory_per_worker_sharded_vs_unsharded(benchmark, tmp_path):
    """Peak RSS above the idle worker's, for one proof: the unsharded prover on one worker against
    the busiest of SHARDS workers holding one shard each (mapped key pages count: they are what a
    worker must hold)."""
    from zk.distributed.sharded import prove_sharded, shard_key
    from zk.formats.circom import read_wtns

    key, paths, vk = _chain_key(SHARD_LOG, tmp_path, 1)
    index = shard_key(key, SHARDS)
    witness = read_wtns(paths[0])

    def above_idle(client, run):
        idle = client.run(_rss_kib)
        client.run(_reset_peak)
        run()
        after = client.run(_rss_kib)
        return {w: (after[w]["VmHWM"] - idle[w]["VmRSS"]) / 1024 for w in idle}

    c = _Cluster(1)
    try:
        unsharded = max(above_idle(c.client, lambda: prove_batch(key, {"one": witness}, c.client)).values())
    finally:
        c.close()
    c = _Cluster(SHARDS)
    try:
        def run():
            proof, public = prove_sharded(index, witness, c.client)
            assert verify(vk, public, proof)

        per_worker = above_idle(c.client, lambda: benchmark.pedantic(run, rounds=1, iterations=1))
    finally:
        c.close()
    worst = max(per_worker.values())
    print(f"\n2^{SHARD_LOG} key ({os.path.getsize(key) / 2**20:.0f} MiB): unsharded prover {unsharded:.0f} MiB above idle; "
          f"{SHARDS} shards: {worst:.0f} MiB on the busiest worker ({worst / unsharded:.2f}x, target <= 0.3x); "
          f"all: {', '.join(f'{v:.0f}' for v in sorted(per_worker.values()))} MiB")
    benchmark.extra_info.update(log=SHARD_LOG, unsharded_mib=unsharded, sharded_mib=sorted(per_worker.values()))
