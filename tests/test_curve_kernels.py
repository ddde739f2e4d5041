"""numba point kernels (zk.curve.kernels, zk.curve.subgroup) against py_ecc.optimized_bn128.

Inputs are built with py_ecc and given random Jacobian Z (so results cannot depend on Z == 1);
outputs are converted back with Python field arithmetic, not with the kernels' own to_affine.
"""
from __future__ import annotations

import pickle
import random
import subprocess
import sys

import numpy as np
import pytest
from numba import njit
from py_ecc import optimized_bn128 as bn

from zk.field import FP, FP2, P, R
from zk.field import arrays as A
from zk.curve import groups
from zk.curve import kernels as K
from zk.field.ops import fload
from zk.curve.constants import G2_COFACTOR
from zk.curve.subgroup import _PARALLEL_CHUNK, batch_g2_subgroup_check, first_outside_g2, g2_psi

rng = random.Random(20240611)


# ---------------------------------------------------------------------------------------------
# Test harness kernels: one kernel call applies an operation row by row.


@njit(cache=True)
def _apply_add(F, p, q, out):
    for i in range(p.shape[0]):
        K.store_jac(F, out, i, K.jac_add(F, K.load_jac(F, p, i), K.load_jac(F, q, i)))


@njit(cache=True)
def _apply_add_mixed(F, p, q, out):
    for i in range(p.shape[0]):
        K.store_jac(F, out, i, K.jac_add_mixed(F, K.load_jac(F, p, i), K.load_affine(F, q, i)))


@njit(cache=True)
def _apply_double(F, p, out):
    for i in range(p.shape[0]):
        K.store_jac(F, out, i, K.jac_double(F, K.load_jac(F, p, i)))


@njit(cache=True)
def _apply_neg(F, p, out):
    for i in range(p.shape[0]):
        K.store_jac(F, out, i, K.jac_neg(F, K.load_jac(F, p, i)))


@njit(cache=True)
def _apply_eq(F, p, q, out):
    for i in range(p.shape[0]):
        out[i] = K.jac_eq(F, K.load_jac(F, p, i), K.load_jac(F, q, i))


@njit(cache=True)
def _apply_to_affine(F, p, out):
    for i in range(p.shape[0]):
        K.store_affine(F, out, i, K.jac_to_affine(F, K.load_jac(F, p, i)))


@njit(cache=True)
def _apply_on_curve(F, b_row, affine, jac, out):
    b = fload(F, b_row, 0)
    for i in range(affine.shape[0]):
        out[i, 0] = K.is_on_curve_affine(F, K.load_affine(F, affine, i), b)
        out[i, 1] = K.is_on_curve_jac(F, K.load_jac(F, jac, i), b)


@njit(cache=True)
def _apply_psi(F, p, out):
    for i in range(p.shape[0]):
        K.store_jac(F, out, i, g2_psi(F, K.load_jac(F, p, i)))


# ---------------------------------------------------------------------------------------------
# py_ecc <-> arrays, per group


class Group:
    def __init__(self, name, F, generator, field, dims, curve):
        self.name, self.F, self.generator, self.field, self.dims = name, F, generator, field, dims
        self.curve = curve  # zk.curve.groups' descriptor: b for the kernels, the on-curve scan

    def coords(self, element) -> list[int]:
        return [int(element)] if self.field is bn.FQ else [int(c) for c in element.coeffs]

    def element(self, values):
        return bn.FQ(values[0]) if self.field is bn.FQ else bn.FQ2(list(values))

    @property
    def width(self):
        return 1 if self.field is bn.FQ else 2

    def random_element(self):
        return self.element([rng.randrange(1, P) for _ in range(self.width)])

    def random_point(self):
        return bn.multiply(self.generator, rng.randrange(1, R))

    def jac_rows(self, points, *, randomize=True):
        """py_ecc points -> Jacobian array with random Z (infinity gets Z = 0 and junk X, Y)."""
        values = []
        for pt in points:
            if bn.is_inf(pt):
                junk = self.random_element()
                values += self.coords(junk) + self.coords(junk) + self.coords(self.field.zero())
                continue
            x, y = bn.normalize(pt)
            lam = self.random_element() if randomize else self.field.one()
            values += self.coords(x * lam**2) + self.coords(y * lam**3) + self.coords(lam)
        return A.to_array(FP, values).reshape((len(points), 3) + self.dims)

    def affine_rows(self, points):
        values = []
        for pt in points:
            if bn.is_inf(pt):
                values += [0] * (2 * self.width)
            else:
                x, y = bn.normalize(pt)
                values += self.coords(x) + self.coords(y)
        return A.to_array(FP, values).reshape((len(points), 2) + self.dims)

    def from_jac_rows(self, arr):
        """Jacobian array -> py_ecc points, dividing by Z in Python."""
        values = A.from_array(FP, arr.reshape(-1, 4))
        w = self.width
        out = []
        for i in range(arr.shape[0]):
            row = values[3 * w * i : 3 * w * (i + 1)]
            X, Y, Z = (self.element(row[j * w : (j + 1) * w]) for j in range(3))
            if Z == self.field.zero():
                out.append(bn.Z2 if self.field is bn.FQ2 else bn.Z1)
            else:
                out.append((X / Z**2, Y / Z**3, self.field.one()))
        return out

    def from_affine_rows(self, arr):
        values = A.from_array(FP, arr.reshape(-1, 4))
        w = self.width
        out = []
        for i in range(arr.shape[0]):
            row = values[2 * w * i : 2 * w * (i + 1)]
            if not any(row):
                out.append(None)
            else:
                out.append((self.element(row[:w]), self.element(row[w:])))
        return out

    def jac_out(self, n):
        return np.zeros((n, 3) + self.dims, dtype=np.uint64)


