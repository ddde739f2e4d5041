"""LLVM code generation for 4x64-bit Montgomery arithmetic, exposed to numba as intrinsics.

Why intrinsics: numba has no 64x64->128-bit multiply, and emulating it with 32-bit halves costs
about three times as much. Here every field operation is emitted as straight-line LLVM IR on
i64/i128/i256 values; LLVM lowers the i128 products to `mul`/`mulx` and the i256 additions to
`add`/`adc` chains, and inlines the whole operation into the calling kernel.

An element is a numba ``UniTuple(uint64, 4)`` (little-endian limbs, Montgomery form), which lives
in registers; arrays of elements are numpy ``uint64`` arrays of shape (n, 4).
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .spec import ELEMENT, PrimeFieldType

LIMBS = 4
LIMB_BITS = 64
_MASK64 = (1 << 64) - 1

I64 = ir.IntType(64)
I128 = ir.IntType(128)
I256 = ir.IntType(256)



def int_to_limbs(x: int) -> tuple[int, int, int, int]:
    return tuple((x >> (LIMB_BITS * i)) & _MASK64 for i in range(LIMBS))  # type: ignore[return-value]


def limbs_to_int(limbs) -> int:
    return sum(int(v) << (LIMB_BITS * i) for i, v in enumerate(limbs))


def _unpack(builder: ir.IRBuilder, value) -> list:
    return [builder.extract_value(value, i) for i in range(LIMBS)]


def _pack(builder: ir.IRBuilder, llvm_type, limbs: list):
    out = ir.Constant(llvm_type, ir.Undefined)
    for i, limb in enumerate(limbs):
        out = builder.insert_value(out, limb, i)
    return out


def _to_i256(builder: ir.IRBuilder, limbs: list):
    acc = builder.zext(limbs[0], I256)
    for i in range(1, LIMBS):
        acc = builder.or_(acc, builder.shl(builder.zext(limbs[i], I256), ir.Constant(I256, LIMB_BITS * i)))
    return acc


def _from_i256(builder: ir.IRBuilder, wide) -> list:
    return [
        builder.trunc(builder.lshr(wide, ir.Constant(I256, LIMB_BITS * i)), I64) if i else builder.trunc(wide, I64)
        for i in range(LIMBS)
    ]


def _reduce_once(builder: ir.IRBuilder, wide, modulus: int):
    """wide in [0, 2p) -> wide mod p, branch-free: one subtract-with-borrow chain and a select."""
    pair = builder.usub_with_overflow(wide, ir.Constant(I256, modulus))
    reduced = builder.extract_value(pair, 0)
    borrow = builder.extract_value(pair, 1)
    return builder.select(borrow, wide, reduced)


def _emit_add(builder, a, b, modulus):
    # p < 2^254, so a + b < 2^255 never overflows i256.
    return _reduce_once(builder, builder.add(a, b), modulus)


def _emit_sub(builder, a, b, modulus):
    pair = builder.usub_with_overflow(a, b)
    diff = builder.extract_value(pair, 0)
    borrow = builder.extract_value(pair, 1)
    return builder.select(borrow, builder.add(diff, ir.Constant(I256, modulus)), diff)


def _emit_neg(builder, a, modulus):
    is_zero = builder.icmp_unsigned("==", a, ir.Constant(I256, 0))
    return builder.select(is_zero, a, builder.sub(ir.Constant(I256, modulus), a))


def _emit_mont_mul(builder: ir.IRBuilder, a: list, b: list, modulus: int) -> list:
    """CIOS Montgomery multiplication a*b/2^256 mod p.

    Uses the "no final carry" variant (valid because the top limb of p is below 2^63 - 1), so the
    running value stays in four limbs and the result is < 2p before one conditional subtraction.
    """
    p_limbs = [ir.Constant(I64, v) for v in int_to_limbs(modulus)]
    n0 = ir.Constant(I64, (-pow(modulus, -1, 1 << 64)) % (1 << 64))
    shift = ir.Constant(I128, 64)

    def wide(x):
        return builder.zext(x, I128)

    def hi(x):
        return builder.trunc(builder.lshr(x, shift), I64)

    def lo(x):
        return builder.trunc(x, I64)

    t = [ir.Constant(I64, 0)] * LIMBS
    for i in range(LIMBS):
        bi = wide(b[i])
        carry = None
        for j in range(LIMBS):
            acc = builder.add(builder.mul(wide(a[j]), bi), wide(t[j]))
            if carry is not None:
                acc = builder.add(acc, wide(carry))
            t[j] = lo(acc)
            carry = hi(acc)
        top = carry
        m = builder.mul(t[0], n0)
        mw = wide(m)
        acc = builder.add(builder.mul(mw, wide(p_limbs[0])), wide(t[0]))
        carry = hi(acc)
        for j in range(1, LIMBS):
            acc = builder.add(builder.add(builder.mul(mw, wide(p_limbs[j])), wide(t[j])), wide(carry))
            t[j - 1] = lo(acc)
            carry = hi(acc)
        t[LIMBS - 1] = builder.add(carry, top)
    return _from_i256(builder, _reduce_once(builder, _to_i256(builder, t), modulus))


def _prime(F) -> int:
    modulus = getattr(F, "modulus", None)
    if modulus is None:
        raise TypeError(f"expected a prime field descriptor, got {F}")
    return modulus


def _binary_intrinsic(emit, doc):
    @intrinsic
    def op(typingctx, F, a, b):
        if not isinstance(F, PrimeFieldType):
            return None
        sig = ELEMENT(F, ELEMENT, ELEMENT)

        def codegen(context, builder, signature, args):
            modulus = _prime(signature.args[0])
            x = _to_i256(builder, _unpack(builder, args[1]))
            y = _to_i256(builder, _unpack(builder, args[2]))
            out = _from_i256(builder, emit(builder, x, y, modulus))
            return _pack(builder, context.get_value_type(ELEMENT), out)

        return sig, codegen

    op.__doc__ = doc
    return op


def _unary_intrinsic(emit, doc):
    @intrinsic
    def op(typingctx, F, a):
        if not isinstance(F, PrimeFieldType):
            return None
        sig = ELEMENT(F, ELEMENT)

        def codegen(context, builder, signature, args):
            modulus = _prime(signature.args[0])
            x = _to_i256(builder, _unpack(builder, args[1]))
            out = _from_i256(builder, emit(builder, x, modulus))
            return _pack(builder, context.get_value_type(ELEMENT), out)

        return sig, codegen

    op.__doc__ = doc
    return op


prime_add = _binary_intrinsic(_emit_add, "a + b mod p")
prime_sub = _binary_intrinsic(_emit_sub, "a - b mod p")
prime_neg = _unary_intrinsic(_emit_neg, "-a mod p")
prime_double = _unary_intrinsic(lambda b, x, m: _emit_add(b, x, x, m), "2a mod p")


@intrinsic
def prime_mul(typingctx, F, a, b):
    """Montgomery product a*b*2^-256 mod p (the field product in Montgomery form)."""
    if not isinstance(F, PrimeFieldType):
        return None
    sig = ELEMENT(F, ELEMENT, ELEMENT)

    def codegen(context, builder, signature, args):
        modulus = _prime(signature.args[0])
        limbs = _emit_mont_mul(builder, _unpack(builder, args[1]), _unpack(builder, args[2]), modulus)
        return _pack(builder, context.get_value_type(ELEMENT), limbs)

    return sig, codegen


def _constant_intrinsic(value_of, doc):
    @intrinsic
    def op(typingctx, F):
        if not isinstance(F, PrimeFieldType):
            return None
        sig = ELEMENT(F)

        def codegen(context, builder, signature, args):
            limbs = [ir.Constant(I64, v) for v in int_to_limbs(value_of(_prime(signature.args[0])))]
            return _pack(builder, context.get_value_type(ELEMENT), limbs)

        return sig, codegen

    op.__doc__ = doc
    return op


prime_zero = _constant_intrinsic(lambda p: 0, "0")
prime_one = _constant_intrinsic(lambda p: (1 << 256) % p, "1 in Montgomery form (2^256 mod p)")
prime_r2 = _constant_intrinsic(lambda p: pow(2, 512, p), "2^512 mod p: multiplying by it enters Montgomery form")
# Exponents, as plain integers (not Montgomery form), for Fermat inversion and square roots.
prime_p_minus_2 = _constant_intrinsic(lambda p: p - 2, "p - 2")
prime_p_minus_3_over_4 = _constant_intrinsic(lambda p: (p - 3) // 4, "(p - 3) / 4")
prime_p_minus_1_over_2 = _constant_intrinsic(lambda p: (p - 1) // 2, "(p - 1) / 2")
prime_p_plus_1_over_4 = _constant_intrinsic(lambda p: (p + 1) // 4, "(p + 1) / 4")
prime_modulus = _constant_intrinsic(lambda p: p, "p itself, as a plain integer")


@intrinsic
def limbs_eq(typingctx, a, b):
    """Equality of two 4-limb values (canonical, so limb equality is field equality)."""
    sig = types.boolean(ELEMENT, ELEMENT)

    def codegen(context, builder, signature, args):
        x = _to_i256(builder, _unpack(builder, args[0]))
        y = _to_i256(builder, _unpack(builder, args[1]))
        return builder.icmp_unsigned("==", x, y)

    return sig, codegen


@intrinsic
def limbs_is_zero(typingctx, a):
    sig = types.boolean(ELEMENT)

    def codegen(context, builder, signature, args):
        x = _to_i256(builder, _unpack(builder, args[0]))
        return builder.icmp_unsigned("==", x, ir.Constant(I256, 0))

    return sig, codegen


@intrinsic
def limbs_less_than(typingctx, a, b):
    """Unsigned comparison of two 4-limb integers."""
    sig = types.boolean(ELEMENT, ELEMENT)

    def codegen(context, builder, signature, args):
        x = _to_i256(builder, _unpack(builder, args[0]))
        y = _to_i256(builder, _unpack(builder, args[1]))
        return builder.icmp_unsigned("<", x, y)

    return sig, codegen
