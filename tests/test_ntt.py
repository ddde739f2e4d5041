"""NTT, inverse and coset transforms over Fr against galois and a naive O(n^2) DFT."""
from __future__ import annotations

import random

import galois
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zk.field import FR, R
from zk.field import arrays as A
from zk.poly import (
    MULTIPLICATIVE_GENERATOR,
    ROOT_OF_UNITY_2_28,
    DomainError,
    coset_intt,
    coset_ntt,
    domain,
    intt,
    ntt,
    root_of_unity,
)

# galois's own constructor would search for a primitive element for 95 s; 5 is Fr's known one.
GF = galois.GF(R, primitive_element=5, verify=False)

# arkworks' ark-bn254 Fr TWO_ADIC_ROOT_OF_UNITY (and ffjavascript's w[28] for bn128's Fr).
ARKWORKS_ROOT_2_28 = 19103219067921713944291392827692070036145651957329286315305642004821462161904


def naive_eval(coeffs: list[int], points: list[int]) -> list[int]:
    out = []
    for x in points:
        acc = 0
        for c in reversed(coeffs):
            acc = (acc * x + c) % R
        out.append(acc)
    return out


def powers(base: int, n: int, start: int = 1) -> list[int]:
    out, x = [], start
    for _ in range(n):
        out.append(x)
        x = x * base % R
    return out


