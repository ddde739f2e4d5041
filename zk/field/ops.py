"""Element-level field operations, generic over the field descriptor ``F``.

Call them from numba kernels only: ``fmul(F, a, b)`` compiles to the Montgomery intrinsic when F
is a prime field and to Karatsuba over the base field when F is Fp2. Curves, pairing, MSM and NTT
code is written once against these names (as gnark-crypto keeps Fr/Fp and G1/G2 uniform).

Elements: prime field = UniTuple(uint64, 4) in Montgomery form; Fp2 = (c0, c1) of those.
"""
from __future__ import annotations

import numpy as np

from . import _llvm as llvm
from .jit import inner_kernel, inner_overload
from .spec import PrimeFieldType, QuadraticFieldType


def numba_only(name):
    """A placeholder for a function that exists only inside numba kernels (its @overload gives it
    meaning there); called from Python it says so."""

    def f(*args):
        raise TypeError(f"{name} is only callable inside numba kernels")

    f.__name__ = name
    return f


fadd = numba_only("fadd")
fsub = numba_only("fsub")
fneg = numba_only("fneg")
fdbl = numba_only("fdbl")
fmul = numba_only("fmul")
fsqr = numba_only("fsqr")
fzero = numba_only("fzero")
fone = numba_only("fone")
feq = numba_only("feq")
fis_zero = numba_only("fis_zero")
finv = numba_only("finv")
fload = numba_only("fload")
fstore = numba_only("fstore")
fconj = numba_only("fconj")
fmul_base = numba_only("fmul_base")


def _prime_or_quad(F, prime_impl, quad_impl):
    if isinstance(F, PrimeFieldType):
        return prime_impl
    if isinstance(F, QuadraticFieldType):
        return quad_impl
    return None


@inner_overload(fadd)
def _fadd(F, a, b):
    return _prime_or_quad(
        F,
        lambda F, a, b: llvm.prime_add(F, a, b),
        lambda F, a, b: (llvm.prime_add(F.base, a[0], b[0]), llvm.prime_add(F.base, a[1], b[1])),
    )


@inner_overload(fsub)
def _fsub(F, a, b):
    return _prime_or_quad(
        F,
        lambda F, a, b: llvm.prime_sub(F, a, b),
        lambda F, a, b: (llvm.prime_sub(F.base, a[0], b[0]), llvm.prime_sub(F.base, a[1], b[1])),
    )


@inner_overload(fneg)
def _fneg(F, a):
    return _prime_or_quad(
        F,
        lambda F, a: llvm.prime_neg(F, a),
        lambda F, a: (llvm.prime_neg(F.base, a[0]), llvm.prime_neg(F.base, a[1])),
    )


@inner_overload(fdbl)
def _fdbl(F, a):
    return _prime_or_quad(
        F,
        lambda F, a: llvm.prime_double(F, a),
        lambda F, a: (llvm.prime_double(F.base, a[0]), llvm.prime_double(F.base, a[1])),
    )


@inner_kernel
def _quad_mul(B, a, b):
    # Karatsuba with u^2 = -1: three base multiplications instead of four.
    t0 = llvm.prime_mul(B, a[0], b[0])
    t1 = llvm.prime_mul(B, a[1], b[1])
    cross = llvm.prime_mul(B, llvm.prime_add(B, a[0], a[1]), llvm.prime_add(B, b[0], b[1]))
    return (llvm.prime_sub(B, t0, t1), llvm.prime_sub(B, llvm.prime_sub(B, cross, t0), t1))


@inner_kernel
def _quad_sqr(B, a):
    # (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u
    c0 = llvm.prime_mul(B, llvm.prime_add(B, a[0], a[1]), llvm.prime_sub(B, a[0], a[1]))
    c1 = llvm.prime_double(B, llvm.prime_mul(B, a[0], a[1]))
    return (c0, c1)


@inner_overload(fmul)
def _fmul(F, a, b):
    return _prime_or_quad(F, lambda F, a, b: llvm.prime_mul(F, a, b), lambda F, a, b: _quad_mul(F.base, a, b))


@inner_overload(fsqr)
def _fsqr(F, a):
    return _prime_or_quad(F, lambda F, a: llvm.prime_mul(F, a, a), lambda F, a: _quad_sqr(F.base, a))


@inner_overload(fmul_base)
def _fmul_base(F, a, s):
    """Multiply an element of F by an element of its prime subfield."""
    return _prime_or_quad(
        F,
        lambda F, a, s: llvm.prime_mul(F, a, s),
        lambda F, a, s: (llvm.prime_mul(F.base, a[0], s), llvm.prime_mul(F.base, a[1], s)),
    )


@inner_overload(fconj)
def _fconj(F, a):
    """Frobenius x -> x^p: identity on Fp, conjugation on Fp2."""
    return _prime_or_quad(F, lambda F, a: a, lambda F, a: (a[0], llvm.prime_neg(F.base, a[1])))


@inner_overload(fzero)
def _fzero(F):
    return _prime_or_quad(F, lambda F: llvm.prime_zero(F), lambda F: (llvm.prime_zero(F.base), llvm.prime_zero(F.base)))


