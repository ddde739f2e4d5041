"""Scalars for MSM: (n, 4) uint64 arrays of plain (not Montgomery) little-endian limbs, each < r.

Plain limbs because the MSM reads the scalar's bits; Montgomery form would need a conversion per
window. Prepare the array once (``scalars_from_ints`` or ``scalars_from_montgomery``) and pass it
to every MSM that uses the same scalars.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from numba import njit

from zk.field import FR, R
from zk.field import arrays as A
from zk.field.ops import fload
from zk.field._llvm import limbs_less_than, prime_modulus


class ScalarError(ValueError):
    """Scalars that are not canonical elements of Fr, or not shaped like an (n, 4) limb array."""


@njit(cache=True)
def first_non_canonical(F, scalars):
    """Index of the first row >= the field modulus, or -1."""
    p = prime_modulus(F)
    for i in range(scalars.shape[0]):
        if not limbs_less_than(fload(F, scalars, i), p):
            return i
    return -1


@njit(cache=True)
def signed_digit(scalars, i, window, c):
    """Digit ``window`` of scalar i in the signed base-2^c recoding, in [-2^(c-1), 2^(c-1)].

    With b the window's own bits, the digit is b + carry_in, minus 2^c when b's top bit is set;
    the carry out is then that top bit, so the carry into a window is simply bit (window*c - 1)
    of the scalar and each digit is computed independently of the lower windows.
    """
    lo = window * c
    b = _bits(scalars, i, lo, c)
    digit = b
    if lo > 0:
        digit += _bits(scalars, i, lo - 1, 1)
    if b >= (1 << (c - 1)):
        digit -= 1 << c
    return digit


@njit(cache=True)
def _bits(scalars, i, lo, count):
    """Bits [lo, lo + count) of scalar i as an int64 (count <= 32, bits above 255 read as 0)."""
    limb = lo >> 6
    if limb >= 4:
        return 0
    shift = lo & 63
    value = scalars[i, limb] >> np.uint64(shift)
    if shift + count > 64 and limb + 1 < 4:
        value |= scalars[i, limb + 1] << np.uint64(64 - shift)
    return np.int64(value & np.uint64((1 << count) - 1))


def num_windows(c: int, bits: int = 254) -> int:
    """Signed windows of c bits for scalars below 2^bits: they must cover bits + 1 positions, so
    that the carry out of the top window is always 0 (scalars below r < 2^254 by default)."""
    return -(-(bits + 1) // c)


def scalars_from_ints(values: Sequence[int]) -> np.ndarray:
    """Python ints in [0, r) -> the MSM scalar array. Out-of-range values raise ScalarError
    (reduce them mod r first if that is what you mean)."""
    values = list(values)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ScalarError(f"scalars must be ints, got {type(v).__name__}")
        if not 0 <= v < R:
            raise ScalarError(f"scalar {v} is outside [0, r)")
    return A.ints_to_raw(values)


def scalars_from_montgomery(mont: np.ndarray) -> np.ndarray:
    """An (n, 4) Fr array in Montgomery form (e.g. from ``zk.field.arrays.to_array(FR, ...)``,
    or Lagrange evaluations from :mod:`zk.poly`) -> the MSM scalar array."""
    mont = np.ascontiguousarray(mont, dtype=np.uint64)
    if mont.ndim != 2 or mont.shape[1] != 4:
        raise ScalarError(f"expected an (n, 4) uint64 Fr array, got shape {mont.shape}")
    out = np.empty_like(mont)
    A.from_montgomery_rows(FR, mont, out)
    return out


def as_scalar_array(scalars) -> np.ndarray:
    """Accept a prepared (n, 4) uint64 plain-limb array (validated, not copied) or a sequence of ints."""
    if isinstance(scalars, np.ndarray):
        if scalars.dtype != np.uint64 or scalars.ndim != 2 or scalars.shape[1] != 4:
            raise ScalarError(f"expected an (n, 4) uint64 scalar array, got {scalars.dtype} {scalars.shape}")
        scalars = np.ascontiguousarray(scalars)
        bad = first_non_canonical(FR, scalars)
        if bad >= 0:
            raise ScalarError(f"scalar {bad} is not below r (plain limbs expected; Montgomery arrays go through scalars_from_montgomery)")
        return scalars
    return scalars_from_ints(scalars)