G1 = Group("G1", FP, bn.G1, bn.FQ, (4,), groups.G1)
G2 = Group("G2", FP2, bn.G2, bn.FQ2, (2, 4), groups.G2)
GROUPS = pytest.mark.parametrize("group", [G1, G2], ids=["G1", "G2"])


def assert_points_equal(got, expected):
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert bn.eq(g, e), f"row {i}: got {bn.normalize(g) if not bn.is_inf(g) else 'inf'}, expected {bn.normalize(e) if not bn.is_inf(e) else 'inf'}"


def inf(group):
    return bn.Z1 if group is G1 else bn.Z2


# ---------------------------------------------------------------------------------------------
# Addition, doubling, negation


@GROUPS
def test_jac_add_random_and_special_cases(group):
    ps = [group.random_point() for _ in range(6)]
    qs = [group.random_point() for _ in range(6)]
    a = ps[0]
    pairs = list(zip(ps, qs)) + [
        (a, a),  # doubling through add (different Z on each side)
        (a, bn.neg(a)),  # P + (-P)
        (inf(group), a),
        (a, inf(group)),
        (inf(group), inf(group)),
        (bn.double(a), a),
    ]
    lhs = group.jac_rows([p for p, _ in pairs])
    rhs = group.jac_rows([q for _, q in pairs])
    out = group.jac_out(len(pairs))
    _apply_add(group.F, lhs, rhs, out)
    assert_points_equal(group.from_jac_rows(out), [bn.add(p, q) for p, q in pairs])


@GROUPS
def test_jac_add_mixed_random_and_special_cases(group):
    ps = [group.random_point() for _ in range(6)]
    qs = [group.random_point() for _ in range(6)]
    a = ps[0]
    pairs = list(zip(ps, qs)) + [
        (a, a),
        (a, bn.neg(a)),
        (inf(group), a),
        (a, inf(group)),  # affine infinity is the (0, 0) row
        (inf(group), inf(group)),
    ]
    lhs = group.jac_rows([p for p, _ in pairs])
    rhs = group.affine_rows([q for _, q in pairs])
    out = group.jac_out(len(pairs))
    _apply_add_mixed(group.F, lhs, rhs, out)
    assert_points_equal(group.from_jac_rows(out), [bn.add(p, q) for p, q in pairs])


@GROUPS
def test_jac_double_and_neg(group):
    points = [group.random_point() for _ in range(5)] + [inf(group)]
    rows = group.jac_rows(points)
    out = group.jac_out(len(points))
    _apply_double(group.F, rows, out)
    assert_points_equal(group.from_jac_rows(out), [bn.double(p) for p in points])
    _apply_neg(group.F, rows, out)
    assert_points_equal(group.from_jac_rows(out), [bn.neg(p) for p in points])


@GROUPS
def test_jac_eq_across_representations(group):
    a, b = group.random_point(), group.random_point()
    lhs = [a, a, a, inf(group), inf(group), a]
    rhs = [a, b, bn.neg(a), inf(group), a, inf(group)]
    expected = [True, False, False, True, False, False]
    out = np.zeros(len(lhs), dtype=np.bool_)
    # Independent random Z on both sides, and infinities with different junk X, Y.
    _apply_eq(group.F, group.jac_rows(lhs), group.jac_rows(rhs), out)
    assert out.tolist() == expected


