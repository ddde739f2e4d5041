"""Point encodings: Ethereum uncompressed bytes, gnark-style compressed bytes (snarkjs's JSON
points are a file format: :mod:`zk.formats.snarkjs`).

Uncompressed (what the EIP-196/197 precompiles read), big-endian 32-byte coordinates:
  G1: x || y (64 bytes);  G2: x.c1 || x.c0 || y.c1 || y.c0 (128 bytes, imaginary part first);
  infinity: all zeros (the precompiles' convention; (0, 0) is on neither curve).

Compressed (the gnark-crypto bn254 format, chosen so that the bytes interoperate with gnark):
  G1: x (32 bytes); G2: x.c1 || x.c0 (64 bytes). p < 2^254 leaves the top two bits of the first
  byte free for flags:
    0b10xxxxxx  y is the lexicographically smallest of the two roots
    0b11xxxxxx  y is the lexicographically largest
    0b01000000  infinity (every other bit zero)
    0b00xxxxxx  rejected (gnark's marker for an uncompressed encoding)
  "Largest" for Fp means y > (p - 1) / 2; for Fp2 it compares c1 first and c0 only when c1 == 0.

Every decoder rejects wrong lengths, bad flags, coordinates >= p, points off the curve and, for
G2, points outside the order-r subgroup, with a :class:`~zk.curve.errors.CurveError`
(:class:`~zk.curve.errors.PointEncodingError` for format problems).
"""
from __future__ import annotations

from zk.field import P, Fp, Fp2

from .errors import CurveError, PointEncodingError
from .points import G1Point, G2Point

COORDINATE_BYTES = 32
G1_UNCOMPRESSED_BYTES = 64
G2_UNCOMPRESSED_BYTES = 128
G1_COMPRESSED_BYTES = 32
G2_COMPRESSED_BYTES = 64

FLAG_MASK = 0b11 << 6
FLAG_SMALLEST = 0b10 << 6
FLAG_LARGEST = 0b11 << 6
FLAG_INFINITY = 0b01 << 6

_HALF_P = (P - 1) // 2


# ---------------------------------------------------------------------------------------------
# Helpers


