"""Curve kernels (G1/G2 point arithmetic), beside py_ecc in the same run.

Run: make bench  (or: .venv/bin/python -m pytest bench/bench_curve.py --benchmark-only -s -q)

Figures are per operation, from the fastest round of one kernel call over a batch. The machine
is shared, so each run also measures an Fp multiplication chain and prints the mixed addition in
"Fp-mul equivalents": that ratio stays put when the machine is loaded and the absolute times do not.
Every timed result is checked against py_ecc (the tests' oracle) outside the timing: the random
points are [k]G with k known, so each expected point is one py_ecc multiplication.
"""
from __future__ import annotations

import random
import time

import numpy as np
import fieldref
import pytest
from py_ecc import optimized_bn128 as bn

from zk.curve import G1Point, G2Point, from_py_ecc, g1_from_array, g1_to_array, g2_from_array, g2_to_array
from zk.curve import kernels as K
from zk.curve.glv import batch_glv_scalar_mul, glv_halves
from zk.curve.subgroup import batch_g2_subgroup_check
from zk.field import FP, FP2, R
from zk.field import arrays as A

rng = random.Random(11)
MADD_POINTS = 1 << 12
G1_MULS = 16
G2_MULS = 4


def _expected(cls, k: int):
    """[k]G by py_ecc."""
    return from_py_ecc(bn.multiply(bn.G1 if cls is G1Point else bn.G2, k % R))


def _check_rows(cls, arr, logs, rows=None) -> None:
    """Rows of a point array (affine or Jacobian) are [logs[i]]G."""
    rows = range(len(logs)) if rows is None else rows
    from_array = g1_from_array if cls is G1Point else g2_from_array
    for i in rows:
        assert from_array(arr[i : i + 1])[0] == _expected(cls, logs[i]), f"{cls.__name__} row {i} is wrong"


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def _random_points(cls, count):
    """Distinct random points [k_i]G (one kernel call; an accumulator never meets one of them
    again) and their discrete logs k_i."""
    base = [cls.generator()] * count
    logs = [rng.randrange(1, R) for _ in range(count)]
    scalars = A.ints_to_raw(logs)
    to_array = g1_to_array if cls is G1Point else g2_to_array
    affine = to_array(base)
    jac = np.empty((count, 3) + affine.shape[2:], dtype=np.uint64)
    K.batch_scalar_mul(cls.descriptor, affine, scalars, jac)
    out = np.empty_like(affine)
    K.batch_to_affine(cls.descriptor, jac, out)
    return out, logs


def _py_ecc_ns(fn, samples) -> float:
    """Fastest single call over the samples: the same 'least disturbed run' rule as the kernels."""
    best = float("inf")
    for args in samples:
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best * 1e9


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_mixed_addition(benchmark, report, group):
    cls, F = (G1Point, FP) if group == "G1" else (G2Point, FP2)
    n = MADD_POINTS if group == "G1" else MADD_POINTS // 4
    points, logs = _random_points(cls, n)
    acc = np.empty((1, 3) + points.shape[2:], dtype=np.uint64)
    K.sum_affine(F, points[:4], acc)
    # Many short rounds (about a millisecond each): on a shared machine the fastest of them is
    # the one that ran without being preempted, which is the figure of interest.
    benchmark.pedantic(K.sum_affine, args=(F, points, acc), rounds=300, iterations=1, warmup_rounds=5)
    _check_rows(cls, acc, [sum(logs)])
    ns = benchmark.stats.stats.min / n * 1e9
    mul_ns = fieldref.mul_ns()
    x, y = bn.normalize(bn.multiply(bn.G1 if group == "G1" else bn.G2, 5))
    start_point = bn.multiply(bn.G1 if group == "G1" else bn.G2, 7)
    # py_ecc has no mixed addition; its projective add is the closest comparison.
    affine_as_projective = (x, y, x.one())
    ref = _py_ecc_ns(bn.add, [(start_point, affine_as_projective)] * 300)
    report(
        f"{group} mixed addition (Jacobian += affine, chain of {n})",
        ns,
        ref,
        reference="py_ecc projective add",
        bar="<= 250 ns" if group == "G1" else None,
        benchmark=benchmark,
        extra=f"Fp mul {mul_ns:.1f} ns in this run; {ns / mul_ns:.1f} Fp-mul equivalents",
    )


