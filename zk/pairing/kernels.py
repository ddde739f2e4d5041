"""Array-level pairing kernels: the entry points the Python API and the Groth16 verifier call.

Inputs are affine Montgomery arrays, G1 (n, 2, 4) and G2 (n, 2, 2, 4), infinity = (0, 0); they
are trusted here (on the curve, in the subgroups, canonical): validation is the caller's job
(:mod:`zk.pairing.api` does it for the Python API). Fp12 values travel as (2, 3, 2, 4) arrays.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from zk.field import FP2

from .final_exp import final_exponentiation
from .miller import miller_loop
from zk.curve.kernels import montgomery_limbs
from .tower import fp12_inv, fp12_load, fp12_store


MODE_MILLER_LOOP = 0
MODE_FINAL_EXPONENTIATION = 1
MODE_PAIRING = 2
MODE_INVERSE = 3


@njit(cache=True)
def _pairing_kernel(F, mode, g1, g2, f_in, out):
    """One entry point for every operation: each separately compiled numba entry point would link
    and re-generate code for the whole tower again (seconds of cold compile each)."""
    if mode == MODE_MILLER_LOOP:
        f = miller_loop(F, g1, g2)
    elif mode == MODE_FINAL_EXPONENTIATION:
        f = final_exponentiation(F, fp12_load(F, f_in, 0))
    elif mode == MODE_PAIRING:
        f = final_exponentiation(F, miller_loop(F, g1, g2))
    else:
        f = fp12_inv(F, fp12_load(F, f_in, 0))
    fp12_store(F, out, 0, f)


_NO_G1 = np.zeros((0, 2, 4), dtype=np.uint64)
_NO_G2 = np.zeros((0, 2, 2, 4), dtype=np.uint64)
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


def _run(mode, g1, g2, f_in):
    out = np.empty((1, 2, 3, 2, 4), dtype=np.uint64)
    _pairing_kernel(FP2, mode, g1, g2, f_in, out)
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


def fp12_inverse_array(a: np.ndarray) -> np.ndarray:
    return _run(MODE_INVERSE, _NO_G1, _NO_G2, _as_fp12(a))
