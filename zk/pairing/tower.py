"""Fp6 = Fp2[v]/(v^3 - xi) and Fp12 = Fp6[w]/(w^2 - v), xi = 9 + u, for numba kernels.

Elements are nested tuples: Fp6 = (b0, b1, b2) of Fp2 elements (b0 + b1 v + b2 v^2), Fp12 =
(c0, c1) of Fp6 elements (c0 + c1 w). Read as powers of w (w^6 = xi) the Fp2 coefficient of w^k
sits at c[k % 2][k // 2]. Every function takes the Fp2 descriptor ``F`` (``FP2``) first, like the
field core. They are separate small njit functions on purpose: inlining the whole tower into the
Miller loop multiplies LLVM compile time for little speed. Only Fp6 addition and subtraction are
inlined by numba (``inline_kernel``): as calls, LLVM kept them out of line in the pairing (2-3%
slower); every other helper is a call that LLVM inlines, which costs less compile time than numba
inlining its IR into each caller.

Formulas: Karatsuba multiplication in Fp6 and Fp12, Chung-Hasan squaring (SQR2) in Fp6, complex
squaring in Fp12, inversion through the norm down the tower (Beuchat et al., "High-speed software
implementation of the optimal ate pairing over Barreto-Naehrig curves", 2010), and Granger-Scott
squaring in the cyclotomic subgroup (Fp12 seen as Fp4[w]/(w^3 - t), t = w^3, Fp4 = Fp2[t]/(t^2 - xi)).
"""
from __future__ import annotations

import numpy as np
from ._jit import inline_kernel, kernel

from zk.field.ops import fadd, fconj, fdbl, finv, fload, fmul, fmul_base, fneg, fone, fsqr, fstore, fsub, fzero
from zk.field.ops import feq

from .constants import FROBENIUS_TABLE

# ------------------------------------------------------------------------------------------------
# Fp2 helpers


@kernel
def fp2_mul_xi(F, a):
    """a * (9 + u) = (9 a0 - a1) + (a0 + 9 a1) u, with 9 a = 8 a + a from doublings."""
    B = F.base
    a0, a1 = a
    nine_a0 = fadd(B, fdbl(B, fdbl(B, fdbl(B, a0))), a0)
    nine_a1 = fadd(B, fdbl(B, fdbl(B, fdbl(B, a1))), a1)
    return (fsub(B, nine_a0, a1), fadd(B, a0, nine_a1))


# ------------------------------------------------------------------------------------------------
# Fp6


@kernel
def fp6_zero(F):
    return (fzero(F), fzero(F), fzero(F))


@kernel
def fp6_one(F):
    return (fone(F), fzero(F), fzero(F))


@inline_kernel
def fp6_add(F, a, b):
    return (fadd(F, a[0], b[0]), fadd(F, a[1], b[1]), fadd(F, a[2], b[2]))


@inline_kernel
def fp6_sub(F, a, b):
    return (fsub(F, a[0], b[0]), fsub(F, a[1], b[1]), fsub(F, a[2], b[2]))


@kernel
def fp6_neg(F, a):
    return (fneg(F, a[0]), fneg(F, a[1]), fneg(F, a[2]))


@kernel
def fp6_mul_v(F, a):
    """a * v: the coefficients rotate and the one that wraps past v^3 picks up xi."""
    return (fp2_mul_xi(F, a[2]), a[0], a[1])


@kernel
def fp6_mul_fp2(F, a, s):
    return (fmul(F, a[0], s), fmul(F, a[1], s), fmul(F, a[2], s))


@kernel
def fp6_mul(F, a, b):
    # Karatsuba: 6 Fp2 multiplications instead of 9.
    a0, a1, a2 = a
    b0, b1, b2 = b
    t0 = fmul(F, a0, b0)
    t1 = fmul(F, a1, b1)
    t2 = fmul(F, a2, b2)
    c0 = fsub(F, fsub(F, fmul(F, fadd(F, a1, a2), fadd(F, b1, b2)), t1), t2)
    c0 = fadd(F, fp2_mul_xi(F, c0), t0)
    c1 = fsub(F, fsub(F, fmul(F, fadd(F, a0, a1), fadd(F, b0, b1)), t0), t1)
    c1 = fadd(F, c1, fp2_mul_xi(F, t2))
    c2 = fsub(F, fsub(F, fmul(F, fadd(F, a0, a2), fadd(F, b0, b2)), t0), t2)
    c2 = fadd(F, c2, t1)
    return (c0, c1, c2)


