"""Native Poseidon in numba, for hashing many values at once (Merkle trees, commitments).

The same function as `zk.gadgets.poseidon.poseidon` (circomlib's Poseidon), through the rounds of
`zk.gadgets.poseidon_sparse` (circomlib's optimised form: one scalar constant and a sparse matrix
per partial round, 2t - 1 multiplications instead of t^2, and the dense P before them). Tests
check it against the reference implementation, circomlibjs vectors and circomlib's tables.

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
from zk.gadgets.poseidon import MAX_INPUTS
from zk.gadgets.poseidon_grain import FULL_ROUNDS
from zk.gadgets.poseidon_sparse import sparse_parameters
from zk.r1cs.field import R

# Below this many hashes one thread does the work: starting the others costs more than they save.
PARALLEL_MIN = 64


@lru_cache(maxsize=None)
def kernel_parameters(t: int) -> dict[str, np.ndarray]:
    """zk.gadgets.poseidon_sparse's rounds as Montgomery arrays: per full round its constants and
    matrix (the last one of the first half is circomlib's dense P), per partial round its scalar
    constant and its sparse matrix (first row, then first column below the diagonal: circomlib's
    POSEIDON_S layout)."""
    p = sparse_parameters(t - 1)
    full = p.first_half + p.second_half

    def arr(values):
        return FA.to_array(FR, list(values))

    return {
        "full": arr(c for constants, _ in full for c in constants).reshape(FULL_ROUNDS, t, 4),
        "mats": arr(x for _, matrix in full for row in matrix for x in row).reshape(FULL_ROUNDS * t, t, 4),
        "partial": arr(rnd.constant for rnd in p.partial),
        "sparse": arr(x for rnd in p.partial for x in rnd.row + rnd.column).reshape(len(p.partial), 2 * t - 1, 4),
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
def permute(F, state, tmp, full, mats, partial, sparse):
    """The Poseidon permutation of `state` ((t, 4) Montgomery) in place."""
    t = state.shape[0]
    half = full.shape[0] // 2
    for r in range(half):
        _full_round(F, state, tmp, full, r, mats, r)
    for r in range(partial.shape[0]):
        s0 = _sbox(F, fadd(F, fload(F, state, 0), fload(F, partial, r)))
        acc = fmul(F, _at(sparse, r, 0), s0)
        for j in range(1, t):
            sj = fload(F, state, j)
            acc = fadd(F, acc, fmul(F, _at(sparse, r, j), sj))
            fstore(F, state, j, fadd(F, sj, fmul(F, _at(sparse, r, t - 1 + j), s0)))
        fstore(F, state, 0, acc)
    for r in range(half, full.shape[0]):
        _full_round(F, state, tmp, full, r, mats, r)


@njit(cache=True)
def _hash_rows(F, inputs, initial, out, lo, hi, full, mats, partial, sparse):
    t = inputs.shape[1] + 1
    state = np.empty((t, 4), dtype=np.uint64)
    tmp = np.empty((t, 4), dtype=np.uint64)
    for n in range(lo, hi):
        fstore(F, state, 0, fload(F, initial, n))
        for i in range(1, t):
            fstore(F, state, i, _at(inputs, n, i - 1))
        permute(F, state, tmp, full, mats, partial, sparse)
        fstore(F, out, n, fload(F, state, 0))


@njit(cache=True, parallel=True)
def _hash_parallel(F, inputs, initial, out, chunks, full, mats, partial, sparse):
    n = inputs.shape[0]
    step = (n + chunks - 1) // chunks
    for c in prange(chunks):
        _hash_rows(F, inputs, initial, out, c * step, min(n, (c + 1) * step), full, mats, partial, sparse)


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
    k = kernel_parameters(inputs.shape[1] + 1)
    out = np.empty((n, 4), dtype=np.uint64)
    args = (k["full"], k["mats"], k["partial"], k["sparse"])
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
