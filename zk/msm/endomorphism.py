"""Endomorphism-split MSM scalars (GLV): sum k_i P_i = sum (k1_i P_i + k2_i phi(P_i)).

On BN254, phi(x, y) = (c x, y) with c a cube root of unity in Fp is an endomorphism of both G1
and the twist carrying G2, and on each group it equals multiplication by LAMBDA (a cube root of
unity mod r) for the right choice of c: BETA on G1, BETA^2 on G2 (tests check both against
scalar multiplication). Writing k = k1 + k2 LAMBDA (mod r) with |k1|, |k2| < 2^128 turns n
scalars of 254 bits into 2n of 128: Pippenger then needs half as many windows over twice the
points, which halves the bucket-aggregation work and the doublings between windows; the bucket
insertions stay the same. phi costs one Fp (G1) or two Fp (G2) multiplications per point.

The split runs in the kernel (a Python big-int split would cost more than the MSM saves): the
Babai rounding c = round(k b / r) is computed as (k g + 2^255) >> 256 with g = round(2^256 b / r),
in LLVM's 512-bit integers, which is off by at most one from the exact rounding (k g / 2^256
differs from k b / r by less than 1/8); that adds at most |a1| + |a2| (or |b1| + |b2|) to the
halves, which stay below 2^128 (checked against the exact split in the tests).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from zk.curve.glv import BETA, LAMBDA, lattice_basis
from zk.curve.kernels import entry_kernel, montgomery_limbs
from zk.curve.rows import load_point
from zk.field import FP, P, R
from zk.field.ops import fload, fmul_base, fstore

(_A1, _B1), (_A2, _B2) = lattice_basis()
# k1 = k - c1 a1 - c2 a2, k2 = -c1 b1 - c2 b2 with c1 = round(k b2 / det), c2 = round(-k b1 / det).
_DET = _A1 * _B2 - _A2 * _B1
assert abs(_DET) == R
_SIGN = 1 if _DET > 0 else -1
# c1 = round(k * _N1 / r), c2 = round(k * _N2 / r) with these signed numerators.
_N1, _N2 = _SIGN * _B2, -_SIGN * _B1
assert _N1 > 0 and _N2 > 0, "the rounding below assumes nonnegative quotients"
_G1 = (_N1 << 256) // R + (((_N1 << 256) % R) * 2 >= R)
_G2 = (_N2 << 256) // R + (((_N2 << 256) % R) * 2 >= R)
HALF_BITS = 128

I64 = ir.IntType(64)
I512 = ir.IntType(512)
_SPLIT = types.UniTuple(types.uint64, 6)


def split_reference(k: int) -> tuple[int, int]:
    """What the kernel computes, in Python integers (the tests compare both with the exact split)."""
    c1 = (k * _G1 + (1 << 255)) >> 256
    c2 = (k * _G2 + (1 << 255)) >> 256
    return k - c1 * _A1 - c2 * _A2, -c1 * _B1 - c2 * _B2


@intrinsic
def glv_split(typingctx, k):
    """(|k1| lo, |k1| hi, k1 < 0, |k2| lo, |k2| hi, k2 < 0) for k given as 4 plain limbs < r."""
    if not (isinstance(k, types.UniTuple) and k.count == 4 and k.dtype == types.uint64):
        return None

    def codegen(context, builder, signature, args):
        (limbs,) = args
        value = builder.zext(builder.extract_value(limbs, 0), I512)
        for i in range(1, 4):
            limb = builder.zext(builder.extract_value(limbs, i), I512)
            value = builder.or_(value, builder.shl(limb, ir.Constant(I512, 64 * i)))

        def const(x):
            return ir.Constant(I512, x % (1 << 512))  # two's complement for negative constants

        def rounded_quotient(g):
            return builder.lshr(builder.add(builder.mul(value, const(g)), const(1 << 255)), const(256))

        c1 = rounded_quotient(_G1)
        c2 = rounded_quotient(_G2)
        k1 = builder.sub(builder.sub(value, builder.mul(c1, const(_A1))), builder.mul(c2, const(_A2)))
        k2 = builder.sub(builder.sub(const(0), builder.mul(c1, const(_B1))), builder.mul(c2, const(_B2)))
        out = ir.Constant(context.get_value_type(_SPLIT), ir.Undefined)
        for slot, half in enumerate((k1, k2)):
            negative = builder.icmp_signed("<", half, const(0))
            magnitude = builder.select(negative, builder.sub(const(0), half), half)
            out = builder.insert_value(out, builder.trunc(magnitude, I64), 3 * slot)
            out = builder.insert_value(out, builder.trunc(builder.lshr(magnitude, const(64)), I64), 3 * slot + 1)
            out = builder.insert_value(out, builder.zext(negative, I64), 3 * slot + 2)
        return out

    return _SPLIT(k), codegen


@entry_kernel
def split_scalars(scalars, out):
    """out[i] = glv_split(scalars[i]) (for tests and diagnostics)."""
    for i in range(scalars.shape[0]):
        s = glv_split((scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3]))
        for j in range(6):
            out[i, j] = s[j]


@entry_kernel
def expand(F, points, scalars, active, beta, twin, halves, signs):
    """For every active i (t-th): twin[t] = c x_i, the x of phi(P_i) = (c x_i, y_i), and rows 2t
    and 2t + 1 of halves / signs the magnitude and sign of k1_i and k2_i (two limbs each).
    Pippenger reads row 2t as P_i and row 2t + 1 as (twin[t], y_i) (see
    :func:`zk.msm.pippenger.sum_window`), so only phi(P)'s x is written, not a second copy of the
    points; a zero half has no nonzero digit and costs nothing.
    Returns (OR of all magnitudes' low limbs, OR of their high limbs): the caller's bit length
    for the windows."""
    c = fload(FP, beta, 0)
    low_bits = np.uint64(0)
    high_bits = np.uint64(0)
    for t in range(active.shape[0]):
        i = active[t]
        s = glv_split((scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3]))
        p = load_point(F, points, i)
        fstore(F, twin, t, fmul_base(F, p[0], c))
        for h in range(2):
            halves[2 * t + h, 0] = s[3 * h]
            halves[2 * t + h, 1] = s[3 * h + 1]
            signs[2 * t + h] = s[3 * h + 2]
        low_bits |= s[0] | s[3]
        high_bits |= s[1] | s[4]
    return low_bits, high_bits


def cube_root(group_name: str) -> np.ndarray:
    """The Fp constant c (Montgomery, shape (1, 4)) with (c x, y) = [LAMBDA](x, y) on the group."""
    value = BETA if group_name == "G1" else BETA * BETA % P
    # Montgomery form in Python: no kernel call needed for one constant.
    return np.array([montgomery_limbs(value)], dtype=np.uint64)


def bit_length(low_bits: int, high_bits: int) -> int:
    return 64 + int(high_bits).bit_length() if high_bits else int(low_bits).bit_length()


__all__ = ["HALF_BITS", "LAMBDA", "bit_length", "cube_root", "expand", "glv_split", "split_reference", "split_scalars"]