@kernel
def fp6_sqr(F, a):
    # Chung-Hasan SQR2: 2 multiplications and 3 squarings in Fp2.
    a0, a1, a2 = a
    s0 = fsqr(F, a0)
    s1 = fdbl(F, fmul(F, a0, a1))
    s2 = fsqr(F, fadd(F, fsub(F, a0, a1), a2))
    s3 = fdbl(F, fmul(F, a1, a2))
    s4 = fsqr(F, a2)
    c0 = fadd(F, fp2_mul_xi(F, s3), s0)
    c1 = fadd(F, fp2_mul_xi(F, s4), s1)
    c2 = fsub(F, fsub(F, fadd(F, fadd(F, s1, s2), s3), s0), s4)
    return (c0, c1, c2)


@kernel
def fp6_mul_01(F, a, b0, b1):
    """a * (b0 + b1 v): the sparse product the line evaluations need (5 Fp2 multiplications)."""
    a0, a1, a2 = a
    t0 = fmul(F, a0, b0)
    t1 = fmul(F, a1, b1)
    c0 = fadd(F, fp2_mul_xi(F, fsub(F, fmul(F, fadd(F, a1, a2), b1), t1)), t0)
    c1 = fsub(F, fsub(F, fmul(F, fadd(F, a0, a1), fadd(F, b0, b1)), t0), t1)
    c2 = fadd(F, fsub(F, fmul(F, fadd(F, a0, a2), b0), t0), t1)
    return (c0, c1, c2)


@kernel
def fp6_inv(F, a):
    a0, a1, a2 = a
    t0 = fsub(F, fsqr(F, a0), fp2_mul_xi(F, fmul(F, a1, a2)))
    t1 = fsub(F, fp2_mul_xi(F, fsqr(F, a2)), fmul(F, a0, a1))
    t2 = fsub(F, fsqr(F, a1), fmul(F, a0, a2))
    norm = fadd(F, fmul(F, a0, t0), fp2_mul_xi(F, fadd(F, fmul(F, a2, t1), fmul(F, a1, t2))))
    inv_norm = finv(F, norm)
    return (fmul(F, t0, inv_norm), fmul(F, t1, inv_norm), fmul(F, t2, inv_norm))


# ------------------------------------------------------------------------------------------------
# Fp12


@kernel
def fp12_one(F):
    return (fp6_one(F), fp6_zero(F))


@kernel
def fp12_eq(F, a, b):
    equal = True
    for i in range(2):
        for j in range(3):
            equal = equal & feq(F, a[i][j], b[i][j])
    return equal


@kernel
def fp12_mul(F, a, b):
    # Karatsuba over Fp6 with w^2 = v: 3 Fp6 multiplications (54 Fp multiplications).
    t0 = fp6_mul(F, a[0], b[0])
    t1 = fp6_mul(F, a[1], b[1])
    cross = fp6_mul(F, fp6_add(F, a[0], a[1]), fp6_add(F, b[0], b[1]))
    return (fp6_add(F, t0, fp6_mul_v(F, t1)), fp6_sub(F, fp6_sub(F, cross, t0), t1))


@kernel
def fp12_sqr(F, a):
    # Complex squaring: (a0 + a1 w)^2 = (a0 + a1)(a0 + v a1) - a0 a1 - v a0 a1 + 2 a0 a1 w.
    a0, a1 = a
    ab = fp6_mul(F, a0, a1)
    prod = fp6_mul(F, fp6_add(F, a0, a1), fp6_add(F, a0, fp6_mul_v(F, a1)))
    c0 = fp6_sub(F, fp6_sub(F, prod, ab), fp6_mul_v(F, ab))
    return (c0, fp6_add(F, ab, ab))


@kernel
def fp12_conj(F, a):
    """a^(p^6): w -> -w. On the cyclotomic subgroup (pairing values) this is the inverse."""
    return (a[0], fp6_neg(F, a[1]))


@kernel
def fp12_inv(F, a):
    # (a0 + a1 w)^-1 = (a0 - a1 w) / (a0^2 - v a1^2); the inverse of 0 is 0, as in the field core.
    a0, a1 = a
    norm = fp6_sub(F, fp6_sqr(F, a0), fp6_mul_v(F, fp6_sqr(F, a1)))
    inv_norm = fp6_inv(F, norm)
    return (fp6_mul(F, a0, inv_norm), fp6_neg(F, fp6_mul(F, a1, inv_norm)))


@kernel
def fp12_mul_034(F, a, l0, l3, l4):
    """a * (l0 + l3 w + l4 v w): the line shape of a D-type twist (13 Fp2 multiplications, not 18)."""
    a0, a1 = a
    t0 = fp6_mul_fp2(F, a0, l0)
    t1 = fp6_mul_01(F, a1, l3, l4)
    cross = fp6_mul_01(F, fp6_add(F, a0, a1), fadd(F, l0, l3), l4)
    return (fp6_add(F, t0, fp6_mul_v(F, t1)), fp6_sub(F, fp6_sub(F, cross, t0), t1))


