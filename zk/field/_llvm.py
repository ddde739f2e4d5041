"""LLVM code generation for 4x64-bit Montgomery arithmetic, exposed to numba as intrinsics.

Why intrinsics: numba has no 64x64->128-bit multiply, and emulating it with 32-bit halves costs
about three times as much. Here every field operation is emitted as straight-line LLVM IR on
i64/i128/i256 values; LLVM lowers the i128 products to `mul`/`mulx` and the i256 additions to
`add`/`adc` chains, and inlines the whole operation into the calling kernel.

An element is a numba ``UniTuple(uint64, 4)`` (little-endian limbs, Montgomery form), which lives
in registers; arrays of elements are numpy ``uint64`` arrays of shape (n, 4).
"""
from __future__ import annotations

import os

import llvmlite.binding as llvm_binding
from llvmlite import ir
from numba import types
from numba.core import cgutils, config
from numba.extending import intrinsic

from .spec import ELEMENT, PrimeFieldType

LIMBS = 4
LIMB_BITS = 64
_MASK64 = (1 << 64) - 1

I64 = ir.IntType(64)
I128 = ir.IntType(128)
I256 = ir.IntType(256)

# Bump whenever the emitted code changes. numba's on-disk cache of a caller is keyed on the caller's
# own source and argument types only, so it keeps stale inlined field code unless this string
# reaches the key (e.g. through the field type names in spec.py).
CODEGEN_VERSION = "mulx-adx-2"



def int_to_limbs(x: int) -> tuple[int, int, int, int]:
    return tuple((x >> (LIMB_BITS * i)) & _MASK64 for i in range(LIMBS))  # type: ignore[return-value]


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


def _emit_mont_mul_ir(builder: ir.IRBuilder, a: list, b: list, modulus: int) -> list:
    """CIOS Montgomery multiplication a*b/2^256 mod p, as portable IR.

    Uses the "no final carry" variant (valid because the top limb of p is below 2^63 - 1), so the
    running value stays in four limbs and the result is < 2p before one conditional subtraction.
    """
    p_limbs = [ir.Constant(I64, v) for v in int_to_limbs(modulus)]
    n0 = ir.Constant(I64, _neg_inv64(modulus))
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


def _neg_inv64(modulus: int) -> int:
    return (-pow(modulus, -1, 1 << 64)) % (1 << 64)


# --- x86-64 BMI2/ADX inline assembly ---------------------------------------------------------
#
# LLVM turns the IR above into mulx + add/adc-with-zero pairs and spills; written by hand, the
# same CIOS runs two independent carry chains (adcx on CF for high halves, adox on OF for low
# halves), about 130 instructions per product instead of about 200, and a shorter critical path.
#
# One asm block per word b[i] (not one for the whole product): each block needs 13 registers, so
# LLVM keeps everything else in registers between blocks, and no memory clobber is needed. The
# running value t is passed from block to block as tied operands. p and -p^-1 mod 2^64 are read
# from a constant table (mulx takes no immediates).

def _host_has_mulx_adx() -> bool:
    if os.environ.get("ZK_FIELD_NO_ASM"):
        return False
    if not llvm_binding.get_process_triple().startswith("x86_64"):
        return False
    # numba compiles for the host CPU unless NUMBA_CPU_NAME/NUMBA_CPU_FEATURES say otherwise.
    features = config.CPU_FEATURES if config.CPU_NAME else llvm_binding.get_host_cpu_features().flatten()
    flags = set((features or "").split(","))
    return "+bmi2" in flags and "+adx" in flags


USE_ASM = _host_has_mulx_adx()
# numba's JIT initialises the code generator but not the assembler that inline asm needs. Done
# even when USE_ASM is off: kernels cached by another process may contain the asm, and LLVM
# aborts the process when it meets inline asm without an assembler.
llvm_binding.initialize_native_asmparser()


def _mont_table(builder: ir.IRBuilder, modulus: int):
    """[p0, p1, p2, p3, -p^-1 mod 2^64] as a module constant; returns its address."""
    name = f"zk_field_mont_table_{modulus:x}"
    table = builder.module.globals.get(name)
    if table is None:
        words = [*int_to_limbs(modulus), _neg_inv64(modulus)]
        value = ir.Constant(ir.ArrayType(I64, len(words)), [ir.Constant(I64, w) for w in words])
        table = cgutils.global_constant(builder.module, name, value)
        table.align = 64
    return builder.bitcast(table, ir.IntType(8).as_pointer())


