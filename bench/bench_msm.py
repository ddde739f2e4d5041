"""Multi-scalar multiplication (Pippenger) and fixed-base multiplication, G1 and G2.

Run: .venv/bin/python -m pytest bench/bench_msm.py --benchmark-only -s -q
Set ZK_BENCH_LARGE=1 to add 2^18 points (G1), ZK_BENCH_LOGS=8,10 for other sizes (bench/sizes.py;
small sizes check every result quickly). Every timed result is checked against an oracle
outside the timing. The machine is shared: each figure also prints
the time per point in Fp-multiplication equivalents measured in the same run, which stays put
when the absolute times do not.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time

import numba
import fieldref
import pytest
from py_ecc import optimized_bn128 as bn
from sizes import log_sizes

from zk.curve import G1Point, G2Point, from_py_ecc, g1_from_array, g2_from_array
from zk.field import R
from zk.field import arrays as A
from zk.msm import G1, G2, choose_window, fixed_base_g1, fixed_base_g2, msm_jacobian, scalars_from_ints

rng = random.Random(2024)
LOG_SIZES = log_sizes([12, 14, 16], [18])

_cache: dict = {}


def inputs(group_name: str, n: int):
    """n random points (made by the fixed-base kernel, not py_ecc) and n random scalars, and the
    expected MSM: the points are [k_i]G, so sum s_i P_i = [sum k_i s_i]G (the oracle of
    tests/test_msm.py), one scalar multiplication however large n is."""
    key = (group_name, n)
    if key not in _cache:
        fixed = fixed_base_g1 if group_name == "G1" else fixed_base_g2
        logs = [rng.randrange(1, R) for _ in range(n)]
        ints = [rng.randrange(R) for _ in range(n)]
        points = fixed(None, scalars_from_ints(logs))
        generator = (G1Point if group_name == "G1" else G2Point).generator()
        expected = generator * (sum(k * s for k, s in zip(logs, ints)) % R)
        _cache[key] = (points, scalars_from_ints(ints), expected)
    return _cache[key]


def check_msm(group, group_name: str, result, n: int) -> None:
    """The timed result against the oracle: a wrong fast MSM must not make a figure."""
    assert group.from_array(result[None])[0] == inputs(group_name, n)[2], f"{group_name} MSM 2^{n.bit_length() - 1} is wrong"


def py_ecc_estimate_ns(group_name: str, n: int) -> float:
    """n py_ecc multiplications plus n additions, from a few timed samples (the real thing takes minutes)."""
    gen = bn.G1 if group_name == "G1" else bn.G2
    samples = 4 if group_name == "G1" else 2
    ks = [rng.randrange(R) for _ in range(samples)]
    start = time.perf_counter()
    terms = [bn.multiply(gen, k) for k in ks]
    acc = terms[0]
    for t in terms[1:]:
        acc = bn.add(acc, t)
    return (time.perf_counter() - start) / samples * n * 1e9


@pytest.mark.parametrize("log_n", LOG_SIZES)
@pytest.mark.parametrize("group_name", ["G1", "G2"])
def test_msm(benchmark, report, group_name, log_n):
    if group_name == "G2" and log_n > 16:
        pytest.skip("G2 stops at 2^16")
    n = 1 << log_n
    group = G1 if group_name == "G1" else G2
    points, scalars, _ = inputs(group_name, n)
    msm_jacobian(group, points[:8], scalars[:8])
    check_msm(group, group_name, msm_jacobian(group, points, scalars, parallel=False), n)
    threads = numba.get_num_threads()
    serial = min(_timed(msm_jacobian, group, points, scalars, parallel=False) for _ in range(2))
    serial_cpu = min(_cpu_timed(msm_jacobian, group, points, scalars, parallel=False) for _ in range(2))
    result = benchmark.pedantic(msm_jacobian, args=(group, points, scalars), kwargs={"parallel": True}, rounds=3,
                                iterations=1, warmup_rounds=0)
    check_msm(group, group_name, result, n)
    ns = benchmark.stats.stats.min * 1e9
    mul = fieldref.mul_ns()
    bar = None
    if group_name == "G1" and log_n == 16:
        bar = "<= 200 ms, goal 120 ms on 2 threads"
    report(
        f"{group_name} MSM 2^{log_n} ({threads} threads, window {choose_window(n, threads)})",
        ns,
        py_ecc_estimate_ns(group_name, n),
        reference="py_ecc estimate",
        bar=bar,
        benchmark=benchmark,
        extra=(
            f"1 thread {serial * 1e3:.1f} ms wall, {serial_cpu * 1e3:.1f} ms CPU = "
            f"{serial_cpu * 1e9 / n / mul:.0f} Fp muls/point (Fp mul {mul:.1f} ns); load {os.getloadavg()[0]:.1f}"
        ),
    )


@pytest.mark.parametrize("group_name", ["G1", "G2"])
def test_fixed_base(benchmark, report, group_name):
    log_n = min(14, LOG_SIZES[-1])
    n = 1 << log_n
    fixed = fixed_base_g1 if group_name == "G1" else fixed_base_g2
    scalars = scalars_from_ints([rng.randrange(R) for _ in range(n)])
    fixed(None, scalars[:4])
    table_start = time.perf_counter()
    fixed(None, scalars)  # builds (and caches) the table for this n
    first = time.perf_counter() - table_start
    result = benchmark.pedantic(fixed, args=(None, scalars), rounds=3, iterations=1, warmup_rounds=0)
    ns = benchmark.stats.stats.min * 1e9 / n
    gen = bn.G1 if group_name == "G1" else bn.G2
    # The timed result against py_ecc (the tests' oracle) on a few rows, first and last included.
    from_array = g1_from_array if group_name == "G1" else g2_from_array
    ints = scalars_to_ints(scalars)
    for i in (0, n // 2, n - 1):
        assert from_array(result[i : i + 1])[0] == from_py_ecc(bn.multiply(gen, ints[i])), f"fixed-base row {i} is wrong"
    start = time.perf_counter()
    for k in scalars_to_ints(scalars[:3]):
        bn.normalize(bn.multiply(gen, k))
    ref = (time.perf_counter() - start) / 3 * 1e9
    report(
        f"{group_name} fixed-base k*G, 2^{log_n} scalars (per point, affine out)",
        ns,
        ref,
        benchmark=benchmark,
        extra=f"first call with table build {first * 1e3:.0f} ms",
    )


def scalars_to_ints(arr):
    return A.raw_to_ints(arr)


def _cpu_timed(fn, *args, **kwargs) -> float:
    start = time.process_time()
    fn(*args, **kwargs)
    return time.process_time() - start


def _timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


COMPILE_SNIPPET = """
import time
clock = lambda: (time.perf_counter(), time.process_time())
t0 = clock()
import numpy as np
from zk.msm import fixed_base_g1, fixed_base_g2, msm_g1, msm_g2
from zk.poly import ntt, intt, coset_ntt, coset_intt, lagrange_evaluations
from zk.field import FR
from zk.field import arrays as A
t1 = clock()
a = A.to_array(FR, list(range(1 << 15)))
ntt(a, parallel=False); ntt(a, parallel=True); intt(a); coset_ntt(a); coset_intt(a); lagrange_evaluations(8, 7)
t2 = clock()
p1 = fixed_base_g1(None, [1, 2, 3]); msm_g1(p1, [4, 5, 6], parallel=False); msm_g1(p1, [4, 5, 6], parallel=True)
t3 = clock()
p2 = fixed_base_g2(None, [1, 2, 3]); msm_g2(p2, [4, 5, 6], parallel=False); msm_g2(p2, [4, 5, 6], parallel=True)
t4 = clock()
marks = [t0, t1, t2, t3, t4]
print(" ".join(f"{b[k] - a[k]:.3f}" for k in (0, 1) for a, b in zip(marks, marks[1:])))
"""


def _run_snippet(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", COMPILE_SNIPPET], env=env, capture_output=True, text=True, check=True)
    return [float(v) for v in out.stdout.split()]


def test_compile_cold_and_cached(benchmark):
    """Cold: empty cache (field and curve kernels included); cached: the second process."""
    with tempfile.TemporaryDirectory() as cache:
        cold = _run_snippet(cache)
        warm = benchmark.pedantic(_run_snippet, args=(cache,), rounds=1, iterations=1)
    labels = ["import", "poly (NTT family)", "msm+fixed-base G1", "msm+fixed-base G2"]
    benchmark.extra_info.update({f"cold {k} (CPU s)": v for k, v in zip(labels, cold[4:])})
    benchmark.extra_info.update({f"cached {k} (wall s)": v for k, v in zip(labels, warm[:4])})
    print("\nnumba compile in a fresh process, cold (empty cache) and cached, seconds (wall / CPU):")
    for i, label in enumerate(labels):
        print(f"  {label:<20} cold {cold[i]:6.2f} / {cold[4 + i]:6.2f}   cached {warm[i]:6.3f} / {warm[4 + i]:6.3f}")
