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

    from circuits.system import circuit_classes
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