def _asm_reduce_step(t, top, lo, hi, table):
    """(t0..t3, top) + m*p with m = t0 * (-p^-1): the low word cancels, and the value shifted down
    one word is left in (t1, t2, t3, top). t0, lo and hi are scratch; rdx is clobbered.
    Expects CF = OF = 0 (established by the xor)."""
    t0, t1, t2, t3 = t
    return [
        f"movq {t0}, %rdx",
        f"imulq 32({table}), %rdx",
        f"xorq {lo}, {lo}",  # imul left the flags undefined; clear CF and OF
        f"mulxq 0({table}), {lo}, {hi}",
        f"adcxq {t0}, {lo}",  # only the carry out of the cancelled word matters
        f"mulxq 8({table}), {lo}, {t0}",
        f"adcxq {hi}, {t1}",
        f"adoxq {lo}, {t1}",
        f"mulxq 16({table}), {lo}, {hi}",
        f"adcxq {t0}, {t2}",
        f"adoxq {lo}, {t2}",
        f"mulxq 24({table}), {lo}, {t0}",
        f"adcxq {hi}, {t3}",
        f"adoxq {lo}, {t3}",
        f"movq $$0, {lo}",  # mov keeps the flags, xor would not
        f"adcxq {t0}, {top}",
        f"adoxq {lo}, {top}",
    ]


def _asm_block(builder, lines, constraints, args, n_outputs):
    ftype = ir.FunctionType(ir.LiteralStructType([I64] * n_outputs), [arg.type for arg in args])
    result = builder.asm(ftype, "\\0A\\09".join(lines), ",".join(constraints), args, False)
    return [builder.extract_value(result, i) for i in range(n_outputs)]


# Operand numbering shared by every round: outputs $0-$3 t, $4 top, $5 lo, $6 hi, $7 rdx.
_T, _TOP, _LO, _HI = ["$0", "$1", "$2", "$3"], "$4", "$5", "$6"
_SCRATCH_OUTPUTS = ["=&r"] * 7 + ["={rdx}"]


def _asm_first_product(a_ops):
    """t0..t3, top = a * rdx (t starts at 0: one carry chain)."""
    high = [*_T[1:], _TOP]
    lines = [f"mulxq {a_ops[0]}, {_T[0]}, {high[0]}"]
    for j in range(1, LIMBS):
        lines += [f"mulxq {a_ops[j]}, {_LO}, {high[j]}", f"{'adcq' if j > 1 else 'addq'} {_LO}, {_T[j]}"]
    return lines + [f"adcq $$0, {_TOP}"]


