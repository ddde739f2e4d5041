"""Pippenger multi-scalar multiplication kernels, generic over the coordinate field (FP: G1, FP2: G2).

Per window of c bits (signed digits, so 2^(c-1) buckets):
1. counting-sort the input rows into buckets by |digit| (indices only);
2. from the top bucket down, a group of buckets at a time: gather the group's points (negating y
   for negative digits) and reduce every bucket to one affine point by rounds of pairwise
   additions; all additions of a round are independent, so they share one inversion (see
   :mod:`zk.msm.batch_affine`);
3. fold the group's buckets into sum_b b * B_b by the running-sum trick, in Jacobian coordinates.
Windows are independent and run in parallel (Python threads over a GIL-free kernel); the caller
combines them by doublings.
A thread's scratch is a group of points plus two 4-byte indices per row, not a copy of all the
points. Points at infinity and zero scalars are dropped before any window sees them; a scalar 1
costs a single bucket insertion (its only nonzero digit is in window 0). With the endomorphism
split (:mod:`zk.msm.endomorphism`) every point is two rows, P and phi(P) = (c x, y) (its x from a
``twin`` array), with half-scalar magnitudes and signs.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

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


# Bytes of points a window reduces at a time (see sum_window): about a core's L2 cache. On the
# shared machine (L3 contended) reducing in L2-sized groups cut wall time by a third at 2^16;
# a group costs one extra inversion, under 1% at 1 MiB.
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
def reduce_buckets(F, pts, starts, sizes, prefix, special, b_lo, b_hi, base):
    """Sum each bucket b in [b_lo, b_hi) (sizes[b] affine points at pts[starts[b] - base:]) into
    its first row, pts[starts[b] - base] (the all-zero row when the points cancel); sizes[b]
    becomes <= 1.

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
            s = starts[b] - base
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
            s = starts[b] - base
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
def count_window(scalars, signs, active, rows, window, c, group_points, digits, starts, sizes, group_low):
    """Digits and bucket sizes of one window, and its groups of buckets: taken from the top bucket
    down, each as many buckets as fit in group_points rows (at least one), group g's lowest
    bucket being group_low[g]. Returns (groups, the largest group's rows)."""
    buckets = 1 << (c - 1)
    sizes[:] = 0
    # Two loops here and in sum_window's gather, not one with a test of the split per row: at
    # 2^18 those tests cost a G1 MSM (no split) 12% of its CPU time (one thread, 8 rounds
    # alternating: 1.55 s against 1.36-1.43 s).
    if signs.shape[0] == 0:
        for r in range(rows):
            d = signed_digit(scalars, active[r], window, c)
            digits[r] = d
            if d != 0:
                sizes[abs(d) - 1] += 1
    else:
        for r in range(rows):
            d = signed_digit(scalars, r, window, c)
            if signs[r] != 0:
                d = -d
            digits[r] = d
            if d != 0:
                sizes[abs(d) - 1] += 1
    total = 0
    for b in range(buckets):
        starts[b] = total
        total += sizes[b]
    groups = 0
    largest = 0
    b_hi = buckets
    while b_hi > 0:
        b_lo = b_hi - 1
        held = sizes[b_lo]
        while b_lo > 0 and held + sizes[b_lo - 1] <= group_points:
            b_lo -= 1
            held += sizes[b_lo]
        group_low[groups] = b_lo
        groups += 1
        largest = max(largest, held)
        b_hi = b_lo
    return groups, largest


