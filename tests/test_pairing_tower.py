"""Fp6/Fp12 tower kernels and pairing constants, against Python big-int maths.

The reference is zk.pairing.Fp12: schoolbook products of polynomials in w (w^6 = 9 + u) over Fp2,
written independently of the tower formulas the kernels use.
"""
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numba import njit

from zk.field import FP2, P, R, Fp2
from zk.pairing import Fp12
from zk.field import bn254
from zk.pairing import constants as C
from zk.pairing.final_exp import cyclotomic_exp_by_x
from zk.pairing import tower

OPS = ["mul", "sqr", "inv", "conj", "frob", "frob2", "frob3", "cyclo_sqr", "mul_034", "exp_by_x"]


@njit(cache=True)
def _tower_op(F, code, a_arr, b_arr, out):
    # One kernel for every operation: each separate test kernel would link the tower again.
    a = tower.fp12_load(F, a_arr, 0)
    b = tower.fp12_load(F, b_arr, 0)
    if code == 0:
        r = tower.fp12_mul(F, a, b)
    elif code == 1:
        r = tower.fp12_sqr(F, a)
    elif code == 2:
        r = tower.fp12_inv(F, a)
    elif code == 3:
        r = tower.fp12_conj(F, a)
    elif code == 4:
        r = tower.fp12_frobenius(F, a)
    elif code == 5:
        r = tower.fp12_frobenius2(F, a)
    elif code == 6:
        r = tower.fp12_frobenius3(F, a)
    elif code == 7:
        r = tower.fp12_cyclotomic_sqr(F, a)
    elif code == 8:
        r = tower.fp12_mul_034(F, a, b[0][0], b[1][0], b[1][1])  # b's coefficients of 1, w, v w
    else:
        r = cyclotomic_exp_by_x(F, a)
    tower.fp12_store(F, out, 0, r)


def run(op, a, b=None):
    out = np.empty((1, 2, 3, 2, 4), dtype=np.uint64)
    b = b if b is not None else Fp12.one()
    _tower_op(FP2, OPS.index(op), a.to_array()[None], b.to_array()[None], out)
    return Fp12.from_array(out[0])


def random_fp12(rng):
    return Fp12([Fp2(rng.randrange(P), rng.randrange(P)) for _ in range(6)])


def edge_fp12s():
    zero, one = Fp2(0), Fp2(1)
    minus = Fp2(P - 1, P - 1)
    return [
        Fp12.one(),
        Fp12([zero] * 6),
        Fp12([minus] * 6),
        Fp12([zero, one, zero, zero, zero, zero]),  # w
        Fp12([zero] * 5 + [minus]),
    ]


def cyclotomic(f):
    """f^((p^6 - 1)(p^2 + 1)), in the cyclotomic subgroup (computed in Python)."""
    g = f.conjugate() * f.inverse()
    return (g ** (P * P)) * g


seeds = st.integers(min_value=0, max_value=2**32)


@settings(max_examples=8, deadline=None)
@given(seeds)
def test_mul_sqr_match_schoolbook(seed):
    rng = random.Random(seed)
    a, b = random_fp12(rng), random_fp12(rng)
    assert run("mul", a, b) == a * b
    assert run("sqr", a) == a * a


@pytest.mark.parametrize("a", edge_fp12s(), ids=["one", "zero", "minus_ones", "w", "top"])
def test_edges(a):
    b = random_fp12(random.Random(5))
    assert run("mul", a, b) == a * b
    assert run("sqr", a) == a * a
    assert run("conj", a) == a.conjugate()


def test_inverse():
    rng = random.Random(11)
    for a in [random_fp12(rng) for _ in range(3)] + edge_fp12s()[2:]:
        assert a * run("inv", a) == Fp12.one()
    zero = edge_fp12s()[1]
    assert run("inv", zero) == zero  # like the field core: the inverse of 0 is 0


def test_frobenius_is_power_of_p():
    a = random_fp12(random.Random(12))
    ap = a**P
    assert run("frob", a) == ap
    assert run("frob2", a) == ap**P
    assert run("frob3", a) == (ap**P) ** P


