"""The optimal ate pairing against py_ecc and against the identities a pairing must satisfy."""
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from py_ecc import bn128
from py_ecc import optimized_bn128 as ob

import zk.pairing as zp
from zk.field import FP, P, R, Fp, Fp2
from zk.field import arrays as A
from zk.pairing import Fp12, PairingInputError
from zk.pairing import constants as C
from zk.pairing.kernels import pairing_product_array

G1, G2 = ob.G1, ob.G2


def g1(k):
    return ob.multiply(G1, k % R)


def g2(k):
    return ob.multiply(G2, k % R)


@pytest.fixture(scope="module")
def base_pairing():
    return zp.pairing(G1, G2)


# -- agreement with py_ecc ----------------------------------------------------------------------


def test_generators_match_py_ecc_optimized(base_pairing):
    assert base_pairing.to_py_ecc() == ob.pairing(G2, G1)


def test_random_points_match_py_ecc_optimized():
    rng = random.Random(1)
    p_point, q_point = g1(rng.randrange(1, R)), g2(rng.randrange(1, R))
    ours = zp.pairing(p_point, q_point)
    assert ours.py_ecc_coeffs() == [int(c) for c in ob.pairing(q_point, p_point).coeffs]


def test_matches_plain_py_ecc_bn128():
    # py_ecc.bn128 is the textbook implementation (affine points, plain final exponentiation).
    p_point, q_point = bn128.multiply(bn128.G1, 3), bn128.G2
    ref = bn128.pairing(q_point, p_point)
    assert zp.pairing(p_point, q_point).py_ecc_coeffs() == [int(c.n if hasattr(c, "n") else c) for c in ref.coeffs]


def test_miller_loop_then_final_exponentiation_is_the_pairing(base_pairing):
    f = zp.miller_loop([(G1, G2)])
    assert zp.final_exponentiation(f) == base_pairing
    # The Miller value differs from py_ecc's by factors the final exponentiation kills, so compare
    # after pushing py_ecc's own Miller value through our final exponentiation.
    from py_ecc.optimized_bn128 import optimized_pairing

    ref_f = optimized_pairing.miller_loop(ob.twist(G2), optimized_pairing.cast_point_to_fq12(G1), final_exponentiate=False)
    assert zp.final_exponentiation(Fp12.from_py_ecc(ref_f)) == base_pairing


# -- identities -----------------------------------------------------------------------------------


def test_non_degenerate_and_order_r(base_pairing):
    assert not base_pairing.is_one()
    assert (base_pairing**R).is_one()
    assert base_pairing * base_pairing.conjugate() == Fp12.one()  # unitary: in the cyclotomic subgroup


@settings(max_examples=4, deadline=None)
@given(st.integers(min_value=1, max_value=R - 1), st.integers(min_value=1, max_value=R - 1))
def test_bilinearity(a, b):
    e_ab = zp.pairing(g1(a), g2(b))
    assert e_ab == zp.pairing(g1(a * b), G2)
    assert e_ab == zp.pairing(G1, g2(a * b))


def test_bilinearity_against_exponentiation(base_pairing):
    rng = random.Random(2)
    a, b = rng.randrange(1, R), rng.randrange(1, R)
    assert zp.pairing(g1(a), g2(b)) == base_pairing ** (a * b % R)


def test_edge_scalars(base_pairing):
    assert zp.pairing(g1(R - 1), G2) == base_pairing.conjugate()  # e(-P, Q) = e(P, Q)^-1
    assert zp.pairing(G1, g2(R - 1)) == base_pairing.conjugate()
    assert zp.pairing(g1(2), G2) == base_pairing * base_pairing


def test_infinity_gives_one():
    q_point = g2(5)
    assert zp.pairing(None, q_point).is_one()
    assert zp.pairing((0, 0), q_point).is_one()
    assert zp.pairing(ob.Z1, q_point).is_one()
    assert zp.pairing(G1, ob.Z2).is_one()
    assert zp.pairing(G1, None).is_one()
    assert zp.pairing(G1, ((0, 0), (0, 0))).is_one()
    assert zp.multi_pairing([]).is_one()


def test_multi_pairing_is_product_of_singles():
    rng = random.Random(3)
    pairs = [(g1(rng.randrange(1, R)), g2(rng.randrange(1, R))) for _ in range(3)]
    pairs.append((None, g2(7)))  # infinity in the middle of a batch
    pairs.append((g1(9), g2(11)))
    expected = Fp12.one()
    for p_point, q_point in pairs:
        expected = expected * zp.pairing(p_point, q_point)
    assert zp.multi_pairing(pairs) == expected


def test_pairing_check():
    rng = random.Random(4)
    a = rng.randrange(1, R)
    assert zp.pairing_check([(g1(a), G2), (ob.neg(G1), g2(a))])
    assert not zp.pairing_check([(g1(a), G2), (ob.neg(G1), g2(a + 1))])
    assert not zp.pairing_check([(G1, G2)])
    assert zp.pairing_check([])
    assert zp.pairing_check([(None, G2), (G1, None)])
    # Groth16's shape: e(A, B) = e(alpha, beta) e(L, gamma) e(C, delta), as a 4-pair check.
    al, be, ga, de, l, c = (rng.randrange(1, R) for _ in range(6))
    b_scalar = (al * be + l * ga + c * de) * pow(5, -1, R) % R
    pairs = [(g1(5), g2(b_scalar)), (g1(-al), g2(be)), (g1(-l), g2(ga)), (g1(-c), g2(de))]
    assert zp.pairing_check(pairs)
    pairs[3] = (g1(-c - 1), g2(de))
    assert not zp.pairing_check(pairs)


