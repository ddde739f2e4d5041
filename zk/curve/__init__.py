"""BN254 groups G1 (over Fp) and G2 (over the twist, Fp2).

- :mod:`zk.curve.points`: readable point types ``G1Point``, ``G2Point``, array conversions.
- :mod:`zk.curve.kernels`: numba point kernels generic over the coordinate field (FP / FP2).
- :mod:`zk.curve.subgroup`: fast G2 subgroup membership (psi endomorphism).
- :mod:`zk.curve.groups`: ``G1``, ``G2`` as descriptors (field, b, point type) for code that
  works on either group, with the one on-curve scan over arrays (``G1.first_off_curve(arr)``).
- :mod:`zk.curve.encoding`: byte encodings (Ethereum uncompressed, gnark-style compressed);
  snarkjs's JSON points are a file format (:mod:`zk.formats.snarkjs`).
"""
from . import points
from .errors import CurveError, PointEncodingError
from .groups import G1, G2, CurveGroup
from .points import *  # noqa: F403  (the names points.__all__ lists, stated there once)

__all__ = ["G1", "G2", "CurveGroup", "CurveError", "PointEncodingError", *points.__all__]
