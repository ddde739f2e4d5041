"""Bulk point kernels of the ceremonies: each point times its own scalar, the inverse FFT in
the exponent (Lagrange bases for ``ptau prepare``), and the sparse matrix-vector product in the
exponent of ``groth16 setup``.

Scalars are (n, 4) plain limbs below r. Every scalar multiplication, in G1 and in G2, splits its
scalar with the endomorphism (GLV: phi = [LAMBDA] on both groups, :mod:`zk.curve.glv`; the split
in the kernel, :mod:`zk.msm.endomorphism`) and runs a joint width-5 NAF over the two 128-bit
halves: half the doublings of a plain double-and-add.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from zk.curve.glv import MAX_DIGITS, affine_entry, joint_double_and_add, odd_multiples, phi_constant, wnaf_recode
from zk.curve.kernels import (
    _element_shape,
    affine_infinity,
    affine_is_infinity,
    affine_to_jac,
    batch_to_affine,
    jac_add,
    jac_add_mixed,
    jac_double,
    jac_infinity,
    jac_neg,
    load_affine,
    load_jac,
    store_affine,
    store_jac,
)
from zk.field.ops import finv, fis_zero, fload, fmul, fneg, fone, fstore, fsub
from zk.msm.batch_affine import generic_add, pair_add, pair_denominator
from zk.msm.endomorphism import glv_split
from zk.poly.kernels import bit_reverse_permute


@njit(cache=True)
def endo_scalar_mul(F, p, k):
    """k p for a Jacobian point p of G1 or G2 and k a tuple of 4 plain limbs below r: about 128
    doublings and 2 x 128/6 additions (joint width-5 NAF of the two halves, zk.curve.glv), the
    split computed here (``glv_split``)."""
    s = glv_split(k)
    digits = np.zeros((2, MAX_DIGITS), dtype=np.int8)
    n1 = wnaf_recode(s[0], s[1], s[2] != np.uint64(0), digits[0])
    n2 = wnaf_recode(s[3], s[4], s[5] != np.uint64(0), digits[1])
    return joint_double_and_add(F, odd_multiples(F, p), digits, max(n1, n2))


@njit(cache=True)
def point_mul(F, p, raw, i):
    return endo_scalar_mul(F, p, (raw[i, 0], raw[i, 1], raw[i, 2], raw[i, 3]))


# ---------------------------------------------------------------------------------------------
# Many points, each times its scalar (ptau contribute) or all times one scalar (zkey contribute)
#
# Batch-affine: the points of a chunk run through their double-and-add chains in step, in affine
# coordinates, and every step inverts the denominators of all its doublings (or additions) at once
# with one field inversion (Montgomery's trick). With a squaring costing a multiplication, an
# affine doubling then costs 3 + 4 multiplications (a Jacobian one 7), an affine addition 3 + 3
# (a mixed Jacobian one 11, a full one 16), and the odd-multiple table needs no conversion.
# A chunk's ~300 inversions (~380 multiplications each) are shared by its CHUNK points.

CHUNK = 1024  # points per parallel task
_NOT_STARTED, _RUNNING, _INPUT_INFINITY, _EXCEPTIONAL = 0, 1, 2, 3


@njit(cache=True)
def _batch_pass(F, acc, rows, owners, entries, count, doubling, state, prefix):
    """acc[rows[j]] <- acc[rows[j]] + entries[j] (or 2 acc[rows[j]] when ``doubling``) for
    j < count, affine, finite operands, with one inversion for all (:mod:`zk.msm.batch_affine`:
    prefix products forward, then each inverse and its sum backward, each denominator recomputed
    rather than stored). A sum the chord formula cannot make (equal x: a doubling or infinity,
    which the chains never meet for points of order r) marks its owner exceptional instead and
    sets rows[j] to -1."""
    product = fone(F)
    kept = 0
    for j in range(count):
        p = load_affine(F, acc, rows[j])
        d = pair_denominator(F, p, p) if doubling else fsub(F, load_affine(F, entries, j)[0], p[0])
        if fis_zero(F, d):
            state[owners[j]] = _EXCEPTIONAL
            rows[j] = -1
            continue
        fstore(F, prefix, j, product)
        product = fmul(F, product, d)
        kept += 1
    if kept == 0:
        return
    inv = finv(F, product)
    for j in range(count - 1, -1, -1):
        if rows[j] < 0:
            continue
        p = load_affine(F, acc, rows[j])
        inv_j = fmul(F, inv, fload(F, prefix, j))
        if doubling:
            inv = fmul(F, inv, pair_denominator(F, p, p))
            store_affine(F, acc, rows[j], pair_add(F, p, p, inv_j))
        else:
            q = load_affine(F, entries, j)
            inv = fmul(F, inv, fsub(F, q[0], p[0]))
            store_affine(F, acc, rows[j], generic_add(F, p, q, inv_j))


@njit(cache=True)
def _scale_chunk(F, points, raw, out, lo, hi):
    """out[i] = k_i points[i] for i in [lo, hi), k_i = raw[i] (or raw[0] for all when raw has one
    row); affine in and out."""
    m = hi - lo
    shape = _element_shape(F)
    shared = raw.shape[0] == 1
    digits = np.zeros((1 if shared else m, 2, MAX_DIGITS), dtype=np.int8)
    length = 0
    for i in range(digits.shape[0]):
        r = 0 if shared else lo + i
        s = glv_split((raw[r, 0], raw[r, 1], raw[r, 2], raw[r, 3]))
        length = max(length, wnaf_recode(s[0], s[1], s[2] != np.uint64(0), digits[i, 0]),
                     wnaf_recode(s[3], s[4], s[5] != np.uint64(0), digits[i, 1]))
    state = np.zeros(m, dtype=np.int8)
    table = np.empty((8 * m, 2) + shape, dtype=np.uint64)  # odd multiples P, 3P, .., 15P
    acc = np.empty((m, 2) + shape, dtype=np.uint64)
    entries = np.empty((m, 2) + shape, dtype=np.uint64)
    prefix = np.empty((m,) + shape, dtype=np.uint64)
    rows = np.empty(m, dtype=np.int64)
    owners = np.empty(m, dtype=np.int64)

    count = 0
    for i in range(m):
        p = load_affine(F, points, lo + i)
        if affine_is_infinity(F, p):
            state[i] = _INPUT_INFINITY
            continue
        store_affine(F, table, 8 * i, p)
        store_affine(F, acc, i, p)  # acc holds 2P while the table is built
        rows[count] = i
        owners[count] = i
        count += 1
    _batch_pass(F, acc, rows, owners, entries, count, True, state, prefix)
    for t in range(1, 8):
        count = 0
        for i in range(m):
            if state[i] == _NOT_STARTED:
                store_affine(F, table, 8 * i + t, load_affine(F, table, 8 * i + t - 1))
                store_affine(F, entries, count, load_affine(F, acc, i))
                rows[count] = 8 * i + t
                owners[count] = i
                count += 1
        _batch_pass(F, table, rows, owners, entries, count, False, state, prefix)

    c = phi_constant(F)
    for t in range(length - 1, -1, -1):
        count = 0
        for i in range(m):
            if state[i] == _RUNNING:
                rows[count] = i
                owners[count] = i
                count += 1
        _batch_pass(F, acc, rows, owners, entries, count, True, state, prefix)
        for half in range(2):
            count = 0
            for i in range(m):
                if state[i] == _INPUT_INFINITY or state[i] == _EXCEPTIONAL:
                    continue
                d = np.int64(digits[0 if shared else i, half, t])
                if d == 0:
                    continue
                entry = affine_entry(F, table, 8 * i, d, half == 1, c)
                if state[i] == _NOT_STARTED:
                    store_affine(F, acc, i, entry)
                    state[i] = _RUNNING
                    continue
                store_affine(F, entries, count, entry)
                rows[count] = i
                owners[count] = i
                count += 1
            _batch_pass(F, acc, rows, owners, entries, count, False, state, prefix)

    for i in range(m):
        if state[i] == _RUNNING:
            store_affine(F, out, lo + i, load_affine(F, acc, i))
        elif state[i] == _EXCEPTIONAL:
            # Complete Jacobian formulas for the (never yet seen) point whose chain met one.
            r = 0 if shared else lo + i
            q = point_mul(F, affine_to_jac(F, load_affine(F, points, lo + i)), raw, r)
            one = np.empty((1, 3) + shape, dtype=np.uint64)
            store_jac(F, one, 0, q)
            batch_to_affine(F, one, out[lo + i:lo + i + 1])
        else:  # the input, or k, is zero
            store_affine(F, out, lo + i, affine_infinity(F))


@njit(cache=True, parallel=True)
def scale_points(F, points, raw, out):
    """out[i] = k_i points[i], affine in and out, for G1 or G2 points (of order r: the scalars are
    split with the endomorphism). raw holds the scalars as plain limbs below r: one row per point
    (``ptau contribute``'s powers), or a single row for all (``zkey contribute``'s delta^-1)."""
    n = points.shape[0]
    chunks = (n + CHUNK - 1) // CHUNK
    for ch in prange(chunks):
        _scale_chunk(F, points, raw, out, ch * CHUNK, min(n, (ch + 1) * CHUNK))


@njit(cache=True, parallel=True)
def _stage(F, jac, half, raw, tw_offset, scaled, inv_raw):
    """One radix-2 decimation-in-time stage over groups of 2*half points.

    Butterfly j of every group: (u, v) -> (u + w_j v, u - w_j v), w_j the j-th twiddle of this
    stage (row tw_offset + j of raw). With ``scaled`` (the last stage), u is multiplied by
    inv_raw's row 0 (1/n) and the twiddle rows already include 1/n."""
    n = jac.shape[0]
    butterflies = n // 2
    for b in prange(butterflies):
        group = b // half
        j = b - group * half
        top = group * 2 * half + j
        bottom = top + half
        u = load_jac(F, jac, top)
        v = load_jac(F, jac, bottom)
        if scaled:
            u = point_mul(F, u, inv_raw, 0)
            v = point_mul(F, v, raw, tw_offset + j)
        elif j != 0:
            v = point_mul(F, v, raw, tw_offset + j)
        store_jac(F, jac, top, jac_add(F, u, v))
        store_jac(F, jac, bottom, jac_add(F, u, jac_neg(F, v)))