@kernel
def _frobenius_odd(F, a, row):
    # Odd powers of p conjugate the Fp2 coefficients; coefficient of w^k then scales by the table.
    c0, c1 = a
    t = FROBENIUS_TABLE
    return (
        (fconj(F, c0[0]), fmul(F, fconj(F, c0[1]), fload(F, t, row + 2)), fmul(F, fconj(F, c0[2]), fload(F, t, row + 4))),
        (fmul(F, fconj(F, c1[0]), fload(F, t, row + 1)), fmul(F, fconj(F, c1[1]), fload(F, t, row + 3)),
         fmul(F, fconj(F, c1[2]), fload(F, t, row + 5))),
    )


@kernel
def fp12_frobenius(F, a):
    """a^p."""
    return _frobenius_odd(F, a, np.int64(0))  # one specialisation for both rows, not one per literal


@kernel
def fp12_frobenius3(F, a):
    """a^(p^3)."""
    return _frobenius_odd(F, a, np.int64(12))


@kernel
def fp12_frobenius2(F, a):
    """a^(p^2): Fp2 is fixed and the coefficients XI^(k (p^2 - 1) / 6) lie in Fp (2 Fp multiplications each)."""
    c0, c1 = a
    t = FROBENIUS_TABLE
    return (
        (c0[0], fmul_base(F, c0[1], fload(F, t, 8)[0]), fmul_base(F, c0[2], fload(F, t, 10)[0])),
        (fmul_base(F, c1[0], fload(F, t, 7)[0]), fmul_base(F, c1[1], fload(F, t, 9)[0]),
         fmul_base(F, c1[2], fload(F, t, 11)[0])),
    )


@kernel
def _fp4_sqr(F, x, y):
    """(x + y t)^2 with t^2 = xi, from three Fp2 squarings."""
    xx = fsqr(F, x)
    yy = fsqr(F, y)
    cross = fsub(F, fsub(F, fsqr(F, fadd(F, x, y)), xx), yy)
    return fadd(F, xx, fp2_mul_xi(F, yy)), cross


@kernel
def _triple_minus_double(F, s, a):
    # 3 s - 2 a = 2 (s - a) + s
    return fadd(F, fdbl(F, fsub(F, s, a)), s)


@kernel
def _triple_plus_double(F, s, a):
    return fadd(F, fdbl(F, fadd(F, s, a)), s)


@kernel
def fp12_cyclotomic_sqr(F, a):
    """a^2 for a in the cyclotomic subgroup (a * conj(a) = 1 after the easy part), Granger-Scott.

    With A0 = g0 + g3 t, A1 = g1 + g4 t, A2 = g2 + g5 t (g_k the coefficient of w^k):
    a^2 = (3 A0^2 - 2 conj(A0)) + (3 t A2^2 + 2 conj(A1)) w + (3 A1^2 - 2 conj(A2)) w^2,
    conj being t -> -t. Nine Fp2 squarings instead of two Fp6 multiplications.
    """
    c0, c1 = a
    g0, g2, g4 = c0
    g1, g3, g5 = c1
    s00, s01 = _fp4_sqr(F, g0, g3)
    s10, s11 = _fp4_sqr(F, g1, g4)
    s20, s21 = _fp4_sqr(F, g2, g5)
    r0 = _triple_minus_double(F, s00, g0)
    r3 = _triple_plus_double(F, s01, g3)
    r1 = _triple_plus_double(F, fp2_mul_xi(F, s21), g1)
    r4 = _triple_minus_double(F, s20, g4)
    r2 = _triple_minus_double(F, s10, g2)
    r5 = _triple_plus_double(F, s11, g5)
    return ((r0, r2, r4), (r1, r3, r5))


# ------------------------------------------------------------------------------------------------
# Arrays of Fp12 elements: shape (n, 2, 3, 2, 4), row i = ((b0, b1, b2), (b0, b1, b2)) of Fp2.


@kernel
def fp12_load(F, arr, i):
    r = arr[i]
    return (
        (fload(F, r[0], 0), fload(F, r[0], 1), fload(F, r[0], 2)),
        (fload(F, r[1], 0), fload(F, r[1], 1), fload(F, r[1], 2)),
    )


@kernel
def fp12_store(F, arr, i, a):
    r = arr[i]
    for j in range(2):
        half = r[j]
        fstore(F, half, 0, a[j][0])
        fstore(F, half, 1, a[j][1])
        fstore(F, half, 2, a[j][2])
