"""Domain polynomials used by the Groth16 setup: Lagrange basis at tau and Z(tau)."""
from __future__ import annotations

import random

import pytest

from zk.field import FR, R
from zk.field import arrays as A
from zk.poly import DomainError, lagrange_evaluations, root_of_unity, vanishing_eval


def naive_lagrange(n: int, tau: int) -> list[int]:
    w = root_of_unity(n)
    pts = [pow(w, i, R) for i in range(n)]
    out = []
    for i, xi in enumerate(pts):
        num, den = 1, 1
        for j, xj in enumerate(pts):
            if j != i:
                num = num * (tau - xj) % R
                den = den * (xi - xj) % R
        out.append(num * pow(den, -1, R) % R)
    return out


@pytest.mark.parametrize("n", [1, 2, 4, 8, 32])
def test_lagrange_matches_product_formula(n):
    rng = random.Random(n)
    for tau in (rng.randrange(R), 0, 1 + (n == 1), R - 1 if n == 1 else 12345):
        if pow(tau, n, R) == 1:
            continue
        assert A.from_array(FR, lagrange_evaluations(n, tau)) == naive_lagrange(n, tau)


@pytest.mark.parametrize("n", [1, 2, 8, 64])
def test_lagrange_at_domain_points_is_indicator(n):
    w = root_of_unity(n)
    for k in {0, 1 % n, n // 2, n - 1}:
        got = A.from_array(FR, lagrange_evaluations(n, pow(w, k, R)))
        assert got == [1 if i == k else 0 for i in range(n)]


def test_lagrange_interpolates_a_polynomial_at_tau():
    # sum_i f(w^i) L_i(tau) = f(tau) for deg f < n.
    n = 16
    rng = random.Random(1)
    coeffs = [rng.randrange(R) for _ in range(n)]

    def f(x):
        return sum(c * pow(x, k, R) for k, c in enumerate(coeffs)) % R

    tau = rng.randrange(R)
    w = root_of_unity(n)
    basis = A.from_array(FR, lagrange_evaluations(n, tau))
    assert sum(f(pow(w, i, R)) * basis[i] for i in range(n)) % R == f(tau)
    assert sum(basis) % R == 1


def test_vanishing_eval():
    rng = random.Random(2)
    for n in (1, 2, 1024):
        tau = rng.randrange(R)
        assert vanishing_eval(n, tau) == (pow(tau, n, R) - 1) % R
        assert vanishing_eval(n, root_of_unity(n)) == 0
    assert vanishing_eval(4, -1) == 0
    with pytest.raises(DomainError):
        vanishing_eval(3, 5)
    with pytest.raises(DomainError):
        lagrange_evaluations(6, 5)
