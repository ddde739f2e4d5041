"""The numba field kernels against Python big-int maths, py_ecc (Fp2) and galois (Fr)."""
import random
import subprocess
import sys
import textwrap

import galois
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from py_ecc.fields import optimized_bn128_FQ2 as FQ2

from zk.field import FP, FP2, FR, P, R, FieldError, Fp, Fp2, Fr
from zk.field import arrays as A
from zk.field.ops import (
    fadd,
    fdbl,
    feq,
    finv,
    fis_zero,
    fload,
    fmul,
    fneg,
    fpow,
    fsqr,
    fstore,
    fsub,
    prime_is_canonical,
    prime_sqrt,
    quad_sqrt,
)

rng = random.Random(1234)
FIELDS = [pytest.param(FP, P, id="Fp"), pytest.param(FR, R, id="Fr")]


def edge_values(p):
    return [0, 1, 2, p - 1, p - 2, (p - 1) // 2, (p + 1) // 2, 1 << 64, (1 << 128) - 1, (1 << 253) % p]


def sample(p, n=200):
    return edge_values(p) + [rng.randrange(p) for _ in range(n)]


@njit(cache=True)
def _elementwise(F, x, y, out_add, out_sub, out_neg, out_dbl, out_mul, out_sqr, out_inv, flags):
    for i in range(x.shape[0]):
        a = fload(F, x, i)
        b = fload(F, y, i)
        fstore(F, out_add, i, fadd(F, a, b))
        fstore(F, out_sub, i, fsub(F, a, b))
        fstore(F, out_neg, i, fneg(F, a))
        fstore(F, out_dbl, i, fdbl(F, a))
        fstore(F, out_mul, i, fmul(F, a, b))
        fstore(F, out_sqr, i, fsqr(F, a))
        fstore(F, out_inv, i, finv(F, a))
        flags[i, 0] = feq(F, a, b)
        flags[i, 1] = fis_zero(F, a)


def run_elementwise(F, xs, ys, load, unload):
    x, y = load(xs), load(ys)
    outs = [np.empty_like(x) for _ in range(7)]
    flags = np.zeros((len(xs), 2), dtype=np.bool_)
    _elementwise(F, x, y, *outs, flags)
    return [unload(o) for o in outs], flags


@pytest.mark.parametrize("F,p", FIELDS)
def test_prime_field_kernels_match_python_ints(F, p):
    xs = sample(p)
    ys = list(reversed(sample(p)))
    ys[:3] = xs[:3]  # equal operands: a - a, a == a
    (add, sub, neg, dbl, mul, sqr, inv), flags = run_elementwise(
        F, xs, ys, lambda v: A.to_array(F, v), lambda a: A.from_array(F, a)
    )
    assert add == [(a + b) % p for a, b in zip(xs, ys)]
    assert sub == [(a - b) % p for a, b in zip(xs, ys)]
    assert neg == [-a % p for a in xs]
    assert dbl == [2 * a % p for a in xs]
    assert mul == [a * b % p for a, b in zip(xs, ys)]
    assert sqr == [a * a % p for a in xs]
    assert inv == [pow(a, -1, p) if a else 0 for a in xs]
    assert list(flags[:, 0]) == [a == b for a, b in zip(xs, ys)]
    assert list(flags[:, 1]) == [a == 0 for a in xs]


def fp2_load(values):
    arr = np.empty((len(values), 2, 4), dtype=np.uint64)
    arr[:, 0] = A.to_array(FP, [v.coeffs[0] for v in values])
    arr[:, 1] = A.to_array(FP, [v.coeffs[1] for v in values])
    return arr


def fp2_unload(arr):
    return [FQ2([a, b]) for a, b in zip(A.from_array(FP, arr[:, 0]), A.from_array(FP, arr[:, 1]))]


def fp2_sample(n=100):
    edges = [(0, 0), (1, 0), (0, 1), (P - 1, 0), (0, P - 1), (P - 1, P - 1), (1, 1)]
    return [FQ2(list(e)) for e in edges] + [FQ2([rng.randrange(P), rng.randrange(P)]) for _ in range(n)]


def test_fp2_kernels_match_py_ecc():
    xs = fp2_sample()
    ys = list(reversed(fp2_sample()))
    (add, sub, neg, dbl, mul, sqr, inv), flags = run_elementwise(FP2, xs, ys, fp2_load, fp2_unload)
    zero = FQ2([0, 0])
    assert add == [a + b for a, b in zip(xs, ys)]
    assert sub == [a - b for a, b in zip(xs, ys)]
    assert neg == [-a for a in xs]
    assert dbl == [a * 2 for a in xs]
    assert mul == [a * b for a, b in zip(xs, ys)]
    assert sqr == [a * a for a in xs]
    assert inv == [a.inv() if a != zero else zero for a in xs]
    assert list(flags[:, 0]) == [a == b for a, b in zip(xs, ys)]


@njit(cache=True)
def _pow_all(F, x, exponent, out):
    for i in range(x.shape[0]):
        fstore(F, out, i, fpow(F, fload(F, x, i), exponent))


@pytest.mark.parametrize("F,p", FIELDS)
@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 65537, (1 << 64) + 1, "p-1", "p-2", "random"])
def test_pow(F, p, exponent):
    e = {"p-1": p - 1, "p-2": p - 2, "random": rng.randrange(1 << 256)}.get(exponent, exponent)
    xs = sample(p, 20)
    out = np.empty((len(xs), 4), dtype=np.uint64)
    limbs = tuple(np.uint64((e >> (64 * i)) & ((1 << 64) - 1)) for i in range(4))
    _pow_all(F, A.to_array(F, xs), limbs, out)
    assert A.from_array(F, out) == [pow(a, e, p) for a in xs]


