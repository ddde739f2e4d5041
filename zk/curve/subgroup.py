"""Prime-order subgroup membership for G2 (G1 has cofactor 1: on the curve means in G1).

E'(Fp2) has order r * h with h = 2p - r (about 2^254, with a small factor 10069), so a point on
the twist is almost never in G2 and a decoder must check. ``r * Q == 0`` is the definition but
costs a 254-bit scalar multiplication; the fast test uses the endomorphism psi (untwist-Frobenius-
twist), which acts on G2 as multiplication by p = 6 x0^2 (mod r):

    Q in G2  <=>  [x0 + 1] Q + psi([x0] Q) + psi^2([x0] Q) == psi^3([2 x0] Q)

(El Housni, Guillevic, Piellard, "Co-factor clearing and subgroup membership testing on
pairing-friendly curves", eprint 2022/348, sec. 3 and 5.1; the same test as gnark-crypto's
bn254 G2 IsInSubGroup). It costs one 63-bit scalar multiplication. The tests compare it with
``r * Q == 0`` on subgroup points, random twist points and points with a component of order 10069.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from zk.field.ops import fconj, fload, fmul

from .constants import BN_X, PSI_X, PSI_Y
from .kernels import (
    affine_to_jac,
    entry_kernel,
    inner_kernel,
    jac_add,
    jac_double,
    jac_eq,
    jac_is_infinity,
    jac_scalar_mul,
    load_affine,
    montgomery_limbs,
)

_PSI_COEFFS = np.array(
    [
        [montgomery_limbs(PSI_X.c0.value), montgomery_limbs(PSI_X.c1.value)],
        [montgomery_limbs(PSI_Y.c0.value), montgomery_limbs(PSI_Y.c1.value)],
    ],
    dtype=np.uint64,
)
_BN_X_LIMBS = (np.uint64(BN_X), np.uint64(0), np.uint64(0), np.uint64(0))


@inner_kernel
def g2_psi(F, p):
    """psi on a Jacobian point of the twist: conjugation commutes with X/Z^2, so Z is conjugated too."""
    return (
        fmul(F, fconj(F, p[0]), fload(F, _PSI_COEFFS, 0)),
        fmul(F, fconj(F, p[1]), fload(F, _PSI_COEFFS, 1)),
        fconj(F, p[2]),
    )


@inner_kernel
def g2_in_subgroup(F, p):
    """True when the Jacobian point p (assumed on the twist) is in G2. F must be FP2."""
    if jac_is_infinity(F, p):
        return True
    x0_p = jac_scalar_mul(F, p, _BN_X_LIMBS)
    lhs = jac_add(F, jac_add(F, jac_add(F, x0_p, p), g2_psi(F, x0_p)), g2_psi(F, g2_psi(F, x0_p)))
    rhs = g2_psi(F, g2_psi(F, g2_psi(F, jac_double(F, x0_p))))
    return jac_eq(F, lhs, rhs)


@entry_kernel
def batch_g2_subgroup_check(F, affine_arr):
    """Index of the first affine row (assumed on the twist) outside G2, or -1 if all are in it."""
    for i in range(affine_arr.shape[0]):
        if not g2_in_subgroup(F, affine_to_jac(F, load_affine(F, affine_arr, i))):
            return i
    return -1


_PARALLEL_CHUNK = 256  # points per parallel task of first_outside_g2


@njit(cache=True, parallel=True, no_cfunc_wrapper=True)
def first_outside_g2(F, affine_arr):
    """``batch_g2_subgroup_check`` for large arrays (a powers of tau's G2 sections): chunks of
    points are checked in parallel, with the same answer, the index of the first affine row
    outside G2 or -1."""
    n = affine_arr.shape[0]
    chunks = (n + _PARALLEL_CHUNK - 1) // _PARALLEL_CHUNK
    first = np.full(chunks, -1, dtype=np.int64)
    for c in prange(chunks):
        for i in range(c * _PARALLEL_CHUNK, min(n, (c + 1) * _PARALLEL_CHUNK)):
            if not g2_in_subgroup(F, affine_to_jac(F, load_affine(F, affine_arr, i))):
                first[c] = i
                break
    for c in range(chunks):
        if first[c] >= 0:
            return first[c]
    return -1
