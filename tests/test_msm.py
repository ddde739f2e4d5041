"""Pippenger MSM and fixed-base multiplication against py_ecc and a plain double-and-add kernel."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from py_ecc import optimized_bn128 as bn

from zk.curve import CurveError, G1Point, G2Point, from_py_ecc, g1_to_array, g2_to_array, to_py_ecc
from zk.curve.kernels import affine_to_jac, jac_add, jac_double, jac_infinity, load_affine, store_jac
from zk.field import FP, FP2, FR, P, R
from zk.field import arrays as A
from zk.msm import (
    G1,
    G2,
    ScalarError,
    choose_window,
    fixed_base_g1,
    fixed_base_g2,
    msm_g1,
    msm_g2,
    msm_jacobian,
    scalars_from_ints,
    scalars_from_montgomery,
)
from zk.msm import endomorphism as E
from zk.msm.api import FixedBaseTable
from zk.msm.scalars import num_windows, signed_digit

GROUPS = {
    "G1": (G1Point, msm_g1, fixed_base_g1, g1_to_array, bn.G1),
    "G2": (G2Point, msm_g2, fixed_base_g2, g2_to_array, bn.G2),
}


def py_ecc_msm(points, scalars):
    acc = None
    for p, k in zip(points, scalars):
        term = bn.multiply(to_py_ecc(p), k)
        acc = term if acc is None else bn.add(acc, term)
    return acc


def same_point(ours, theirs, cls):
    if theirs is None or bn.is_inf(theirs):
        return ours == cls.infinity()
    return ours == from_py_ecc(theirs, check=False)


@njit(cache=True)
def _double_and_add_sum(F, points, scalars, out):
    """The slowest honest reference: bit-by-bit double-and-add per point, summed in Jacobian."""
    total = jac_infinity(F)
    for i in range(points.shape[0]):
        base = affine_to_jac(F, load_affine(F, points, i))
        acc = jac_infinity(F)
        for limb in range(3, -1, -1):
            for bit in range(63, -1, -1):
                acc = jac_double(F, acc)
                if (scalars[i, limb] >> np.uint64(bit)) & np.uint64(1):
                    acc = jac_add(F, acc, base)
        total = jac_add(F, total, acc)
    store_jac(F, out, 0, total)


def reference_msm(group, points_arr, scalars_arr):
    out = np.empty((1, 3) + group.element_shape, dtype=np.uint64)
    _double_and_add_sum(group.field, points_arr, scalars_arr, out)
    return group.from_array(out)[0]


def random_points(cls, count, rng):
    base = cls.generator()
    return [base * rng.randrange(1, R) for _ in range(count)]


# ---------------------------------------------------------------------------------------------
# Scalars


@settings(max_examples=60, deadline=None)
@given(st.integers(0, R - 1), st.integers(2, 16))
def test_signed_digits_reconstruct_the_scalar(k, c):
    arr = scalars_from_ints([k])
    total = 0
    half = 1 << (c - 1)
    for w in range(num_windows(c)):
        d = signed_digit(arr, 0, w, c)
        assert -half <= d <= half
        total += d << (w * c)
    assert total == k


def test_scalar_conversions():
    values = [0, 1, 2, R - 1, (1 << 64) - 1, 1 << 64, 1 << 253]
    raw = scalars_from_ints(values)
    assert A.raw_to_ints(raw) == values
    assert np.array_equal(scalars_from_montgomery(A.to_array(FR, values)), raw)


@pytest.mark.parametrize("bad", [[R], [-1], [1 << 256], [1.5], [True]])
def test_bad_scalar_ints_raise(bad):
    with pytest.raises(ScalarError):
        msm_g1([G1Point.generator()], bad)


def test_bad_scalar_arrays_raise():
    g = [G1Point.generator()]
    with pytest.raises(ScalarError, match="not below r"):
        msm_g1(g, A.ints_to_raw([R]))
    with pytest.raises(ScalarError):
        msm_g1(g, np.zeros((1, 4), dtype=np.int64))
    with pytest.raises(ScalarError):
        msm_g1(g, np.zeros((1, 3), dtype=np.uint64))
    with pytest.raises(ScalarError):
        scalars_from_montgomery(np.zeros((2, 2), dtype=np.uint64))
    with pytest.raises(ValueError, match="2 scalars"):
        msm_g1(g, [1, 2])


# ---------------------------------------------------------------------------------------------
# MSM against py_ecc


@pytest.mark.parametrize("group", ["G1", "G2"])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 100])
def test_msm_matches_py_ecc_random(group, n):
    cls, msm, _, _, _ = GROUPS[group]
    rng = random.Random(n)
    points = random_points(cls, n, rng)
    scalars = [rng.randrange(R) for _ in range(n)]
    assert same_point(msm(points, scalars), py_ecc_msm(points, scalars), cls)


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_msm_edge_scalars_and_points(group):
    cls, msm, _, to_array, _ = GROUPS[group]
    rng = random.Random(7)
    g = cls.generator()
    p = random_points(cls, 1, rng)[0]
    points = [g, g, -g, p, p, -p, cls.infinity(), p, g * 2, g * 3, g, p]
    scalars = [0, 1, 1, R - 1, R - 1, R - 1, 5, 1, 2, R - 3, rng.randrange(R), 0]
    expected = py_ecc_msm(points, scalars)
    assert same_point(msm(points, scalars), expected, cls)
    arr = to_array(points).reshape((len(points), 2) + (G1 if group == "G1" else G2).element_shape)
    for window in (2, 3, 4, 16):  # small windows: many collisions per bucket
        assert same_point(msm(arr, scalars_from_ints(scalars), window=window), expected, cls)


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_msm_cancels_to_infinity(group):
    cls, msm, _, _, _ = GROUPS[group]
    g = cls.generator()
    assert msm([g, -g], [5, 5]) == cls.infinity()
    assert msm([g, g], [1, R - 1]) == cls.infinity()
    assert msm([g], [0]) == cls.infinity()
    assert msm([cls.infinity()] * 3, [1, 2, 3]) == cls.infinity()
    assert msm([], []) == cls.infinity()


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_msm_consecutive_multiples_hit_doubling_and_cancellation(group):
    # i*G with scalars like 1 and r-1 place P, -P and equal points in the same buckets.
    cls, msm, _, _, _ = GROUPS[group]
    g = cls.generator()
    n = 40
    multiples = [g * i for i in range(1, n + 1)]
    points = multiples + multiples
    scalars = [1] * n + [R - 1] * (n // 2) + [1] * (n - n // 2)
    expected = py_ecc_msm(points, scalars)
    for window in (None, 2, 5):
        assert same_point(msm(points, scalars, window=window), expected, cls)
    # All the same point and scalar: every bucket round is a doubling.
    assert same_point(msm([g] * 33, [7] * 33, window=3), bn.multiply(to_py_ecc(g), 7 * 33), cls)


# ---------------------------------------------------------------------------------------------
# Larger inputs against the double-and-add kernel


@pytest.mark.parametrize("group_name", ["G1", "G2"])
def test_msm_matches_double_and_add_reference(group_name):
    group = G1 if group_name == "G1" else G2
    cls, msm, fixed, _, _ = GROUPS[group_name]
    n = 1024 if group_name == "G1" else 256
    rng = random.Random(11)
    points = fixed(None, scalars_from_ints([rng.randrange(1, R) for _ in range(n)]))
    values = [rng.randrange(R) for _ in range(n)]
    values[:40] = [0] * 10 + [1] * 10 + [R - 1] * 10 + [2] * 10  # the witness shape: many 0s and 1s
    points[5] = 0  # infinity rows in the input
    points[50] = points[51]  # repeated points
    scalars = scalars_from_ints(values)
    expected = reference_msm(group, points, scalars)
    assert msm(points, scalars, parallel=False) == expected
    assert msm(points, scalars, parallel=True) == expected
    assert msm(points, scalars, window=7) == expected
    for endomorphism in (False, True):
        assert msm(points, scalars, endomorphism=endomorphism) == expected
        assert msm(points, scalars, endomorphism=endomorphism, window=3, parallel=False) == expected
    jac = msm_jacobian(group, points, scalars)
    assert group.from_array(jac[None])[0] == expected


@pytest.mark.parametrize("group_name", ["G1", "G2"])
def test_msm_in_small_groups_with_buckets_larger_than_a_group(group_name):
    # A window copies its points a slice at a time and reduces them a group of buckets at a
    # time, from the top bucket down, growing its scratch for a bucket larger than a slice:
    # 60 equal scalars put 60 points in one bucket of every window, beside many small groups.
    group = G1 if group_name == "G1" else G2
    cls, msm, fixed, _, _ = GROUPS[group_name]
    rng = random.Random(23)
    n = 160
    points = fixed(None, scalars_from_ints([rng.randrange(1, R) for _ in range(n)]))
    values = [rng.randrange(R) for _ in range(n)]
    values[:60] = [values[0]] * 60
    values[60:70] = [R - 1] * 5 + [1] * 5
    points[70] = points[71]
    scalars = scalars_from_ints(values)
    expected = reference_msm(group, points, scalars)
    point_bytes = points[0].size * 8
    for endomorphism in (False, True):
        for parallel in (False, True):
            for window, group_rows, slice_rows in ((None, 3, 0), (3, 3, 7), (8, 2, 2), (8, 5, 40), (None, 1 << 20, None)):
                got = msm_jacobian(group, points, scalars, window=window, parallel=parallel, endomorphism=endomorphism,
                                   group_bytes=group_rows * point_bytes,
                                   slice_bytes=None if slice_rows is None else slice_rows * point_bytes)
                assert group.from_array(got[None])[0] == expected, (endomorphism, parallel, window, group_rows, slice_rows)


def test_half_scalar_rows_read_as_zero_above_their_limbs():
    # The endomorphism split's half-scalars are rows of 2 limbs: bits above 127 read as 0.
    halves = np.array([[2**64 - 1, 2**63 + 5]], dtype=np.uint64)
    value = (2**63 + 5) << 64 | (2**64 - 1)
    for c in (3, 7, 16):
        digits = [signed_digit(halves, 0, w, c) for w in range(num_windows(c, 128))]
        assert sum(d << (c * w) for w, d in enumerate(digits)) == value
        assert signed_digit(halves, 0, num_windows(c, 128) + 2, c) == 0


def test_choose_window_grows_with_n():
    windows = [choose_window(1 << k) for k in range(0, 21)]
    assert windows == sorted(windows)
    assert 2 <= windows[0] and windows[-1] <= 16


# ---------------------------------------------------------------------------------------------
# Bad points


def test_msm_rejects_off_curve_and_non_canonical_points():
    g = g1_to_array([G1Point.generator()])
    off = g.copy()
    off[0, 1] = A.to_array(FP, [3])[0]
    with pytest.raises(CurveError, match="not on the curve"):
        msm_g1(off, [1])
    big = g.copy()
    big[0, 0] = A.ints_to_raw([P])[0]  # a limb block >= p is not a field element
    with pytest.raises(CurveError, match=">= p"):
        msm_g1(big, [1])
    with pytest.raises(CurveError, match="shape"):
        msm_g1(np.zeros((1, 3, 4), dtype=np.uint64), [1])
    with pytest.raises(CurveError):
        msm_g1(g.astype(np.int64), [1])
    with pytest.raises(TypeError):
        msm_g1([G2Point.generator()], [1])


def test_msm_g2_rejects_twist_points_outside_the_subgroup():
    # A point on the twist but (almost surely) not in G2: x = small, y = sqrt(x^3 + b').
    from zk.curve.constants import B_G2
    from zk.field import Fp2

    x = Fp2(1, 0)
    while True:
        y = (x * x * x + B_G2).sqrt()
        if y is not None:
            break
        x = x + 1
    bad = G2Point(x, y, check=False)
    assert not bad.is_in_subgroup()
    arr = g2_to_array([bad]).reshape(1, 2, 2, 4)
    msm_g2(arr, [1])  # on the curve: accepted unless the subgroup test is asked for
    with pytest.raises(CurveError, match="subgroup"):
        msm_g2(arr, [1], subgroup=True)
    off = arr.copy()
    off[0, 1, 0] = A.to_array(FP, [5])[0]
    with pytest.raises(CurveError, match="not on the curve"):
        msm_g2(off, [1])


# ---------------------------------------------------------------------------------------------
# Fixed base


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_fixed_base_matches_py_ecc(group):
    cls, _, fixed, _, gen = GROUPS[group]
    rng = random.Random(3)
    scalars = [0, 1, 2, 3, R - 1, R - 2, (R - 1) // 2, 1 << 253, (1 << 128) + 1] + [rng.randrange(R) for _ in range(7)]
    from_array = (G1 if group == "G1" else G2).from_array
    for window in (None, 2, 5, 8):
        got = from_array(fixed(None, scalars, window=window))
        for k, point in zip(scalars, got):
            assert same_point(point, bn.multiply(gen, k), cls), (window, k)


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_fixed_base_other_generator_and_consistency_with_msm(group):
    cls, msm, fixed, _, _ = GROUPS[group]
    grp = G1 if group == "G1" else G2
    rng = random.Random(4)
    base = cls.generator() * rng.randrange(1, R)
    n = 1500 if group == "G1" else 300  # more than one lane chunk for G1
    scalars = [rng.randrange(R) for _ in range(n)]
    out = fixed(base, scalars)
    assert out.shape == (n, 2) + grp.element_shape
    points = grp.from_array(out[[0, 1, n - 1]])
    for i, k in zip((0, 1, n - 1), (scalars[0], scalars[1], scalars[-1])):
        assert points[[0, 1, n - 1].index(i)] == base * k
    # sum_i c_i (k_i B) == (sum_i c_i k_i) B
    coeffs = [rng.randrange(R) for _ in range(n)]
    assert msm(out, coeffs) == base * (sum(c * k for c, k in zip(coeffs, scalars)) % R)


def test_fixed_base_edge_cases():
    assert fixed_base_g1(None, []).shape == (0, 2, 4)
    assert fixed_base_g2(None, np.zeros((0, 4), dtype=np.uint64)).shape == (0, 2, 2, 4)
    with pytest.raises(CurveError):
        FixedBaseTable(G1, G1Point.infinity(), 4)
    with pytest.raises(TypeError):
        fixed_base_g1(G2Point.generator(), [1])
    with pytest.raises(ValueError):
        FixedBaseTable(G1, None, 1)
    with pytest.raises(ScalarError):
        fixed_base_g1(None, [R])
    mont = A.to_array(FR, [5, 0, R - 1])
    out = G1.from_array(fixed_base_g1(None, scalars_from_montgomery(mont)))
    g = G1Point.generator()
    assert out == [g * 5, G1Point.infinity(), -g]


# ---------------------------------------------------------------------------------------------
# Property: points a_i * G with known a_i, so the MSM must equal (sum k_i a_i) * G.

_G1_MULTIPLES = None


def _g1_multiples():
    """(a, a*G) for small a and their negatives, as an affine array (a = 0 is infinity)."""
    global _G1_MULTIPLES
    if _G1_MULTIPLES is None:
        logs = list(range(0, 9)) + [R - a for a in range(1, 9)]
        _G1_MULTIPLES = (logs, fixed_base_g1(None, logs))
    return _G1_MULTIPLES


_SMALL_OR_EDGE_SCALAR = st.one_of(st.integers(0, 5), st.sampled_from([R - 1, R - 2, (R - 1) // 2, 1 << 253]), st.integers(0, R - 1))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 16), _SMALL_OR_EDGE_SCALAR), min_size=0, max_size=40),
    st.one_of(st.none(), st.integers(2, 16)),
    st.booleans(),
)
def test_msm_property_against_known_discrete_logs(terms, window, parallel):
    logs, table = _g1_multiples()
    idx = [i for i, _ in terms]
    scalars = [k for _, k in terms]
    points = table[idx] if idx else np.zeros((0, 2, 4), dtype=np.uint64)
    expected = G1Point.generator() * (sum(logs[i] * k for i, k in terms) % R)
    assert msm_g1(points, scalars, window=window, parallel=parallel) == expected


# ---------------------------------------------------------------------------------------------
# Endomorphism split (GLV)


def _split_rows(values):
    out = np.empty((len(values), 6), dtype=np.uint64)
    E.split_scalars(scalars_from_ints(values), out)
    return [((int(r[0]) | int(r[1]) << 64) * (-1 if r[2] else 1), (int(r[3]) | int(r[4]) << 64) * (-1 if r[5] else 1)) for r in out]


def test_glv_split_kernel_matches_reference_and_bounds():
    rng = random.Random(5)
    values = [0, 1, 2, R - 1, R - 2, E.LAMBDA, R - E.LAMBDA, (R - 1) // 2, R // 3, (1 << 128) - 1, 1 << 127,
              (1 << 253), R - (1 << 128)] + [rng.randrange(R) for _ in range(500)]
    for k, (k1, k2) in zip(values, _split_rows(values)):
        assert (k1, k2) == E.split_reference(k)
        assert (k1 + k2 * E.LAMBDA - k) % R == 0
        assert abs(k1) < 1 << E.HALF_BITS and abs(k2) < 1 << E.HALF_BITS
    # small scalars (bits, booleans, counters) stay whole: their second half is zero
    assert _split_rows([0, 1, 5, (1 << 100) + 3]) == [(0, 0), (1, 0), (5, 0), ((1 << 100) + 3, 0)]


@given(st.integers(min_value=0, max_value=R - 1))
@settings(max_examples=200, deadline=None)
def test_glv_split_property(k):
    (k1, k2), = _split_rows([k])
    assert (k1 + k2 * E.LAMBDA - k) % R == 0 and max(abs(k1), abs(k2)) < 1 << E.HALF_BITS


@pytest.mark.parametrize("group", ["G1", "G2"])
def test_cube_root_acts_as_lambda(group):
    cls = G1Point if group == "G1" else G2Point
    c = A.from_array(FP, E.cube_root(group))[0]
    for p in (cls.generator(), cls.generator() * 12345):
        assert cls(p.x * c, p.y) == p * E.LAMBDA


def test_msm_windows_stop_at_the_scalars_bit_length():
    g = G2Point.generator()
    points = [g * 3, g * 5, g * 7]
    for values in ([1, 1, 1], [2, 3, 0], [(1 << 127) + 1, 3, 2], [R - 1, R - 2, 1]):
        expected = g * ((3 * values[0] + 5 * values[1] + 7 * values[2]) % R)
        assert msm_g2(points, values) == expected
        assert msm_g2(points, values, window=2) == expected
