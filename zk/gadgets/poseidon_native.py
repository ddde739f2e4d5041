"""Native Poseidon in numba, for hashing many values at once (Merkle trees, commitments).

The same function as `zk.gadgets.poseidon.poseidon` (circomlib's Poseidon), computed the way
circomlib's optimised `poseidon.circom` and circomlibjs's `poseidon_opt` compute it: round
constants moved out of the partial rounds (each keeps one scalar before and one after its S-box),
and each partial round's MDS matrix M factored as M'' M' with M' = diag(1, M^) pushed back through
the earlier partial rounds, leaving a sparse M'' per partial round (first row plus first column:
2t - 1 multiplications instead of t^2) and one dense matrix P in the last full round before them.
The constants are derived here from the standard ones at first use; tests check the hash against
the reference implementation and circomlibjs vectors.

    poseidon_many([[1, 2], [3, 4]])            # [poseidon([1, 2]), poseidon([3, 4])]
    poseidon_array(limbs)                        # (n, k, 4) Montgomery -> (n, 4) Montgomery
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
from numba import njit, prange

from zk.field import FR
from zk.field import arrays as FA
from zk.field.ops import fadd, fload, fmul, fstore, fzero
from zk.gadgets.poseidon import MAX_INPUTS, parameters
from zk.gadgets.poseidon_grain import FULL_ROUNDS
from zk.r1cs.field import R

# Below this many hashes one thread does the work: starting the others costs more than they save.
PARALLEL_MIN = 64


def _matmul(a, b):
    n, m, p = len(a), len(b), len(b[0])
    return [[sum(a[i][k] * b[k][j] for k in range(m)) % R for j in range(p)] for i in range(n)]


def _matvec(a, v):
    return [sum(x * y for x, y in zip(row, v)) % R for row in a]


def _inverse(m):
    """Gauss-Jordan over Fr (the MDS sub-matrices are invertible: every square sub-matrix of a
    Cauchy matrix is)."""
    n = len(m)
    a = [list(row) + [int(i == j) for j in range(n)] for i, row in enumerate(m)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if a[r][col])
        a[col], a[pivot] = a[pivot], a[col]
        inv = pow(a[col][col], -1, R)
        a[col] = [x * inv % R for x in a[col]]
        for r in range(n):
            if r != col and a[r][col]:
                f = a[r][col]
                a[r] = [(x - f * y) % R for x, y in zip(a[r], a[col])]
    return [row[n:] for row in a]


@lru_cache(maxsize=None)
def optimized_parameters(t: int) -> dict[str, np.ndarray]:
    """Montgomery arrays for the kernel: full-round constants, the first partial round's constant
    vector, per-partial-round scalars (before and after the S-box), sparse matrices, M and P."""
    constants, mds, n_partial = parameters(t)
    half = FULL_ROUNDS // 2
    rounds = [list(constants[r * t:(r + 1) * t]) for r in range(FULL_ROUNDS + n_partial)]
    m = [list(row) for row in mds]
    partial = range(half, half + n_partial)

    # Constants: the part of a partial round's constant off index 0 commutes with its S-box, so it
    # moves back through the previous round's M (as M^-1 of it); what lands on index 0 there stays
    # as a scalar added after that round's S-box.
    m_inv = _inverse(m)
    before = [rounds[p][0] for p in partial]
    after = [0] * n_partial
    carried = [0] * t  # added after the S-box of the round being processed
    first_vector = None
    for i in range(n_partial - 1, -1, -1):
        p = half + i
        after[i] = carried[0]
        rest = [0] + [(rounds[p][j] + carried[j]) % R for j in range(1, t)]
        if i > 0:
            carried = _matvec(m_inv, rest)
        else:
            first_vector = [rounds[p][0]] + rest[1:]

    # Matrices, from the last partial round back: M_eff = M'' M' with M' = diag(1, M^); M' passes
    # back through the previous partial round (it leaves index 0 alone) into that round's M.
    sparse = [None] * n_partial
    m_eff = m
    for i in range(n_partial - 1, -1, -1):
        hat = [row[1:] for row in m_eff[1:]]
        hat_inv = _inverse(hat)
        row0 = m_eff[0][1:]
        v = [sum(row0[k] * hat_inv[k][j] for k in range(t - 1)) % R for j in range(t - 1)]
        w = [m_eff[j][0] for j in range(1, t)]
        sparse[i] = [m_eff[0][0]] + v + w
        prime = [[int(i2 == j2 == 0) for j2 in range(t)] for i2 in range(t)]
        for a in range(1, t):
            for b in range(1, t):
                prime[a][b] = hat[a - 1][b - 1]
        if i > 0:
            m_eff = _matmul(prime, m)  # round i-1 applies M, then this round's M'
        else:
            p_matrix = _matmul(prime, m)
            first_vector = _matvec(prime, first_vector)

    full = [rounds[r] for r in range(half)] + [rounds[r] for r in range(half + n_partial, FULL_ROUNDS + n_partial)]

    def arr(values):
        return FA.to_array(FR, [v % R for v in values])

    return {
        "full": arr([c for row in full for c in row]).reshape(FULL_ROUNDS, t, 4),
        "first": arr(first_vector),
        "before": arr(before),
        "after": arr(after),
        "sparse": arr([c for row in sparse for c in row]).reshape(n_partial, 2 * t - 1, 4),
        "mats": arr([c for row in m + p_matrix for c in row]).reshape(2 * t, t, 4),
    }


@njit(cache=True, inline="always")
def _sbox(F, x):
    x2 = fmul(F, x, x)
    return fmul(F, fmul(F, x2, x2), x)


@njit(cache=True, inline="always")
def _at(arr, a, b):
    # Direct indexing: a row view (arr[a]) is reference-counted by numba, slower than the loads.
    return (arr[a, b, 0], arr[a, b, 1], arr[a, b, 2], arr[a, b, 3])


@njit(cache=True, inline="always")
def _mix(F, state, tmp, mats, which):
    t = state.shape[0]
    for i in range(t):
        acc = fzero(F)
        for j in range(t):
            acc = fadd(F, acc, fmul(F, _at(mats, which * t + i, j), fload(F, state, j)))
        fstore(F, tmp, i, acc)
    for i in range(t):
        fstore(F, state, i, fload(F, tmp, i))


@njit(cache=True, inline="always")
def _full_round(F, state, tmp, full, r, mats, which):
    for i in range(state.shape[0]):
        fstore(F, state, i, _sbox(F, fadd(F, fload(F, state, i), _at(full, r, i))))
    _mix(F, state, tmp, mats, which)


@njit(cache=True)
def permute(F, state, tmp, full, first, before, after, sparse, mats):
    """The Poseidon permutation of `state` ((t, 4) Montgomery) in place; mats stacks M over P."""
    t = state.shape[0]
    half = full.shape[0] // 2
    for r in range(half - 1):
        _full_round(F, state, tmp, full, r, mats, 0)
    _full_round(F, state, tmp, full, half - 1, mats, 1)
    for i in range(t):
        fstore(F, state, i, fadd(F, fload(F, state, i), fload(F, first, i)))
    for r in range(before.shape[0]):
        s0 = fload(F, state, 0)
        if r > 0:
            s0 = fadd(F, s0, fload(F, before, r))
        s0 = fadd(F, _sbox(F, s0), fload(F, after, r))
        acc = fmul(F, _at(sparse, r, 0), s0)
        for j in range(1, t):
            sj = fload(F, state, j)
            acc = fadd(F, acc, fmul(F, _at(sparse, r, j), sj))
            fstore(F, state, j, fadd(F, sj, fmul(F, _at(sparse, r, t - 1 + j), s0)))
        fstore(F, state, 0, acc)
    for r in range(half, full.shape[0]):
        _full_round(F, state, tmp, full, r, mats, 0)


@njit(cache=True)
def _hash_rows(F, inputs, initial, out, lo, hi, full, first, before, after, sparse, mats):
    t = inputs.shape[1] + 1
    state = np.empty((t, 4), dtype=np.uint64)
    tmp = np.empty((t, 4), dtype=np.uint64)
    for n in range(lo, hi):
        fstore(F, state, 0, fload(F, initial, n))
        for i in range(1, t):
            fstore(F, state, i, _at(inputs, n, i - 1))
        permute(F, state, tmp, full, first, before, after, sparse, mats)
        fstore(F, out, n, fload(F, state, 0))


@njit(cache=True, parallel=True)
def _hash_parallel(F, inputs, initial, out, chunks, full, first, before, after, sparse, mats):
    n = inputs.shape[0]
    step = (n + chunks - 1) // chunks
    for c in prange(chunks):
        _hash_rows(F, inputs, initial, out, c * step, min(n, (c + 1) * step), full, first, before, after, sparse, mats)


def poseidon_array(inputs: np.ndarray, initial_state: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
    """Hash each row of `inputs` ((n, k, 4) Montgomery limbs over Fr, 1 <= k <= 16): (n, 4) Montgomery.
    `initial_state` ((n, 4), default zeros) is circomlib's initialState; threads=1 keeps to one core."""
    import numba

    if inputs.ndim != 3 or inputs.shape[2] != 4 or not 1 <= inputs.shape[1] <= MAX_INPUTS:
        raise ValueError(f"expected an (n, k, 4) array with 1 <= k <= {MAX_INPUTS}, got shape {inputs.shape}")
    inputs = np.ascontiguousarray(inputs, dtype=np.uint64)
    n = inputs.shape[0]
    if initial_state is None:
        initial_state = np.zeros((n, 4), dtype=np.uint64)
    k = optimized_parameters(inputs.shape[1] + 1)
    out = np.empty((n, 4), dtype=np.uint64)
    args = (k["full"], k["first"], k["before"], k["after"], k["sparse"], k["mats"])
    threads = numba.get_num_threads() if threads is None else max(1, min(threads, numba.get_num_threads()))
    if threads == 1 or n < PARALLEL_MIN:
        _hash_rows(FR, inputs, initial_state, out, 0, n, *args)
    else:
        _hash_parallel(FR, inputs, initial_state, out, threads, *args)
    return out


def poseidon_many(rows: Sequence[Sequence[int]], threads: int | None = None) -> list[int]:
    """[poseidon(row) for row in rows], all rows of the same length, computed natively."""
    rows = [list(r) for r in rows]
    if not rows:
        return []
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("poseidon_many hashes rows of one length")
    for r in rows:
        for x in r:
            if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < R:
                raise ValueError(f"Poseidon inputs must be field elements (ints in [0, r)), got {x!r}")
    limbs = FA.to_array(FR, [x for r in rows for x in r], reduce=False).reshape(len(rows), width, 4)
    return FA.from_array(FR, poseidon_array(limbs, threads=threads))
