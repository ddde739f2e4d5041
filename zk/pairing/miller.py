"""Optimal ate Miller loop for BN254, shared over many pairs (one f, one squaring per step).

f_{6x+2,Q}(P) * l_{[6x+2]Q, pi(Q)}(P) * l_{[6x+2]Q + pi(Q), -pi^2(Q)}(P), with 6x + 2 in
non-adjacent form. T runs on the twist E': y^2 = x^3 + b' (b' = 3 / xi) in homogeneous projective
coordinates (X : Y : Z) ~ (X/Z, Y/Z), and each step returns the line through the points it
combined, evaluated at P and already mapped into Fp12 by the D-type twist psi(x, y) = (x w^2, y w^3).
A line through points of slope m on E' becomes, at P, yP - m xP w + (m xT - yT) w^3: three
non-zero Fp2 coefficients, at 1, w and v w (``fp12_mul_034``). Lines are only known up to a factor
in Fp2; the final exponentiation kills such factors, so the formulas scale freely to avoid inversions
(Costello, Lange, Naehrig 2010; Aranha, Karabina, Longa, Gebotys, Lopez 2011, "Faster explicit
formulas for computing pairings over ordinary curves").
"""
from __future__ import annotations

import numpy as np
from ._jit import kernel

from zk.field.ops import fadd, fdbl, fis_zero, fload, fmul, fmul_base, fneg, fone, fsqr, fstore, fsub, fconj

from .constants import ATE_LOOP_DIGITS, FROBENIUS_TABLE, TWIST_B3_TABLE
from .tower import fp12_mul_034, fp12_one, fp12_sqr


@kernel
def doubling_step(F, T, xP, yP_neg):
    """(2T, line through T tangent, at P). T is scaled by 4 against the textbook formulas to drop the halvings.

    With A = X Y, B = Y^2, C = Z^2, E = 3 b' C, G = 3 E, H = 2 Y Z:
    2T = (2 A (B - G), (B + G)^2 - 12 E^2, 4 B H); line = -H yP + 3 X^2 xP w + (E - B) v w,
    which is 2 Y Z times the tangent line yP - m xP w + (m xT - yT) v w after y^2 = x^3 + b'.
    """
    X, Y, Z = T
    B = fsqr(F, Y)
    C = fsqr(F, Z)
    E = fmul(F, fload(F, TWIST_B3_TABLE, 0), C)
    G = fadd(F, fdbl(F, E), E)
    H = fsub(F, fsub(F, fsqr(F, fadd(F, Y, Z)), B), C)
    J = fsqr(F, X)
    X3 = fdbl(F, fmul(F, fmul(F, X, Y), fsub(F, B, G)))
    E2 = fsqr(F, E)
    E2_12 = fdbl(F, fdbl(F, fadd(F, fdbl(F, E2), E2)))
    Y3 = fsub(F, fsqr(F, fadd(F, B, G)), E2_12)
    Z3 = fdbl(F, fdbl(F, fmul(F, B, H)))
    l0 = fmul_base(F, H, yP_neg)
    l3 = fmul_base(F, fadd(F, fdbl(F, J), J), xP)
    l4 = fsub(F, E, B)
    return (X3, Y3, Z3), l0, l3, l4


@kernel
def addition_step(F, T, Qx, Qy, xP_neg, yP):
    """(T + Q, line through T and Q at P) for affine Q != +-T.

    With theta = Y - yQ Z and lam = X - xQ Z (slope m = theta / lam):
    line = lam yP - theta xP w + (theta xQ - lam yQ) v w, lam times the line through Q.
    """
    X, Y, Z = T
    theta = fsub(F, Y, fmul(F, Qy, Z))
    lam = fsub(F, X, fmul(F, Qx, Z))
    C = fsqr(F, theta)
    D = fsqr(F, lam)
    E = fmul(F, lam, D)
    Fz = fmul(F, Z, C)
    G = fmul(F, X, D)
    H = fsub(F, fadd(F, E, Fz), fdbl(F, G))
    X3 = fmul(F, lam, H)
    Y3 = fsub(F, fmul(F, theta, fsub(F, G, H)), fmul(F, Y, E))
    Z3 = fmul(F, Z, E)
    l0 = fmul_base(F, lam, yP)
    l3 = fmul_base(F, theta, xP_neg)
    l4 = fsub(F, fmul(F, theta, Qx), fmul(F, lam, Qy))
    return (X3, Y3, Z3), l0, l3, l4


