"""numba kernels of the radix-2 NTT over a prime field (Fr for Groth16), on (n, 4) Montgomery arrays.

Twiddles use a per-stage layout: ``twiddles[m + j] = w_{2m}^j`` for m = 1, 2, 4, ..., n/2 and
0 <= j < m (row 0 unused). Every stage then reads its twiddles contiguously instead of with a
stride of n/2m, which keeps the large-stride stages out of the cache's way.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from zk.field.ops import fadd, fload, fmul, fone, fstore, fsub


@njit(cache=True)
def stage_twiddles(F, root, n, out):
    """Fill ``out`` (n rows) with the per-stage twiddles of a size-n domain whose generator is root."""
    half = n // 2
    if half == 0:
        return
    # Top stage (m = n/2) holds the powers root^0 .. root^(n/2 - 1); every lower stage is a
    # strided subset of it, because w_{2m} = root^(n / 2m).
    acc = fone(F)
    for j in range(half):
        fstore(F, out, half + j, acc)
        acc = fmul(F, acc, root)
    m = half // 2
    while m >= 1:
        for j in range(m):
            fstore(F, out, m + j, fload(F, out, 2 * m + 2 * j))
        m //= 2


@njit(cache=True)
def bit_reverse_permute(values, log_n):
    n = values.shape[0]
    for i in range(n):
        j = 0
        x = i
        for _ in range(log_n):
            j = (j << 1) | (x & 1)
            x >>= 1
        if i < j:
            for limb in range(values.shape[1]):
                tmp = values[i, limb]
                values[i, limb] = values[j, limb]
                values[j, limb] = tmp


@njit(cache=True)
def _stages(F, values, twiddles, lo, size):
    """All stages with half-size m < size on the block values[lo:lo + size]."""
    # w_2^0 = 1: the first stage needs no multiplication.
    for i in range(lo, lo + size, 2):
        a = fload(F, values, i)
        b = fload(F, values, i + 1)
        fstore(F, values, i, fadd(F, a, b))
        fstore(F, values, i + 1, fsub(F, a, b))
    m = 2
    while m < size:
        for start in range(lo, lo + size, 2 * m):
            for j in range(m):
                w = fload(F, twiddles, m + j)
                a = fload(F, values, start + j)
                t = fmul(F, fload(F, values, start + j + m), w)
                fstore(F, values, start + j, fadd(F, a, t))
                fstore(F, values, start + j + m, fsub(F, a, t))
        m *= 2


@njit(cache=True)
def butterflies(F, values, twiddles):
    """Iterative decimation-in-time butterflies; input in bit-reversed order, output natural."""
    if values.shape[0] >= 2:
        _stages(F, values, twiddles, 0, values.shape[0])


@njit(cache=True, parallel=True)
def butterflies_parallel(F, values, twiddles, parts):
    """The same butterflies on ``parts`` threads (parts a power of two, n >= 2 parts).

    The low stages never mix the n/parts-sized blocks, so each thread transforms its own block
    with no synchronisation; only the last log2(parts) stages are split butterfly-wise, each
    with one barrier. Few barriers matter on a shared machine, where a barrier waits for the
    slowest, possibly descheduled, thread.
    """
    n = values.shape[0]
    size = n // parts
    for p in prange(parts):
        _stages(F, values, twiddles, p * size, size)
    half = n // 2
    per_part = half // parts
    m = size
    log_m = 0
    while (1 << log_m) < m:
        log_m += 1
    while m < n:
        for p in prange(parts):
            for t in range(p * per_part, (p + 1) * per_part):
                j = t & (m - 1)
                i = ((t >> log_m) << (log_m + 1)) + j
                w = fload(F, twiddles, m + j)
                a = fload(F, values, i)
                b = fmul(F, fload(F, values, i + m), w)
                fstore(F, values, i, fadd(F, a, b))
                fstore(F, values, i + m, fsub(F, a, b))
        m *= 2
        log_m += 1


@njit(cache=True)
def scale_by_powers(F, values, start, ratio):
    """values[i] *= start * ratio^i: coset shifts and the 1/n of the inverse transform in one pass."""
    acc = start
    for i in range(values.shape[0]):
        fstore(F, values, i, fmul(F, fload(F, values, i), acc))
        acc = fmul(F, acc, ratio)


@njit(cache=True)
def scale_all(F, values, c):
    for i in range(values.shape[0]):
        fstore(F, values, i, fmul(F, fload(F, values, i), c))


@njit(cache=True)
def lagrange_denominators(F, n_mont, tau, omega, out_den, out_num):
    """out_den[i] = n (tau - w^i), out_num[i] = w^i: the pieces of L_i(tau) before one batch inversion."""
    w = fone(F)
    for i in range(out_den.shape[0]):
        fstore(F, out_den, i, fmul(F, n_mont, fsub(F, tau, w)))
        fstore(F, out_num, i, w)
        w = fmul(F, w, omega)


@njit(cache=True)
def mul_scaled(F, x, y, c, out):
    """out[i] = x[i] * y[i] * c."""
    for i in range(x.shape[0]):
        fstore(F, out, i, fmul(F, fmul(F, fload(F, x, i), fload(F, y, i)), c))


def empty_twiddles(n: int) -> np.ndarray:
    return np.zeros((max(n, 1), 4), dtype=np.uint64)
