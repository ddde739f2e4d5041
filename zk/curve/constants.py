"""BN254 curve constants, as Python ints / field elements (kernels get them through
:mod:`zk.curve.kernels` helpers, in Montgomery form)."""
from __future__ import annotations

from zk.field import P, R, Fp, Fp2

# BN parameter x0 (u in some papers): p = 36x^4 + 36x^3 + 24x^2 + 6x + 1, r = 36x^4 + ... + 1.
BN_X = 4965661367192848881

# E: y^2 = x^3 + 3 over Fp; the D-type sextic twist E': y^2 = x^3 + 3/xi over Fp2, xi = 9 + u.
XI = Fp2(9, 1)
B_G1 = Fp(3)
B_G2 = Fp2(3) / XI

G1_GENERATOR = (1, 2)
G2_GENERATOR = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)

# #E'(Fp2) = r * G2_COFACTOR; G1's cofactor is 1 (#E(Fp) = r).
G2_COFACTOR = 2 * P - R

# psi = untwist o Frobenius o twist acts on E'(Fp2) as (x, y) -> (conj(x) * PSI_X, conj(y) * PSI_Y);
# on G2 it is multiplication by p (= 6 x0^2 mod r).
PSI_X = XI ** ((P - 1) // 3)
PSI_Y = XI ** ((P - 1) // 2)

assert (P - R) == 6 * BN_X * BN_X
