"""Affine point additions in batches that share one field inversion (Montgomery's trick).

An affine addition costs one inversion plus 3 multiplications; with k independent additions the
k inversions become one inversion plus 3(k - 1) multiplications, so an addition costs about 6
multiplications instead of the 11 of a mixed Jacobian addition. Pippenger's bucket reduction and
the fixed-base lanes are both built from independent additions, which is what makes this pay.

The kernels run two passes over their pairs:
- forward: ``d = pair_denominator(p, q)``; store the running product of the nonzero d before it
  (the prefix), then multiply d in;
- backward, from inv = 1 / product: recompute d from the points (cheaper than storing it),
  ``inv_k = inv * prefix[k]``, ``inv *= d``, and ``pair_add(p, q, inv_k)``.
Either operand may be infinity (the all-zero row), and the pair may be equal (doubling: the
slope's denominator is 2y) or opposite (the sum is infinity); those pairs have d = 0 and the
inversion skips them.
"""
from __future__ import annotations

from zk.curve.kernels import affine_infinity, affine_is_infinity, inner_kernel
from zk.field.ops import fadd, fdbl, feq, fmul, fsqr, fsub, fzero


@inner_kernel
def pair_denominator(F, p, q):
    if affine_is_infinity(F, p) | affine_is_infinity(F, q):
        return fzero(F)
    if not feq(F, p[0], q[0]):
        return fsub(F, q[0], p[0])
    if feq(F, p[1], q[1]):
        return fdbl(F, p[1])
    return fzero(F)


@inner_kernel
def pair_add(F, p, q, inv):
    """p + q given inv = 1 / pair_denominator(F, p, q) (ignored when that is zero)."""
    if affine_is_infinity(F, p):
        return q
    if affine_is_infinity(F, q):
        return p
    if not feq(F, p[0], q[0]):
        slope = fmul(F, fsub(F, q[1], p[1]), inv)
    elif feq(F, p[1], q[1]):
        xx = fsqr(F, p[0])
        slope = fmul(F, fadd(F, fdbl(F, xx), xx), inv)
    else:
        return affine_infinity(F)
    x3 = fsub(F, fsub(F, fsqr(F, slope), p[0]), q[0])
    return (x3, fsub(F, fmul(F, slope, fsub(F, p[0], x3)), p[1]))


@inner_kernel
def generic_pair(F, p, q):
    """Both finite with distinct x: the case the plain chord formula covers."""
    return not (affine_is_infinity(F, p) | affine_is_infinity(F, q) | feq(F, p[0], q[0]))


@inner_kernel
def generic_add(F, p, q, inv):
    """p + q for a generic pair, given inv = 1 / (x_q - x_p)."""
    slope = fmul(F, fsub(F, q[1], p[1]), inv)
    x3 = fsub(F, fsub(F, fsqr(F, slope), p[0]), q[0])
    return (x3, fsub(F, fmul(F, slope, fsub(F, p[0], x3)), p[1]))
