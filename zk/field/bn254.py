"""The two BN254 prime fields and Fp2, as descriptors for the numba kernels."""
from __future__ import annotations

from . import _llvm
from .spec import FieldSpec, PrimeFieldType, QuadraticFieldType

# Base field of the curve (coordinates) and scalar field (group order, circuit values).
P = 21888242871839275222246405745257275088696311157297823662689037894645226208583
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617

_CODEGEN = f"{_llvm.CODEGEN_VERSION}-{'asm' if _llvm.USE_ASM else 'ir'}"

FP = FieldSpec(PrimeFieldType("Fp", P, _CODEGEN))
FR = FieldSpec(PrimeFieldType("Fr", R, _CODEGEN))
FP2 = FieldSpec(QuadraticFieldType("Fp2", FP.numba_type))

MONTGOMERY_R = 1 << 256
