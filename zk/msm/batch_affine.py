"""Affine point additions in batches that share one field inversion (Montgomery's trick).

An affine addition costs one inversion plus 3 multiplications; with k independent additions the
k inversions become one inversion plus 3(k - 1) multiplications, so an addition costs about 6
multiplications instead of the 11 of a mixed Jacobian addition. Pippenger's bucket reduction and
the fixed-base lanes are both built from independent additions, which is what makes this pay.

Every pair goes through ``pair_denominator`` (first pass) then ``pair_add`` (second pass) with
the inverse of that denominator. Both operands must be finite points; the pair may be equal
(doubling: the slope's denominator is 2y) or opposite (the sum is infinity: the denominator is 0,
which the batch inversion skips).
"""
from __future__ import annotations

from numba import njit

from zk.curve.kernels import affine_infinity
from zk.field.ops import fadd, fdbl, feq, finv, fis_zero, fload, fmul, fsqr, fsub, fzero

from ._rows import store_element


@njit(cache=True)
def pair_denominator(F, p, q):
    if not feq(F, p[0], q[0]):
        return fsub(F, q[0], p[0])
    if feq(F, p[1], q[1]):
        return fdbl(F, p[1])
    return fzero(F)


@njit(cache=True)
def pair_add(F, p, q, inv):
    """p + q given inv = 1 / pair_denominator(F, p, q) (ignored when the sum is infinity)."""
    if not feq(F, p[0], q[0]):
        slope = fmul(F, fsub(F, q[1], p[1]), inv)
    elif feq(F, p[1], q[1]):
        xx = fsqr(F, p[0])
        slope = fmul(F, fadd(F, fdbl(F, xx), xx), inv)
    else:
        return affine_infinity(F)
    x3 = fsub(F, fsub(F, fsqr(F, slope), p[0]), q[0])
    return (x3, fsub(F, fmul(F, slope, fsub(F, p[0], x3)), p[1]))


@njit(cache=True)
def invert_in_place(F, den, prefix, count, product):
    """den[k] <- 1/den[k] for k < count, given prefix[k] = product of the nonzero den[j], j < k,
    and ``product`` = the product of all nonzero den. Zero denominators stay zero."""
    inv = finv(F, product)
    for k in range(count - 1, -1, -1):
        d = fload(F, den, k)
        if not fis_zero(F, d):
            store_element(F, den, k, fmul(F, inv, fload(F, prefix, k)))
            inv = fmul(F, inv, d)

