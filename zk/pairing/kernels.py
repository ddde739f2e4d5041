"""Array-level pairing kernels: the entry points the Python API and the Groth16 verifier call.

Inputs are affine Montgomery arrays, G1 (n, 2, 4) and G2 (n, 2, 2, 4), infinity = (0, 0); they
are trusted here (on the curve, in the subgroups, canonical): validation is the caller's job
(:mod:`zk.pairing.api` does it for the Python API). Fp12 values travel as (2, 3, 2, 4) arrays.
"""
from __future__ import annotations

import numpy as np

from zk.field import FP2
from zk.field.jit import entry_kernel, inner_kernel

from .final_exp import final_exponentiation
from .miller import miller_loop
from zk.curve.kernels import (affine_to_jac, jac_add, jac_scalar_mul, jac_to_affine, load_affine, montgomery_limbs,
                              store_affine)
from .tower import fp12_inv, fp12_load, fp12_store


MODE_MILLER_LOOP = 0
MODE_FINAL_EXPONENTIATION = 1
MODE_PAIRING = 2
MODE_INVERSE = 3
MODE_GROTH16 = 4
# Rows of the G1 array in MODE_GROTH16: -A, alpha, C, then IC_0 .. IC_n.
GROTH16_IC_ROW = 3


@entry_kernel
def _pairing_kernel(F, mode, g1, g2, scalars, f_in, out):
    """One entry point for every operation: each separately compiled numba entry point would link
    and re-generate code for the whole tower again (seconds of cold compile each), and each one a
    process loads from the cache costs it start-up time (the verifier loads this one alone)."""
    if mode == MODE_MILLER_LOOP:
        f = miller_loop(F, g1, g2)
    elif mode == MODE_FINAL_EXPONENTIATION:
        f = final_exponentiation(F, fp12_load(F, f_in, 0))
    elif mode == MODE_PAIRING:
        f = final_exponentiation(F, miller_loop(F, g1, g2))
    elif mode == MODE_GROTH16:
        f = final_exponentiation(F, miller_loop(F, _groth16_pairs(F.base, g1, scalars), g2))
    else:
        f = fp12_inv(F, fp12_load(F, f_in, 0))
    fp12_store(F, out, 0, f)


@inner_kernel
def _groth16_pairs(F, g1, scalars):
    """[-A, alpha, IC_0 + sum_i x_i IC_i, C] from g1 = [-A, alpha, C, IC_0 .. IC_n] and the
    public inputs x_1 .. x_n (plain limbs): the verifier's public-input term, computed where the
    pairing runs instead of in an MSM kernel of its own. n is the circuit's public count, a few
    scalar multiplications (254 doublings each) that no bucket method would speed up."""
    # Rows as np.int64 and the scalar as a limb tuple: the types the curve kernels are already
    # compiled for (a literal row or an array scalar is a new specialisation, a new cold compile).
    acc = affine_to_jac(F, load_affine(F, g1, np.int64(GROTH16_IC_ROW)))
    for i in range(scalars.shape[0]):
        k = (scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3])
        term = jac_scalar_mul(F, affine_to_jac(F, load_affine(F, g1, GROTH16_IC_ROW + 1 + i)), k)
        acc = jac_add(F, acc, term)
    pairs = np.empty((4, 2, 4), dtype=np.uint64)
    zero, one, two, three = np.int64(0), np.int64(1), np.int64(2), np.int64(3)
    store_affine(F, pairs, zero, load_affine(F, g1, zero))
    store_affine(F, pairs, one, load_affine(F, g1, one))
    store_affine(F, pairs, two, jac_to_affine(F, acc))
    store_affine(F, pairs, three, load_affine(F, g1, two))
    return pairs


_NO_G1 = np.zeros((0, 2, 4), dtype=np.uint64)
_NO_G2 = np.zeros((0, 2, 2, 4), dtype=np.uint64)
_NO_SCALARS = np.zeros((0, 4), dtype=np.uint64)
_NO_FP12 = np.zeros((1, 2, 3, 2, 4), dtype=np.uint64)
# 1 in Montgomery form, as an Fp12 array, to compare results against without another kernel.
FP12_ONE = np.zeros((2, 3, 2, 4), dtype=np.uint64)
FP12_ONE[0, 0, 0] = montgomery_limbs(1)


