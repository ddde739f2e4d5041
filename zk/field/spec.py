"""Field descriptors that numba kernels take as their first argument.

A kernel is written once, generically, as ``def kernel(F, ...)``; numba compiles one
specialisation per field because each descriptor has its own numba type carrying the modulus
(prime fields) or the base field (the quadratic extension). The descriptor has no runtime data.
"""
from __future__ import annotations

from numba import types
from numba.core import cgutils
from numba.core.imputils import lower_constant
from numba.extending import NativeValue, intrinsic, models, overload_attribute, register_model, typeof_impl, unbox

from zk import _numba_cache

# Every kernel module imports this one: cached kernels load without numba's registry refresh.
_numba_cache.install()

ELEMENT = types.UniTuple(types.uint64, 4)  # a prime-field element: four limbs, Montgomery form


class FieldType(types.Type):
    """The numba type of a field. ``codegen`` names the arithmetic code generator; it is part of
    the type name because numba keys cached kernels on their argument types, so a new generator
    recompiles every kernel instead of loading old machine code."""

    def __init__(self, kind: str, label: str, codegen: str):
        self.label = label
        self.codegen = codegen
        super().__init__(name=f"{kind}[{label};{codegen}]")


class PrimeFieldType(FieldType):
    """Z/pZ; an element is an ``ELEMENT``."""

    def __init__(self, label: str, modulus: int, codegen: str = ""):
        self.modulus = modulus
        super().__init__("PrimeField", label, codegen)


class QuadraticFieldType(FieldType):
    """F[u]/(u^2 + 1) over a prime field type (BN254's Fp2); an element is a pair of the base's."""

    def __init__(self, label: str, base: PrimeFieldType):
        self.base = base
        super().__init__("QuadraticField", label, base.codegen)


class FieldSpec:
    """Python-side handle for a field; pass it to kernels as their first argument."""

    def __init__(self, numba_type: types.Type):
        self.numba_type = numba_type

    def __repr__(self) -> str:
        return f"FieldSpec({self.numba_type.name})"


@typeof_impl.register(FieldSpec)
def _typeof_field_spec(val, c):
    return val.numba_type


for _cls in (PrimeFieldType, QuadraticFieldType):
    register_model(_cls)(models.OpaqueModel)

    @unbox(_cls)
    def _unbox_field(typ, obj, c):
        return NativeValue(cgutils.get_null_value(c.context.get_value_type(typ)))

    @lower_constant(_cls)
    def _lower_field(context, builder, typ, pyval):
        return cgutils.get_null_value(context.get_value_type(typ))


@intrinsic
def _base_field(typingctx, F):
    sig = F.base(F)

    def codegen(context, builder, signature, args):
        return cgutils.get_null_value(context.get_value_type(signature.return_type))

    return sig, codegen


@overload_attribute(QuadraticFieldType, "base", inline="always")
def _quadratic_base(F):
    return lambda F: _base_field(F)
