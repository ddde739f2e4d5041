"""Witness generation: the compiled solver beside the replaying one (same run), native Poseidon.

    .venv/bin/python -m pytest bench/bench_witness.py --benchmark-only -q -s

- solving the credits circuits at tree depth 20 (CREDITS_BENCH_DEPTH to change): microseconds per
  constraint for the compiled solver (bar: <= 4 us), the replaying solver as the reference;
- Poseidon(2) in a batch of 2^16 hashes: hashes per second on one core and on all of numba's
  threads (bar: >= 100k/s on both cores), the Python reference beside it.

Besides wall time each line gives the process's CPU time per item: on a shared machine another
process's load stretches wall time but not CPU time.
"""
from __future__ import annotations

import os
import random
import time

import numba
import pytest

from zk.field import FR
from zk.field import arrays as FA
from zk.gadgets.poseidon import poseidon
from zk.gadgets.poseidon_native import poseidon_array

DEPTH = int(os.environ.get("CREDITS_BENCH_DEPTH", "20"))
BATCH = 1 << 16


def _best(fn, rounds):
    """(best wall seconds, CPU seconds of that round) over `rounds` calls."""
    best = None
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu)
    return best


@pytest.fixture(scope="module")
def credits():
    from bench_credits import _inputs

    from circuits.app.system import circuit_classes
    from zk.r1cs import compile

    inputs = _inputs(DEPTH)
    return {name: (compile(circuit), inputs[name]) for name, circuit in circuit_classes(DEPTH).items()}


@pytest.mark.parametrize("name", ["purchase", "assign", "redeem"])
def test_solve_per_constraint(benchmark, credits, name):
    cs, inputs = credits[name]
    reference = cs.solve_by_replay(inputs)
    replay_wall, _ = _best(lambda: cs.solve_by_replay(inputs), 1)
    witness = benchmark.pedantic(cs.solve, args=(inputs,), rounds=5, iterations=1, warmup_rounds=1)
    assert witness == reference
    wall, cpu = _best(lambda: cs.solve(inputs), 5)
    n = cs.n_constraints
    line = (f"{name} (depth {DEPTH}, {n} constraints): compiled solve {wall * 1e3:.1f} ms = {wall / n * 1e6:.2f} us"
            f"/constraint (CPU {cpu / n * 1e6:.2f} us) [bar: <= 4 us]; replay {replay_wall:.2f} s"
            f" ({replay_wall / wall:,.0f}x slower)")
    print("\n" + line)
    benchmark.extra_info.update(us_per_constraint=wall / n * 1e6, cpu_us_per_constraint=cpu / n * 1e6,
                                replay_seconds=replay_wall)


@pytest.fixture(scope="module")
def pairs():
    rng = random.Random(14)
    values = [rng.randrange(FR.numba_type.modulus) for _ in range(2 * BATCH)]
    return values, FA.to_array(FR, values).reshape(BATCH, 2, 4)


@pytest.mark.parametrize("threads", [1, None], ids=["one-core", "all-threads"])
def test_poseidon2_batch(benchmark, pairs, threads):
    values, limbs = pairs
    poseidon_array(limbs[:128], threads=threads)  # compile / load the kernels outside the timing
    out = benchmark.pedantic(poseidon_array, args=(limbs,), kwargs={"threads": threads}, rounds=3, iterations=1)
    assert FA.from_array(FR, out[:2]) == [poseidon(values[0:2]), poseidon(values[2:4])]
    wall, cpu = _best(lambda: poseidon_array(limbs, threads=threads), 3)
    python_wall, _ = _best(lambda: [poseidon(values[2 * i:2 * i + 2]) for i in range(200)], 1)
    used = 1 if threads == 1 else numba.get_num_threads()
    line = (f"Poseidon(2), batch of {BATCH}, {used} thread(s): {BATCH / wall:,.0f} hashes/s "
            f"({wall / BATCH * 1e6:.1f} us each; CPU {cpu / BATCH * 1e6:.1f} us per hash) [bar: >= 100k/s on both cores]; "
            f"Python reference {200 / python_wall:,.0f}/s")
    print("\n" + line)
    benchmark.extra_info.update(hashes_per_second=BATCH / wall, threads=used)


