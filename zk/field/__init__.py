"""BN254 fields: Fr (scalars), Fp (coordinates) and Fp2, with numba kernels for bulk work.

- :mod:`zk.field.element`: readable Python element types ``Fr``, ``Fp``, ``Fp2``.
- :mod:`zk.field.ops`: element operations for numba kernels, generic over a field descriptor.
- :mod:`zk.field.arrays`: array kernels over (n, 4) / (n, 2, 4) uint64 limb arrays.
- :mod:`zk.field.bn254`: moduli and the descriptors ``FP``, ``FR``, ``FP2``.
- :mod:`zk.field.decimal`: the length-limited decimal parser (no numba).

The names below load on first use (PEP 562): importing a numba-free submodule such as
``zk.field.decimal`` must not pull numba (about 0.4 s and 120 MB) into a command that never
computes, such as a thin client or ``zk --help``.
"""
from __future__ import annotations

from zk._lazy import lazy_attributes

_HOMES = {"FP": "bn254", "FP2": "bn254", "FR": "bn254", "P": "bn254", "R": "bn254",
          "FieldError": "element", "Fp": "element", "Fp2": "element", "Fr": "element"}

__all__ = ["FP", "FP2", "FR", "P", "R", "FieldError", "Fp", "Fp2", "Fr"]
__getattr__, __dir__ = lazy_attributes(__name__, _HOMES)