def _as_bytes(data, expected: int, what: str) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise PointEncodingError(f"{what} must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) != expected:
        raise PointEncodingError(f"{what} must be {expected} bytes, got {len(data)}")
    return data


def _coordinate(chunk: bytes, what: str) -> int:
    value = int.from_bytes(chunk, "big")
    if value >= P:
        raise PointEncodingError(f"{what} is not a canonical field element: {value} >= p")
    return value


def _fp_is_largest(y: Fp) -> bool:
    return y.value > _HALF_P


def _fp2_is_largest(y: Fp2) -> bool:
    return _fp_is_largest(y.c1) if y.c1.value else _fp_is_largest(y.c0)


def checked_g1(x: int, y: int) -> G1Point:
    """The G1 point (x, y) from untrusted coordinates (any encoding's decoder), or a CurveError."""
    try:
        return G1Point(x, y)
    except CurveError as exc:
        raise CurveError(f"G1 point rejected: {exc}") from None


def checked_g2(x: Fp2, y: Fp2) -> G2Point:
    """The G2 point (x, y) from untrusted coordinates: on the twist and in the order-r subgroup."""
    point = G2Point(x, y, check=False)
    if not point.is_on_curve():
        raise CurveError(f"G2 point rejected: ({x}, {y}) is not on the twist y^2 = x^3 + 3/(9+u)")
    if not point.is_in_subgroup():
        raise CurveError(f"G2 point rejected: ({x}, {y}) is on the twist but not in the order-r subgroup")
    return point


# ---------------------------------------------------------------------------------------------
# Uncompressed (Ethereum precompiles)


def g1_to_bytes(point: G1Point) -> bytes:
    if point.is_infinity():
        return bytes(G1_UNCOMPRESSED_BYTES)
    return point.x.value.to_bytes(32, "big") + point.y.value.to_bytes(32, "big")


def g1_from_bytes(data) -> G1Point:
    data = _as_bytes(data, G1_UNCOMPRESSED_BYTES, "uncompressed G1 point")
    x = _coordinate(data[:32], "G1 x")
    y = _coordinate(data[32:], "G1 y")
    if x == 0 and y == 0:
        return G1Point.infinity()
    return checked_g1(x, y)


def g2_to_bytes(point: G2Point) -> bytes:
    if point.is_infinity():
        return bytes(G2_UNCOMPRESSED_BYTES)
    x, y = point.x, point.y
    return b"".join(v.value.to_bytes(32, "big") for v in (x.c1, x.c0, y.c1, y.c0))


def g2_from_bytes(data) -> G2Point:
    data = _as_bytes(data, G2_UNCOMPRESSED_BYTES, "uncompressed G2 point")
    names = ("G2 x.c1", "G2 x.c0", "G2 y.c1", "G2 y.c0")
    x1, x0, y1, y0 = (_coordinate(data[32 * i : 32 * i + 32], names[i]) for i in range(4))
    if x0 == x1 == y0 == y1 == 0:
        return G2Point.infinity()
    return checked_g2(Fp2(x0, x1), Fp2(y0, y1))


# ---------------------------------------------------------------------------------------------
# Compressed (gnark-crypto bn254 flags)


def _flag_for(y_is_largest: bool) -> int:
    return FLAG_LARGEST if y_is_largest else FLAG_SMALLEST


def _split_flags(data: bytes, what: str) -> tuple[int, bytes]:
    flags = data[0] & FLAG_MASK
    body = bytes([data[0] & ~FLAG_MASK & 0xFF]) + data[1:]
    if flags == FLAG_INFINITY:
        if any(body):
            raise PointEncodingError(f"{what}: infinity flag set but the remaining bits are not all zero")
    elif flags == 0:
        raise PointEncodingError(f"{what}: no compression flag (top bits 00 mark an uncompressed encoding)")
    return flags, body


def g1_to_compressed(point: G1Point) -> bytes:
    if point.is_infinity():
        return bytes([FLAG_INFINITY]) + bytes(G1_COMPRESSED_BYTES - 1)
    out = bytearray(point.x.value.to_bytes(32, "big"))
    out[0] |= _flag_for(_fp_is_largest(point.y))
    return bytes(out)


def _from_compressed(cls, data, size: int, read_x, is_largest, curve: str):
    """The point of ``cls`` that compressed ``data`` names: x from the body, y the square root of
    x^3 + b that the flag picks (None when the flag says infinity)."""
    what = f"compressed {cls.name} point"
    flags, body = _split_flags(_as_bytes(data, size, what), what)
    if flags == FLAG_INFINITY:
        return None
    x = read_x(body)
    y = (x * x * x + cls.b).sqrt()
    if y is None:
        raise CurveError(f"{cls.name} point rejected: no point on the {curve} has x = {x}")
    if is_largest(y) != (flags == FLAG_LARGEST):
        y = -y
    return x, y


def g1_from_compressed(data) -> G1Point:
    xy = _from_compressed(G1Point, data, G1_COMPRESSED_BYTES, lambda body: Fp(_coordinate(body, "G1 x")),
                          _fp_is_largest, "curve")
    # y^2 = x^3 + 3 by construction, and G1's cofactor is 1: nothing left to check.
    return G1Point.infinity() if xy is None else G1Point(*xy, check=False)


def g2_to_compressed(point: G2Point) -> bytes:
    if point.is_infinity():
        return bytes([FLAG_INFINITY]) + bytes(G2_COMPRESSED_BYTES - 1)
    out = bytearray(point.x.c1.value.to_bytes(32, "big") + point.x.c0.value.to_bytes(32, "big"))
    out[0] |= _flag_for(_fp2_is_largest(point.y))
    return bytes(out)


def g2_from_compressed(data) -> G2Point:
    xy = _from_compressed(G2Point, data, G2_COMPRESSED_BYTES,
                          lambda body: Fp2(_coordinate(body[32:], "G2 x.c0"), _coordinate(body[:32], "G2 x.c1")),
                          _fp2_is_largest, "twist")
    return G2Point.infinity() if xy is None else checked_g2(*xy)


__all__ = [
    "checked_g1",
    "checked_g2",
    "g1_to_bytes",
    "g1_from_bytes",
    "g2_to_bytes",
    "g2_from_bytes",
    "g1_to_compressed",
    "g1_from_compressed",
    "g2_to_compressed",
    "g2_from_compressed",
]
