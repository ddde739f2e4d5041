"""Poseidon rewritten for cheap evaluation outside a circuit: the same permutation as
:func:`zk.gadgets.poseidon.poseidon`, with the partial rounds' constants and matrices transformed
(the Poseidon paper's appendix B, as circomlib's ``poseidon_constants.circom`` ships them).

In a partial round only ``s0`` goes through the S-box, so two things commute past it:

- the round constants of ``s1..`` : they are pushed forward through the MDS matrix into the next
  round's constants, leaving one scalar per partial round;
- a matrix ``diag(1, A)``: each partial round's matrix ``M'`` is factored as ``S · diag(1, A)`` with
  ``S = [[m00, v^T A^-1], [w, I]]`` sparse, and ``diag(1, A)`` is moved back into the previous
  round's matrix. After the last factoring it lands in the last full round of the first half,
  whose matrix becomes dense ``diag(1, A) · M`` (circomlib's ``P``).

A partial round then costs ``2t - 1`` multiplications instead of ``t^2``. :func:`sparse_parameters`
computes the transformed constants from the shipped ones (so nothing here is copied from
elsewhere) and :func:`poseidon_sparse` evaluates them; tests check it equals ``poseidon`` and the
EVM code generated from these parameters (``zk.formats.solidity_poseidon``) equals both.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from zk.gadgets.poseidon import _check_arity, parameters
from zk.gadgets.poseidon_grain import FULL_ROUNDS
from zk.r1cs.field import R

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class SparseRound:
    """One partial round after the transformation: ``s0 += constant; s0 = s0^5``, then
    ``s0' = row · s`` and ``s_i' = s_i + column[i-1] · s0`` (the S-box output) for i >= 1."""

    constant: int
    row: tuple[int, ...]  # t entries
    column: tuple[int, ...]  # t - 1 entries


@dataclass(frozen=True)
class SparseParameters:
    t: int
    # Full rounds, first half then second half: (constants added before the S-box, matrix after it).
    first_half: tuple[tuple[tuple[int, ...], Matrix], ...]
    partial: tuple[SparseRound, ...]
    second_half: tuple[tuple[tuple[int, ...], Matrix], ...]


def _matmul(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]]) -> list[list[int]]:
    return [[sum(x * y for x, y in zip(row, col)) % R for col in zip(*b)] for row in a]


def _matvec(a: Sequence[Sequence[int]], v: Sequence[int]) -> list[int]:
    return [sum(x * y for x, y in zip(row, v)) % R for row in a]


def _inverse(a: Sequence[Sequence[int]]) -> list[list[int]]:
    """Gauss-Jordan over F_r; the blocks inverted here are submatrices of MDS matrices (or
    products of them) and therefore invertible."""
    n = len(a)
    m = [list(row) + [int(i == j) for j in range(n)] for i, row in enumerate(a)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if m[r][col])
        m[col], m[pivot] = m[pivot], m[col]
        inv = pow(m[col][col], -1, R)
        m[col] = [x * inv % R for x in m[col]]
        for r in range(n):
            if r != col and m[r][col]:
                f = m[r][col]
                m[r] = [(x - f * y) % R for x, y in zip(m[r], m[col])]
    return [row[n:] for row in m]


def _freeze(m: Sequence[Sequence[int]]) -> Matrix:
    return tuple(tuple(row) for row in m)


@lru_cache(maxsize=None)
def sparse_parameters(n_inputs: int) -> SparseParameters:
    t = _check_arity(n_inputs, 1)
    flat, mds, n_partial = parameters(t)
    half = FULL_ROUNDS // 2
    n_rounds = FULL_ROUNDS + n_partial
    constants = [list(flat[r * t:(r + 1) * t]) for r in range(n_rounds)]
    matrices: list[list[list[int]]] = [[list(row) for row in mds] for _ in range(n_rounds)]

    # Constants of s1.. in a partial round bypass its S-box: add them after the matrix instead,
    # i.e. to the next round's constants.
    for r in range(half, half + n_partial):
        moved = _matvec(mds, [0] + constants[r][1:])
        constants[r][1:] = [0] * (t - 1)
        constants[r + 1] = [(c + m) % R for c, m in zip(constants[r + 1], moved)]

    # Factor each partial round's matrix A = S · diag(1, Â) and push diag(1, Â) one round back.
    rows: list[tuple[int, ...]] = [()] * n_partial
    columns: list[tuple[int, ...]] = [()] * n_partial
    for r in range(half + n_partial - 1, half - 1, -1):
        a = matrices[r]
        a_hat = [row[1:] for row in a[1:]]
        a_hat_inv = _inverse(a_hat)
        v = a[0][1:]
        v_prime = _matvec([list(col) for col in zip(*a_hat_inv)], v)  # v^T Â^-1
        rows[r - half] = (a[0][0], *v_prime)
        columns[r - half] = tuple(row[0] for row in a[1:])
        shift = [[1] + [0] * (t - 1)] + [[0] + row for row in a_hat]
        matrices[r - 1] = _matmul(shift, matrices[r - 1])

    full = lambda rs: tuple((tuple(constants[r]), _freeze(matrices[r])) for r in rs)  # noqa: E731
    partial = tuple(SparseRound(constants[half + i][0], rows[i], columns[i]) for i in range(n_partial))
    return SparseParameters(t, full(range(half)), partial, full(range(half + n_partial, n_rounds)))


def _sbox(x: int) -> int:
    return pow(x, 5, R)


def poseidon_sparse(inputs: Sequence[int]) -> int:
    """circomlib Poseidon (initial state 0, one output) through the transformed rounds."""
    for x in inputs:
        if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < R:
            raise ValueError(f"Poseidon inputs must be field elements (ints in [0, r)), got {x!r}")
    p = sparse_parameters(len(inputs))
    state = [0, *inputs]

    def full_round(state, constants, matrix):
        return _matvec(matrix, [_sbox((s + c) % R) for s, c in zip(state, constants)])

    for constants, matrix in p.first_half:
        state = full_round(state, constants, matrix)
    for rnd in p.partial:
        s0 = _sbox((state[0] + rnd.constant) % R)
        state = [sum(x * y for x, y in zip(rnd.row, [s0, *state[1:]])) % R] + [
            (s + w * s0) % R for s, w in zip(state[1:], rnd.column)
        ]
    for constants, matrix in p.second_half:
        state = full_round(state, constants, matrix)
    return state[0]