def run_ifft(F, jac, raw, stage_offsets, inv_raw):
    """In place: the size-n inverse DFT of the Jacobian points, scaled by 1/n. raw holds the
    twiddles (plain limbs) of each stage (stage s, half-size h = 2^s, at rows stage_offsets[s] ..
    + h - 1), those of the last stage already multiplied by 1/n."""
    n = jac.shape[0]
    bits = n.bit_length() - 1
    bit_reverse_permute(jac.reshape(n, -1), bits)  # rows flattened: a view, permuted in place
    for s in range(bits):
        half = 1 << s
        _stage(F, jac, half, raw, stage_offsets[s], s == bits - 1, inv_raw)


@njit(cache=True)
def affine_rows_to_jac(F, affine, out):
    for i in range(affine.shape[0]):
        store_jac(F, out, i, affine_to_jac(F, load_affine(F, affine, i)))


# ---------------------------------------------------------------------------------------------
# groth16 setup: out[dst[g]] = sum over the entries e of group g of (-1)^negative[e] scalars[e] bases[src[e]]


@njit(cache=True)
def _small_mul(F, q, k):
    """k q for an affine q and 1 < k < 2^64 by double-and-add with mixed additions: circuits are
    full of small coefficients (and of r - small ones, taken negative)."""
    acc = jac_infinity(F)
    top = 63
    while top >= 0 and (k >> np.uint64(top)) & np.uint64(1) == np.uint64(0):
        top -= 1
    for bit in range(top, -1, -1):
        acc = jac_double(F, acc)
        if (k >> np.uint64(bit)) & np.uint64(1):
            acc = jac_add_mixed(F, acc, q)
    return acc


