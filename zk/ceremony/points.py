"""Bulk encodings of affine limb arrays as snarkjs hashes them (ffjavascript ``LEMtoU`` / ``LEMtoC``).

- uncompressed: G1 ``x || y``, G2 ``x.c1 || x.c0 || y.c1 || y.c0``, 32-byte big-endian canonical
  values; infinity all zero (the same bytes as :func:`zk.curve.encoding.g1_to_bytes`).
- compressed: the x part alone (G1 32 bytes, G2 ``x.c1 || x.c0``), its first byte or-ed with 0x80
  when y is "negative" (above (p - 1) / 2; for Fp2 the sign of y.c1, or of y.c0 when y.c1 = 0);
  infinity is 0x40 followed by zeros.
"""
from __future__ import annotations

import numpy as np

from zk.field import FP, P
from zk.field.arrays import from_montgomery_rows

_HALF = np.array([((P - 1) // 2 >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)], dtype=np.uint64)
_G2_ORDER = [1, 0, 3, 2]  # x.c1, x.c0, y.c1, y.c0


def _plain_coordinates(points: np.ndarray) -> tuple[np.ndarray, bool]:
    """(n, coords, 4) plain limbs (coords 2 for G1: x, y; 4 for G2: x.c0, x.c1, y.c0, y.c1)."""
    g2 = points.ndim == 4
    flat = np.ascontiguousarray(points, dtype=np.uint64).reshape(-1, 4)
    plain = np.empty_like(flat)
    if flat.shape[0]:
        from_montgomery_rows(FP, flat, plain)
    return plain.reshape(points.shape[0], 4 if g2 else 2, 4), g2


def _big_endian(plain: np.ndarray) -> np.ndarray:
    """(n, k, 4) limbs -> (n, k, 32) big-endian bytes."""
    little = np.ascontiguousarray(plain, dtype="<u8").view(np.uint8).reshape(plain.shape[:-1] + (32,))
    return little[..., ::-1]


def uncompressed(points: np.ndarray) -> np.ndarray:
    """(n, 64) for G1 or (n, 128) for G2 uint8: the points as snarkjs hashes them uncompressed."""
    plain, g2 = _plain_coordinates(points)
    if g2:
        plain = plain[:, _G2_ORDER]
    return np.ascontiguousarray(_big_endian(plain)).reshape(points.shape[0], -1)


def _greater_than_half(limbs: np.ndarray) -> np.ndarray:
    result = np.zeros(limbs.shape[0], dtype=bool)
    decided = np.zeros(limbs.shape[0], dtype=bool)
    for limb in range(3, -1, -1):
        column = limbs[:, limb]
        result |= ~decided & (column > _HALF[limb])
        decided |= column != _HALF[limb]
    return result


def compressed(points: np.ndarray) -> np.ndarray:
    """(n, 32) for G1 or (n, 64) for G2 uint8: the points as snarkjs hashes them compressed."""
    plain, g2 = _plain_coordinates(points)
    n = points.shape[0]
    if g2:
        x = plain[:, [1, 0]]
        y_c1_nonzero = plain[:, 3].any(axis=1)
        sign = np.where(y_c1_nonzero, _greater_than_half(plain[:, 3]), _greater_than_half(plain[:, 2]))
    else:
        x = plain[:, :1]
        sign = _greater_than_half(plain[:, 1])
    out = np.ascontiguousarray(_big_endian(x)).reshape(n, -1)
    infinity = ~plain.reshape(n, -1).any(axis=1)
    out[sign, 0] |= 0x80
    out[infinity] = 0
    out[infinity, 0] = 0x40
    return out
