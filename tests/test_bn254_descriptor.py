"""zk.field.bn254 is the one description of BN254: its constants agree with each other and with
py_ecc, and no other module of the library spells the moduli or the BN parameter again."""
from __future__ import annotations

import re
from pathlib import Path

from py_ecc import optimized_bn128 as bn

from zk.curve import G1, G2, G1Point, G2Point
from zk.curve.constants import B_G1, B_G2, XI
from zk.field import Fp2, bn254

ROOT = Path(__file__).resolve().parent.parent


def test_moduli_and_bn_parameter():
    x = bn254.BN_X
    assert bn254.P == 36 * x**4 + 36 * x**3 + 24 * x**2 + 6 * x + 1 == bn.field_modulus
    assert bn254.R == 36 * x**4 + 36 * x**3 + 18 * x**2 + 6 * x + 1 == bn.curve_order


def test_twist_and_generators_match_py_ecc():
    assert Fp2(*bn254.TWIST_B) * Fp2(*bn254.XI) == Fp2(bn254.CURVE_B)
    assert B_G1.value == int(bn.b) and (B_G2.c0.value, B_G2.c1.value) == tuple(int(c) for c in bn.b2.coeffs)
    assert XI == Fp2(9, 1)
    assert bn254.G1_GENERATOR == (int(bn.G1[0]), int(bn.G1[1]))
    x, y = bn.normalize(bn.G2)
    assert bn254.G2_GENERATOR == (tuple(int(c) for c in x.coeffs), tuple(int(c) for c in y.coeffs))
    assert G2Point(*[Fp2(*c) for c in bn254.G2_GENERATOR]).is_in_subgroup()


def test_root_of_unity_has_order_two_to_the_adicity():
    r, w, k = bn254.R, bn254.R_ROOT_OF_UNITY, bn254.R_TWO_ADICITY
    assert (r - 1) % (1 << k) == 0 and ((r - 1) >> k) % 2 == 1
    assert pow(w, 1 << k, r) == 1 and pow(w, 1 << (k - 1), r) == r - 1


def test_limb_constants():
    for value, limbs in ((bn254.P, bn254.P_LIMBS), (bn254.R, bn254.R_LIMBS)):
        assert sum(int(v) << (64 * i) for i, v in enumerate(limbs)) == value


def test_curve_groups_carry_their_own_b():
    # The kernels' b comes from the group descriptor: each generator is on its curve through the
    # one on-curve scan, and a point moved off the curve is reported by its index.
    g1 = G1.to_array([G1Point.generator()])
    g2 = G2.to_array([G2Point.generator()])
    assert G1.first_off_curve(g1) == -1 and G2.first_off_curve(g2) == -1
    off = g1.copy()
    off[0, 1] = off[0, 0]
    assert G1.first_off_curve(off) == 0


def test_no_other_module_spells_the_constants():
    spelled = {str(bn254.P), str(bn254.R), str(bn254.BN_X), hex(bn254.P)[:18], hex(bn254.R)[:18]}
    offenders = []
    for path in sorted((ROOT / "zk").rglob("*.py")):
        if path.name == "bn254.py" and path.parent.name == "field":
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {value[:20]}..." for value in spelled if re.search(re.escape(value), text)]
    assert offenders == []
