"""The group and pairing engines Groth16 runs on, in the array layout of :mod:`zk.curve.kernels`.

Scalars are (n, 4) uint64 *plain* little-endian limbs below r (not Montgomery); points are affine
Montgomery arrays with infinity as the all-zero row. Arrays reaching these functions were
validated when they were decoded or loaded, so the engines' own input checks are skipped.
"""
from __future__ import annotations

import numpy as np

from zk.curve import G1, G2, G1Point, G2Point, g1_from_array, g2_from_array
from zk.msm import fixed_base_g1 as _fixed_base_g1
from zk.msm import fixed_base_g2 as _fixed_base_g2
from zk.msm import msm_jacobian


def msm_g1(bases: np.ndarray, scalars: np.ndarray) -> G1Point:
    """sum_i scalars[i] * bases[i] for affine G1 bases (n, 2, 4); scalars already checked (no MSM
    entry check runs again here)."""
    if bases.shape[0] == 0:
        return G1Point.infinity()
    return g1_from_array(msm_jacobian(G1, bases, np.ascontiguousarray(scalars))[None])[0]


def msm_g2(bases: np.ndarray, scalars: np.ndarray) -> G2Point:
    if bases.shape[0] == 0:
        return G2Point.infinity()
    return g2_from_array(msm_jacobian(G2, bases, np.ascontiguousarray(scalars))[None])[0]


def fixed_base_g1(scalars: np.ndarray) -> np.ndarray:
    """[k_i] G1 for every row of ``scalars``, as an affine (n, 2, 4) array."""
    return _fixed_base_g1(None, scalars)


def fixed_base_g2(scalars: np.ndarray) -> np.ndarray:
    """[k_i] G2 for every row of ``scalars``, as an affine (n, 2, 2, 4) array."""
    return _fixed_base_g2(None, scalars)


def pairing_check(g1_affine: np.ndarray, g2_affine: np.ndarray) -> bool:
    """prod_i e(P_i, Q_i) == 1 for validated affine arrays: one shared Miller loop, one final
    exponentiation."""
    from zk.pairing.kernels import pairing_check_arrays  # here: proving needs no pairing

    return pairing_check_arrays(np.ascontiguousarray(g1_affine), np.ascontiguousarray(g2_affine))
