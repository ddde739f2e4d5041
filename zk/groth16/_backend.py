"""The group and pairing primitives Groth16 needs, in the array layout of :mod:`zk.curve.kernels`.

Scalars are (n, 4) uint64 *plain* little-endian limbs (not Montgomery), points affine Montgomery
arrays with infinity = all-zero row. This module is the single place that binds the protocol to
the MSM and pairing engines.
"""
from __future__ import annotations

import numpy as np

from zk.curve import G1Point, G2Point, g1_from_array, g2_from_array
from zk.curve import kernels as CK
from zk.field import FP, FP2

try:  # pragma: no cover - which branch runs depends on what has landed
    from zk.msm import fixed_base_g1 as _fixed_base_g1, fixed_base_g2 as _fixed_base_g2, msm_g1 as _msm_g1, msm_g2 as _msm_g2

    HAVE_MSM = True
except ImportError:  # pragma: no cover
    HAVE_MSM = False

try:  # pragma: no cover
    from zk.pairing.kernels import pairing_check_arrays as _pairing_check_arrays, pairing_product_array as _pairing_product_array

    HAVE_PAIRING = True
except ImportError:  # pragma: no cover
    HAVE_PAIRING = False


def _scalar_mul_each(F, affine: np.ndarray, scalars: np.ndarray) -> np.ndarray:
    jac = np.empty((affine.shape[0], 3) + affine.shape[2:], dtype=np.uint64)
    CK.batch_scalar_mul(F, affine, scalars, jac)
    out = np.empty_like(affine)
    CK.batch_to_affine(F, jac, out)
    return out


def _sum(F, affine: np.ndarray) -> np.ndarray:
    jac = np.empty((1, 3) + affine.shape[2:], dtype=np.uint64)
    CK.sum_affine(F, affine, jac)
    return jac


def _generator_row(cls) -> np.ndarray:
    from zk.curve import g1_to_array, g2_to_array

    return (g1_to_array if cls is G1Point else g2_to_array)([cls.generator()])


def msm_g1(bases: np.ndarray, scalars: np.ndarray) -> G1Point:
    """sum_i scalars[i] * bases[i] for affine G1 bases (n, 2, 4)."""
    if bases.shape[0] == 0:
        return G1Point.infinity()
    if HAVE_MSM:
        return _as_point(_msm_g1(bases, scalars), G1Point)
    return g1_from_array(_sum(FP, _scalar_mul_each(FP, bases, scalars)))[0]


def msm_g2(bases: np.ndarray, scalars: np.ndarray) -> G2Point:
    if bases.shape[0] == 0:
        return G2Point.infinity()
    if HAVE_MSM:
        return _as_point(_msm_g2(bases, scalars), G2Point)
    return g2_from_array(_sum(FP2, _scalar_mul_each(FP2, bases, scalars)))[0]


def fixed_base_g1(scalars: np.ndarray) -> np.ndarray:
    """[k_i] G1 for every row of ``scalars``, as an affine (n, 2, 4) array."""
    if HAVE_MSM:
        return _as_affine_array(_fixed_base_g1(G1Point.generator(), scalars), FP)
    base = np.repeat(_generator_row(G1Point), scalars.shape[0], axis=0)
    return _scalar_mul_each(FP, base, scalars)


def fixed_base_g2(scalars: np.ndarray) -> np.ndarray:
    if HAVE_MSM:
        return _as_affine_array(_fixed_base_g2(G2Point.generator(), scalars), FP2)
    base = np.repeat(_generator_row(G2Point), scalars.shape[0], axis=0)
    return _scalar_mul_each(FP2, base, scalars)


def pairing_check(g1_affine: np.ndarray, g2_affine: np.ndarray) -> bool:
    """prod_i e(P_i, Q_i) == 1 for trusted (validated) affine arrays."""
    if HAVE_PAIRING:
        return _pairing_check_arrays(g1_affine, g2_affine)
    return _py_ecc_pairing_check(g1_affine, g2_affine)


def pairing_product(g1_affine: np.ndarray, g2_affine: np.ndarray):
    """prod_i e(P_i, Q_i) as a (2, 3, 2, 4) Montgomery Fp12 array (tower Fp2 -> Fp6 -> Fp12)."""
    if not HAVE_PAIRING:
        raise RuntimeError("the pairing engine (zk.pairing) is not available")
    return _pairing_product_array(g1_affine, g2_affine)


def _py_ecc_pairing_check(g1_affine, g2_affine) -> bool:  # pragma: no cover - development fallback
    from py_ecc import optimized_bn128 as bn

    from zk.curve import to_py_ecc

    acc = bn.FQ12.one()
    for p, q in zip(g1_from_array(g1_affine), g2_from_array(g2_affine)):
        if p.is_infinity() or q.is_infinity():
            continue
        acc = acc * bn.pairing(to_py_ecc(q), to_py_ecc(p), final_exponentiate=False)
    return bn.final_exponentiate(acc) == bn.FQ12.one()


def _as_point(value, cls):  # pragma: no cover - adapts to the MSM engine's return type
    if isinstance(value, cls):
        return value
    arr = np.asarray(value, dtype=np.uint64)
    arr = arr.reshape((1,) + arr.shape[-(3 if cls is G2Point else 2):]) if arr.ndim in (2, 3) and cls is G1Point or arr.ndim == 3 else arr
    return (g1_from_array if cls is G1Point else g2_from_array)(arr)[0]


def _as_affine_array(value, F):  # pragma: no cover - adapts to the MSM engine's return type
    arr = np.ascontiguousarray(value, dtype=np.uint64)
    if arr.shape[1] == 3:
        out = np.empty((arr.shape[0], 2) + arr.shape[2:], dtype=np.uint64)
        CK.batch_to_affine(F, arr, out)
        return out
    return arr