def edge_values(n: int, rng: random.Random) -> list[int]:
    pool = [0, 1, 2, R - 1, R - 2, (R - 1) // 2]
    return [rng.choice(pool) if rng.random() < 0.5 else rng.randrange(R) for _ in range(n)]


def test_root_of_unity_is_the_standard_one():
    assert ROOT_OF_UNITY_2_28 == ARKWORKS_ROOT_2_28
    assert pow(ROOT_OF_UNITY_2_28, 1 << 28, R) == 1
    assert pow(ROOT_OF_UNITY_2_28, 1 << 27, R) == R - 1  # primitive: order exactly 2^28
    assert (R - 1) % (1 << 28) == 0 and ((R - 1) >> 28) % 2 == 1  # 2-adicity is 28
    assert MULTIPLICATIVE_GENERATOR == 5
    for log_n in (1, 2, 5, 10, 28):
        n = 1 << log_n
        w = root_of_unity(n)
        assert pow(w, n, R) == 1 and pow(w, n // 2, R) == R - 1
        assert w == int(GF.primitive_root_of_unity(n))
    assert root_of_unity(1) == 1


@pytest.mark.parametrize("log_n", [0, 1, 2, 3, 4, 5, 6])
def test_ntt_matches_naive_dft(log_n):
    n = 1 << log_n
    rng = random.Random(log_n)
    coeffs = edge_values(n, rng)
    arr = A.to_array(FR, coeffs)
    assert ntt(arr) is arr
    assert A.from_array(FR, arr) == naive_eval(coeffs, powers(root_of_unity(n), n))


@pytest.mark.parametrize("log_n", [7, 8])
def test_ntt_matches_galois(log_n):
    # galois.ntt itself is avoided: its first call spends minutes validating the field.
    n = 1 << log_n
    rng = random.Random(100 + log_n)
    coeffs = [rng.randrange(R) for _ in range(n)]
    w = GF.primitive_root_of_unity(n)
    expected = galois.Poly(coeffs[::-1], field=GF)(w ** np.arange(n))
    arr = A.to_array(FR, coeffs)
    ntt(arr)
    assert A.from_array(FR, arr) == [int(v) for v in expected]
    intt(arr)
    assert A.from_array(FR, arr) == coeffs


def test_intt_matches_galois_interpolation():
    n = 64
    rng = random.Random(7)
    values = [rng.randrange(R) for _ in range(n)]
    w = GF.primitive_root_of_unity(n)
    poly = galois.lagrange_poly(w ** np.arange(n), GF(values))
    expected = [int(c) for c in poly.coeffs[::-1]] + [0] * (n - 1 - poly.degree)
    arr = intt(A.to_array(FR, values))
    assert A.from_array(FR, arr) == expected


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("log_n", [8, 12])
def test_serial_and_parallel_agree_and_round_trip(log_n, parallel):
    n = 1 << log_n
    rng = random.Random(log_n)
    coeffs = [rng.randrange(R) for _ in range(n)]
    original = A.to_array(FR, coeffs)
    reference = ntt(original.copy(), parallel=False)
    arr = ntt(original.copy(), parallel=parallel)
    assert np.array_equal(arr, reference)
    # Spot-check evaluations against Horner at a few domain points.
    w = root_of_unity(n)
    got = A.from_array(FR, arr)
    for i in (0, 1, n // 2, n - 1):
        assert got[i] == naive_eval(coeffs, [pow(w, i, R)])[0]
    intt(arr, parallel=parallel)
    assert np.array_equal(arr, original)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 6).flatmap(lambda k: st.lists(st.integers(0, R - 1), min_size=1 << k, max_size=1 << k)))
def test_intt_inverts_ntt(values):
    arr = A.to_array(FR, values)
    intt(arr)
    coeffs = A.from_array(FR, arr)
    n = len(values)
    w = root_of_unity(n)
    for i in {0, n - 1}:  # spot-check that the coefficients evaluate back to the inputs
        assert naive_eval(coeffs, [pow(w, i, R)])[0] == values[i]
    ntt(arr)
    assert A.from_array(FR, arr) == values


@pytest.mark.parametrize("shift", [MULTIPLICATIVE_GENERATOR, 7, R - 1, "omega_2n"])
@pytest.mark.parametrize("log_n", [0, 1, 3, 6])
def test_coset_ntt_evaluates_on_the_coset(log_n, shift):
    n = 1 << log_n
    if shift == "omega_2n":  # snarkjs computes H on the odd half of the size-2n domain
        shift = root_of_unity(2 * n)
    rng = random.Random(log_n * 31 + shift % 1000)
    coeffs = edge_values(n, rng)
    arr = A.to_array(FR, coeffs)
    coset_ntt(arr, shift)
    points = powers(root_of_unity(n), n, start=shift % R)
    assert A.from_array(FR, arr) == naive_eval(coeffs, points)
    coset_intt(arr, shift)
    assert A.from_array(FR, arr) == coeffs


def test_coset_default_shift_is_the_generator():
    coeffs = [3, 1, 4, 1, 5, 9, 2, 6]
    a = coset_ntt(A.to_array(FR, coeffs))
    b = coset_ntt(A.to_array(FR, coeffs), 5)
    assert np.array_equal(a, b)


def test_coset_quotient_by_vanishing_polynomial():
    # The Groth16 use: (A·B - C) vanishes on the domain, so its values on a coset divided by the
    # constant Z(g w^i) = g^n - 1 interpolate to the quotient H of degree < n.
    n = 8
    rng = random.Random(5)
    h = [rng.randrange(R) for _ in range(n - 1)] + [0]
    # P = H · Z with Z = x^n - 1, of degree < 2n: coefficients -h at 0..n-1, +h at n..2n-1.
    p = [(-c) % R for c in h] + h
    g = MULTIPLICATIVE_GENERATOR
    on_coset = naive_eval(p, powers(root_of_unity(n), n, start=g))
    z_inv = pow(pow(g, n, R) - 1, -1, R)
    arr = A.to_array(FR, [v * z_inv for v in on_coset])
    coset_intt(arr, g)
    assert A.from_array(FR, arr) == h


def test_twiddles_are_cached_per_size():
    assert domain(64) is domain(64)
    assert not domain(64).twiddles.flags.writeable


@pytest.mark.parametrize("n", [0, 3, 6, 12, 100, (1 << 28) + 1, 1 << 29, -4])
def test_bad_sizes_raise(n):
    with pytest.raises(DomainError):
        root_of_unity(n)
    if 0 < n <= 100:
        with pytest.raises(DomainError, match="power of two"):
            ntt(np.zeros((n, 4), dtype=np.uint64))


def test_max_size_is_accepted_without_building_it():
    assert pow(root_of_unity(1 << 28), 1 << 27, R) == R - 1


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((8, 4), dtype=np.int64),
        np.zeros((8, 3), dtype=np.uint64),
        np.zeros((8,), dtype=np.uint64),
        np.zeros((8, 8), dtype=np.uint64)[:, ::2],
        [0] * 8,
    ],
)
def test_bad_arrays_raise(bad):
    with pytest.raises(DomainError):
        ntt(bad)


def test_read_only_array_raises():
    arr = np.zeros((8, 4), dtype=np.uint64)
    arr.setflags(write=False)
    with pytest.raises(DomainError, match="writeable"):
        intt(arr)


def test_zero_shift_raises():
    with pytest.raises(DomainError):
        coset_ntt(np.zeros((4, 4), dtype=np.uint64), 0)
    with pytest.raises(DomainError):
        coset_intt(np.zeros((4, 4), dtype=np.uint64), R)


def test_parallel_auto_choice_follows_load(monkeypatch):
    import importlib

    ntt_module = importlib.import_module("zk.poly.ntt")  # the module, not the function zk.poly.ntt

    monkeypatch.setattr(ntt_module.os, "getloadavg", lambda: (100.0, 0.0, 0.0))
    assert ntt_module._oversubscribed()
    monkeypatch.setattr(ntt_module.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert not ntt_module._oversubscribed()
    # Either choice gives the same transform.
    values = A.to_array(FR, list(range(1 << 14)))
    idle = ntt(values.copy())
    monkeypatch.setattr(ntt_module.os, "getloadavg", lambda: (100.0, 0.0, 0.0))
    assert np.array_equal(ntt(values.copy()), idle)
