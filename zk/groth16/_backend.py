"""The group and pairing engines Groth16 runs on, in the array layout of :mod:`zk.curve.kernels`.

Scalars are (n, 4) uint64 *plain* little-endian limbs below r (not Montgomery); points are affine
Montgomery arrays with infinity as the all-zero row. Arrays reaching these functions were
validated when they were decoded or loaded, so the engines' own input checks are skipped.
"""
from __future__ import annotations

import numpy as np

from zk.curve import G1Point, G2Point
from zk.msm import fixed_base_g1 as _fixed_base_g1
from zk.msm import fixed_base_g2 as _fixed_base_g2
from zk.msm import msm_g1 as _msm_g1
from zk.msm import msm_g2 as _msm_g2
from zk.pairing.kernels import pairing_check_arrays, pairing_product_array


def msm_g1(bases: np.ndarray, scalars: np.ndarray) -> G1Point:
    """sum_i scalars[i] * bases[i] for affine G1 bases (n, 2, 4)."""
    if bases.shape[0] == 0:
        return G1Point.infinity()
    return _msm_g1(bases, scalars, check=False)


def msm_g2(bases: np.ndarray, scalars: np.ndarray) -> G2Point:
    if bases.shape[0] == 0:
        return G2Point.infinity()
    return _msm_g2(bases, scalars, check=False)


def fixed_base_g1(scalars: np.ndarray) -> np.ndarray:
    """[k_i] G1 for every row of ``scalars``, as an affine (n, 2, 4) array."""
    return _fixed_base_g1(None, scalars)


def fixed_base_g2(scalars: np.ndarray) -> np.ndarray:
    """[k_i] G2 for every row of ``scalars``, as an affine (n, 2, 2, 4) array."""
    return _fixed_base_g2(None, scalars)


def pairing_check(g1_affine: np.ndarray, g2_affine: np.ndarray) -> bool:
    """prod_i e(P_i, Q_i) == 1 for validated affine arrays: one shared Miller loop, one final
    exponentiation."""
    return pairing_check_arrays(np.ascontiguousarray(g1_affine), np.ascontiguousarray(g2_affine))


def pairing_product(g1_affine: np.ndarray, g2_affine: np.ndarray) -> np.ndarray:
    """prod_i e(P_i, Q_i) as a (2, 3, 2, 4) Montgomery Fp12 array (tower Fp2 -> Fp6 -> Fp12)."""
    return pairing_product_array(np.ascontiguousarray(g1_affine), np.ascontiguousarray(g2_affine))
