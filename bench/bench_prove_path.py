"""`zk prove` end to end: this tree beside a baseline tree (an older commit) in the same run.

    git worktree add --detach /tmp/zk-baseline <commit>     # any checkout of an older zk
    ZK_BASELINE_TREE=/tmp/zk-baseline ZK_BENCH_PROVE_LOGS=14,16 \\
        .venv/bin/python -m pytest bench/bench_prove_path.py --benchmark-only -q -s

For each size 2^k (the ``mul`` circuit of bench/groth16_circuits.py, one key made by this tree's
setup and read by both trees, the key file format being the same):

- CLI: the whole `zk prove KEY WITNESS PROOF PUBLIC` process (interpreter start, imports, numba
  cache load, key file, .wtns, prove, JSON out), best of the rounds;
- in-process: one process per tree with the key loaded and a first proof made; then the best of
  the rounds of reading the .wtns and proving (what a warm prover does per request), the .wtns
  read the way that tree's CLI reads it (checked limbs where the tree has
  ``read_wtns_scalars``, Python ints before).

Each figure is given as wall time and CPU time (the process's, all threads; for the CLI the
child's user + system time): on a loaded machine CPU time moves far less between runs.

The two trees' runs alternate so that both see the same load (the machine is shared). Without
ZK_BASELINE_TREE only this tree is measured. Default size 2^10 (ZK_BENCH_PROVE_LOGS=10); rounds
3 up to 2^14 and 2 above (ZK_BENCH_PROVE_ROUNDS).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import groth16_circuits as circuits_for_bench  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZES = [int(v) for v in os.environ.get("ZK_BENCH_PROVE_LOGS", "10").split(",")]
BASELINE = os.environ.get("ZK_BASELINE_TREE")

# The same code runs in both trees; the proving-key reader moved from zk.groth16 to zk.formats.
_IN_PROCESS = textwrap.dedent("""
    import json, sys, time
    try:
        from zk.formats import keyfile
    except ImportError:
        from zk.groth16 import keyfile
    try:  # what the CLI reads since issue 10; before it, Python ints
        from zk.formats.circom import read_wtns_scalars as read_wtns
    except ImportError:
        from zk.formats.circom import read_wtns
    from zk.groth16 import prove
    key, wtns, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pk = keyfile.load(key)
    prove(pk, read_wtns(wtns))  # numba caches loaded, the key's per-proof tables built
    times = []
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        prove(pk, read_wtns(wtns))
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    print(json.dumps(times))
""")

_CLI = "import sys; from zk.cli import main; sys.argv[0] = 'zk'; main()"


def _env(tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    if tree != ROOT:
        # The baseline is a fixed commit: numba's own cache next to its sources is never stale
        # there, and this tree's source-keyed directory (conftest.py) must not mix the two.
        env.pop("NUMBA_CACHE_DIR", None)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cli_seconds(tree: Path, key: Path, wtns: Path, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one `zk prove` process."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-c", _CLI, "prove", str(key), str(wtns), str(out / "proof.json"),
                           str(out / "public.json")], cwd=tree, env=_env(tree), capture_output=True, text=True,
                          timeout=1800)
    elapsed = time.perf_counter() - start, _children_cpu() - cpu
    assert done.returncode == 0, done.stderr[-3000:]
    return elapsed


def _in_process_seconds(tree: Path, key: Path, wtns: Path, rounds: int) -> list[tuple[float, float]]:
    done = subprocess.run([sys.executable, "-c", _IN_PROCESS, str(key), str(wtns), str(rounds)], cwd=tree,
                          env=_env(tree), capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    return [tuple(pair) for pair in json.loads(done.stdout.strip().splitlines()[-1])]


def _best(samples: list[tuple[float, float]]) -> tuple[float, float]:
    """The least wall time and the least CPU time (each its own minimum: load adds to both)."""
    return min(wall for wall, _ in samples), min(cpu for _, cpu in samples)


@pytest.mark.parametrize("log_size", SIZES)
def test_zk_prove(benchmark, tmp_path, log_size):
    from zk.formats import keyfile
    from zk.formats.circom import read_r1cs
    from zk.groth16 import setup

    exported = circuits_for_bench.export("mul", log_size, tmp_path)
    pk, _ = setup(read_r1cs(exported.r1cs))
    key = tmp_path / f"mul_{log_size}.pk"
    keyfile.save(pk, key)
    del pk
    trees = {"this tree": ROOT}
    if BASELINE:
        trees["baseline"] = Path(BASELINE).resolve()
    rounds = int(os.environ.get("ZK_BENCH_PROVE_ROUNDS", 3 if log_size <= 14 else 2))
    for tree in trees.values():  # warm-up: numba caches filled (a fresh tree compiles here)
        _cli_seconds(tree, key, exported.wtns, tmp_path)
    cli = {name: [] for name in trees}
    for _ in range(rounds):
        for name, tree in trees.items():
            cli[name].append(_cli_seconds(tree, key, exported.wtns, tmp_path))
    warm = {name: [] for name in trees}
    for _ in range(2):
        for name, tree in trees.items():
            warm[name] += _in_process_seconds(tree, key, exported.wtns, rounds)
    load = os.getloadavg()[0]
    best_cli = {name: _best(cli[name]) for name in trees}
    best_warm = {name: _best(warm[name]) for name in trees}
    for name in trees:
        line = (f"zk prove 2^{log_size} mul ({name}): CLI process {best_cli[name][0]:.2f} s wall / "
                f"{best_cli[name][1]:.2f} s CPU, in-process read .wtns + prove {best_warm[name][0]:.3f} s wall / "
                f"{best_warm[name][1]:.3f} s CPU (best of {len(cli[name])} / {len(warm[name])}; load {load:.1f})")
        print("\n" + line)
        benchmark.extra_info[f"{name} cli_s"] = best_cli[name][0]
        benchmark.extra_info[f"{name} cli_cpu_s"] = best_cli[name][1]
        benchmark.extra_info[f"{name} in_process_s"] = best_warm[name][0]
        benchmark.extra_info[f"{name} in_process_cpu_s"] = best_warm[name][1]
    if BASELINE:
        this, base = "this tree", "baseline"
        print(f"ratio this/baseline 2^{log_size}: CLI {best_cli[this][0] / best_cli[base][0]:.2f} wall, "
              f"{best_cli[this][1] / best_cli[base][1]:.2f} CPU; in-process {best_warm[this][0] / best_warm[base][0]:.2f} wall, "
              f"{best_warm[this][1] / best_warm[base][1]:.2f} CPU")
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