@njit(cache=True)
def _sqrt_all(F, x, out, found):
    for i in range(x.shape[0]):
        ok, root = prime_sqrt(F, fload(F, x, i))
        found[i] = ok
        fstore(F, out, i, root)


@njit(cache=True)
def _sqrt2_all(F, x, out, found):
    for i in range(x.shape[0]):
        ok, root = quad_sqrt(F, fload(F, x, i))
        found[i] = ok
        fstore(F, out, i, root)


def test_fp_sqrt_squares_and_non_residues():
    xs = sample(P, 100)
    xs += [x * x % P for x in xs[:50]]
    out = np.empty((len(xs), 4), dtype=np.uint64)
    found = np.zeros(len(xs), dtype=np.bool_)
    _sqrt_all(FP, A.to_array(FP, xs), out, found)
    for x, root, ok in zip(xs, A.from_array(FP, out), found):
        is_qr = x == 0 or pow(x, (P - 1) // 2, P) == 1
        assert ok == is_qr
        if ok:
            assert root * root % P == x
        assert (Fp(x).sqrt() is not None) == is_qr


def test_fp2_sqrt_squares_and_non_residues():
    xs = fp2_sample(60)
    xs += [x * x for x in xs[:40]]
    out = np.empty((len(xs), 2, 4), dtype=np.uint64)
    found = np.zeros(len(xs), dtype=np.bool_)
    _sqrt2_all(FP2, fp2_load(xs), out, found)
    # Fp2 is a square exactly when its norm is a square in Fp.
    for x, root, ok in zip(xs, fp2_unload(out), found):
        a, b = x.coeffs
        norm = (int(a) ** 2 + int(b) ** 2) % P
        assert ok == (norm == 0 or pow(norm, (P - 1) // 2, P) == 1)
        if ok:
            assert root * root == x
        py_root = Fp2(int(a), int(b)).sqrt()
        assert (py_root is not None) == ok
        if ok:
            assert py_root * py_root == Fp2(int(a), int(b))


@pytest.mark.parametrize("F,p", FIELDS)
def test_array_kernels(F, p):
    xs, ys = sample(p, 300), sample(p, 300)[::-1]
    x, y, out = A.to_array(F, xs), A.to_array(F, ys), np.empty((len(xs), 4), dtype=np.uint64)
    A.mul(F, x, y, out)
    assert A.from_array(F, out) == [a * b % p for a, b in zip(xs, ys)]
    A.add(F, x, y, out)
    assert A.from_array(F, out) == [(a + b) % p for a, b in zip(xs, ys)]
    A.sub(F, x, y, out)
    assert A.from_array(F, out) == [(a - b) % p for a, b in zip(xs, ys)]
    c = A.to_array(F, [p - 7])
    A.scale(F, x, fload_first(c), out)
    assert A.from_array(F, out) == [a * (p - 7) % p for a in xs]
    assert A.from_array(F, np.array([A.total(F, x)], dtype=np.uint64)) == [sum(xs) % p]
    assert A.equal(F, x, x.copy()) and not A.equal(F, x, y)


def test_elementwise_kernels_load_from_the_disk_cache_in_a_fresh_process():
    # mul, add and sub are closures made by one factory: numba must still keep each on disk.
    x = A.to_array(FR, [3, 4])
    for kernel in (A.mul, A.add, A.sub):
        kernel(FR, x, x, np.empty_like(x))  # compiled and saved here, or loaded: on disk either way
    fresh_process = textwrap.dedent("""
        import numpy as np
        from zk.field import FR, arrays as A
        x = A.to_array(FR, [3, 4])
        for kernel in (A.mul, A.add, A.sub):
            kernel(FR, x, x, np.empty_like(x))
            assert not kernel.stats.cache_misses, (kernel.__name__, kernel.stats)
            assert sum(kernel.stats.cache_hits.values()) == 1, (kernel.__name__, kernel.stats)
    """)
    done = subprocess.run([sys.executable, "-c", fresh_process], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def fload_first(arr):
    return tuple(np.uint64(v) for v in arr[0])


@pytest.mark.parametrize("F,p", FIELDS)
@pytest.mark.parametrize("n", [0, 1, 2, 7, 100])
def test_batch_inverse_with_zeros(F, p, n):
    xs = [rng.randrange(p) for _ in range(n)]
    if n > 2:
        xs[0] = 0
        xs[n // 2] = 0
        xs[-1] = p - 1
    x = A.to_array(F, xs)
    out = np.empty_like(x)
    A.batch_inverse(F, x, out)
    assert A.from_array(F, out) == [pow(a, -1, p) if a else 0 for a in xs]
    A.batch_inverse(F, x, x)  # in place
    assert A.from_array(F, x) == [pow(a, -1, p) if a else 0 for a in xs]


def test_batch_inverse_fp2():
    xs = fp2_sample(30)
    x = fp2_load(xs)
    A.batch_inverse(FP2, x, x)
    zero = FQ2([0, 0])
    assert fp2_unload(x) == [a.inv() if a != zero else zero for a in xs]


@njit(cache=True)
def _canonical(F, raw, out):
    for i in range(raw.shape[0]):
        out[i] = prime_is_canonical(F, (raw[i, 0], raw[i, 1], raw[i, 2], raw[i, 3]))


@pytest.mark.parametrize("F,p", FIELDS)
def test_conversions_reject_non_canonical(F, p):
    values = [0, 1, p - 1, p, p + 1, (1 << 256) - 1]
    out = np.zeros(len(values), dtype=np.bool_)
    _canonical(F, A.ints_to_raw(values), out)
    assert list(out) == [v < p for v in values]
    with pytest.raises(ValueError, match="canonical"):
        A.to_array(F, [1, p], reduce=False)
    with pytest.raises(ValueError, match="canonical"):
        A.to_array(F, [-1], reduce=False)
    assert A.from_array(F, A.to_array(F, [p, -1])) == [0, p - 1]


def test_raw_round_trip():
    values = [0, 1, (1 << 256) - 1, rng.randrange(1 << 256)]
    assert A.raw_to_ints(A.ints_to_raw(values)) == values
    assert A.ints_to_raw([]).shape == (0, 4)


# ---- the Python element types -------------------------------------------------------------

GF_R = galois.GF(R, primitive_element=5, verify=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, R - 1), st.integers(0, R - 1), st.integers(0, R - 1))
def test_fr_laws_and_galois_agreement(a, b, c):
    x, y, z = Fr(a), Fr(b), Fr(c)
    assert (x + y) * z == x * z + y * z
    assert x * y == y * x and (x * y) * z == x * (y * z)
    assert x - x == 0 and x + (-x) == 0
    ga, gb = GF_R(a), GF_R(b)
    assert int(x * y) == int(ga * gb)
    assert int(x - y) == int(ga - gb)
    if b:
        assert int(x / y) == int(ga / gb)
        assert y * y.inverse() == 1
        assert y ** -1 == y.inverse()


def test_element_edge_cases():
    assert Fr(R) == 0 and Fr(-1) == R - 1 and int(Fp(P + 5)) == 5
    with pytest.raises(ZeroDivisionError):
        Fr(0).inverse()
    with pytest.raises(ZeroDivisionError):
        Fr(1) / 0
    with pytest.raises(TypeError):
        Fr(Fp(1))
    with pytest.raises(TypeError):
        Fr(1.5)
    assert Fr(3) ** 0 == 1 and Fr(2) ** 10 == 1024
    assert 5 - Fr(3) == 2 and 1 / Fr(2) * 2 == 1


@pytest.mark.parametrize("cls", [Fr, Fp])
def test_element_bytes_round_trip_and_rejections(cls):
    m = cls.modulus
    for v in [0, 1, m - 1, rng.randrange(m)]:
        data = cls(v).to_bytes()
        assert len(data) == 32 and data == v.to_bytes(32, "big")
        assert cls.from_bytes(data) == v
    with pytest.raises(FieldError, match="canonical"):
        cls.from_bytes(m.to_bytes(32, "big"))
    with pytest.raises(FieldError, match="canonical"):
        cls.from_bytes(b"\xff" * 32)
    with pytest.raises(FieldError, match="32 bytes"):
        cls.from_bytes(b"\x01" * 31)
    with pytest.raises(FieldError, match="canonical"):
        cls.canonical(-1)


@settings(max_examples=100, deadline=None)
@given(st.tuples(st.integers(0, P - 1), st.integers(0, P - 1)), st.tuples(st.integers(0, P - 1), st.integers(0, P - 1)))
def test_fp2_python_type_matches_py_ecc(a, b):
    x, y = Fp2(*a), Fp2(*b)
    ref = FQ2(list(a)) * FQ2(list(b))
    prod = x * y
    assert (int(prod.c0), int(prod.c1)) == tuple(int(c) for c in ref.coeffs)
    if x:
        assert x * x.inverse() == 1 and (x / x) == 1
    assert x ** 3 == x * x * x and x - x == 0