@inner_overload(fone)
def _fone(F):
    return _prime_or_quad(F, lambda F: llvm.prime_one(F), lambda F: (llvm.prime_one(F.base), llvm.prime_zero(F.base)))


@inner_overload(feq)
def _feq(F, a, b):
    return _prime_or_quad(
        F,
        lambda F, a, b: llvm.limbs_eq(a, b),
        lambda F, a, b: llvm.limbs_eq(a[0], b[0]) & llvm.limbs_eq(a[1], b[1]),
    )


@inner_overload(fis_zero)
def _fis_zero(F, a):
    return _prime_or_quad(
        F,
        lambda F, a: llvm.limbs_is_zero(a),
        lambda F, a: llvm.limbs_is_zero(a[0]) & llvm.limbs_is_zero(a[1]),
    )


@inner_overload(fload)
def _fload(F, arr, i):
    """Element i of an array of shape (n, 4) (prime field) or (n, 2, 4) (Fp2)."""
    return _prime_or_quad(
        F,
        lambda F, arr, i: (arr[i, 0], arr[i, 1], arr[i, 2], arr[i, 3]),
        lambda F, arr, i: (
            (arr[i, 0, 0], arr[i, 0, 1], arr[i, 0, 2], arr[i, 0, 3]),
            (arr[i, 1, 0], arr[i, 1, 1], arr[i, 1, 2], arr[i, 1, 3]),
        ),
    )


@inner_overload(fstore)
def _fstore(F, arr, i, x):
    # Direct indexing: a row view (arr[i]) is reference-counted by numba, which costs more than
    # the four stores themselves in hot loops.
    def prime(F, arr, i, x):
        arr[i, 0] = x[0]
        arr[i, 1] = x[1]
        arr[i, 2] = x[2]
        arr[i, 3] = x[3]

    def quad(F, arr, i, x):
        arr[i, 0, 0] = x[0][0]
        arr[i, 0, 1] = x[0][1]
        arr[i, 0, 2] = x[0][2]
        arr[i, 0, 3] = x[0][3]
        arr[i, 1, 0] = x[1][0]
        arr[i, 1, 1] = x[1][1]
        arr[i, 1, 2] = x[1][2]
        arr[i, 1, 3] = x[1][3]

    return _prime_or_quad(F, prime, quad)


@inner_kernel
def fpow(F, a, exponent):
    """a^exponent, exponent a 4-limb plain integer (left-to-right square and multiply)."""
    result = fone(F)
    started = False
    for limb_index in range(3, -1, -1):
        limb = exponent[limb_index]
        for bit in range(63, -1, -1):
            if started:
                result = fsqr(F, result)
            if (limb >> np.uint64(bit)) & np.uint64(1):
                result = fmul(F, result, a)
                started = True
    return result


@inner_kernel
def _prime_inv(F, a):
    return fpow(F, a, llvm.prime_p_minus_2(F))


@inner_kernel
def _quad_inv(F, a):
    B = F.base
    norm = llvm.prime_add(B, llvm.prime_mul(B, a[0], a[0]), llvm.prime_mul(B, a[1], a[1]))
    inv_norm = _prime_inv(B, norm)
    return (llvm.prime_mul(B, a[0], inv_norm), llvm.prime_neg(B, llvm.prime_mul(B, a[1], inv_norm)))


@inner_overload(finv)
def _finv(F, a):
    """1/a by Fermat (prime) or through the norm (Fp2); the inverse of 0 is 0."""
    return _prime_or_quad(F, lambda F, a: _prime_inv(F, a), lambda F, a: _quad_inv(F, a))


@inner_kernel
def to_montgomery(F, x):
    return llvm.prime_mul(F, x, llvm.prime_r2(F))


@inner_kernel
def from_montgomery(F, x):
    return llvm.prime_mul(F, x, (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0)))


@inner_kernel
def prime_sqrt(F, a):
    """(found, root) for p = 3 mod 4: root = a^((p+1)/4), valid when root^2 == a."""
    root = fpow(F, a, llvm.prime_p_plus_1_over_4(F))
    return llvm.limbs_eq(llvm.prime_mul(F, root, root), a), root


@inner_kernel
def quad_sqrt(F, a):
    """(found, root) in Fp2 for p = 3 mod 4 (Adj and Rodriguez-Henriquez, Algorithm 9)."""
    B = F.base
    a1 = fpow(F, a, llvm.prime_p_minus_3_over_4(B))
    alpha = fmul(F, a1, fmul(F, a1, a))
    norm = fmul(F, fconj(F, alpha), alpha)
    minus_one = fneg(F, fone(F))
    if feq(F, norm, minus_one):
        return False, fzero(F)
    x0 = fmul(F, a1, a)
    if feq(F, alpha, minus_one):
        root = (llvm.prime_neg(B, x0[1]), x0[0])  # i * x0
    else:
        b = fpow(F, fadd(F, fone(F), alpha), llvm.prime_p_minus_1_over_2(B))
        root = fmul(F, b, x0)
    return feq(F, fsqr(F, root), a), root


@inner_kernel
def prime_is_canonical(F, x):
    return llvm.limbs_less_than(x, llvm.prime_modulus(F))