@njit(cache=True)
def group_sum(F, bases, src, scalars, negative, lo, hi):
    """sum over e in [lo, hi) of (-1)^negative[e] scalars[e] bases[src[e]] (affine bases, scalars
    (n, 4) plain limbs below r), Jacobian out.

    Scalars below 2^64 take a short double-and-add each (a mixed addition for 1). The full-size
    ones share one chain of about 128 doublings (Straus): each is split with the endomorphism
    (k = k1 + k2 LAMBDA, both halves in width-5 NAF), its base's odd multiples are made affine
    with one batch inversion for the whole group, and each nonzero digit is a mixed addition."""
    acc = jac_infinity(F)
    big = 0
    for e in range(lo, hi):
        if scalars[e, 1] | scalars[e, 2] | scalars[e, 3]:
            big += 1
            continue
        k0 = scalars[e, 0]
        if k0 == np.uint64(0):
            continue
        q = load_affine(F, bases, src[e])
        if negative[e]:
            q = (q[0], fneg(F, q[1]))
        if k0 == np.uint64(1):
            acc = jac_add_mixed(F, acc, q)
        else:
            acc = jac_add(F, acc, _small_mul(F, q, k0))
    if big == 0:
        return acc
    digits = np.zeros((big, 2, MAX_DIGITS), dtype=np.int8)
    jac_table = np.empty((8 * big, 3) + _element_shape(F), dtype=np.uint64)
    length = 0
    j = 0
    for e in range(lo, hi):
        if not (scalars[e, 1] | scalars[e, 2] | scalars[e, 3]):
            continue
        s = glv_split((scalars[e, 0], scalars[e, 1], scalars[e, 2], scalars[e, 3]))
        length = max(length, wnaf_recode(s[0], s[1], s[2] != np.uint64(0), digits[j, 0]),
                     wnaf_recode(s[3], s[4], s[5] != np.uint64(0), digits[j, 1]))
        p = affine_to_jac(F, load_affine(F, bases, src[e]))
        if negative[e]:
            p = jac_neg(F, p)
        jac_table[8 * j:8 * j + 8] = odd_multiples(F, p)
        j += 1
    table = np.empty((8 * big, 2) + _element_shape(F), dtype=np.uint64)
    batch_to_affine(F, jac_table, table)
    c = phi_constant(F)
    sub = jac_infinity(F)
    for i in range(length - 1, -1, -1):
        sub = jac_double(F, sub)
        for j in range(big):
            d1 = np.int64(digits[j, 0, i])
            if d1 != 0:
                sub = jac_add_mixed(F, sub, affine_entry(F, table, 8 * j, d1, False, c))
            d2 = np.int64(digits[j, 1, i])
            if d2 != 0:
                sub = jac_add_mixed(F, sub, affine_entry(F, table, 8 * j, d2, True, c))
    return jac_add(F, acc, sub)


@njit(cache=True, parallel=True)
def sparse_accumulate(F, bases, src, scalars, negative, starts, dst, chunks, out_jac):
    """out_jac[dst[g]] = group_sum over the entries [starts[g], starts[g + 1]) for every group g;
    other rows infinity. Groups run in parallel in the chunks [chunks[c], chunks[c + 1]) (balanced
    by entry count by the caller)."""
    inf = jac_infinity(F)
    for i in range(out_jac.shape[0]):
        store_jac(F, out_jac, i, inf)
    for c in prange(chunks.shape[0] - 1):
        for g in range(chunks[c], chunks[c + 1]):
            store_jac(F, out_jac, dst[g], group_sum(F, bases, src, scalars, negative, starts[g], starts[g + 1]))


@njit(cache=True, parallel=True)
def subtract_affine(F, a, b, out_jac):
    """out_jac[i] = a[i] - b[i] for affine rows."""
    for i in prange(a.shape[0]):
        q = load_affine(F, b, i)
        store_jac(F, out_jac, i, jac_add_mixed(F, affine_to_jac(F, load_affine(F, a, i)), (q[0], fneg(F, q[1]))))
