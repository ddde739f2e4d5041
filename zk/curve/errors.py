"""Errors raised for invalid points and invalid point encodings."""
from __future__ import annotations


class CurveError(ValueError):
    """A value that is not a valid point of the group it claims to be in (off the curve, outside
    the prime-order subgroup, coordinates out of range)."""


class PointEncodingError(CurveError):
    """Bytes or JSON that are not a valid encoding of a point (length, flags, format)."""
