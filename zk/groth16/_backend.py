"""The group and pairing engines Groth16 runs on, in the array layout of :mod:`zk.curve.kernels`.

Scalars are (n, 4) uint64 *plain* little-endian limbs below r (not Montgomery); points are affine
Montgomery arrays with infinity as the all-zero row. Arrays reaching these functions were
validated when they were decoded or loaded, so the engines' own input checks are skipped.
"""
from __future__ import annotations

import numpy as np

from zk.curve import G1, G2, G1Point, G2Point, g1_from_array, g2_from_array

# zk.msm is imported by the functions that use it: `zk verify` (groth16_check) needs no MSM
# module, and importing one creates its kernels' dispatchers.


def msm_g1(bases: np.ndarray, scalars: np.ndarray) -> G1Point:
    """sum_i scalars[i] * bases[i] for affine G1 bases (n, 2, 4); scalars already checked (no MSM
    entry check runs again here)."""
    from zk.msm import msm_jacobian

    if bases.shape[0] == 0:
        return G1Point.infinity()
    return g1_from_array(msm_jacobian(G1, bases, np.ascontiguousarray(scalars))[None])[0]


def msm_g2(bases: np.ndarray, scalars: np.ndarray) -> G2Point:
    from zk.msm import msm_jacobian

    if bases.shape[0] == 0:
        return G2Point.infinity()
    return g2_from_array(msm_jacobian(G2, bases, np.ascontiguousarray(scalars))[None])[0]


def fixed_base_g1(scalars: np.ndarray) -> np.ndarray:
    """[k_i] G1 for every row of ``scalars``, as an affine (n, 2, 4) array."""
    from zk.msm import fixed_base_g1 as _fixed_base_g1

    return _fixed_base_g1(None, scalars)


def fixed_base_g2(scalars: np.ndarray) -> np.ndarray:
    """[k_i] G2 for every row of ``scalars``, as an affine (n, 2, 2, 4) array."""
    from zk.msm import fixed_base_g2 as _fixed_base_g2

    return _fixed_base_g2(None, scalars)


def pairing_check(g1_affine: np.ndarray, g2_affine: np.ndarray) -> bool:
    """prod_i e(P_i, Q_i) == 1 for validated affine arrays: one shared Miller loop, one final
    exponentiation."""
    from zk.pairing.kernels import pairing_check_arrays  # here: proving needs no pairing

    return pairing_check_arrays(np.ascontiguousarray(g1_affine), np.ascontiguousarray(g2_affine))


def groth16_check(g1_affine: np.ndarray, g2_affine: np.ndarray, public_raw: np.ndarray) -> bool:
    """The Groth16 equation in one kernel call, the public-input term included: g1 = [-A, alpha,
    C, IC_0 .. IC_n], g2 = [B, beta, gamma, delta], public_raw the n inputs as plain limbs."""
    from zk.pairing.kernels import groth16_check_arrays

    return groth16_check_arrays(g1_affine, g2_affine, public_raw)
