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
    entry_kernel,
    inner_kernel,
    jac_add,
    jac_add_mixed,
    jac_double,
    jac_infinity,
    load_jac,
    store_jac,
)
from zk.field.ops import finv, fis_zero, fload, fmul, fneg, fone, fstore, fsub

from zk.curve.rows import load_point, store_point
from .batch_affine import generic_add, generic_pair, pair_add, pair_denominator
from .scalars import signed_digit


GROUP_BYTES = 1 << 20


@entry_kernel
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


@inner_kernel
def reduce_buckets(F, pts, starts, sizes, prefix, special, b_lo, b_hi):
    """Sum each bucket b in [b_lo, b_hi) (sizes[b] affine points at pts[starts[b]:]) into its
    first row, pts[starts[b]] (the all-zero row when the points cancel); sizes[b] becomes <= 1.

    Round r adds the elements at bucket offsets 2k*s and (2k+1)*s (stride s = 2^r) into the
    first of them, so no result overwrites an unread input, whatever the order, and an odd last
    element stays where the next round expects it. prefix (elements) and special (bytes) are
    scratch, each at least half as long as the points; special marks the pairs that are not
    the generic case (distinct x, both finite), so the backward pass tests a byte, not points.
    """
    stride = 1
    while True:
        pairs = 0
        product = fone(F)
        for b in range(b_lo, b_hi):
            s = starts[b]
            for j in range(sizes[b] // 2):
                i = s + 2 * j * stride
                p = load_point(F, pts, i)
                q = load_point(F, pts, i + stride)
                fstore(F, prefix, pairs, product)
                if generic_pair(F, p, q):
                    special[pairs] = 0
                    product = fmul(F, product, fsub(F, q[0], p[0]))
                else:
                    special[pairs] = 1
                    d = pair_denominator(F, p, q)
                    if not fis_zero(F, d):
                        product = fmul(F, product, d)
                pairs += 1
        if pairs == 0:
            return
        inv = finv(F, product)
        k = pairs
        for b in range(b_hi - 1, b_lo - 1, -1):
            count = sizes[b]
            if count < 2:
                continue
            s = starts[b]
            for j in range(count // 2 - 1, -1, -1):
                k -= 1
                i = s + 2 * j * stride
                p = load_point(F, pts, i)
                q = load_point(F, pts, i + stride)
                if special[k] == 0:
                    d = fsub(F, q[0], p[0])
                    inv_k = fmul(F, inv, fload(F, prefix, k))
                    inv = fmul(F, inv, d)
                    store_point(F, pts, i, generic_add(F, p, q, inv_k))
                else:
                    d = pair_denominator(F, p, q)
                    inv_k = inv
                    if not fis_zero(F, d):
                        inv_k = fmul(F, inv, fload(F, prefix, k))
                        inv = fmul(F, inv, d)
                    store_point(F, pts, i, pair_add(F, p, q, inv_k))
            sizes[b] = (count + 1) // 2
        stride *= 2


@inner_kernel
def window_sum(F, points, scalars, active, window, c, pts, prefix, special, digits, starts, sizes):
    """sum_i digit_i * P_i for one window, as a Jacobian point. The arrays after ``c`` are
    scratch space, reused from window to window: pts and digits (>= len(active) rows), prefix
    and special (>= len(active) / 2 + 1 rows), starts and sizes (2^(c-1))."""
    m = active.shape[0]
    buckets = 1 << (c - 1)
    sizes[:] = 0
    for t in range(m):
        d = signed_digit(scalars, active[t], window, c)
        digits[t] = d
        if d != 0:
            sizes[abs(d) - 1] += 1
    total = 0
    for b in range(buckets):
        starts[b] = total
        total += sizes[b]
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
    # Reduce the buckets a group at a time, each group's points small enough to stay in a core's
    # L2 cache through all its rounds instead of streaming the window from L3 on every pass.
    # On the shared machine (L3 contended) that cut wall time by a third at 2^16; CPU time is
    # unchanged. A group round costs one extra inversion, under 1% at 1 MiB groups.
    group_points = max(1, GROUP_BYTES // (pts[0].size * 8))
    # np.int64, not a literal 0: type inference would compile reduce_buckets once for the
    # literal type too (a cold compile of the whole bucket reduction, for nothing).
    b_lo = np.int64(0)
    while b_lo < buckets:
        b_hi = b_lo
        held = 0
        while b_hi < buckets and (b_hi == b_lo or held + sizes[b_hi] <= group_points):
            held += sizes[b_hi]
            b_hi += 1
        reduce_buckets(F, pts, starts, sizes, prefix, special, b_lo, b_hi)
        b_lo = b_hi
    running = jac_infinity(F)
    acc = jac_infinity(F)
    for b in range(buckets - 1, -1, -1):
        if sizes[b] != 0:
            running = jac_add_mixed(F, running, load_point(F, pts, starts[b]))
        acc = jac_add(F, acc, running)
    return acc


@inner_kernel
def _windows_on_one_thread(F, points, scalars, active, c, first, step, windows, out):
    m = active.shape[0]
    buckets = 1 << (c - 1)
    pts = np.empty((m,) + points.shape[1:], dtype=np.uint64)
    prefix = np.empty((m // 2 + 1,) + points.shape[2:], dtype=np.uint64)
    special = np.empty(m // 2 + 1, dtype=np.uint8)
    digits = np.empty(m, dtype=np.int64)
    starts = np.empty(buckets, dtype=np.int64)
    sizes = np.empty(buckets, dtype=np.int64)
    for w in range(first, windows, step):
        store_jac(F, out, w, window_sum(F, points, scalars, active, w, c, pts, prefix, special, digits, starts, sizes))


@njit(cache=True, parallel=True, no_cfunc_wrapper=True)
def window_sums(F, points, scalars, active, c, windows, parts, out):
    """out[w] = window_sum(w) for every window; ``parts`` threads take every parts-th window, so
    each allocates its scratch once and the cheaper top window is not left to one thread."""
    for p in prange(parts):
        # The parfor types p as int64 and then, in its gufunc, as uint64: cast, or the whole
        # per-thread kernel is compiled twice.
        _windows_on_one_thread(F, points, scalars, active, c, np.int64(p), parts, windows, out)


@inner_kernel
def combine_windows(F, sums, c):
    """sum_w 2^(c w) * sums[w] (Horner from the top window)."""
    acc = jac_infinity(F)
    for w in range(sums.shape[0] - 1, -1, -1):
        for _ in range(c):
            acc = jac_double(F, acc)
        acc = jac_add(F, acc, load_jac(F, sums, w))
    return acc
