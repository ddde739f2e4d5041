"""The ceremony's bulk point kernels (zk.ceremony.kernels) against py_ecc: setup's sparse
matrix-vector product in the exponent (``sparse_accumulate``), the fixed-scalar product of
``zkey contribute`` and the per-point products of ``ptau contribute`` (both ``scale_points``), in G1 and G2,
on random and edge inputs (the point at infinity, scalars 0, 1, 2, r - 1, (r - 1)/2 and its
neighbours, a base repeated or cancelled inside one output)."""
from __future__ import annotations

import random

import numpy as np
import pytest
from py_ecc import optimized_bn128 as bn

from zk.ceremony import kernels as K
from zk.ceremony.phase2 import accumulate, signed_scalars
from zk.field import FP, FP2, P, R

rng = random.Random(1212)
MONT = pow(2, 256, P)
EDGE = [0, 1, 2, 3, R - 1, R - 2, (R - 1) // 2, (R + 1) // 2, (R - 3) // 2, 1 << 64, (1 << 64) - 1, R - (1 << 64)]


def _limbs(v: int) -> list[int]:
    return [(v >> (64 * i)) & ((1 << 64) - 1) for i in range(4)]


def _from_limbs(row) -> int:
    return sum(int(x) << (64 * i) for i, x in enumerate(row))


def _coords(F, element) -> list[int]:
    return [element.n] if F is FP else list(element.coeffs)


def _affine_rows(F, points) -> np.ndarray:
    """py_ecc Jacobian-style points -> our affine rows (Montgomery limbs; infinity all zero)."""
    width = 1 if F is FP else 2
    out = np.zeros((len(points), 2, width, 4) if width == 2 else (len(points), 2, 4), dtype=np.uint64)
    for i, p in enumerate(points):
        if bn.is_inf(p):
            continue
        x, y = bn.normalize(p)
        for j, c in enumerate((x, y)):
            values = _coords(F, c)
            if width == 1:
                out[i, j] = _limbs(values[0] * MONT % P)
            else:
                for t in range(2):
                    out[i, j, t] = _limbs(int(values[t]) * MONT % P)
    return out


def _points_from_rows(F, rows) -> list:
    """Our affine rows -> py_ecc points, with Python field arithmetic."""
    inv = pow(MONT, -1, P)
    out = []
    for row in rows:
        if not row.any():
            out.append(bn.Z1 if F is FP else bn.Z2)
            continue
        if F is FP:
            x, y = (bn.FQ(_from_limbs(row[j]) * inv % P) for j in range(2))
            out.append((x, y, bn.FQ.one()))
        else:
            x, y = (bn.FQ2([_from_limbs(row[j, t]) * inv % P for t in range(2)]) for j in range(2))
            out.append((x, y, bn.FQ2.one()))
    return out


def _jac_rows_to_points(F, jac) -> list:
    from zk.curve.kernels import batch_to_affine

    affine = np.empty((jac.shape[0], 2) + jac.shape[2:], dtype=np.uint64)
    batch_to_affine(F, jac, affine)
    return _points_from_rows(F, affine)


def _group(F):
    return (bn.G1, bn.Z1) if F is FP else (bn.G2, bn.Z2)


def _random_points(F, n):
    g, z = _group(F)
    return [z if rng.random() < 0.1 else bn.multiply(g, rng.randrange(1, R)) for _ in range(n)]


def _scalar(edge_share=0.4):
    if rng.random() < edge_share:
        return rng.choice(EDGE)
    return rng.choice([rng.randrange(R), rng.randrange(1 << 20), R - rng.randrange(1, 1 << 20)])


@pytest.mark.parametrize("F", [FP, FP2], ids=["G1", "G2"])
def test_sparse_accumulate_matches_py_ecc(F):
    g, zero = _group(F)
    bases = _random_points(F, 12)
    bases[0] = zero
    n_out, entries = 9, []
    for d in range(n_out - 1):  # the last output has no entry: it must come out as infinity
        for _ in range(rng.randrange(0, 7)):
            entries.append((rng.randrange(len(bases)), d, _scalar()))
    # Inside one output: a base repeated with full-size scalars (the Straus chain adds equal
    # points) and a base cancelled exactly (k and r - k).
    k = rng.randrange(1 << 200, R)
    entries += [(3, 0, k), (3, 0, k), (5, 1, k), (5, 1, R - k), (6, 2, 1), (6, 2, R - 1), (7, 3, R - 1)]
    rng.shuffle(entries)
    src = np.array([e[0] for e in entries], dtype=np.int64)
    dst = np.array([e[1] for e in entries], dtype=np.int64)
    plain = np.array([_limbs(e[2]) for e in entries], dtype=np.uint64)
    mag, neg = signed_scalars(plain)
    for e, m, s in zip(entries, mag, neg):
        assert (R - _from_limbs(m) if s else _from_limbs(m)) % R == e[2] % R and _from_limbs(m) <= R // 2
    out = np.empty((n_out, 3) + (() if F is FP else (2,)) + (4,), dtype=np.uint64)
    accumulate(F, _affine_rows(F, bases), src, dst, mag, neg, out)
    got = _jac_rows_to_points(F, out)
    for d in range(n_out):
        want = zero
        for s, dd, kk in entries:
            if dd == d:
                want = bn.add(want, bn.multiply(bases[s], kk % R))
        assert bn.eq(got[d], want), f"output {d}"


@pytest.mark.parametrize("F", [FP, FP2], ids=["G1", "G2"])
@pytest.mark.parametrize("scalar", [0, 1, 2, R - 1, (R - 1) // 2, None])
def test_scale_points_one_scalar_matches_py_ecc(F, scalar):
    """zkey contribute's product: one scalar (a single raw row) for every point."""
    k = rng.randrange(2, R) if scalar is None else scalar
    points = _random_points(F, 40)
    points[0] = _group(F)[1]
    points[1] = _group(F)[0]
    out = np.empty_like(_affine_rows(F, points))
    K.scale_points(F, _affine_rows(F, points), np.array([_limbs(k)], dtype=np.uint64), out)
    got = _points_from_rows(F, out)
    for p, q in zip(points, got):
        assert bn.eq(q, bn.multiply(p, k % R))


@pytest.mark.parametrize("F", [FP, FP2], ids=["G1", "G2"])
def test_scale_points_matches_py_ecc(F):
    points = _random_points(F, 40)
    scalars = [rng.choice(EDGE) if i < len(EDGE) else rng.randrange(R) for i in range(len(points))]
    out = np.empty_like(_affine_rows(F, points))
    K.scale_points(F, _affine_rows(F, points), np.array([_limbs(k) for k in scalars], dtype=np.uint64), out)
    for p, k, q in zip(points, scalars, _points_from_rows(F, out)):
        assert bn.eq(q, bn.multiply(p, k))


@pytest.mark.parametrize("F", [FP, FP2], ids=["G1", "G2"])
@pytest.mark.parametrize("shared", [False, True], ids=["per-point", "one-scalar"])
def test_scale_points_across_chunks(F, shared):
    """More points than one parallel chunk (a partial last chunk, an infinity on each side of a
    boundary): a few distinct points and scalars repeated, so py_ecc computes few products."""
    pool = _random_points(F, 5) + [_group(F)[1]]
    ks = [rng.randrange(R), R - 1, 3, rng.randrange(1 << 100)]
    n = K.CHUNK + 77
    which = [rng.randrange(len(pool)) for _ in range(n)]
    which[K.CHUNK - 1] = which[K.CHUNK] = len(pool) - 1
    scalar_of = [0] * n if shared else [rng.randrange(len(ks)) for _ in range(n)]
    rows = _affine_rows(F, pool)[which]
    raw = np.array([_limbs(ks[0])] if shared else [_limbs(ks[j]) for j in scalar_of], dtype=np.uint64)
    out = np.empty_like(rows)
    K.scale_points(F, rows, raw, out)
    want = {}
    for i, q in enumerate(_points_from_rows(F, out)):
        key = (which[i], scalar_of[i])
        if key not in want:
            want[key] = bn.multiply(pool[which[i]], ks[scalar_of[i]])
        assert bn.eq(q, want[key]), i


@pytest.mark.parametrize("F", [FP, FP2], ids=["G1", "G2"])
def test_batch_affine_passes_mark_exceptional_points(F):
    """The batch-affine steps refuse what their formulas cannot do (an addition of a point to
    itself or its negative, a doubling of y = 0): the owner is marked for the complete Jacobian
    formulas, its row left as it was, and the other rows are still right."""
    g = _group(F)[0]
    p, q = bn.multiply(g, 5), bn.multiply(g, 7)
    acc = _affine_rows(F, [p, p, q])
    entries = _affine_rows(F, [q, p, bn.neg(q)])
    state = np.ones(3, dtype=np.int8)
    prefix = np.empty((3,) + acc.shape[2:], dtype=np.uint64)
    K._batch_pass(F, acc, np.arange(3), np.arange(3), entries, 3, False, state, prefix)
    assert list(state) == [K._RUNNING, K._EXCEPTIONAL, K._EXCEPTIONAL]
    got = _points_from_rows(F, acc)
    assert bn.eq(got[0], bn.add(p, q)) and bn.eq(got[1], p) and bn.eq(got[2], q)
    flat = _affine_rows(F, [p, q])
    flat[1, 1] = 0  # y = 0: not a curve point, and no point of either group has it
    state = np.ones(2, dtype=np.int8)
    K._batch_pass(F, flat, np.arange(2), np.arange(2), flat, 2, True, state, prefix)
    assert list(state) == [K._RUNNING, K._EXCEPTIONAL]
    assert bn.eq(_points_from_rows(F, flat[:1])[0], bn.double(p))


def test_subtract_affine_matches_py_ecc():
    a, b = _random_points(FP, 20), _random_points(FP, 20)
    b[3] = a[3]
    out = np.empty((20, 3, 4), dtype=np.uint64)
    K.subtract_affine(FP, _affine_rows(FP, a), _affine_rows(FP, b), out)
    for p, q, d in zip(a, b, _jac_rows_to_points(FP, out)):
        assert bn.eq(d, bn.add(p, bn.neg(q)))


# ---------------------------------------------------------------------------------------------
# setup's reader of the .r1cs terms (numpy slices, no per-term objects): each bad file refused


def _mul_r1cs():
    import pathlib

    from zk.formats.binio import read_container
    from zk.formats.circom import R1CS_MAGIC

    data = (pathlib.Path(__file__).parent / "data" / "snarkjs" / "mul.r1cs").read_bytes()
    start, size = read_container(data, R1CS_MAGIC, (1,), "mul.r1cs").sections[2]
    return bytearray(data), start, size


def test_r1cs_terms_match_the_constraint_system():
    import pathlib

    from zk.formats.circom import read_r1cs, read_r1cs_terms

    path = pathlib.Path(__file__).parent / "data" / "snarkjs" / "mul.r1cs"
    cs, t = read_r1cs(path), read_r1cs_terms(path)
    got = {}
    for m, k, s, c in zip(t.matrix, t.constraint, t.signal, t.coeffs):
        if _from_limbs(c):
            got.setdefault((int(k), int(m)), []).append((int(s), _from_limbs(c)))
    want = {(k, m): sorted(lc) for k, con in enumerate(cs.constraints) for m, lc in enumerate(con) if lc}
    assert {key: sorted(v) for key, v in got.items()} == want
    assert (t.n_wires, t.n_public, t.n_constraints) == (cs.n_wires, cs.n_public, len(cs.constraints))


@pytest.mark.parametrize("damage, message", [
    ("wire", "uses wire"), ("coeff", "not below the prime"), ("count", "announces"), ("extra", "bytes more"),
])
def test_r1cs_terms_refuse_bad_sections(tmp_path, damage, message):
    from zk.formats.circom import CircomFormatError, read_r1cs_terms

    data, start, size = _mul_r1cs()
    first = start + 4  # constraint 0, matrix A: u32 count, then its first term (u32 wire, 32 bytes)
    assert int.from_bytes(data[start:first], "little") >= 1
    if damage == "wire":
        data[first:first + 4] = (1 << 31).to_bytes(4, "little")
    elif damage == "coeff":
        data[first + 4:first + 36] = R.to_bytes(32, "little")
    elif damage == "count":
        data[start:first] = (1 << 30).to_bytes(4, "little")
    else:  # one more LC count in the section than its constraints use: grow the section by 4 bytes
        data[start - 8:start] = (size + 4).to_bytes(8, "little")
        data[start + size:start + size] = bytes(4)
    path = tmp_path / "bad.r1cs"
    path.write_bytes(bytes(data))
    with pytest.raises(CircomFormatError, match=message):
        read_r1cs_terms(path)