def prepared(arr: np.ndarray, trailing: tuple) -> np.ndarray:
    """C-contiguous, writeable uint64 of shape (n, *trailing): the one array type the kernel is
    compiled for (a readonly or strided array would be a new numba type, and a new cold compile)."""
    arr = np.asarray(arr)
    if arr.ndim != 1 + len(trailing) or arr.shape[1:] != trailing:
        raise ValueError(f"expected an array of shape (n, {', '.join(map(str, trailing))}), got {arr.shape}")
    if arr.dtype != np.uint64 or not arr.flags.c_contiguous or not arr.flags.writeable:
        arr = np.array(arr, dtype=np.uint64, order="C")
    return arr


def _run(mode, g1, g2, f_in, scalars=_NO_SCALARS):
    out = np.empty((1, 2, 3, 2, 4), dtype=np.uint64)
    _pairing_kernel(FP2, mode, g1, g2, scalars, f_in, out)
    return out[0]


def _as_fp12(f):
    return np.ascontiguousarray(f, dtype=np.uint64).reshape(1, 2, 3, 2, 4)


def miller_loop_array(g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """The shared Miller loop value prod_i f_i (before the final exponentiation), shape (2, 3, 2, 4)."""
    return _run(MODE_MILLER_LOOP, prepared(g1, (2, 4)), prepared(g2, (2, 2, 4)), _NO_FP12)


def final_exponentiation_array(f: np.ndarray) -> np.ndarray:
    return _run(MODE_FINAL_EXPONENTIATION, _NO_G1, _NO_G2, _as_fp12(f))


def pairing_product_array(g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """prod_i e(P_i, Q_i) as a (2, 3, 2, 4) Montgomery array."""
    return _run(MODE_PAIRING, prepared(g1, (2, 4)), prepared(g2, (2, 2, 4)), _NO_FP12)


def pairing_check_arrays(g1_affine: np.ndarray, g2_affine: np.ndarray) -> bool:
    """Whether prod_i e(P_i, Q_i) == 1, for prepared (trusted) affine arrays (n, 2, 4) and (n, 2, 2, 4).

    This is the Groth16 verifier's hot path: one Miller loop over all pairs, one final
    exponentiation, one numba call. Use :func:`zk.pairing.pairing_check` for untrusted input.
    """
    g1_affine = prepared(g1_affine, (2, 4))
    g2_affine = prepared(g2_affine, (2, 2, 4))
    if g1_affine.shape[0] != g2_affine.shape[0]:
        raise ValueError(f"need as many G1 as G2 points, got {g1_affine.shape[0]} and {g2_affine.shape[0]}")
    return bool(np.array_equal(_run(MODE_PAIRING, g1_affine, g2_affine, _NO_FP12), FP12_ONE))


def groth16_check_arrays(g1: np.ndarray, g2: np.ndarray, scalars: np.ndarray) -> bool:
    """Whether e(-A, B) e(alpha, beta) e(IC_0 + sum_i x_i IC_i, gamma) e(C, delta) == 1: the
    Groth16 equation as one kernel call. ``g1`` holds [-A, alpha, C, IC_0 .. IC_n] and ``g2``
    [B, beta, gamma, delta] as prepared (trusted, validated) affine arrays; ``scalars`` the n
    public inputs as plain little-endian limbs below r, shape (n, 4)."""
    g1 = prepared(g1, (2, 4))
    g2 = prepared(g2, (2, 2, 4))
    scalars = prepared(scalars, (4,))
    if g2.shape[0] != 4 or g1.shape[0] != GROTH16_IC_ROW + 1 + scalars.shape[0]:
        raise ValueError(f"need [B, beta, gamma, delta] and [-A, alpha, C, IC_0 .. IC_n] for n public inputs, got "
                         f"{g2.shape[0]} G2 points, {g1.shape[0]} G1 points and {scalars.shape[0]} inputs")
    return bool(np.array_equal(_run(MODE_GROTH16, g1, g2, _NO_FP12, scalars), FP12_ONE))


def fp12_inverse_array(a: np.ndarray) -> np.ndarray:
    return _run(MODE_INVERSE, _NO_G1, _NO_G2, _as_fp12(a))
