"""Multi-scalar multiplication on BN254's G1 and G2.

- ``msm_g1`` / ``msm_g2``: sum_i k_i * P_i by Pippenger's method with signed windows and
  batch-affine bucket reduction, windows in parallel (:mod:`zk.msm.pippenger`).
- ``fixed_base_g1`` / ``fixed_base_g2``: k_i * G for many k_i and one G, from cached tables
  (:mod:`zk.msm.fixed_base`).
- Scalars: ``scalars_from_ints`` / ``scalars_from_montgomery`` build the (n, 4) plain-limb array
  the kernels read; :class:`Scalars` is that array checked once, which no MSM checks again
  (:mod:`zk.msm.scalars`).
"""
from .api import (
    G1,
    G2,
    FixedBaseTable,
    choose_fixed_window,
    choose_window,
    fixed_base_g1,
    fixed_base_g2,
    fixed_base_table,
    msm_g1,
    msm_g2,
    msm_jacobian,
)
from .scalars import ScalarError, Scalars, scalars_from_ints, scalars_from_montgomery

__all__ = [
    "G1",
    "G2",
    "FixedBaseTable",
    "ScalarError",
    "Scalars",
    "choose_fixed_window",
    "choose_window",
    "fixed_base_g1",
    "fixed_base_g2",
    "fixed_base_table",
    "msm_g1",
    "msm_g2",
    "msm_jacobian",
    "scalars_from_ints",
    "scalars_from_montgomery",
]
