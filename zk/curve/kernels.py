"""Short-Weierstrass point arithmetic (y^2 = x^3 + b, a = 0) for numba kernels, generic over the
coordinate field descriptor ``F``: ``FP`` for G1, ``FP2`` for G2 (the sextic twist).

Representations (all coordinates in Montgomery form, as in :mod:`zk.field.ops`):

- Jacobian point: tuple ``(X, Y, Z)`` standing for ``(X/Z^2, Y/Z^3)``; infinity is any ``Z == 0``
  (``jac_infinity`` returns ``(1, 1, 0)``).
- Affine point: tuple ``(x, y)``; infinity is ``(0, 0)``, which is on neither curve (b != 0), so
  it cannot be confused with a real point.
- Arrays: affine ``(n, 2, 4)`` for G1 / ``(n, 2, 2, 4)`` for G2; Jacobian ``(n, 3, 4)`` /
  ``(n, 3, 2, 4)``. Row i is loaded with ``load_affine(F, arr, i)`` / ``load_jac``.

Formulas are EFD ones for a = 0 (dbl-2009-l, add-1998-cmo-2, madd-2004-hmv). Those formulas are
incomplete (they divide by zero, silently, when the inputs are equal or opposite), so the adds
here detect H == 0 and branch to doubling or infinity: callers may add anything to anything.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from zk.field.jit import entry_kernel, inner_kernel, inner_overload
from zk.field.ops import fadd, fdbl, feq, finv, fis_zero, fload, fmul, fneg, fone, fsqr, fstore, fsub, fzero
from zk.field.bn254 import MONTGOMERY_R, P
from zk.field.spec import PrimeFieldType, QuadraticFieldType

from .rows import load_point, store_point


def montgomery_limbs(value: int) -> list[int]:
    """The 4 little-endian limbs of an Fp value in Montgomery form (pure Python, for constants)."""
    m = (int(value) * MONTGOMERY_R) % P
    return [(m >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)]


def _element_shape(F):
    raise TypeError("_element_shape is only callable inside numba kernels")


@inner_overload(_element_shape)
def _element_shape_impl(F):
    """Trailing shape of one element of F in an array: (4,) for a prime field, (2, 4) for Fp2."""
    if isinstance(F, PrimeFieldType):
        return lambda F: (4,)
    if isinstance(F, QuadraticFieldType):
        return lambda F: (2, 4)
    return None


# ---------------------------------------------------------------------------------------------
# Single points


@inner_kernel
def jac_infinity(F):
    return (fone(F), fone(F), fzero(F))


@inner_kernel
def jac_is_infinity(F, p):
    return fis_zero(F, p[2])


@inner_kernel
def affine_is_infinity(F, q):
    return fis_zero(F, q[0]) & fis_zero(F, q[1])


@inner_kernel
def affine_infinity(F):
    return (fzero(F), fzero(F))


@inner_kernel
def jac_neg(F, p):
    return (p[0], fneg(F, p[1]), p[2])


@inner_kernel
def jac_double(F, p):
    """dbl-2009-l (3M + 4S with D = 4 X1 B). Doubling infinity gives Z3 = 2*Y*0 = 0, i.e. infinity again."""
    X1, Y1, Z1 = p
    A = fsqr(F, X1)
    B = fsqr(F, Y1)
    C = fsqr(F, B)
    # D = 2((X1 + B)^2 - A - C) = 4 X1 B: a squaring costs a multiplication here, so take the
    # form with fewer additions.
    D = fdbl(F, fdbl(F, fmul(F, X1, B)))
    E = fadd(F, fdbl(F, A), A)
    Fe = fsqr(F, E)
    X3 = fsub(F, Fe, fdbl(F, D))
    eight_c = fdbl(F, fdbl(F, fdbl(F, C)))
    Y3 = fsub(F, fmul(F, E, fsub(F, D, X3)), eight_c)
    Z3 = fdbl(F, fmul(F, Y1, Z1))
    return (X3, Y3, Z3)


@inner_kernel
def jac_add(F, p, q):
    """add-1998-cmo-2 (12M + 4S), complete: handles infinity, p == q and p == -q.

    Same multiplication count as add-2007-bl (11M + 5S) when a squaring costs a multiplication,
    with five fewer additions.
    """
    if jac_is_infinity(F, p):
        return q
    if jac_is_infinity(F, q):
        return p
    X1, Y1, Z1 = p
    X2, Y2, Z2 = q
    Z1Z1 = fsqr(F, Z1)
    Z2Z2 = fsqr(F, Z2)
    U1 = fmul(F, X1, Z2Z2)
    S1 = fmul(F, fmul(F, Y1, Z2), Z2Z2)
    H = fsub(F, fmul(F, X2, Z1Z1), U1)
    r = fsub(F, fmul(F, fmul(F, Y2, Z1), Z1Z1), S1)
    return _add_finish(F, p, U1, S1, H, r, fmul(F, Z1, Z2))


@njit(cache=True, inline="always")
def _add_finish(F, p, U1, S1, H, r, Z1Z2):
    """The common end of ``jac_add`` and ``jac_add_mixed`` (there q's Z2 = 1: U1 = X1, S1 = Y1):
    X3 = r^2 - H^3 - 2 U1 H^2, Y3 = r (U1 H^2 - X3) - S1 H^3, Z3 = Z1 Z2 H. H = 0 means the same
    x: p = q (r = 0) or p = -q."""
    if fis_zero(F, H):
        if fis_zero(F, r):
            return jac_double(F, p)
        return jac_infinity(F)
    HH = fsqr(F, H)
    HHH = fmul(F, H, HH)
    V = fmul(F, U1, HH)
    X3 = fsub(F, fsub(F, fsqr(F, r), HHH), fdbl(F, V))
    Y3 = fsub(F, fmul(F, r, fsub(F, V, X3)), fmul(F, S1, HHH))
    Z3 = fmul(F, Z1Z2, H)
    return (X3, Y3, Z3)


@inner_kernel
def jac_add_mixed(F, p, q):
    """p (Jacobian) + q (affine), madd-2004-hmv (8M + 3S), complete like ``jac_add``.

    Measured about 25% faster than madd-2007-bl (7M + 4S) here: a squaring costs a
    multiplication, and this form needs half the additions.
    """
    if affine_is_infinity(F, q):
        return p
    if jac_is_infinity(F, p):
        return affine_to_jac(F, q)
    X1, Y1, Z1 = p
    x2, y2 = q
    Z1Z1 = fsqr(F, Z1)
    H = fsub(F, fmul(F, x2, Z1Z1), X1)
    r = fsub(F, fmul(F, fmul(F, y2, Z1), Z1Z1), Y1)
    return _add_finish(F, p, X1, Y1, H, r, Z1)


@inner_kernel
def jac_eq(F, p, q):
    """Equality of the points, whatever their Z: X1 Z2^2 == X2 Z1^2 and Y1 Z2^3 == Y2 Z1^3."""
    p_inf = jac_is_infinity(F, p)
    q_inf = jac_is_infinity(F, q)
    if p_inf | q_inf:
        return p_inf & q_inf
    Z1Z1 = fsqr(F, p[2])
    Z2Z2 = fsqr(F, q[2])
    if not feq(F, fmul(F, p[0], Z2Z2), fmul(F, q[0], Z1Z1)):
        return False
    lhs = fmul(F, p[1], fmul(F, Z2Z2, q[2]))
    rhs = fmul(F, q[1], fmul(F, Z1Z1, p[2]))
    return feq(F, lhs, rhs)


@inner_kernel
def affine_to_jac(F, q):
    if affine_is_infinity(F, q):
        return jac_infinity(F)
    return (q[0], q[1], fone(F))


@inner_kernel
def jac_to_affine(F, p):
    """One field inversion; infinity maps to (0, 0)."""
    if jac_is_infinity(F, p):
        return affine_infinity(F)
    z_inv = finv(F, p[2])
    z_inv2 = fsqr(F, z_inv)
    return (fmul(F, p[0], z_inv2), fmul(F, p[1], fmul(F, z_inv2, z_inv)))


@inner_kernel
def is_on_curve_affine(F, q, b):
    """y^2 == x^3 + b. The point at infinity (0, 0) counts as on the curve (it is in the group);
    decoders that must tell it apart check ``affine_is_infinity`` first."""
    if affine_is_infinity(F, q):
        return True
    x, y = q
    return feq(F, fsqr(F, y), fadd(F, fmul(F, fsqr(F, x), x), b))


@inner_kernel
def is_on_curve_jac(F, p, b):
    """Y^2 == X^3 + b Z^6; infinity counts as on the curve."""
    if jac_is_infinity(F, p):
        return True
    X, Y, Z = p
    Z2 = fsqr(F, Z)
    Z6 = fmul(F, fsqr(F, Z2), Z2)
    return feq(F, fsqr(F, Y), fadd(F, fmul(F, fsqr(F, X), X), fmul(F, b, Z6)))


# ---------------------------------------------------------------------------------------------
# Scalar multiplication

WINDOW_BITS = 4


@inner_kernel
def _window(k, index):
    """Bits [4*index, 4*index + 4) of the 256-bit plain integer k (4 little-endian limbs)."""
    limb = k[index >> 4]
    return (limb >> np.uint64((index & 15) * 4)) & np.uint64(15)


@inner_kernel
def _jac_table(F, p, size):
    """Rows 0..size-1 hold 0*p .. (size-1)*p, as a Jacobian array (its shape follows F)."""
    table = np.empty((size, 3) + _element_shape(F), dtype=np.uint64)
    store_jac(F, table, np.int64(0), jac_infinity(F))
    store_jac(F, table, np.int64(1), p)
    for i in range(2, size):
        if i % 2 == 0:
            multiple = jac_double(F, load_jac(F, table, i // 2))
        else:
            multiple = jac_add(F, load_jac(F, table, i - 1), p)
        store_jac(F, table, i, multiple)
    return table


@inner_kernel
def jac_scalar_mul(F, p, k):
    """k * p for k a 4-limb little-endian plain integer (any value below 2^256, not reduced mod r,
    so ``r * Q`` is a valid subgroup test). Fixed 4-bit windows from the top nonzero window:
    about log2(k) doublings + log2(k)/4 additions, plus 14 for the table."""
    top = 63
    while top >= 0 and _window(k, top) == np.uint64(0):
        top -= 1
    if top < 0:
        return jac_infinity(F)
    table = _jac_table(F, p, 16)
    acc = load_jac(F, table, np.int64(_window(k, top)))
    for index in range(top - 1, -1, -1):
        for _ in range(WINDOW_BITS):
            acc = jac_double(F, acc)
        w = _window(k, index)
        if w != np.uint64(0):
            acc = jac_add(F, acc, load_jac(F, table, np.int64(w)))
    return acc


# ---------------------------------------------------------------------------------------------
# Arrays


@inner_kernel
def load_affine(F, arr, i):
    return load_point(F, arr, i)


@inner_kernel
def store_affine(F, arr, i, q):
    store_point(F, arr, i, q)


@inner_kernel
def load_jac(F, arr, i):
    row = arr[i]
    return (fload(F, row, 0), fload(F, row, 1), fload(F, row, 2))


@inner_kernel
def store_jac(F, arr, i, p):
    row = arr[i]
    fstore(F, row, 0, p[0])
    fstore(F, row, 1, p[1])
    fstore(F, row, 2, p[2])


@entry_kernel
def batch_to_affine(F, jac_arr, out_affine):
    """Jacobian rows -> affine rows with one inversion (Montgomery's trick); infinities -> (0, 0).

    Infinity rows (Z == 0) are skipped in the running product rather than zeroing it.
    """
    n = jac_arr.shape[0]
    prefix = np.empty((max(n, 1),) + _element_shape(F), dtype=np.uint64)
    acc = fone(F)
    for i in range(n):
        fstore(F, prefix, i, acc)
        z = fload(F, jac_arr[i], 2)
        if not fis_zero(F, z):
            acc = fmul(F, acc, z)
    inv = finv(F, acc)
    for i in range(n - 1, -1, -1):
        p = load_jac(F, jac_arr, i)
        if fis_zero(F, p[2]):
            store_affine(F, out_affine, i, affine_infinity(F))
            continue
        z_inv = fmul(F, inv, fload(F, prefix, i))
        inv = fmul(F, inv, p[2])
        z_inv2 = fsqr(F, z_inv)
        store_affine(F, out_affine, i, (fmul(F, p[0], z_inv2), fmul(F, p[1], fmul(F, z_inv2, z_inv))))


@entry_kernel
def batch_affine_to_jac(F, affine_arr, out_jac):
    for i in range(affine_arr.shape[0]):
        store_jac(F, out_jac, i, affine_to_jac(F, load_affine(F, affine_arr, i)))


@entry_kernel
def batch_scalar_mul(F, affine_arr, scalars, out_jac):
    """out_jac[i] = scalars[i] * affine_arr[i]; scalars is (n, 4) uint64 plain little-endian limbs."""
    for i in range(affine_arr.shape[0]):
        k = (scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3])
        store_jac(F, out_jac, i, jac_scalar_mul(F, affine_to_jac(F, load_affine(F, affine_arr, i)), k))


@entry_kernel
def first_off_curve(F, b, affine_arr):
    """Index of the first row not on y^2 = x^3 + b over F, or -1 when all are; b is the curve's
    coefficient as a one-row Montgomery array (zk.curve.groups G1.b / G2.b), so the kernel serves
    any curve with a = 0. The infinity row (0, 0) counts as on the curve."""
    coefficient = fload(F, b, 0)
    for i in range(affine_arr.shape[0]):
        if not is_on_curve_affine(F, load_affine(F, affine_arr, i), coefficient):
            return i
    return -1


@entry_kernel
def sum_affine(F, affine_arr, out_jac):
    """out_jac[0] = sum of all affine rows, by mixed additions into one Jacobian accumulator."""
    acc = jac_infinity(F)
    for i in range(affine_arr.shape[0]):
        acc = jac_add_mixed(F, acc, load_affine(F, affine_arr, i))
    store_jac(F, out_jac, np.int64(0), acc)
