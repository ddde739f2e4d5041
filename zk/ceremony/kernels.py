"""Bulk point kernels of the ceremonies: each point times its own scalar, and the inverse FFT in
the exponent (Lagrange bases for ``ptau prepare``).

Scalars are (n, 4) plain limbs below r. Every scalar multiplication, in G1 and in G2, splits its
scalar with the endomorphism (GLV: phi = [LAMBDA] on both groups, :mod:`zk.msm.endomorphism`)
and runs a joint width-5 NAF over the two 128-bit halves: half the doublings of a plain
double-and-add.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.extending import overload

from zk.curve.glv import BETA, MAX_DIGITS, _odd_multiples, wnaf_recode
from zk.curve.kernels import (
    _element_shape,
    affine_to_jac,
    batch_to_affine,
    jac_add,
    jac_double,
    jac_infinity,
    jac_neg,
    load_affine,
    load_jac,
    montgomery_limbs,
    store_jac,
)
from zk.field import P
from zk.field.ops import fload, fmul_base
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