@kernel
def twist_frobenius(F, Qx, Qy):
    """psi^-1 pi psi on E': (conj(x) xi^((p-1)/3), conj(y) xi^((p-1)/2))."""
    return (
        fmul(F, fconj(F, Qx), fload(F, FROBENIUS_TABLE, 2)),
        fmul(F, fconj(F, Qy), fload(F, FROBENIUS_TABLE, 3)),
    )


@kernel
def twist_frobenius2_neg(F, Qx, Qy):
    """-(psi^-1 pi^2 psi) on E': (x xi^((p^2-1)/3), y), since xi^((p^2-1)/2) = -1."""
    return (fmul_base(F, Qx, fload(F, FROBENIUS_TABLE, 8)[0]), Qy)


@kernel
def _load_point2(F, g2, i):
    return fload(F, g2[i], 0), fload(F, g2[i], 1)


@kernel
def _store_projective(F, Ts, k, T):
    fstore(F, Ts[k], 0, T[0])
    fstore(F, Ts[k], 1, T[1])
    fstore(F, Ts[k], 2, T[2])


@kernel
def _load_projective(F, Ts, k):
    return (fload(F, Ts[k], 0), fload(F, Ts[k], 1), fload(F, Ts[k], 2))


@kernel
def active_pairs(F, g1, g2):
    """Indices of pairs with neither point at infinity ((0, 0)); the others contribute a factor 1."""
    B = F.base
    keep = np.empty(g1.shape[0], dtype=np.int64)
    count = 0
    for i in range(g1.shape[0]):
        p_inf = fis_zero(B, fload(B, g1[i], 0)) & fis_zero(B, fload(B, g1[i], 1))
        q_inf = fis_zero(F, fload(F, g2[i], 0)) & fis_zero(F, fload(F, g2[i], 1))
        if not (p_inf | q_inf):
            keep[count] = i
            count += 1
    return keep[:count]


@kernel
def miller_loop(F, g1, g2):
    """prod_i f_i(P_i) for affine G1 points g1 (n, 2, 4) and affine G2 points g2 (n, 2, 2, 4)."""
    B = F.base
    pairs = active_pairs(F, g1, g2)
    n = pairs.shape[0]
    # Per pair: xP, -xP, yP, -yP (Fp) and T (projective, Fp2), so the loop only reads and writes rows.
    p_coords = np.empty((n, 4, 4), dtype=np.uint64)
    Ts = np.empty((n, 3, 2, 4), dtype=np.uint64)
    for k in range(n):
        i = pairs[k]
        xP = fload(B, g1[i], 0)
        yP = fload(B, g1[i], 1)
        fstore(B, p_coords[k], 0, xP)
        fstore(B, p_coords[k], 1, fneg(B, xP))
        fstore(B, p_coords[k], 2, yP)
        fstore(B, p_coords[k], 3, fneg(B, yP))
        Qx, Qy = _load_point2(F, g2, i)
        _store_projective(F, Ts, k, (Qx, Qy, fone(F)))

    f = fp12_one(F)
    top = ATE_LOOP_DIGITS.shape[0] - 1  # the leading digit 1 is the starting T = Q
    for bit in range(top - 1, -1, -1):
        if bit != top - 1:
            f = fp12_sqr(F, f)
        digit = ATE_LOOP_DIGITS[bit]
        for k in range(n):
            pc = p_coords[k]
            T, l0, l3, l4 = doubling_step(F, _load_projective(F, Ts, k), fload(B, pc, 0), fload(B, pc, 3))
            f = fp12_mul_034(F, f, l0, l3, l4)
            if digit != 0:
                Qx, Qy = _load_point2(F, g2, pairs[k])
                if digit < 0:
                    Qy = fneg(F, Qy)
                T, l0, l3, l4 = addition_step(F, T, Qx, Qy, fload(B, pc, 1), fload(B, pc, 2))
                f = fp12_mul_034(F, f, l0, l3, l4)
            _store_projective(F, Ts, k, T)

    for k in range(n):
        pc = p_coords[k]
        Qx, Qy = _load_point2(F, g2, pairs[k])
        Q1x, Q1y = twist_frobenius(F, Qx, Qy)
        Q2x, Q2y = twist_frobenius2_neg(F, Qx, Qy)
        T, l0, l3, l4 = addition_step(F, _load_projective(F, Ts, k), Q1x, Q1y, fload(B, pc, 1), fload(B, pc, 2))
        f = fp12_mul_034(F, f, l0, l3, l4)
        # The point [6x+2]Q + pi(Q) - pi^2(Q) itself is not needed, only the line.
        T, l0, l3, l4 = addition_step(F, T, Q2x, Q2y, fload(B, pc, 1), fload(B, pc, 2))
        f = fp12_mul_034(F, f, l0, l3, l4)
    return f
