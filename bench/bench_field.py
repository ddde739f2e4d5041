"""Field arithmetic throughput, beside py_ecc in the same run.

Run: make bench  (or: .venv/bin/python -m pytest bench/bench_field.py --benchmark-only -s)
"""
import random
import time

import numpy as np
import pytest
from py_ecc.fields import optimized_bn128_FQ as FQ

from zk.field import FP, P
from zk.field import arrays as A

N = 1 << 20
rng = random.Random(7)


@pytest.fixture(scope="module")
def operands():
    # Random limbs below p are produced directly: converting 2^20 Python ints would dominate setup.
    x = A.to_array(FP, [rng.randrange(P) for _ in range(4096)])
    x = np.tile(x, (N // 4096, 1))
    y = np.ascontiguousarray(x[::-1])
    out = np.empty_like(x)
    A.mul(FP, x[:2], y[:2], out[:2])  # compile (or load from cache) outside the timing
    A.add(FP, x[:2], y[:2], out[:2])
    return x, y, out


def _py_ecc_ns_per_mul(samples=20000):
    a = [FQ(rng.randrange(P)) for _ in range(samples)]
    b = [FQ(rng.randrange(P)) for _ in range(samples)]
    start = time.perf_counter()
    for u, v in zip(a, b):
        u * v
    return (time.perf_counter() - start) / samples * 1e9


def _check_rows(x, y, out, op, samples=256):
    """The timed result against Python big-int arithmetic on random rows (the tests' oracle)."""
    rows = sorted(rng.sample(range(x.shape[0]), samples))
    xs, ys, got = (A.from_array(FP, arr[rows]) for arr in (x, y, out))
    assert got == [op(a, b) for a, b in zip(xs, ys)]


def test_fp_mul_throughput(benchmark, operands):
    x, y, out = operands
    benchmark.pedantic(A.mul, args=(FP, x, y, out), rounds=15, iterations=1, warmup_rounds=1)
    _check_rows(x, y, out, lambda a, b: a * b % P)
    ns = benchmark.stats.stats.min / N * 1e9
    ref = _py_ecc_ns_per_mul()
    benchmark.extra_info.update(ns_per_mul=ns, py_ecc_ns_per_mul=ref, speedup=ref / ns)
    print(f"\nFp mul over 2^20 arrays: {ns:.1f} ns/mul (bar 20, goal 15); py_ecc {ref:.0f} ns/mul; {ref / ns:.0f}x")


def test_fp_add_throughput(benchmark, operands):
    x, y, out = operands
    benchmark.pedantic(A.add, args=(FP, x, y, out), rounds=15, iterations=1, warmup_rounds=1)
    _check_rows(x, y, out, lambda a, b: (a + b) % P)
    ns = benchmark.stats.stats.min / N * 1e9
    benchmark.extra_info["ns_per_add"] = ns
    print(f"\nFp add over 2^20 arrays: {ns:.1f} ns/add")


def test_fp_batch_inverse(benchmark, operands):
    x, _, out = operands
    n = 1 << 16
    benchmark.pedantic(A.batch_inverse, args=(FP, x[:n], out[:n]), rounds=10, iterations=1, warmup_rounds=1)
    _check_rows(x[:n], x[:n], out[:n], lambda a, _: pow(a, -1, P) if a else 0)  # zero maps to zero
    ns = benchmark.stats.stats.min / n * 1e9
    print(f"\nFp batch inverse of 2^16: {ns:.1f} ns/element")