# ----------------------------------------------------------------------------- circom .wasm
@pytest.fixture(scope="module")
def merkle20(tmp_path_factory):
    """circom2-compiled depth-20 Poseidon Merkle proof (tests/data/circom/merkle_reference.circom)
    and a valid input."""
    import json
    import shutil
    import subprocess
    from pathlib import Path

    from zk.gadgets import MerkleTree

    root = Path(__file__).resolve().parent.parent
    circom2 = root / "node_modules" / ".bin" / "circom2"
    if not circom2.exists():
        pytest.skip("npm peers not installed (run `make npm`)")
    d = tmp_path_factory.mktemp("merkle20")
    for name in ("poseidon.circom", "poseidon_constants.circom"):
        shutil.copy(root / "node_modules" / "circomlib" / "circuits" / name, d / name)
    shutil.copy(root / "tests" / "data" / "circom" / "merkle_reference.circom", d / "merkle.circom")
    subprocess.run([str(circom2), "merkle.circom", "--wasm", "--sym", "-o", "."], cwd=d, check=True,
                   capture_output=True, timeout=900)
    tree = MerkleTree(20)
    tree.extend([11, 22, 33])
    proof = tree.proof(1)
    (d / "input.json").write_text(json.dumps({"leaf": 22, "pathElements": [str(x) for x in proof.path_elements],
                                              "pathIndices": proof.path_indices}))
    return d


def _wall(cmd, cwd, rounds=3):
    import subprocess

    best = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, timeout=600)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def test_wtns_calculate_vs_snarkjs_merkle20(benchmark, merkle20):
    """Whole commands, alternated so both see the same load: `zk wtns calculate` against
    `snarkjs wtns calculate` on the same .wasm and input (bar: ours <= 0.5x). Also the in-process
    calculation (module compiled once, as in a long-running prover)."""
    import sys
    from pathlib import Path

    from zk.witness.wasm import CircomWasm

    root = Path(__file__).resolve().parent.parent
    zk_cmd = [str(Path(sys.executable).with_name("zk")), "wtns", "calculate", "merkle_js/merkle.wasm", "input.json",
              "zk.wtns"]
    snarkjs_cmd = [str(root / "node_modules" / ".bin" / "snarkjs"), "wtns", "calculate", "merkle_js/merkle.wasm",
                   "input.json", "snarkjs.wtns"]
    ours = theirs = None
    for _ in range(3):
        o, t = _wall(zk_cmd, merkle20, 1), _wall(snarkjs_cmd, merkle20, 1)
        ours, theirs = (o, t) if ours is None else (min(ours, o), min(theirs, t))
    assert (merkle20 / "zk.wtns").read_bytes() == (merkle20 / "snarkjs.wtns").read_bytes()
    import json

    calc = CircomWasm(merkle20 / "merkle_js" / "merkle.wasm")
    inputs = json.loads((merkle20 / "input.json").read_text())
    witness = benchmark.pedantic(calc.calculate, args=(inputs,), rounds=3, iterations=1, warmup_rounds=1)
    in_process = benchmark.stats.stats.min
    line = (f"depth-20 Merkle proof ({len(witness)} wires): zk wtns calculate {ours:.2f} s, snarkjs wtns calculate "
            f"{theirs:.2f} s: {ours / theirs:.2f}x [bar: <= 0.5x]; in-process {in_process * 1e3:.0f} ms")
    print("\n" + line)
    benchmark.extra_info.update(zk_seconds=ours, snarkjs_seconds=theirs, ratio=ours / theirs)


def test_load_assign_from_cache(benchmark, tmp_path):
    """compile_cached(Assign) from a warm cache entry (bar: <= 0.05 s)."""
    from circuits.app.system import circuit_classes
    from zk.r1cs.cache import compile_cached

    circuit = circuit_classes(DEPTH)["assign"]
    compile_cached(circuit, tmp_path)
    cs = benchmark.pedantic(compile_cached, args=(circuit, tmp_path), rounds=5, iterations=1)
    wall, cpu = _best(lambda: compile_cached(circuit, tmp_path), 5)
    print(f"\nload assign (depth {DEPTH}, {cs.n_constraints} constraints) from the circuit cache: "
          f"{wall * 1e3:.1f} ms (CPU {cpu * 1e3:.1f} ms) [bar: <= 50 ms]")