def _asm_accumulate_product(a_ops):
    """t0..t3, top = t + a * rdx: low words of the products on the OF chain (adox), high words on
    the CF chain (adcx), the two running side by side."""
    high = [_HI, _TOP] * (LIMBS // 2)
    lines = [f"xorq {_LO}, {_LO}"]
    for j in range(LIMBS):
        lines.append(f"mulxq {a_ops[j]}, {_LO}, {high[j]}")
        if j:
            lines.append(f"adcxq {high[j - 1]}, {_T[j]}")
        lines.append(f"adoxq {_LO}, {_T[j]}")
    return lines + [f"movq $$0, {_LO}", f"adcxq {_LO}, {_TOP}", f"adoxq {_LO}, {_TOP}"]


def _asm_round(builder, a, bi, t_in, table, last=False):
    """One CIOS round, t = (t + a * bi + m*p) / 2^64; ``t_in`` is None in the first round (t = 0).
    Inputs after the outputs: t tied to $0-$3 (not in the first round), bi (in rdx), a, table.
    The last round also subtracts p when t >= p, into the four scratch registers: done here rather
    than on i256 in IR, it avoids LLVM's movabs/mov shuffling (about 2 ns per product in array
    loops)."""
    tied = [] if t_in is None else ["0", "1", "2", "3"]
    first_input = len(_SCRATCH_OUTPUTS) + len(tied) + 1  # a's first operand, after bi
    a_ops = [f"${first_input + j}" for j in range(LIMBS)]
    table_op = f"${first_input + LIMBS}"
    lines = _asm_first_product(a_ops) if t_in is None else _asm_accumulate_product(a_ops)
    lines += _asm_reduce_step(_T, _TOP, _LO, _HI, table_op)
    value, result = [*_T[1:], _TOP], [_T[0], _LO, _HI, "%rdx"]
    if last:
        for j in range(LIMBS):
            lines += [f"movq {value[j]}, {result[j]}", f"{'sbbq' if j else 'subq'} {8 * j}({table_op}), {result[j]}"]
        lines += [f"cmovcq {value[j]}, {result[j]}" for j in range(LIMBS)]  # borrow: t < p already
    constraints = _SCRATCH_OUTPUTS + tied + ["7"] + ["r"] * (LIMBS + 1) + ["~{flags}"]
    out = _asm_block(builder, lines, constraints, [*(t_in or []), bi, *a, table], len(_SCRATCH_OUTPUTS))
    return [out[0], out[5], out[6], out[7]] if last else out[1:5]


def _emit_mont_mul_asm(builder: ir.IRBuilder, a: list, b: list, modulus: int) -> list:
    """The same CIOS as _emit_mont_mul_ir (same no-carry condition, result < 2p before the final
    conditional subtraction)."""
    table = _mont_table(builder, modulus)
    t = None
    for i in range(LIMBS):
        t = _asm_round(builder, a, b[i], t, table, last=i == LIMBS - 1)
    return t


def _emit_mont_mul(builder: ir.IRBuilder, a: list, b: list, modulus: int) -> list:
    """Montgomery product a*b/2^256 mod p of limb lists."""
    # Both variants rely on the top limb of p being below 2^63 - 1 (BN254's Fp and Fr are).
    assert modulus >> 192 < (1 << 63) - 1
    emit = _emit_mont_mul_asm if USE_ASM else _emit_mont_mul_ir
    return emit(builder, a, b, modulus)


def _prime(F) -> int:
    modulus = getattr(F, "modulus", None)
    if modulus is None:
        raise TypeError(f"expected a prime field descriptor, got {F}")
    return modulus


def _field_intrinsic(emit, arity: int, doc: str):
    """An intrinsic ``op(F, a)`` or ``op(F, a, b)`` of a prime field: ``emit(builder, *operands,
    modulus)`` on the operands as i256 values returns the result as one."""

    def codegen(context, builder, signature, args):
        modulus = _prime(signature.args[0])
        operands = [_to_i256(builder, _unpack(builder, arg)) for arg in args[1:]]
        out = _from_i256(builder, emit(builder, *operands, modulus))
        return _pack(builder, context.get_value_type(ELEMENT), out)

    def typed(F):
        if not isinstance(F, PrimeFieldType):
            return None
        return ELEMENT(F, *[ELEMENT] * arity), codegen

    # numba reads an intrinsic's arity from its Python signature.
    if arity == 1:
        def op(typingctx, F, a):
            return typed(F)
    else:
        def op(typingctx, F, a, b):
            return typed(F)

    op.__doc__ = doc
    return intrinsic(op)


prime_add = _field_intrinsic(_emit_add, 2, "a + b mod p")
prime_sub = _field_intrinsic(_emit_sub, 2, "a - b mod p")
prime_neg = _field_intrinsic(_emit_neg, 1, "-a mod p")
prime_double = _field_intrinsic(lambda b, x, m: _emit_add(b, x, x, m), 1, "2a mod p")


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


def _limbs_test(predicate: str, arity: int, doc: str):
    """An intrinsic comparing 4-limb values as unsigned 256-bit integers: ``a PREDICATE b``, or
    ``a PREDICATE 0`` for one operand."""

    def codegen(context, builder, signature, args):
        x, *rest = [_to_i256(builder, _unpack(builder, arg)) for arg in args]
        return builder.icmp_unsigned(predicate, x, rest[0] if rest else ir.Constant(I256, 0))

    if arity == 1:
        def op(typingctx, a):
            return types.boolean(ELEMENT), codegen
    else:
        def op(typingctx, a, b):
            return types.boolean(ELEMENT, ELEMENT), codegen

    op.__doc__ = doc
    return intrinsic(op)


limbs_eq = _limbs_test("==", 2, "Equality of two 4-limb values (canonical, so limb equality is field equality).")
limbs_is_zero = _limbs_test("==", 1, "a == 0 for a 4-limb value.")
limbs_less_than = _limbs_test("<", 2, "Unsigned comparison a < b of two 4-limb integers.")