def _glv_batch(points, scalars_int, out):
    batch_glv_scalar_mul(FP, points, glv_halves(scalars_int), out)


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_scalar_multiplication(benchmark, report, group):
    cls, F, count = (G1Point, FP, G1_MULS) if group == "G1" else (G2Point, FP2, G2_MULS)
    points, logs = _random_points(cls, count)
    scalars_int = [rng.randrange(R) for _ in range(count)]
    products = [k * s for k, s in zip(logs, scalars_int)]
    scalars = A.ints_to_raw(scalars_int)
    out = np.empty((count, 3) + points.shape[2:], dtype=np.uint64)
    K.batch_scalar_mul(F, points[:1], scalars[:1], out[:1])
    gen = bn.G1 if group == "G1" else bn.G2
    samples = 100 if group == "G1" else 15
    ref = _py_ecc_ns(bn.multiply, [(gen, rng.randrange(R)) for _ in range(samples)])
    windowed = min(_timed(K.batch_scalar_mul, F, points, scalars, out) for _ in range(30)) / count * 1e9
    _check_rows(cls, out, products)
    out[:] = 0
    if group == "G1":
        # The path G1Point uses: GLV decomposition in Python, wNAF recoding and the joint
        # double-and-add in the kernel; the Python decomposition is inside the timing.
        _glv_batch(points[:1], scalars_int[:1], out[:1])
        benchmark.pedantic(_glv_batch, args=(points, scalars_int, out), rounds=50, iterations=1, warmup_rounds=1)
        label = f"G1 scalar multiplication (254-bit, GLV + wNAF-5, batch of {count})"
        bar = ">= 100x py_ecc"
    else:
        benchmark.pedantic(K.batch_scalar_mul, args=(F, points, scalars, out), rounds=30, iterations=1, warmup_rounds=1)
        label = f"G2 scalar multiplication (254-bit, 4-bit windows, batch of {count})"
        bar = None
    _check_rows(cls, out, products)
    ns = benchmark.stats.stats.min / count * 1e9
    report(label, ns, ref, bar=bar, benchmark=benchmark)
    if group == "G1":
        report("G1 scalar multiplication, generic 4-bit windows (jac_scalar_mul)", windowed, ref, benchmark=benchmark)


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_point_type_scalar_multiplication(benchmark, report, group):
    """What a user of G1Point/G2Point sees: one point, one scalar, conversions and dispatch included."""
    point = G1Point.generator() if group == "G1" else G2Point.generator()
    k = rng.randrange(R)
    point * 3
    result = benchmark.pedantic(lambda: point * k, rounds=50, iterations=1, warmup_rounds=1)
    assert result == _expected(type(point), k)
    gen = bn.G1 if group == "G1" else bn.G2
    ref = _py_ecc_ns(bn.multiply, [(gen, rng.randrange(R)) for _ in range(100 if group == "G1" else 15)])
    report(f"{group}Point * k (single call from Python)", benchmark.stats.stats.min * 1e9, ref, benchmark=benchmark)


def test_g2_subgroup_check(benchmark, report):
    count = 8
    points, _ = _random_points(G2Point, count)
    batch_g2_subgroup_check(FP2, points[:1])
    first_outside = benchmark.pedantic(batch_g2_subgroup_check, args=(FP2, points), rounds=50, iterations=1,
                                       warmup_rounds=1)
    # (that it finds points outside G2 is tests/test_curve_kernels.py's part)
    assert first_outside == -1, f"G2 point {first_outside} reported outside the subgroup"
    ns = benchmark.stats.stats.min / count * 1e9
    # The definition, r * Q == 0, through the same scalar-multiplication kernel.
    out = np.empty((count, 3, 2, 4), dtype=np.uint64)
    r_limbs = A.ints_to_raw([R] * count)
    K.batch_scalar_mul(FP2, points[:1], r_limbs[:1], out[:1])
    slow = min(_timed(K.batch_scalar_mul, FP2, points, r_limbs, out) for _ in range(30)) / count * 1e9
    assert all(p.is_infinity() for p in g2_from_array(out)), "r * Q is not the point at infinity"
    report("G2 subgroup check (psi test)", ns, slow, reference="r*Q == 0 kernel", benchmark=benchmark)


def test_batch_to_affine(benchmark, report):
    n = 1 << 12
    affine, logs = _random_points(G1Point, n)
    jac = np.empty((n, 3, 4), dtype=np.uint64)
    K.batch_affine_to_jac(FP, affine, jac)
    # Give every row a Z != 1 so the conversion does real work: double each point in place.
    doubled = np.empty_like(jac)
    K.batch_scalar_mul(FP, affine, A.ints_to_raw([2] * n), doubled)
    out = np.empty_like(affine)
    K.batch_to_affine(FP, doubled[:2], out[:2])
    benchmark.pedantic(K.batch_to_affine, args=(FP, doubled, out), rounds=100, iterations=1, warmup_rounds=1)
    _check_rows(G1Point, out, [2 * k for k in logs], rows=(0, 1, n // 2, n - 1))
    report(f"G1 batch Jacobian -> affine ({n} points, one inversion)", benchmark.stats.stats.min / n * 1e9, benchmark=benchmark)