def test_sparse_line_product():
    rng = random.Random(13)
    a = random_fp12(rng)
    l0, l3, l4 = (Fp2(rng.randrange(P), rng.randrange(P)) for _ in range(3))
    line = Fp12([l0, l3, Fp2(0), l4, Fp2(0), Fp2(0)])  # 1, w and v w = w^3
    assert run("mul_034", a, line) == a * line


def test_cyclotomic_square_and_exp_by_x():
    g = cyclotomic(random_fp12(random.Random(14)))
    assert g * g.conjugate() == Fp12.one()
    assert run("cyclo_sqr", g) == g * g
    assert run("exp_by_x", g) == g**C.BN_X


def test_cyclotomic_square_needs_the_subgroup():
    # The Granger-Scott formula is only valid on the cyclotomic subgroup; on a random element it
    # differs, so the test above exercises that formula and not the generic one.
    a = random_fp12(random.Random(15))
    assert run("cyclo_sqr", a) != a * a


# -- constants ------------------------------------------------------------------------------------


def test_curve_parameter():
    x = C.BN_X
    assert P == 36 * x**4 + 36 * x**3 + 24 * x**2 + 6 * x + 1
    assert R == 36 * x**4 + 36 * x**3 + 18 * x**2 + 6 * x + 1
    assert C.ATE_LOOP_COUNT == 29793968203157093288


def _signed_value(digits):
    return sum(d << i for i, d in enumerate(digits))


@pytest.mark.parametrize("digits,value", [(C.ATE_LOOP_NAF, C.ATE_LOOP_COUNT), (C.BN_X_NAF, C.BN_X)])
def test_signed_digits(digits, value):
    assert _signed_value(digits) == value
    assert digits[-1] == 1
    assert all(d in (-1, 0, 1) for d in digits)
    assert all(not (digits[i] and digits[i + 1]) for i in range(len(digits) - 1))  # non-adjacent


def test_frobenius_coefficients():
    xi = Fp2(*bn254.XI)
    for j, power in ((1, P), (2, P**2), (3, P**3)):
        for k in range(6):
            assert Fp2(*C.FROBENIUS_COEFFS[j][k]) == xi ** (k * (power - 1) // 6), (j, k)
    assert C.FROBENIUS_COEFFS[2][3] == (P - 1, 0)  # xi^((p^2-1)/2) = -1, used by -pi^2 on the twist


def test_twist_constant():
    assert Fp2(*bn254.TWIST_B) * Fp2(*bn254.XI) == Fp2(3)


def test_hard_part_decomposition():
    x, p = C.BN_X, P
    l0 = -36 * x**3 - 30 * x**2 - 18 * x - 2
    l1 = -36 * x**3 - 18 * x**2 - 12 * x + 1
    l2 = 6 * x**2 + 1
    assert l0 + l1 * p + l2 * p**2 + p**3 == C.HARD_EXPONENT
    assert C.FINAL_EXPONENT == (p**6 - 1) * (p**2 + 1) * C.HARD_EXPONENT
    # The addition chain in final_exp.hard_part: y0 y1^2 y2^6 y3^12 y4^18 y5^30 y6^36 with
    # y0 = f^(p + p^2 + p^3), y1 = f^-1, y2 = f^(x^2 p^2), y3 = f^(-x p), y4 = f^(-x - x^2 p),
    # y5 = f^(-x^2), y6 = f^(-x^3 - x^3 p).
    ys = [p + p**2 + p**3, -1, x * x * p * p, -x * p, -(x + x * x * p), -x * x, -(x**3 + x**3 * p)]
    assert sum(e * y for e, y in zip((1, 2, 6, 12, 18, 30, 36), ys)) == C.HARD_EXPONENT


def test_py_ecc_map_is_a_field_isomorphism():
    from py_ecc.fields import optimized_bn128_FQ12 as FQ12

    rng = random.Random(16)
    a, b = random_fp12(rng), random_fp12(rng)
    assert Fp12.from_py_ecc(a.to_py_ecc()) == a
    assert (a * b).to_py_ecc() == a.to_py_ecc() * b.to_py_ecc()
    # u = W^6 - 9 and w = W:
    u = Fp12([Fp2(0, 1)] + [Fp2(0)] * 5)
    assert u.py_ecc_coeffs() == [P - 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert FQ12(u.py_ecc_coeffs()) ** 2 == FQ12([P - 1] + [0] * 11)
