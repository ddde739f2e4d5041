"""G2 membership for pairing inputs: psi(Q) == [6x^2]Q.

The twist E'(Fp2) has order r * (2p - r), so a point on E' need not lie in G2, and a pairing of such
a point is not bilinear (small-subgroup attacks). El Housni, Guillevic, Piellard ("Co-factor
clearing and subgroup membership testing on pairing-friendly curves", 2022) show that for BN254 a
point Q of E'(Fp2) is in G2 exactly when psi(Q) = [6x^2]Q, psi the untwist-Frobenius-twist
endomorphism: a 127-bit multiplication instead of one by r (254 bits). The tests cross-check the
criterion against [r]Q == O on points inside and outside G2.

The scalar multiplication handles every exceptional case (T = O, T = Q, T = -Q), because points
outside G2 may have small order and hit them.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from zk.field import FP2
from zk.field.ops import fadd, fdbl, feq, fis_zero, fload, fmul, fone, fsqr, fsub, fzero

from ._jit import kernel
from .constants import BN_X, TWIST_B3_TABLE
from .miller import twist_frobenius

SIX_X_SQUARED = 6 * BN_X * BN_X
_SIX_X_SQUARED_BITS = np.array([(SIX_X_SQUARED >> i) & 1 for i in range(SIX_X_SQUARED.bit_length())], dtype=np.int8)


@kernel
def _double(F, T):
    # Homogeneous projective doubling on y^2 = x^3 + b' (scaled by 4, as in the Miller loop). It is
    # exception-free: O = (0 : 1 : 0) stays O and a 2-torsion point (Y = 0) gives Z3 = 0.
    X, Y, Z = T
    B = fsqr(F, Y)
    E = fmul(F, fload(F, TWIST_B3_TABLE, 0), fsqr(F, Z))
    G = fadd(F, fdbl(F, E), E)
    H = fdbl(F, fmul(F, Y, Z))
    X3 = fdbl(F, fmul(F, fmul(F, X, Y), fsub(F, B, G)))
    E2 = fsqr(F, E)
    Y3 = fsub(F, fsqr(F, fadd(F, B, G)), fdbl(F, fdbl(F, fadd(F, fdbl(F, E2), E2))))
    Z3 = fdbl(F, fdbl(F, fmul(F, B, H)))
    return (X3, Y3, Z3)


@kernel
def _add_affine(F, T, Qx, Qy):
    """T + Q for projective T and affine Q != O, with the exceptional cases branched out."""
    X, Y, Z = T
    if fis_zero(F, Z):
        return (Qx, Qy, fone(F))
    theta = fsub(F, Y, fmul(F, Qy, Z))
    lam = fsub(F, X, fmul(F, Qx, Z))
    if fis_zero(F, lam):
        if fis_zero(F, theta):
            return _double(F, T)
        return (fzero(F), fone(F), fzero(F))
    C = fsqr(F, theta)
    D = fsqr(F, lam)
    E = fmul(F, lam, D)
    G = fmul(F, X, D)
    H = fsub(F, fadd(F, E, fmul(F, Z, C)), fdbl(F, G))
    return (fmul(F, lam, H), fsub(F, fmul(F, theta, fsub(F, G, H)), fmul(F, Y, E)), fmul(F, Z, E))


@kernel
def _in_g2(F, Qx, Qy):
    """For Q on E' (not O): psi(Q) == [6x^2]Q."""
    T = (Qx, Qy, fone(F))
    for i in range(_SIX_X_SQUARED_BITS.shape[0] - 2, -1, -1):
        T = _double(F, T)
        if _SIX_X_SQUARED_BITS[i]:
            T = _add_affine(F, T, Qx, Qy)
    Px, Py = twist_frobenius(F, Qx, Qy)
    X, Y, Z = T
    return (not fis_zero(F, Z)) & feq(F, fmul(F, Px, Z), X) & feq(F, fmul(F, Py, Z), Y)


@njit(cache=True)
def _g2_membership(F, g2, out):
    for i in range(g2.shape[0]):
        out[i] = _in_g2(F, fload(F, g2[i], 0), fload(F, g2[i], 1))


def g2_subgroup_flags(g2_affine: np.ndarray) -> np.ndarray:
    """Per row of an affine (n, 2, 2, 4) array of points on E' (none at infinity): whether it is in G2."""
    out = np.zeros(g2_affine.shape[0], dtype=np.bool_)
    _g2_membership(FP2, g2_affine, out)
    return out