# ---------------------------------------------------------------------------------------------
# Conversions


@GROUPS
def test_jac_to_affine_and_batch_to_affine(group):
    points = [group.random_point(), inf(group), group.random_point(), group.random_point(), inf(group)]
    rows = group.jac_rows(points)
    expected = [None if bn.is_inf(p) else bn.normalize(p) for p in points]
    single = np.full((len(points), 2) + group.dims, 7, dtype=np.uint64)
    _apply_to_affine(group.F, rows, single)
    assert group.from_affine_rows(single) == expected
    batch = np.full((len(points), 2) + group.dims, 7, dtype=np.uint64)
    K.batch_to_affine(group.F, rows, batch)
    assert group.from_affine_rows(batch) == expected


@GROUPS
def test_batch_to_affine_all_infinity_and_empty(group):
    rows = group.jac_rows([inf(group)] * 3)
    out = np.full((3, 2) + group.dims, 7, dtype=np.uint64)
    K.batch_to_affine(group.F, rows, out)
    assert not out.any()
    empty = np.zeros((0, 3) + group.dims, dtype=np.uint64)
    K.batch_to_affine(group.F, empty, np.zeros((0, 2) + group.dims, dtype=np.uint64))


@GROUPS
def test_affine_to_jac_round_trip(group):
    points = [group.random_point(), inf(group)]
    affine = group.affine_rows(points)
    jac = group.jac_out(2)
    K.batch_affine_to_jac(group.F, affine, jac)
    assert_points_equal(group.from_jac_rows(jac), points)
    assert not jac[1, 2].any(), "affine infinity must become Z = 0"


@GROUPS
def test_is_on_curve(group):
    a = group.random_point()
    x, y = bn.normalize(a)
    off = (x, y + group.field.one(), group.field.one())
    points = [a, off, inf(group)]
    affine = group.affine_rows(points)
    jac = group.jac_rows(points)
    out = np.zeros((3, 2), dtype=np.bool_)
    _apply_on_curve(group.F, group.curve.b, affine, jac, out)
    assert out.tolist() == [[True, True], [False, False], [True, True]]


def test_curve_b_matches_py_ecc():
    out = np.zeros((1, 2), dtype=np.bool_)
    # G1's (1, 2) and py_ecc's G2 satisfy the equation with the kernels' b, and only with it.
    _apply_on_curve(FP, G1.curve.b, G1.affine_rows([bn.G1]), G1.jac_rows([bn.G1]), out)
    assert out.all()
    _apply_on_curve(FP2, G2.curve.b, G2.affine_rows([bn.G2]), G2.jac_rows([bn.G2]), out)
    assert out.all()


# ---------------------------------------------------------------------------------------------
# Scalar multiplication

SCALARS = [0, 1, 2, 3, 15, 16, 17, 255, R - 1, R, R + 1, (1 << 256) - 1, 1 << 255]


@GROUPS
def test_scalar_mul_edge_and_random_scalars(group):
    scalars = SCALARS + [rng.randrange(R) for _ in range(6)] + [rng.randrange(1 << 256) for _ in range(2)]
    base = group.random_point()
    points = [base] * len(scalars)
    out = group.jac_out(len(scalars))
    K.batch_scalar_mul(group.F, group.affine_rows(points), A.ints_to_raw(scalars), out)
    # py_ecc's multiply does not reduce the scalar, so large scalars are checked as they are.
    assert_points_equal(group.from_jac_rows(out), [bn.multiply(base, k) for k in scalars])


@GROUPS
def test_scalar_mul_of_infinity(group):
    out = group.jac_out(2)
    K.batch_scalar_mul(group.F, group.affine_rows([inf(group)] * 2), A.ints_to_raw([5, R - 1]), out)
    assert not out[:, 2].any()


def test_sum_affine():
    points = [G1.random_point() for _ in range(20)] + [bn.Z1]
    points.append(points[3])  # a repeated point exercises the doubling branch only if sums meet; fine either way
    expected = bn.Z1
    for p in points:
        expected = bn.add(expected, p)
    out = G1.jac_out(1)
    K.sum_affine(FP, G1.affine_rows(points), out)
    assert_points_equal(G1.from_jac_rows(out), [expected])
    # A sum that passes through P + P and P + (-P) inside the accumulator.
    a = G1.random_point()
    chain = [a, a, bn.neg(bn.double(a)), a]
    K.sum_affine(FP, G1.affine_rows(chain), out)
    assert_points_equal(G1.from_jac_rows(out), [a])


