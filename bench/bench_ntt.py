"""Radix-2 NTT over Fr: forward (1 thread and parallel), inverse, coset forward.

Run: .venv/bin/python -m pytest bench/bench_ntt.py --benchmark-only -s -q
The reference is a textbook radix-2 NTT on Python ints (what one writes without numba), timed
at the same size; the figure also prints ns per butterfly in Fp-multiplication equivalents.
Every timed transform (both paths, inverse, coset) is checked outside the timing. Sizes:
ZK_BENCH_LOGS=8,10 (bench/sizes.py), ZK_BENCH_LARGE=1 adds 2^18.
"""
from __future__ import annotations

import os
import random
import time

import numba
import fieldref
import pytest
from sizes import log_sizes

from zk.field import FR, R
from zk.field import arrays as A
from zk.poly import MULTIPLICATIVE_GENERATOR, coset_intt, coset_ntt, domain, intt, ntt, root_of_unity

rng = random.Random(7)
LOG_SIZES = log_sizes([12, 14, 16], [18])


def check_ntt(values: list[int], original, n: int) -> None:
    """Every size, both paths, against the definition y_j = sum_i a_i w^(ij) at a few j (the full
    Python NTT is only affordable up to 2^12): the timed kernels must compute the right thing."""
    serial = A.from_array(FR, ntt(original.copy(), parallel=False))
    assert A.from_array(FR, ntt(original.copy(), parallel=True)) == serial, f"parallel NTT 2^{n.bit_length() - 1} differs"
    w = root_of_unity(n)
    for j in rng.sample(range(n), 3):
        assert serial[j] == _evaluate(values, pow(w, j, R)), f"NTT 2^{n.bit_length() - 1} is wrong at {j}"
    # The inverse and the coset transforms that the bench times as well.
    assert A.from_array(FR, intt(ntt(original.copy()))) == values, "intt does not invert ntt"
    coset = A.from_array(FR, coset_ntt(original.copy()))
    for j in rng.sample(range(n), 2):
        point = MULTIPLICATIVE_GENERATOR * pow(w, j, R) % R
        assert coset[j] == _evaluate(values, point), f"coset NTT 2^{n.bit_length() - 1} is wrong at {j}"
    assert A.from_array(FR, coset_intt(coset_ntt(original.copy()))) == values, "coset_intt does not invert coset_ntt"


def _evaluate(coefficients: list[int], x: int) -> int:
    """sum_i c_i x^i by Horner's rule on Python ints."""
    acc = 0
    for c in reversed(coefficients):
        acc = (acc * x + c) % R
    return acc


def python_ntt(values: list[int]) -> list[int]:
    n = len(values)
    a = list(values)
    j = 0
    for i in range(1, n):
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
        if i < j:
            a[i], a[j] = a[j], a[i]
    m = 1
    while m < n:
        w_m = root_of_unity(2 * m)
        for start in range(0, n, 2 * m):
            w = 1
            for k in range(m):
                t = a[start + k + m] * w % R
                a[start + k + m] = (a[start + k] - t) % R
                a[start + k] = (a[start + k] + t) % R
                w = w * w_m % R
        m *= 2
    return a


@pytest.mark.parametrize("log_n", LOG_SIZES)
def test_ntt(benchmark, report, log_n):
    n = 1 << log_n
    values = [rng.randrange(R) for _ in range(n)]
    original = A.to_array(FR, values)
    domain(n)
    work = original.copy()
    ntt(work, parallel=False)
    ntt(work, parallel=True)

    def run(parallel, clock=time.perf_counter):
        work[:] = original
        start = clock()
        ntt(work, parallel=parallel)
        return clock() - start

    serial = min(run(False) for _ in range(5))
    serial_cpu = min(run(False, time.process_time) for _ in range(5))
    parallel = min(run(True) for _ in range(5))
    inverse = min(_timed(intt, work) for _ in range(3))
    coset = min(_timed(coset_ntt, work) for _ in range(3))
    coset_intt(work)
    benchmark.pedantic(lambda: ntt(work, parallel=False), rounds=5, iterations=1)
    check_ntt(values, original, n)
    ref = None
    if log_n <= 12:
        start = time.perf_counter()
        expected = python_ntt(values)
        ref = (time.perf_counter() - start) * 1e9
        assert A.from_array(FR, ntt(original.copy())) == expected
    butterflies = n // 2 * log_n
    mul = fieldref.mul_ns(FR)
    report(
        f"NTT 2^{log_n} (1 thread)",
        serial * 1e9,
        ref,
        reference="Python-int NTT",
        bar="about 11 ms at 2^16" if log_n == 16 else None,
        benchmark=benchmark,
        extra=(
            f"CPU {serial_cpu * 1e3:.2f} ms; {numba.get_num_threads()} threads {parallel * 1e3:.2f} ms; "
            f"intt {inverse * 1e3:.2f} ms; coset_ntt {coset * 1e3:.2f} ms; {serial_cpu * 1e9 / butterflies:.1f} ns/butterfly = "
            f"{serial_cpu * 1e9 / butterflies / mul:.2f} Fp muls (Fp mul {mul:.1f} ns); load {os.getloadavg()[0]:.1f}"
        ),
    )


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start
