"""BN254 curve constants as field elements, derived from the descriptor :mod:`zk.field.bn254`
(kernels get b through :mod:`zk.curve.groups`, in Montgomery form)."""
from __future__ import annotations

from zk.field import P, R, Fp, Fp2
from zk.field import bn254
from zk.field.bn254 import BN_X, G1_GENERATOR, G2_GENERATOR

XI = Fp2(*bn254.XI)
B_G1 = Fp(bn254.CURVE_B)
B_G2 = Fp2(*bn254.TWIST_B)

# #E'(Fp2) = r * G2_COFACTOR; G1's cofactor is 1 (#E(Fp) = r).
G2_COFACTOR = 2 * P - R

# psi = untwist o Frobenius o twist acts on E'(Fp2) as (x, y) -> (conj(x) * PSI_X, conj(y) * PSI_Y);
# on G2 it is multiplication by p (= 6 x0^2 mod r).
PSI_X = XI ** ((P - 1) // 3)
PSI_Y = XI ** ((P - 1) // 2)

__all__ = ["BN_X", "B_G1", "B_G2", "G1_GENERATOR", "G2_GENERATOR", "G2_COFACTOR", "PSI_X", "PSI_Y", "XI"]