@inner_kernel
def sum_window(F, points, twin, active, rows, c, groups, pts, prefix, special, digits, starts, sizes, group_low):
    """sum_b b * B_b for a window counted by :func:`count_window`, as a Jacobian point.

    From the top, a slice of whole groups at a time (as many as pts holds; at least one): the
    rows whose bucket is in the slice are copied into pts in input order (the points are read
    as a stream, negated for negative digits), then each group of the slice is reduced bucket by
    bucket (its points stay in a core's L2 cache through the reduction rounds) and folded into
    the running sum. pts holding every row gives one slice, a single pass over the points; a
    smaller pts costs a pass over the digits per slice, and a slice's points are then a sparse
    stream."""
    buckets = 1 << (c - 1)
    capacity = pts.shape[0]
    fill = starts.copy()
    running = jac_infinity(F)
    acc = jac_infinity(F)
    g = 0
    b_hi = buckets
    while g < groups:
        end = starts[b_hi - 1] + sizes[b_hi - 1]
        h = g + 1
        while h < groups and end - starts[group_low[h]] <= capacity:
            h += 1
        s_lo = group_low[h - 1]
        base = starts[s_lo]
        # The split's test out of the row loop (see count_window).
        if twin.shape[0] == 0:
            for r in range(rows):
                d = digits[r]
                b = abs(d) - 1
                if d == 0 or b < s_lo or b >= b_hi:
                    continue
                q = load_point(F, points, active[r])
                if d < 0:
                    q = (q[0], fneg(F, q[1]))
                store_point(F, pts, fill[b] - base, q)
                fill[b] += 1
        else:
            for r in range(rows):
                d = digits[r]
                b = abs(d) - 1
                if d == 0 or b < s_lo or b >= b_hi:
                    continue
                t = r >> 1
                if r & 1:  # phi(P) = (c x, y): its x from twin, its y is P's
                    q = (fload(F, twin, t), load_point(F, points, active[t])[1])
                else:
                    q = load_point(F, points, active[t])
                if d < 0:
                    q = (q[0], fneg(F, q[1]))
                store_point(F, pts, fill[b] - base, q)
                fill[b] += 1
        for k in range(g, h):
            b_lo = group_low[k]
            reduce_buckets(F, pts, starts, sizes, prefix, special, b_lo, b_hi, base)
            for b in range(b_hi - 1, b_lo - 1, -1):
                if sizes[b] != 0:
                    running = jac_add_mixed(F, running, load_point(F, pts, starts[b] - base))
                acc = jac_add(F, acc, running)
            b_hi = b_lo
        g = h
    return acc


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def _windows_on_one_thread(F, points, twin, scalars, signs, active, rows, c, group_points, slice_points, first, step,
                           windows, out):
    """out[w] = the sum of window w for w = first, first + step, ... < windows; the thread's
    scratch allocated once. Releases the GIL: window_sums runs one call per thread."""
    buckets = 1 << (c - 1)
    cap = max(1, min(rows, slice_points))
    pts = np.empty((cap,) + points.shape[1:], dtype=np.uint64)
    half = min(cap, group_points) // 2 + 1
    prefix = np.empty((half,) + points.shape[2:], dtype=np.uint64)
    special = np.empty(half, dtype=np.uint8)
    digits = np.empty(rows, dtype=np.int32)
    starts = np.empty(buckets, dtype=np.int64)
    sizes = np.empty(buckets, dtype=np.int64)
    group_low = np.empty(buckets, dtype=np.int64)
    for w in range(first, windows, step):
        groups, largest = count_window(scalars, signs, active, rows, w, c, group_points, digits, starts, sizes, group_low)
        if largest > pts.shape[0]:  # one bucket larger than a slice (many equal digits)
            pts = np.empty((largest,) + points.shape[1:], dtype=np.uint64)
        if largest // 2 + 1 > prefix.shape[0]:
            prefix = np.empty((largest // 2 + 1,) + points.shape[2:], dtype=np.uint64)
            special = np.empty(largest // 2 + 1, dtype=np.uint8)
        store_jac(F, out, w, sum_window(F, points, twin, active, rows, c, groups, pts, prefix, special, digits, starts,
                                        sizes, group_low))


def window_sums(F, points, twin, scalars, signs, active, rows, c, group_points, slice_points, windows, parts, out):
    """out[w] = the sum of window w for every window; ``parts`` threads take every parts-th
    window, so each allocates its scratch once and the cheaper top window is not left to one
    thread. group_points: rows reduced at a time; slice_points: rows a thread copies at a time
    (its scratch; at least a group).

    The threads are Python threads over the GIL-free window kernel, not a prange: a parfor and
    its gufunc each link and optimise the whole window tree again (cold compile), for a loop
    over two or so parts."""
    args = (F, points, twin, scalars, signs, active, rows, c, group_points, slice_points)
    if parts <= 1:
        _windows_on_one_thread(*args, 0, 1, windows, out)
        return
    with ThreadPoolExecutor(parts - 1) as pool:
        others = [pool.submit(_windows_on_one_thread, *args, p, parts, windows, out) for p in range(1, parts)]
        _windows_on_one_thread(*args, 0, parts, windows, out)
        for job in others:
            job.result()


@inner_kernel
def combine_windows(F, sums, c):
    """sum_w 2^(c w) * sums[w] (Horner from the top window)."""
    acc = jac_infinity(F)
    for w in range(sums.shape[0] - 1, -1, -1):
        for _ in range(c):
            acc = jac_double(F, acc)
        acc = jac_add(F, acc, load_jac(F, sums, w))
    return acc
