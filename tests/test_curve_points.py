"""G1Point / G2Point (zk.curve.points) against py_ecc, group-law properties, array helpers."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import bn128 as bn_affine
from py_ecc import optimized_bn128 as bn

from zk.curve import (
    CurveError,
    G1Point,
    G2Point,
    from_py_ecc,
    g1_from_array,
    g1_to_array,
    g2_from_array,
    g2_to_array,
    multi_scalar_mul_each,
    to_py_ecc,
)
from zk.curve import kernels as K
from zk.field import FP, FP2, P, R, Fp, Fp2, Fr

rng = random.Random(7)
G1_GEN = G1Point.generator()
G2_GEN = G2Point.generator()
scalars = st.integers(min_value=0, max_value=R - 1)


def twist_point_outside_g2() -> G2Point:
    while True:
        x = Fp2(rng.randrange(P), rng.randrange(P))
        y = (x * x * x + G2Point.b).sqrt()
        if y is not None:
            return G2Point(x, y, check=False)


def test_generators_match_py_ecc():
    assert bn.eq(to_py_ecc(G1_GEN), bn.G1)
    assert bn.eq(to_py_ecc(G2_GEN), bn.G2)
    assert from_py_ecc(bn.G1) == G1_GEN and from_py_ecc(bn.G2) == G2_GEN
    # py_ecc's plain (affine) bn128 agrees too.
    assert from_py_ecc(bn_affine.G1) == G1_GEN and from_py_ecc(bn_affine.G2) == G2_GEN
    assert G1_GEN.is_on_curve() and G2_GEN.is_on_curve() and G2_GEN.is_in_subgroup()


def test_coordinates_are_field_elements():
    assert isinstance(G1_GEN.x, Fp) and G1_GEN.x == 1 and G1_GEN.y == 2
    assert isinstance(G2_GEN.x, Fp2) and isinstance(G2_GEN.y, Fp2)


@pytest.mark.parametrize("cls,gen", [(G1Point, bn.G1), (G2Point, bn.G2)], ids=["G1", "G2"])
def test_arithmetic_against_py_ecc(cls, gen):
    for _ in range(3):
        a, b = rng.randrange(1, R), rng.randrange(1, R)
        pa, pb = bn.multiply(gen, a), bn.multiply(gen, b)
        A_, B_ = from_py_ecc(pa), from_py_ecc(pb)
        assert bn.eq(to_py_ecc(A_ + B_), bn.add(pa, pb))
        assert bn.eq(to_py_ecc(A_ - B_), bn.add(pa, bn.neg(pb)))
        assert bn.eq(to_py_ecc(A_ + A_), bn.double(pa))
        assert bn.eq(to_py_ecc(-A_), bn.neg(pa))
        k = rng.randrange(R)
        assert bn.eq(to_py_ecc(A_ * k), bn.multiply(pa, k))
        assert bn.eq(to_py_ecc(k * A_), bn.multiply(pa, k))


@pytest.mark.parametrize("cls", [G1Point, G2Point], ids=["G1", "G2"])
def test_special_cases(cls):
    g, inf = cls.generator(), cls.infinity()
    assert inf.is_infinity() and not g.is_infinity()
    assert g + inf == g and inf + g == g and inf + inf == inf
    assert (g - g).is_infinity() and (g + (-g)).is_infinity()
    assert -inf == inf
    assert (g * 0).is_infinity() and g * 1 == g and (g * R).is_infinity()
    assert g * (R - 1) == -g and g * (R + 1) == g
    assert g * -3 == -(g * 3)
    assert (inf * 12345).is_infinity()
    assert g != inf and inf != g and inf == cls.infinity()
    assert hash(g * 5) == hash(g + g + g + g + g)


@pytest.mark.parametrize("cls", [G1Point, G2Point], ids=["G1", "G2"])
def test_scalars_above_2_256_are_not_reduced_blindly(cls):
    g = cls.generator()
    k = (1 << 300) + 12345
    assert g * k == g * (k % R)


def test_scalar_mul_above_2_256_outside_subgroup_is_exact():
    """Reducing k mod r would be wrong for points outside G2; the split must be exact."""
    q = twist_point_outside_g2()
    k = (1 << 256) + 3
    expected = q * (1 << 255) * 2 + q * 3
    assert q * k == expected
    assert q * k != q * (k % R)


def test_scalars_may_be_fr_or_numpy_integers():
    assert G1_GEN * Fr(5) == G1_GEN * 5 and Fr(5) * G1_GEN == G1_GEN * 5
    assert G1_GEN * Fr(-1) == -G1_GEN
    assert G2_GEN * np.uint64(7) == G2_GEN * 7 and np.int64(-2) * G1_GEN == -(G1_GEN * 2)


def test_coordinates_are_field_elements_ints_or_prime_subfield_elements():
    assert G1Point(1, 2) == G1Point(Fp(1), Fp(2)) == G1_GEN
    x, y = G2_GEN.x, G2_GEN.y
    assert G2Point((x.c0.value, x.c1.value), (y.c0.value, y.c1.value)) == G2_GEN
    lifted = G2Point(5, Fp(7), check=False)
    assert (lifted.x, lifted.y) == (Fp2(5), Fp2(7))
    for bad in (True, 1.0, Fr(1), Fp2(1), (1, 2)):
        with pytest.raises(TypeError, match="G1 coordinates"):
            G1Point(bad, 2, check=False)
    for bad in (True, 1.0, Fr(1), (1, 2, 3), "1"):
        with pytest.raises(TypeError, match="G2 coordinates"):
            G2Point(bad, 2, check=False)


def test_mixed_type_operations_are_refused():
    with pytest.raises(TypeError):
        G1_GEN + G2_GEN
    with pytest.raises(TypeError):
        G1_GEN * 1.5
    with pytest.raises(TypeError):
        G1_GEN * Fp(3)
    assert G1_GEN != G2_GEN


def test_constructor_rejects_off_curve():
    with pytest.raises(CurveError, match="not on the G1 curve"):
        G1Point(1, 3)
    with pytest.raises(CurveError, match="not on the G1 curve"):
        G1Point(0, 0)  # (0, 0) is not how to ask for infinity
    x, y = G2_GEN.x, G2_GEN.y
    with pytest.raises(CurveError, match="not on the G2 curve"):
        G2Point(x, y + 1)


def test_constructor_rejects_g2_point_outside_subgroup():
    bad = twist_point_outside_g2()
    assert bad.is_on_curve()
    with pytest.raises(CurveError, match="not in the order-r subgroup"):
        G2Point(bad.x, bad.y)


def test_is_in_subgroup_agrees_with_slow_check():
    points = [G2_GEN * rng.randrange(R) for _ in range(2)] + [G2Point.infinity()]
    points += [twist_point_outside_g2() for _ in range(3)]
    for q in points:
        assert q.is_in_subgroup() == q.is_in_subgroup_slow()
    assert [q.is_in_subgroup() for q in points] == [True, True, True, False, False, False]


# ---------------------------------------------------------------------------------------------
# Group laws (hypothesis): associativity, commutativity, identity, inverse, and that scalar
# multiplication (kernel) is consistent with addition (Python).


@settings(max_examples=20, deadline=None)
@given(scalars, scalars, scalars)
def test_g1_group_laws(a, b, c):
    pa, pb, pc = G1_GEN * a, G1_GEN * b, G1_GEN * c
    assert (pa + pb) + pc == pa + (pb + pc)
    assert pa + pb == pb + pa
    assert pa + G1Point.infinity() == pa
    assert (pa + (-pa)).is_infinity()
    assert pa + pb == G1_GEN * ((a + b) % R)
    assert (pa + pb) * c == pa * c + pb * c


@settings(max_examples=5, deadline=None)
@given(scalars, scalars, scalars)
def test_g2_group_laws(a, b, c):
    pa, pb, pc = G2_GEN * a, G2_GEN * b, G2_GEN * c
    assert (pa + pb) + pc == pa + (pb + pc)
    assert pa + pb == pb + pa
    assert pa + G2Point.infinity() == pa
    assert (pa + (-pa)).is_infinity()
    assert pa + pb == G2_GEN * ((a + b) % R)


@settings(max_examples=10, deadline=None)
@given(st.lists(scalars, min_size=1, max_size=6))
def test_kernel_sum_matches_python_sum(ks):
    points = [G1_GEN * k for k in ks]
    out = np.zeros((1, 3, 4), dtype=np.uint64)
    K.sum_affine(FP, g1_to_array(points), out)
    expected = G1Point.infinity()
    for p in points:
        expected = expected + p
    assert g1_from_array(out)[0] == expected


# ---------------------------------------------------------------------------------------------
# Arrays


def test_array_round_trips():
    g1s = [G1_GEN * rng.randrange(R) for _ in range(4)] + [G1Point.infinity()]
    arr = g1_to_array(g1s)
    assert arr.shape == (5, 2, 4) and arr.dtype == np.uint64 and not arr[4].any()
    assert g1_from_array(arr) == g1s
    g2s = [G2_GEN * rng.randrange(R) for _ in range(2)] + [G2Point.infinity()]
    arr2 = g2_to_array(g2s)
    assert arr2.shape == (3, 2, 2, 4)
    assert g2_from_array(arr2) == g2s
    assert g1_to_array([]).shape == (0, 2, 4) and g1_from_array(g1_to_array([])) == []


def test_from_jacobian_arrays():
    g1s = [G1_GEN * 3, G1Point.infinity(), G1_GEN * 11]
    jac = np.zeros((3, 3, 4), dtype=np.uint64)
    K.batch_scalar_mul(FP, g1_to_array([G1_GEN] * 3), np.array([[3, 0, 0, 0], [0, 0, 0, 0], [11, 0, 0, 0]], dtype=np.uint64), jac)
    assert g1_from_array(jac) == g1s
    g2s = [G2_GEN * 5, G2Point.infinity()]
    jac2 = np.zeros((2, 3, 2, 4), dtype=np.uint64)
    K.batch_scalar_mul(FP2, g2_to_array([G2_GEN] * 2), np.array([[5, 0, 0, 0], [0, 0, 0, 0]], dtype=np.uint64), jac2)
    assert g2_from_array(jac2) == g2s


def test_from_array_check_rejects_off_curve_rows():
    arr = g1_to_array([G1_GEN])
    arr[0, 1] = arr[0, 0]  # y := x
    assert g1_from_array(arr)[0].is_on_curve() is False  # unchecked by default (kernel outputs)
    with pytest.raises(CurveError):
        g1_from_array(arr, check=True)
    bad = twist_point_outside_g2()
    with pytest.raises(CurveError, match="subgroup"):
        g2_from_array(g2_to_array([bad]), check=True)


def test_array_shape_errors():
    with pytest.raises(ValueError, match="shape"):
        g1_from_array(np.zeros((2, 4), dtype=np.uint64))
    with pytest.raises(TypeError):
        g1_to_array([G2_GEN])


def test_multi_scalar_mul_each():
    ks = [0, 1, R - 1, rng.randrange(R)]
    assert multi_scalar_mul_each([G1_GEN] * 4, ks) == [G1_GEN * k for k in ks]
    with pytest.raises(ValueError):
        multi_scalar_mul_each([G1_GEN], [1 << 256])
    assert multi_scalar_mul_each([], []) == []


def test_py_ecc_conversions_of_infinity():
    assert bn.is_inf(to_py_ecc(G1Point.infinity())) and bn.is_inf(to_py_ecc(G2Point.infinity()))
    assert from_py_ecc(bn.Z1) == G1Point.infinity() and from_py_ecc(bn.Z2) == G2Point.infinity()
    with pytest.raises(ValueError):
        from_py_ecc(None)