def test_check_arrays_entry_point():
    g1_arr, g2_arr = zp.prepare_pairs([(g1(6), G2), (ob.neg(G1), g2(6))])
    assert zp.pairing_check_arrays(g1_arr, g2_arr)
    # Strided and readonly views of the same data give the same answer (they are copied to the one
    # layout the kernel is compiled for).
    wide = np.zeros((4, 2, 4), dtype=np.uint64)
    wide[::2] = g1_arr
    ro = g2_arr.copy()
    ro.setflags(write=False)
    assert zp.pairing_check_arrays(wide[::2], ro)
    assert not zp.pairing_check_arrays(g1_arr[:1], g2_arr[:1])
    with pytest.raises(ValueError):
        zp.pairing_check_arrays(g1_arr, g2_arr[:1])
    with pytest.raises(ValueError):
        zp.pairing_check_arrays(g1_arr.reshape(2, 8), g2_arr)


def test_input_forms_agree(base_pairing):
    x, y = ob.normalize(G1)
    qx, qy = ob.normalize(G2)
    ints_g1 = (x.n, y.n)
    ints_g2 = (tuple(int(c) for c in qx.coeffs), tuple(int(c) for c in qy.coeffs))
    assert zp.pairing(ints_g1, ints_g2) == base_pairing
    assert zp.pairing((Fp(x.n), Fp(y.n)), (Fp2(*ints_g2[0]), Fp2(*ints_g2[1]))) == base_pairing
    assert zp.pairing(bn128.G1, bn128.G2) == base_pairing
    # A projective representative with Z != 1 (py_ecc optimized points are (X, Y, Z)).
    scaled = (G1[0] * 5, G1[1] * 5, G1[2] * 5)
    assert zp.pairing(scaled, G2) == base_pairing


def test_zk_curve_points(base_pairing):
    from zk.curve import G1Point, G2Point

    g, h = G1Point.generator(), G2Point.generator()
    assert zp.pairing(g, h) == base_pairing
    assert zp.pairing(g * 6, h) == zp.pairing(g, h * 6)
    assert zp.pairing(G1Point.infinity(), h).is_one()
    assert zp.pairing(g, G2Point.infinity()).is_one()
    assert zp.pairing_check([(g * 3, h), (-g, h * 3)])


def test_duck_typed_points(base_pairing):
    class Point:
        def __init__(self, x, y, inf=False):
            self.x, self.y, self._inf = x, y, inf

        def is_infinity(self):
            return self._inf

    x, y = ob.normalize(G1)
    qx, qy = ob.normalize(G2)
    p_point = Point(Fp(x.n), Fp(y.n))
    q_point = Point(Fp2(*(int(c) for c in qx.coeffs)), Fp2(*(int(c) for c in qy.coeffs)))
    assert zp.pairing(p_point, q_point) == base_pairing
    assert zp.pairing(Point(None, None, True), q_point).is_one()


# -- bad inputs -----------------------------------------------------------------------------------


def _twist_point_outside_g2(seed):
    rng = random.Random(seed)
    b = Fp2(*C.TWIST_B)
    while True:
        x = Fp2(rng.randrange(P), rng.randrange(P))
        y = (x * x * x + b).sqrt()
        if y is not None:
            return (x.c0.value, x.c1.value), (y.c0.value, y.c1.value)


def test_rejects_g2_point_outside_subgroup():
    q_bad = _twist_point_outside_g2(5)
    with pytest.raises(PairingInputError, match="subgroup"):
        zp.pairing(G1, q_bad)
    with pytest.raises(PairingInputError, match="pair 1 G2 point.*subgroup"):
        zp.pairing_check([(G1, G2), (G1, q_bad)])


@pytest.mark.parametrize(
    "p_point,q_point,match",
    [
        ((1, 3), None, "not on the curve"),  # G1 off the curve
        ((1, 2 + P), None, "not canonical"),  # y + p: same residue, non-canonical encoding
        ((-1, 2), None, "not canonical"),
        ((1, 2, 3, 4), None, "length 4"),
        ("G1", None, "expected a point"),
        (None, ((1, 0), (2, 0)), "not on the twist"),
        (None, ((P, 0), (0, 0)), "not canonical"),
        (None, ((1, 2, 3), (4, 5)), "Fp2 coordinate"),
        (None, (1, 2), "Fp2 coordinate"),  # a G1-shaped point where G2 belongs
        ((True, 2), None, "bool"),
    ],
)
def test_rejects_bad_points(p_point, q_point, match):
    p_point = (1, 2) if p_point is None else p_point
    q_point = G2 if q_point is None else q_point
    with pytest.raises(PairingInputError, match=match):
        zp.pairing(p_point, q_point)


def test_rejects_swapped_arguments():
    with pytest.raises(PairingInputError):
        zp.pairing(G2, G1)  # py_ecc's argument order


def test_rejects_malformed_pairs():
    with pytest.raises(PairingInputError, match="pair 0"):
        zp.pairing_check([(G1,)])
    with pytest.raises(PairingInputError):
        zp.multi_pairing([G1])


def test_infinity_rows_in_raw_arrays_are_skipped(base_pairing):
    g1_arr, g2_arr = zp.prepare_pairs([(G1, G2), (None, G2), (G1, None)])
    assert np.all(g1_arr[1] == 0) and np.all(g2_arr[2] == 0)
    assert Fp12.from_array(pairing_product_array(g1_arr, g2_arr)) == base_pairing