# ---------------------------------------------------------------------------------------------
# G2 subgroup: the psi test against r * Q == 0


def _random_twist_point():
    """A uniformly random point of E'(Fp2) (hash x until x^3 + b is a square): almost surely not in G2."""
    while True:
        x = G2.random_element()
        rhs = x**3 + bn.b2
        c0, c1 = (int(c) for c in rhs.coeffs)
        from zk.field import Fp2

        root = Fp2(c0, c1).sqrt()
        if root is not None:
            return (x, bn.FQ2([root.c0.value, root.c1.value]), bn.FQ2.one())


def _kernel_multiply_g2(points, scalar):
    out = G2.jac_out(len(points))
    K.batch_scalar_mul(FP2, G2.affine_rows(points), A.ints_to_raw([scalar] * len(points)), out)
    return G2.from_jac_rows(out)


def _slow_in_subgroup(points):
    return [bn.is_inf(q) for q in _kernel_multiply_g2(points, R)]


def test_psi_is_multiplication_by_p_on_g2():
    points = [G2.random_point() for _ in range(3)]
    out = G2.jac_out(3)
    _apply_psi(FP2, G2.jac_rows(points), out)
    assert_points_equal(G2.from_jac_rows(out), [bn.multiply(q, P % R) for q in points])


def test_g2_subgroup_check_on_subgroup_points():
    points = [G2.random_point() for _ in range(4)] + [bn.G2, bn.Z2]
    assert _slow_in_subgroup(points) == [True] * len(points)
    assert batch_g2_subgroup_check(FP2, G2.affine_rows(points)) == -1


def test_g2_subgroup_check_rejects_random_twist_points():
    points = [_random_twist_point() for _ in range(4)]
    for q in points:
        assert bn.is_on_curve(q, bn.b2)
    assert _slow_in_subgroup(points) == [False] * len(points)
    for q in points:
        assert batch_g2_subgroup_check(FP2, G2.affine_rows([q])) == 0
    # Reported index is the first bad row.
    assert batch_g2_subgroup_check(FP2, G2.affine_rows([bn.G2, bn.G2, points[0]])) == 2


