"""Scalars for MSM: (n, 4) uint64 arrays of plain (not Montgomery) little-endian limbs, each < r.

Plain limbs because the MSM reads the scalar's bits; Montgomery form would need a conversion per
window. Prepare the array once (``scalars_from_ints`` or ``scalars_from_montgomery``) and pass it
to every MSM that uses the same scalars; a :class:`Scalars` (checked once where the values
entered) is taken by every MSM without checking again.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from zk.field import FR, R
from zk.field import arrays as field_arrays
from zk.curve.kernels import entry_kernel, inner_kernel
from zk.field.arrays import first_non_canonical  # noqa: F401  (the range check; zk.msm.scalars re-exports it)


class ScalarError(ValueError):
    """Scalars that are not canonical elements of Fr, or not shaped like an (n, 4) limb array.
    ``index``: the first value out of range, when that was the problem."""

    index: int | None = None


_CHECKED = object()


class Scalars:
    """Fr values as the MSMs read them, checked once: ``limbs`` is a C-contiguous (n, 4) uint64
    array of plain little-endian limbs, every row below r. Made where values enter (a witness
    from a file or a solver, a public input); msm_g1, msm_g2 and the Groth16 prover take it
    without checking again. Do not write to ``limbs``."""

    __slots__ = ("limbs",)

    def __init__(self, limbs: np.ndarray, token: object = None):
        if token is not _CHECKED:
            raise TypeError("make Scalars with Scalars.from_limbs / from_ints / from_montgomery")
        self.limbs = limbs

    @classmethod
    def from_limbs(cls, limbs: np.ndarray, what: str = "scalar") -> "Scalars":
        """Plain limbs from outside: shape, dtype and the range are checked here, once."""
        if not isinstance(limbs, np.ndarray) or limbs.dtype != np.uint64 or limbs.ndim != 2 or limbs.shape[1] != 4:
            shown = f"{limbs.dtype} {limbs.shape}" if isinstance(limbs, np.ndarray) else type(limbs).__name__
            raise ScalarError(f"expected an (n, 4) uint64 scalar array, got {shown}")
        if not limbs.flags.c_contiguous or not limbs.flags.writeable:
            limbs = np.array(limbs, order="C")  # kernels compile once, for writeable C arrays
        bad = first_non_canonical(FR, limbs)
        if bad >= 0:
            error = ScalarError(f"{what} {bad} = {field_arrays.raw_to_ints(limbs[bad:bad + 1])[0]} is not below r")
            error.index = bad
            raise error
        return cls(limbs, _CHECKED)

    @classmethod
    def from_ints(cls, values: Sequence[int]) -> "Scalars":
        return cls(scalars_from_ints(values), _CHECKED)

    @classmethod
    def from_montgomery(cls, mont: np.ndarray) -> "Scalars":
        return cls(scalars_from_montgomery(mont), _CHECKED)

    def __len__(self) -> int:
        return self.limbs.shape[0]

    def to_ints(self) -> list[int]:
        return field_arrays.raw_to_ints(self.limbs)


@entry_kernel
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
        digit += _bits(scalars, i, lo - 1, np.int64(1))
    if b >= (1 << (c - 1)):
        digit -= 1 << c
    return digit


@inner_kernel
def _bits(scalars, i, lo, count):
    """Bits [lo, lo + count) of scalar i as an int64 (count <= 32, bits above the row's limbs
    read as 0: rows of 4 limbs, or of 2 for the endomorphism split's half-scalars)."""
    limbs = scalars.shape[1]
    limb = lo >> 6
    if limb >= limbs:
        return 0
    shift = lo & 63
    value = scalars[i, limb] >> np.uint64(shift)
    if shift + count > 64 and limb + 1 < limbs:
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
    return field_arrays.ints_to_raw(values)


def scalars_from_montgomery(mont: np.ndarray) -> np.ndarray:
    """An (n, 4) Fr array in Montgomery form (e.g. from ``zk.field.arrays.to_array(FR, ...)``,
    or Lagrange evaluations from :mod:`zk.poly`) -> the MSM scalar array."""
    mont = np.ascontiguousarray(mont, dtype=np.uint64)
    if mont.ndim != 2 or mont.shape[1] != 4:
        raise ScalarError(f"expected an (n, 4) uint64 Fr array, got shape {mont.shape}")
    out = np.empty_like(mont)
    field_arrays.from_montgomery_rows(FR, mont, out)
    return out


def as_scalar_array(scalars) -> np.ndarray:
    """Accept :class:`Scalars` (already checked), a prepared (n, 4) uint64 plain-limb array
    (validated, not copied) or a sequence of ints."""
    if isinstance(scalars, Scalars):
        return scalars.limbs
    if isinstance(scalars, np.ndarray):
        if scalars.dtype != np.uint64 or scalars.ndim != 2 or scalars.shape[1] != 4:
            raise ScalarError(f"expected an (n, 4) uint64 scalar array, got {scalars.dtype} {scalars.shape}")
        scalars = np.ascontiguousarray(scalars)
        bad = first_non_canonical(FR, scalars)
        if bad >= 0:
            raise ScalarError(f"scalar {bad} is not below r (plain limbs expected; Montgomery arrays go through scalars_from_montgomery)")
        return scalars
    return scalars_from_ints(scalars)
