"""Bulk point kernels of the ceremonies: each point times its own scalar, and the inverse FFT in
the exponent (Lagrange bases for ``ptau prepare``).

Scalar multiplication dispatches on the coordinate field: G1 (Fp) uses GLV with width-5 NAF
(:mod:`zk.curve.glv`, scalars given as ``glv_halves``), G2 (Fp2) 4-bit fixed windows on the plain
256-bit scalar (:func:`zk.curve.kernels.jac_scalar_mul`). Both scalar forms are passed to every
kernel so one kernel body serves both groups.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.extending import overload

from zk.curve.glv import glv_scalar_mul
from zk.curve.kernels import (
    _element_shape,
    affine_to_jac,
    batch_to_affine,
    jac_add,
    jac_neg,
    jac_scalar_mul,
    load_affine,
    load_jac,
    store_jac,
)
from zk.field.spec import PrimeFieldType, QuadraticFieldType

CHUNK = 256  # points per parallel task (one batch inversion each)


def point_mul(F, p, raw, halves, i):
    raise TypeError("point_mul is only callable inside numba kernels")


@overload(point_mul)
def _point_mul(F, p, raw, halves, i):
    """scalar i times the Jacobian point p: GLV on G1, fixed windows on G2."""
    if isinstance(F, PrimeFieldType):
        return lambda F, p, raw, halves, i: glv_scalar_mul(F, p, halves[i])
    if isinstance(F, QuadraticFieldType):
        return lambda F, p, raw, halves, i: jac_scalar_mul(F, p, (raw[i, 0], raw[i, 1], raw[i, 2], raw[i, 3]))
    return None


@njit(cache=True, parallel=True)
def scale_points(F, points, raw, halves, out):
    """out[i] = scalar_i * points[i] (affine in, affine out), in parallel chunks."""
    n = points.shape[0]
    chunks = (n + CHUNK - 1) // CHUNK
    for c in prange(chunks):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        jac = np.empty((hi - lo, 3) + _element_shape(F), dtype=np.uint64)
        for i in range(lo, hi):
            p = affine_to_jac(F, load_affine(F, points, i))
            store_jac(F, jac, i - lo, point_mul(F, p, raw, halves, i))
        batch_to_affine(F, jac, out[lo:hi])


@njit(cache=True)
def bit_reverse_permute(arr, bits):
    n = arr.shape[0]
    for i in range(n):
        j = 0
        x = i
        for _ in range(bits):
            j = (j << 1) | (x & 1)
            x >>= 1
        if j > i:
            tmp = arr[i].copy()
            arr[i] = arr[j]
            arr[j] = tmp


@njit(cache=True, parallel=True)
def _stage(F, jac, half, raw, halves, tw_offset, scaled, inv_raw, inv_halves):
    """One radix-2 decimation-in-time stage over groups of 2*half points.

    Butterfly j of every group: (u, v) -> (u + w_j v, u - w_j v), w_j the j-th twiddle of this
    stage (scalars tw_offset + j in raw/halves). With ``scaled`` (the last stage), u is multiplied
    by the scalar in inv_raw/inv_halves row 0 (1/n) and the twiddle rows already include 1/n."""
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
            u = point_mul(F, u, inv_raw, inv_halves, 0)
            v = point_mul(F, v, raw, halves, tw_offset + j)
        elif j != 0:
            v = point_mul(F, v, raw, halves, tw_offset + j)
        store_jac(F, jac, top, jac_add(F, u, v))
        store_jac(F, jac, bottom, jac_add(F, u, jac_neg(F, v)))


def run_ifft(F, jac, raw, halves, stage_offsets, inv_raw, inv_halves):
    """In place: the size-n inverse DFT of the Jacobian points, scaled by 1/n. raw/halves hold
    the twiddles of each stage (stage s, half-size h = 2^s, at rows stage_offsets[s] ..
    + h - 1), those of the last stage already multiplied by 1/n."""
    n = jac.shape[0]
    bits = n.bit_length() - 1
    bit_reverse_permute(jac, bits)
    for s in range(bits):
        half = 1 << s
        _stage(F, jac, half, raw, halves, stage_offsets[s], s == bits - 1, inv_raw, inv_halves)


@njit(cache=True)
def affine_rows_to_jac(F, affine, out):
    for i in range(affine.shape[0]):
        store_jac(F, out, i, affine_to_jac(F, load_affine(F, affine, i)))
