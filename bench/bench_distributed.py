"""zk.distributed on a LocalCluster of this machine: per-task overhead against the in-process
prover, throughput of credits redeem proofs on 1 and 2 workers, memory per worker of a sharded
key against the unsharded prover. Printed as lines, recorded in --benchmark-json's extra_info.

    .venv/bin/python -m pytest bench/bench_distributed.py --benchmark-only -q -s

Sizes: ZK_DIST_OVERHEAD_LOG (default 14), ZK_DIST_OVERHEAD_ROUNDS (2), ZK_DIST_SHARD_LOG (default
18; the issue's 2^20 takes a long setup and a 640 MB key: ZK_DIST_KEY_DIR keeps keys between runs),
ZK_DIST_REDEEM_PROOFS (default 64), CREDITS_BENCH_DEPTH (20).
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
    """A 2^log chain circuit's key and witness files in ``directory``, or in ZK_DIST_KEY_DIR/mul<log>
    when that is set: kept there between runs (a 2^20 setup takes many minutes)."""
    from pathlib import Path

    if os.environ.get("ZK_DIST_KEY_DIR"):
        directory = Path(os.environ["ZK_DIST_KEY_DIR"]) / f"mul{log}"
    key, wdir = directory / "key.pk", directory / "w"
    if key.exists() and wdir.is_dir() and len(os.listdir(wdir)) >= witnesses:
        vk = keyfile.load(key, mmap=True).vk
    else:
        cs = compile(make_circuit("mul", log))
        wdir.mkdir(parents=True, exist_ok=True)
        for i in range(witnesses):
            write_wtns(cs.solve({"x": i + 2}), wdir / f"w{i:03d}.wtns")
        pk, vk = setup(cs)
        keyfile.save(pk, key)
    return key, sorted(str(wdir / f) for f in os.listdir(wdir))[:witnesses], vk


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


def _worker_cpu() -> float:
    return time.process_time()


def test_overhead_per_task_vs_in_process(benchmark, tmp_path):
    """The same work per witness (read the .wtns from its path, prove, write both files once with
    fsync) in this process and as Dask tasks on one worker, both with one numba thread (checked),
    after one task each that loads the key (the first task, left out). Wall per task, and CPU per
    task: this thread's for the in-process prover, the whole worker process's on Dask (its event
    loop, heartbeats and result transfer included). ROUNDS rounds of TASKS tasks, alternating
    in-process and Dask so that both see the same load from other processes; the median of the
    rounds' ratios is the figure."""
    import statistics

    import numba

    from zk.distributed.worker import prove_task

    tasks = int(os.environ.get("ZK_DIST_OVERHEAD_TASKS", "4"))
    rounds = int(os.environ.get("ZK_DIST_OVERHEAD_ROUNDS", "5"))
    key, paths, vk = _chain_key(OVERHEAD_LOG, tmp_path, tasks + 1)
    first, timed = paths[0], paths[1:]
    local, dask = [], []
    c = _Cluster(1)
    try:
        prove_task(str(key), "first", first, None)
        prove_batch(key, [first], c.client)
        for rnd in range(rounds):
            out = tmp_path / f"local{rnd}"
            out.mkdir()
            t0, c0 = time.perf_counter(), time.thread_time()
            for path in timed:
                name = os.path.splitext(os.path.basename(path))[0]
                assert prove_task(str(key), name, path, str(out))["status"] == "proved"
            local.append(((time.perf_counter() - t0) / tasks, (time.thread_time() - c0) / tasks))
            assert numba.get_num_threads() == 1

            cpu0 = c.client.run(_worker_cpu)
            t0 = time.perf_counter()
            results = benchmark.pedantic(prove_batch, args=(key, timed, c.client), kwargs={"out_dir": tmp_path / f"dask{rnd}"},
                                         rounds=1, iterations=1) if rnd == 0 else \
                prove_batch(key, timed, c.client, out_dir=tmp_path / f"dask{rnd}")
            wall = (time.perf_counter() - t0) / tasks
            cpu1 = c.client.run(_worker_cpu)
            dask.append((wall, sum(cpu1[w] - cpu0[w] for w in cpu0) / tasks))
            assert all(r.status == "proved" for r in results) and verify(vk, results[-1].public, results[-1].proof)
            # The worker's task thread ran with one numba thread too.
            assert c.client.submit(numba.get_num_threads, pure=False).result() == 1
    finally:
        c.close()
    wall_ratio = statistics.median(d[0] / l[0] for d, l in zip(dask, local))
    cpu_ratio = statistics.median(d[1] / l[1] for d, l in zip(dask, local))
    ms = lambda rows: ", ".join(f"{w * 1000:.0f}/{cpu * 1000:.0f}" for w, cpu in rows)  # noqa: E731
    print(f"\n2^{OVERHEAD_LOG} per task, {rounds} rounds of {tasks} tasks, one numba thread each, median of the "
          f"rounds' ratios: overhead {(wall_ratio - 1) * 100:+.1f}% wall, {(cpu_ratio - 1) * 100:+.1f}% CPU (target <= 5%); "
          f"per round, wall/CPU ms: in-process {ms(local)}; Dask (1 worker, its whole process's CPU) {ms(dask)}; "
          f"load average {os.getloadavg()[0]:.1f}")
    benchmark.extra_info.update(log=OVERHEAD_LOG, in_process=local, dask=dask, overhead_wall=wall_ratio - 1,
                                overhead_cpu=cpu_ratio - 1)


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
