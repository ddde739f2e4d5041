"""The verifier's whole numba side as one function, for ``numba.pycc`` to compile ahead of time.

``zk verify`` calls into numba for three kernels (Montgomery conversion of the decoded points, the
G2 subgroup check, the pairing with the public-input term); the JSON readers' on-curve checks run
in Python on :class:`zk.curve.G1Point` objects. :func:`groth16_verdict` does all of it on plain
limbs in one call, so that the extension module exports one function of one signature (each
export is one more compilation of everything it calls: minutes, not seconds). It calls zk's own
kernels and adds no arithmetic of its own.

Importing this module imports numba and compiles nothing; only :mod:`zk.aot.build` imports it.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from zk.curve.groups import G1, G2
from zk.curve.kernels import first_off_curve
from zk.curve.subgroup import batch_g2_subgroup_check
from zk.field import FP, FP2
from zk.field.arrays import to_montgomery_rows
from zk.pairing.kernels import FP12_ONE, MODE_GROTH16, _pairing_kernel

# What groth16_verdict returns.
VALID = 1
INVALID = 0
# A point off its curve or outside G2: the caller runs the full (JIT) path, whose readers say which.
REFUSED = -1

# The signature the module exports: [-A, alpha, C, IC_0 .. IC_n] and [B, beta, gamma, delta] as
# plain (non-Montgomery) limbs, the n public inputs as plain limbs below r.
SIGNATURE = "i8(u8[:,:,::1], u8[:,:,:,::1], u8[:,::1])"

_B_G1 = G1.b
_B_G2 = G2.b
_NO_FP12 = np.zeros((1, 2, 3, 2, 4), dtype=np.uint64)


@njit
def groth16_verdict(g1_plain, g2_plain, scalars):
    """VALID or INVALID for the Groth16 equation over these points, REFUSED when a point is off
    its curve or (G2) outside the order-r subgroup: the checks the JSON readers make."""
    g1 = np.empty_like(g1_plain)
    g2 = np.empty_like(g2_plain)
    to_montgomery_rows(FP, g1_plain.reshape(-1, 4), g1.reshape(-1, 4))
    to_montgomery_rows(FP, g2_plain.reshape(-1, 4), g2.reshape(-1, 4))
    if first_off_curve(FP, _B_G1, g1) >= 0 or first_off_curve(FP2, _B_G2, g2) >= 0:
        return REFUSED
    if batch_g2_subgroup_check(FP2, g2) >= 0:
        return REFUSED
    out = np.empty((1, 2, 3, 2, 4), dtype=np.uint64)
    _pairing_kernel(FP2, MODE_GROTH16, g1, g2, scalars, _NO_FP12, out)
    f = out[0]
    for i in range(2):
        for j in range(3):
            for k in range(2):
                for limb in range(4):
                    if f[i, j, k, limb] != FP12_ONE[i, j, k, limb]:
                        return INVALID
    return VALID