def test_g2_subgroup_check_rejects_small_order_components():
    """Points of order 10069 (the small factor of the cofactor) and G2 points shifted by one:
    a check that only looked at part of the cofactor would accept these."""
    assert G2_COFACTOR % 10069 == 0
    torsion = []
    while len(torsion) < 2:
        q = _random_twist_point()
        # [r * h / 10069] Q, in two kernel calls because the kernel takes scalars below 2^256.
        t = _kernel_multiply_g2(_kernel_multiply_g2([q], G2_COFACTOR // 10069), R)[0]
        if not bn.is_inf(t):
            torsion.append(t)
    for t in torsion:
        assert bn.is_inf(bn.multiply(t, 10069))
    mixed = [bn.add(t, G2.random_point()) for t in torsion]
    candidates = torsion + mixed
    assert _slow_in_subgroup(candidates) == [False] * len(candidates)
    for q in candidates:
        assert batch_g2_subgroup_check(FP2, G2.affine_rows([q])) == 0


def test_parallel_g2_subgroup_check_reports_the_first_bad_row():
    """first_outside_g2 (chunks in parallel) answers as the serial check: -1 for subgroup points
    across several chunks, else the first bad row even when a later chunk also has one."""
    good = [G2.random_point() for _ in range(3)] + [bn.Z2]
    bad = _random_twist_point()
    n = 3 * _PARALLEL_CHUNK + 5
    rows = G2.affine_rows([good[i % len(good)] for i in range(n)])
    assert first_outside_g2(FP2, rows) == -1 == batch_g2_subgroup_check(FP2, rows)
    for first, later in ((_PARALLEL_CHUNK + 7, 3 * _PARALLEL_CHUNK + 1), (0, 2), (n - 1, None)):
        mixed = rows.copy()
        for i in (first, later):
            if i is not None:
                mixed[i] = G2.affine_rows([bad])[0]
        assert first_outside_g2(FP2, mixed) == first == batch_g2_subgroup_check(FP2, mixed)


# ---------------------------------------------------------------------------------------------
# G1 GLV scalar multiplication


def test_glv_constants_endomorphism_matches_py_ecc():
    from zk.curve import glv

    assert pow(glv.BETA, 3, P) == 1 and glv.BETA != 1
    assert pow(glv.LAMBDA, 3, R) == 1 and glv.LAMBDA != 1
    for _ in range(3):
        x, y = bn.normalize(G1.random_point())
        assert bn.eq(bn.multiply((x, y, bn.FQ.one()), glv.LAMBDA), (x * glv.BETA, y, bn.FQ.one()))


def test_glv_decomposition_is_exact_and_short():
    from zk.curve import glv

    for k in [0, 1, 2, R - 1, R - 2, glv.LAMBDA, R - glv.LAMBDA, (R - 1) // 2] + [rng.randrange(R) for _ in range(300)]:
        k1, k2 = glv.decompose(k)
        assert (k1 + k2 * glv.LAMBDA - k) % R == 0
        assert abs(k1) < 1 << 128 and abs(k2) < 1 << 128, (k, k1, k2)


@pytest.mark.parametrize(
    "value",
    [0, 1, -1, 15, 16, 17, 31, -31, (1 << 64) - 1, 1 << 64, (1 << 128) - 1, -((1 << 128) - 1), (1 << 127) + 15],
)
def test_wnaf_recode_edge_values(value):
    from zk.curve import glv

    digits = np.zeros(glv.MAX_DIGITS, dtype=np.int8)
    mask = (1 << 64) - 1
    count = glv.wnaf_recode(np.uint64(abs(value) & mask), np.uint64(abs(value) >> 64), value < 0, digits)
    assert sum(int(d) << i for i, d in enumerate(digits[:count])) == value
    nonzero = [i for i in range(count) if digits[i]]
    assert all(abs(int(digits[i])) % 2 == 1 and abs(int(digits[i])) < 16 for i in nonzero)
    # Non-adjacency: any two nonzero digits are at least 5 positions apart.
    assert all(b - a >= 5 for a, b in zip(nonzero, nonzero[1:]))
    assert count == 0 or digits[count - 1] != 0


@GROUPS
def test_glv_scalar_mul_against_py_ecc(group):
    """The same GLV kernel on both groups (phi's constant is BETA on G1, BETA^2 on G2)."""
    from zk.curve import glv

    scalars = [0, 1, 2, 3, 15, 16, 17, R - 1, R - 2, glv.LAMBDA, R - glv.LAMBDA] + [rng.randrange(R) for _ in range(8)]
    points = [group.random_point() for _ in scalars]
    points[3] = inf(group)
    out = group.jac_out(len(scalars))
    glv.batch_glv_scalar_mul(group.F, group.affine_rows(points), glv.glv_halves(scalars), out)
    assert_points_equal(group.from_jac_rows(out), [bn.multiply(p, k) for p, k in zip(points, scalars)])


@GROUPS
def test_batch_on_curve_reports_first_bad_row(group):
    good = [group.random_point(), inf(group), group.random_point()]
    assert group.curve.first_off_curve(group.affine_rows(good)) == -1
    x, y = bn.normalize(good[0])
    bad_row = group.affine_rows([(x, y + group.field.one(), group.field.one())])
    rows = np.concatenate([group.affine_rows(good), bad_row, bad_row])
    assert group.curve.first_off_curve(rows) == 3


# ---------------------------------------------------------------------------------------------
# Inner kernels have no Python entry point: a call from Python is a TypeError, not a crash

INNER_KERNEL_PROBE = r"""
import pickle, sys
import numpy as np
from zk.field import FP
from zk.curve import G1Point, g1_from_array, g1_to_array
from zk.curve import kernels as K
g = G1Point.generator()
out = np.zeros((1, 3, 4), dtype=np.uint64)
K.sum_affine(FP, g1_to_array([g, g * 2]), out)  # an entry kernel calling jac_infinity, jac_add_mixed
assert g1_from_array(out)[0] == g * 3
sys.stdout.buffer.write(pickle.dumps(K.jac_add_mixed))
try:
    K.jac_infinity(FP)
except TypeError as exc:
    sys.stderr.write(str(exc))
else:
    sys.exit("no TypeError")
"""


def test_inner_kernel_called_from_python_raises_and_still_serves_kernels():
    # A subprocess, so that a regression (the interpreter crashing) fails this test, not the run.
    done = subprocess.run([sys.executable, "-c", INNER_KERNEL_PROBE], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode().startswith(
        "zk.curve.kernels.jac_infinity is compiled without a Python entry point; "
        "call it from a numba kernel or declare it with entry_kernel")
    # Unpickled in another process (a Dask worker would be one), the kernel still refuses.
    rebuilt = pickle.loads(done.stdout)
    assert rebuilt is not K.jac_add_mixed and type(rebuilt) is type(K.jac_add_mixed)
    with pytest.raises(TypeError, match="jac_add_mixed is compiled without a Python entry point"):
        rebuilt(FP, None, None)
