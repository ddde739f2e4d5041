"""Scalar multiplication with the GLV endomorphism (Gallant, Lambert, Vanstone, CRYPTO 2001), on G1
and G2.

On BN254's G1, phi(x, y) = (beta x, y) with beta a cube root of unity in Fp equals [lambda] for
lambda a cube root of unity mod r; on G2 (the twist), phi(x, y) = (beta^2 x, y) does
(zk.msm.endomorphism's tests check both). Writing k = k1 + k2 lambda (mod r) with |k1|, |k2|
about 2^127 halves the doublings: [k]P = [k1]P + [k2]phi(P), evaluated jointly. Each half is
recoded in width-5 NAF (odd digits in [-15, 15], one nonzero digit per 6 positions on average),
so the table holds the 8 odd multiples P, 3P, .., 15P and phi of a table entry costs one
multiplication by an Fp constant.

The decomposition (big-int rounding, a couple of microseconds) is done in Python; the recoding,
a bit loop, in the kernel.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from zk.field import P, R
from zk.field.jit import inner_overload
from zk.field.ops import fload, fmul_base, fneg
from zk.field.spec import PrimeFieldType, QuadraticFieldType

from .kernels import (
    affine_to_jac,
    entry_kernel,
    inner_kernel,
    jac_add,
    jac_double,
    jac_infinity,
    jac_neg,
    load_affine,
    load_jac,
    montgomery_limbs,
    store_jac,
    _element_shape,
)

# phi(P) = [LAMBDA] P for every P in E(Fp) with this pairing of the two cube roots (gnark-crypto
# uses the same constants); tests check it against py_ecc.
BETA = 2203960485148121921418603742825762020974279258880205651966
LAMBDA = 4407920970296243842393367215006156084916469457145843978461
WNAF_WIDTH = 5
TABLE_SIZE = 1 << (WNAF_WIDTH - 2)  # odd multiples 1, 3, .., 15

# phi's x factor on G1 (row 0) and on G2 (row 1, an Fp constant).
_PHI = np.array([montgomery_limbs(BETA), montgomery_limbs(BETA * BETA % P)], dtype=np.uint64)


def phi_constant(F):
    raise TypeError("phi_constant is only callable inside numba kernels")


@inner_overload(phi_constant)
def _phi_constant_impl(F):
    if isinstance(F, PrimeFieldType):
        return lambda F: fload(F, _PHI, 0)
    if isinstance(F, QuadraticFieldType):
        return lambda F: fload(F.base, _PHI, 1)
    return None


def _short_basis(n: int, lam: int):
    """Two short vectors (a, b) with a + b*lam = 0 mod n, by the extended Euclidean algorithm
    (GLV paper, section 4): stop at the first remainder below sqrt(n)."""
    r0, r1 = n, lam
    t0, t1 = 0, 1
    bound = 1 << ((n.bit_length() + 1) // 2)
    while r1 >= bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        t0, t1 = t1, t0 - q * t1
    # Now r0 >= sqrt(n) > r1: v1 = (r1, -t1); v2 is the shorter of (r0, -t0) and the next one.
    v1 = (r1, -t1)
    q = r0 // r1
    r2, t2 = r0 - q * r1, t0 - q * t1
    candidates = [(r0, -t0), (r2, -t2)]
    v2 = min(candidates, key=lambda v: v[0] * v[0] + v[1] * v[1])
    return v1, v2


(_A1, _B1), (_A2, _B2) = _short_basis(R, LAMBDA)


def lattice_basis() -> tuple[tuple[int, int], tuple[int, int]]:
    """The short basis ((a1, b1), (a2, b2)) of {(x, y): x + y LAMBDA = 0 mod r} the split uses."""
    return (_A1, _B1), (_A2, _B2)
_DET = _A1 * _B2 - _A2 * _B1


def _round_div(num: int, den: int) -> int:
    if den < 0:
        num, den = -num, -den
    return (2 * num + den) // (2 * den)


def decompose(k: int) -> tuple[int, int]:
    """(k1, k2) with k1 + k2 * LAMBDA = k (mod r) and |k1|, |k2| < 2^128."""
    c1 = _round_div(k * _B2, _DET)
    c2 = _round_div(-k * _B1, _DET)
    return k - c1 * _A1 - c2 * _A2, -c1 * _B1 - c2 * _B2


def wnaf(k: int, width: int = WNAF_WIDTH) -> list[int]:
    """Width-w NAF digits of k, least significant first; negative k gives negated digits."""
    if k < 0:
        return [-d for d in wnaf(-k, width)]
    window, half = 1 << width, 1 << (width - 1)
    digits = []
    while k:
        if k & 1:
            d = k & (window - 1)
            if d >= half:
                d -= window
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


def glv_halves(scalars: Sequence[int]) -> np.ndarray:
    """Scalars (taken mod r) -> uint64 array (n, 2, 3): for k1 and k2, [low limb, high limb, sign]
    with sign 1 for negative; the kernel recodes the magnitudes itself."""
    out = np.zeros((len(scalars), 2, 3), dtype=np.uint64)
    mask = (1 << 64) - 1
    for i, k in enumerate(scalars):
        for j, half in enumerate(decompose(int(k) % R)):
            magnitude = -half if half < 0 else half
            out[i, j, 0] = magnitude & mask
            out[i, j, 1] = magnitude >> 64
            out[i, j, 2] = half < 0
    return out


MAX_DIGITS = 131  # a magnitude below 2^129 recodes to at most 130 digits


@entry_kernel
def wnaf_recode(low, high, negative, digits):
    """Width-5 NAF of the 128-bit magnitude (low, high) into the int8 array digits (least
    significant first, negated when negative); returns the number of digits."""
    top = np.uint64(0)  # bit 128 and above, reachable after adding back a negative digit
    count = 0
    one = np.uint64(1)
    while (low | high | top) != np.uint64(0):
        digit = np.int64(0)
        if low & one:
            digit = np.int64(low & np.uint64(31))
            if digit >= 16:
                digit -= 32
                # value -= digit, i.e. value += |digit|: carry through the limbs.
                addend = np.uint64(-digit)
                new_low = low + addend
                if new_low < low:
                    high += one
                    if high == np.uint64(0):
                        top += one
                low = new_low
            else:
                low -= np.uint64(digit)  # clears the low bits, never borrows
        digits[count] = -digit if negative else digit
        count += 1
        low = (low >> one) | (high << np.uint64(63))
        high = (high >> one) | (top << np.uint64(63))
        top >>= one
    return count


@inner_kernel
def odd_multiples(F, p):
    """P, 3P, .., 15P (Jacobian rows) for the width-5 digits."""
    table = np.empty((8, 3) + _element_shape(F), dtype=np.uint64)
    store_jac(F, table, np.int64(0), p)
    twice = jac_double(F, p)
    acc = p
    for i in range(1, 8):
        acc = jac_add(F, acc, twice)
        store_jac(F, table, i, acc)
    return table


@inner_kernel
def _signed_entry(F, table, digit, apply_phi, c):
    magnitude = digit if digit > 0 else -digit
    q = load_jac(F, table, magnitude >> 1)
    if apply_phi:
        q = (fmul_base(F, q[0], c), q[1], q[2])
    if digit < 0:
        q = jac_neg(F, q)
    return q


@inner_kernel
def affine_entry(F, table, base, digit, apply_phi, c):
    """digit * P (or digit * phi(P)) from the affine odd multiples of P at rows base .. base + 7
    of table; c = ``phi_constant(F)``."""
    magnitude = digit if digit > 0 else -digit
    q = load_affine(F, table, base + (magnitude >> 1))
    x = fmul_base(F, q[0], c) if apply_phi else q[0]
    y = fneg(F, q[1]) if digit < 0 else q[1]
    return (x, y)


@inner_kernel
def joint_double_and_add(F, table, digits, length):
    """sum_i 2^i (digits[0, i] P + digits[1, i] phi(P)), table = the Jacobian odd multiples of P
    (``odd_multiples``), for P in G1 or G2."""
    c = phi_constant(F)
    acc = jac_infinity(F)
    for i in range(length - 1, -1, -1):
        acc = jac_double(F, acc)
        d1 = np.int64(digits[0, i])
        if d1 != 0:
            acc = jac_add(F, acc, _signed_entry(F, table, d1, False, c))
        d2 = np.int64(digits[1, i])
        if d2 != 0:
            acc = jac_add(F, acc, _signed_entry(F, table, d2, True, c))
    return acc


@inner_kernel
def glv_scalar_mul(F, p, halves):
    """[k]p for a Jacobian point p of G1 or G2, halves the (2, 3) row of ``glv_halves`` for k."""
    digits = np.zeros((2, MAX_DIGITS), dtype=np.int8)
    n1 = wnaf_recode(halves[0, 0], halves[0, 1], halves[0, 2] != np.uint64(0), digits[0])
    n2 = wnaf_recode(halves[1, 0], halves[1, 1], halves[1, 2] != np.uint64(0), digits[1])
    # A separate function for the main loop: measured about 20% faster than the same loop inlined
    # here (LLVM optimises the smaller function better).
    return joint_double_and_add(F, odd_multiples(F, p), digits, max(n1, n2))


@entry_kernel
def batch_glv_scalar_mul(F, affine_arr, halves, out_jac):
    """out_jac[i] = k_i * affine_arr[i] (G1 or G2), halves = ``glv_halves(scalars)``."""
    for i in range(affine_arr.shape[0]):
        p = affine_to_jac(F, load_affine(F, affine_arr, i))
        store_jac(F, out_jac, i, glv_scalar_mul(F, p, halves[i]))
