"""Pippenger multi-scalar multiplication kernels, generic over the coordinate field (FP: G1, FP2: G2).

Per window of c bits (signed digits, so 2^(c-1) buckets):
1. counting-sort the points into buckets by |digit| (negating y for negative digits);
2. reduce every bucket to one affine point by rounds of pairwise additions; all additions of a
   round are independent, so they share one inversion (see :mod:`zk.msm.batch_affine`);
3. sum_b b * B_b by the running-sum trick, in Jacobian coordinates.
Windows are independent and run in parallel (``prange``); the caller combines them by doublings.
Points at infinity and zero scalars are dropped before any window sees them; a scalar 1 costs a
single bucket insertion (its only nonzero digit is in window 0).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from zk.curve.kernels import (
    affine_is_infinity,
    jac_add,
    jac_add_mixed,
    jac_double,
    jac_infinity,
    load_jac,
    store_jac,
)
from zk.field.ops import fis_zero, fload, fmul, fneg, fone

from ._rows import load_point, store_element, store_point
from .batch_affine import invert_in_place, pair_add, pair_denominator
from .scalars import signed_digit


@njit(cache=True)
def active_indices(F, points, scalars):
    """Indices whose scalar is nonzero and whose point is not infinity: the only ones that matter."""
    n = points.shape[0]
    keep = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        zero = (scalars[i, 0] | scalars[i, 1] | scalars[i, 2] | scalars[i, 3]) == np.uint64(0)
        if zero:
            continue
        if affine_is_infinity(F, load_point(F, points, i)):
            continue
        keep[count] = i
        count += 1
    return keep[:count]


@njit(cache=True)
def reduce_buckets(F, pts, starts, sizes):
    """Bucket b holds sizes[b] affine points at pts[starts[b]:]; on return it holds one (or none,
    when its points cancel), at pts[starts[b]]."""
    buckets = sizes.shape[0]
    scratch_shape = (pts.shape[0] // 2 + 1,) + pts.shape[2:]
    den = np.empty(scratch_shape, dtype=np.uint64)
    prefix = np.empty(scratch_shape, dtype=np.uint64)
    while True:
        pairs = 0
        product = fone(F)
        for b in range(buckets):
            s = starts[b]
            for j in range(sizes[b] // 2):
                d = pair_denominator(F, load_point(F, pts, s + 2 * j), load_point(F, pts, s + 2 * j + 1))
                store_element(F, den, pairs, d)
                store_element(F, prefix, pairs, product)
                if not fis_zero(F, d):
                    product = fmul(F, product, d)
                pairs += 1
        if pairs == 0:
            return
        invert_in_place(F, den, prefix, pairs, product)
        k = 0
        for b in range(buckets):
            count = sizes[b]
            if count < 2:
                continue
            s = starts[b]
            out = s
            # Writing at out <= s + j after reading pair j (at s + 2j) never clobbers unread input.
            for j in range(count // 2):
                total = pair_add(F, load_point(F, pts, s + 2 * j), load_point(F, pts, s + 2 * j + 1), fload(F, den, k))
                k += 1
                if not affine_is_infinity(F, total):
                    store_point(F, pts, out, total)
                    out += 1
            if count & 1:
                store_point(F, pts, out, load_point(F, pts, s + count - 1))
                out += 1
            sizes[b] = out - s


@njit(cache=True)
def window_sum(F, points, scalars, active, window, c):
    """sum_i digit_i * P_i for one window, as a Jacobian point."""
    m = active.shape[0]
    buckets = 1 << (c - 1)
    digits = np.empty(m, dtype=np.int64)
    sizes = np.zeros(buckets, dtype=np.int64)
    for t in range(m):
        d = signed_digit(scalars, active[t], window, c)
        digits[t] = d
        if d != 0:
            sizes[abs(d) - 1] += 1
    starts = np.empty(buckets, dtype=np.int64)
    total = 0
    for b in range(buckets):
        starts[b] = total
        total += sizes[b]
    pts = np.empty((total,) + points.shape[1:], dtype=np.uint64)
    fill = starts.copy()
    for t in range(m):
        d = digits[t]
        if d == 0:
            continue
        b = abs(d) - 1
        q = load_point(F, points, active[t])
        if d < 0:
            q = (q[0], fneg(F, q[1]))
        store_point(F, pts, fill[b], q)
        fill[b] += 1
    reduce_buckets(F, pts, starts, sizes)
    running = jac_infinity(F)
    acc = jac_infinity(F)
    for b in range(buckets - 1, -1, -1):
        if sizes[b] == 1:
            running = jac_add_mixed(F, running, load_point(F, pts, starts[b]))
        acc = jac_add(F, acc, running)
    return acc


@njit(cache=True, parallel=True)
def window_sums(F, points, scalars, active, c, windows, out):
    """out[w] = window_sum(w) for every window, windows spread over threads."""
    for w in prange(windows):
        store_jac(F, out, w, window_sum(F, points, scalars, active, w, c))


@njit(cache=True)
def combine_windows(F, sums, c):
    """sum_w 2^(c w) * sums[w] (Horner from the top window)."""
    acc = jac_infinity(F)
    for w in range(sums.shape[0] - 1, -1, -1):
        for _ in range(c):
            acc = jac_double(F, acc)
        acc = jac_add(F, acc, load_jac(F, sums, w))
    return acc


@njit(cache=True)
def msm_serial(F, points, scalars, active, c, windows, out):
    """The same result as window_sums + combine_windows on one thread (small inputs, no pool)."""
    for w in range(windows):
        store_jac(F, out, w, window_sum(F, points, scalars, active, w, c))
