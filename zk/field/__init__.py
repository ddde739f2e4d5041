"""BN254 fields: Fr (scalars), Fp (coordinates) and Fp2, with numba kernels for bulk work.

- :mod:`zk.field.element`: readable Python element types ``Fr``, ``Fp``, ``Fp2``.
- :mod:`zk.field.ops`: element operations for numba kernels, generic over a field descriptor.
- :mod:`zk.field.arrays`: array kernels over (n, 4) / (n, 2, 4) uint64 limb arrays.
- :mod:`zk.field.bn254`: moduli and the descriptors ``FP``, ``FR``, ``FP2``.
"""
from .bn254 import FP, FP2, FR, P, R
from .element import FieldError, Fp, Fp2, Fr

__all__ = ["FP", "FP2", "FR", "P", "R", "FieldError", "Fp", "Fp2", "Fr"]
