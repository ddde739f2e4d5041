"""Bulk point kernels of the ceremonies: each point times its own scalar, the inverse FFT in
the exponent (Lagrange bases for ``ptau prepare``), and the sparse matrix-vector product in the
exponent of ``groth16 setup``.

Scalars are (n, 4) plain limbs below r. Every scalar multiplication, in G1 and in G2, splits its
scalar with the endomorphism (GLV: phi = [LAMBDA] on both groups, :mod:`zk.msm.endomorphism`)
and runs a joint width-5 NAF over the two 128-bit halves: half the doublings of a plain
double-and-add.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.extending import overload

from zk.curve.glv import BETA, MAX_DIGITS, _odd_multiples, decompose, wnaf, wnaf_recode
from zk.curve.kernels import (
    _element_shape,
    affine_to_jac,
    batch_to_affine,
    jac_add,
    jac_add_mixed,
    jac_double,
    jac_infinity,
    jac_neg,
    load_affine,
    load_jac,
    montgomery_limbs,
    store_jac,
)
from zk.field import P, R
from zk.field.ops import fload, fmul_base, fneg
from zk.field.spec import PrimeFieldType, QuadraticFieldType
from zk.msm.endomorphism import glv_split
from zk.poly.kernels import bit_reverse_permute

CHUNK = 256  # points per parallel task (one batch inversion each)


# Endomorphism-split scalar multiplication for both groups.
# phi(x, y) = (c x, y) equals [LAMBDA] on G1 (c = BETA) and on G2 (c = BETA^2, an Fp constant):
# zk.msm.endomorphism. k = k1 + k2 LAMBDA with |k1|, |k2| < 2^128 (glv_split, in the kernel).
_PHI = np.array([montgomery_limbs(BETA), montgomery_limbs(BETA * BETA % P)], dtype=np.uint64)


def _phi_constant(F):
    raise TypeError("_phi_constant is only callable inside numba kernels")


@overload(_phi_constant)
def _phi_constant_impl(F):
    if isinstance(F, PrimeFieldType):
        return lambda F: fload(F, _PHI, 0)
    if isinstance(F, QuadraticFieldType):
        return lambda F: fload(F.base, _PHI, 1)
    return None


@njit(cache=True)
def _entry(F, table, digit, apply_phi, c):
    magnitude = digit if digit > 0 else -digit
    q = load_jac(F, table, magnitude >> 1)
    if apply_phi:
        q = (fmul_base(F, q[0], c), q[1], q[2])
    if digit < 0:
        q = jac_neg(F, q)
    return q


@njit(cache=True)
def endo_scalar_mul(F, p, k):
    """k p for a Jacobian point p of G1 or G2 and k a tuple of 4 plain limbs below r: about 128
    doublings and 2 x 128/6 additions (joint width-5 NAF of the two halves)."""
    s = glv_split(k)
    digits = np.zeros((2, MAX_DIGITS), dtype=np.int8)
    n1 = wnaf_recode(s[0], s[1], s[2] != np.uint64(0), digits[0])
    n2 = wnaf_recode(s[3], s[4], s[5] != np.uint64(0), digits[1])
    table = _odd_multiples(F, p)
    c = _phi_constant(F)
    acc = jac_infinity(F)
    for i in range(max(n1, n2) - 1, -1, -1):
        acc = jac_double(F, acc)
        d1 = np.int64(digits[0, i])
        if d1 != 0:
            acc = jac_add(F, acc, _entry(F, table, d1, False, c))
        d2 = np.int64(digits[1, i])
        if d2 != 0:
            acc = jac_add(F, acc, _entry(F, table, d2, True, c))
    return acc


@njit(cache=True)
def point_mul(F, p, raw, i):
    return endo_scalar_mul(F, p, (raw[i, 0], raw[i, 1], raw[i, 2], raw[i, 3]))


@njit(cache=True, parallel=True)
def scale_points(F, points, raw, out):
    """out[i] = scalar_i * points[i] (affine in, affine out), in parallel chunks."""
    n = points.shape[0]
    chunks = (n + CHUNK - 1) // CHUNK
    for c in prange(chunks):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        jac = np.empty((hi - lo, 3) + _element_shape(F), dtype=np.uint64)
        for i in range(lo, hi):
            p = affine_to_jac(F, load_affine(F, points, i))
            store_jac(F, jac, i - lo, point_mul(F, p, raw, i))
        batch_to_affine(F, jac, out[lo:hi])


@njit(cache=True)
def _affine_entry(F, table, base, digit, apply_phi, c):
    magnitude = digit if digit > 0 else -digit
    q = load_affine(F, table, base + (magnitude >> 1))
    x = fmul_base(F, q[0], c) if apply_phi else q[0]
    y = fneg(F, q[1]) if digit < 0 else q[1]
    return (x, y)


def fixed_digits(k: int) -> np.ndarray:
    """(2, n) int8: the width-5 NAF digits (least significant first) of the two halves of k's
    endomorphism split (k = k1 + k2 LAMBDA mod r), for :func:`scale_fixed`; n = 0 for k = 0."""
    halves = [wnaf(h) for h in decompose(k % R)]
    out = np.zeros((2, max(len(h) for h in halves)), dtype=np.int8)
    for row, h in zip(out, halves):
        row[:len(h)] = h
    return out


@njit(cache=True, parallel=True)
def scale_fixed(F, points, digits, out):
    """out[i] = k points[i] for one scalar k given as ``fixed_digits(k)`` (affine in and out): the
    ``zkey contribute`` product. Per chunk of points, the odd multiples of every point are made
    affine with one batch inversion, so each nonzero digit costs a mixed addition, and the results
    with another."""
    n = points.shape[0]
    length = digits.shape[1]
    c = _phi_constant(F)
    chunks = (n + CHUNK - 1) // CHUNK
    for ch in prange(chunks):
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        jac_table = np.empty((8 * (hi - lo), 3) + _element_shape(F), dtype=np.uint64)
        for i in range(lo, hi):
            jac_table[8 * (i - lo):8 * (i - lo) + 8] = _odd_multiples(F, affine_to_jac(F, load_affine(F, points, i)))
        table = np.empty((8 * (hi - lo), 2) + _element_shape(F), dtype=np.uint64)
        batch_to_affine(F, jac_table, table)
        jac = np.empty((hi - lo, 3) + _element_shape(F), dtype=np.uint64)
        for i in range(hi - lo):
            acc = jac_infinity(F)
            for t in range(length - 1, -1, -1):
                acc = jac_double(F, acc)
                d1 = np.int64(digits[0, t])
                if d1 != 0:
                    acc = jac_add_mixed(F, acc, _affine_entry(F, table, 8 * i, d1, False, c))
                d2 = np.int64(digits[1, t])
                if d2 != 0:
                    acc = jac_add_mixed(F, acc, _affine_entry(F, table, 8 * i, d2, True, c))
            store_jac(F, jac, i, acc)
        batch_to_affine(F, jac, out[lo:hi])


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
        jac_table[8 * j:8 * j + 8] = _odd_multiples(F, p)
        j += 1
    table = np.empty((8 * big, 2) + _element_shape(F), dtype=np.uint64)
    batch_to_affine(F, jac_table, table)
    c = _phi_constant(F)
    sub = jac_infinity(F)
    for i in range(length - 1, -1, -1):
        sub = jac_double(F, sub)
        for j in range(big):
            d1 = np.int64(digits[j, 0, i])
            if d1 != 0:
                sub = jac_add_mixed(F, sub, _affine_entry(F, table, 8 * j, d1, False, c))
            d2 = np.int64(digits[j, 1, i])
            if d2 != 0:
                sub = jac_add_mixed(F, sub, _affine_entry(F, table, 8 * j, d2, True, c))
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
