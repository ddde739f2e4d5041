"""The Groth16 prover: one proof from a proving key and a full witness.

    A = alpha + sum_j w_j u_j(tau) + r delta                         (G1)
    B = beta  + sum_j w_j v_j(tau) + s delta                         (G2, and in G1 for C)
    C = sum_{j private} w_j L_j + D(tau)/delta + s A + r B1 - r s delta     (G1)

with fresh uniformly random r, s from ``secrets`` for every proof: they make (A, B, C) uniformly
distributed among the valid proofs of the statement, which is where zero knowledge comes from.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from zk.curve import G1Point, G2Point
from zk.field import FR, R
from zk.field import arrays as A

from . import _backend as B
from .data import Groth16Error, Proof, require_g2
from .keys import ProvingKey
from .qap import R_LIMBS, R1CSMatrices, first_not_below, quotient_evaluations


class WitnessMismatch(Groth16Error):
    """A witness that does not fit the proving key (length, constant wire, values >= r)."""


def _first_bad_value(witness) -> int:
    for i, value in enumerate(witness):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= int(value) < R:
            return i
    return -1


def _witness_limbs(n_wires: int, witness: Sequence[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(values, plain limbs for the MSMs, Montgomery limbs for the QAP), checked: the right
    length, every value an int in [0, r), wire 0 = 1. One pass of Python over the values (the
    byte conversion); the range check runs on the limbs. An (n, 4) uint64 array is taken as
    Montgomery limbs (what ConstraintSystem.solve_values gives) and needs no Python ints at all."""
    if isinstance(witness, np.ndarray):
        return _witness_from_montgomery(n_wires, witness)
    witness = list(witness)
    if len(witness) != n_wires:
        raise WitnessMismatch(f"the witness has {len(witness)} values, the circuit has {n_wires} wires")
    plain = None
    if set(map(type, witness)) <= {int}:  # C-speed type scan; anything else takes the slow path
        try:
            plain = A.ints_to_raw(witness)
        except OverflowError:  # negative or >= 2^256
            pass
    elif _first_bad_value(witness) < 0:  # numpy integers and the like
        witness = [int(v) for v in witness]
        plain = A.ints_to_raw(witness)
    bad = _first_bad_value(witness) if plain is None else first_not_below(plain, R_LIMBS)
    if bad >= 0:
        raise WitnessMismatch(f"witness[{bad}] = {witness[bad]!r} is not a field element in [0, r)")
    if witness[0] != 1:
        raise WitnessMismatch(f"witness[0] must be 1 (the constant wire), got {witness[0]!r}")
    mont = np.empty_like(plain)
    A.to_montgomery_rows(FR, plain, mont)
    return witness, plain, mont


class _LimbValues(Sequence):
    """The witness values of a limb array as ints, converted only where read (the public ones)."""

    def __init__(self, plain: np.ndarray):
        self.plain = plain

    def __len__(self):
        return self.plain.shape[0]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return A.raw_to_ints(self.plain[index])
        return A.raw_to_ints(self.plain[index:index + 1])[0]


def _witness_from_montgomery(n_wires: int, mont: np.ndarray) -> tuple[Sequence[int], np.ndarray, np.ndarray]:
    if mont.dtype != np.uint64 or mont.ndim != 2 or mont.shape[1] != 4:
        raise WitnessMismatch(f"a witness array must be (n, 4) uint64 Montgomery limbs, got {mont.dtype} {mont.shape}")
    if mont.shape[0] != n_wires:
        raise WitnessMismatch(f"the witness has {mont.shape[0]} values, the circuit has {n_wires} wires")
    mont = np.ascontiguousarray(mont)
    bad = first_not_below(mont, R_LIMBS)
    if bad >= 0:
        raise WitnessMismatch(f"witness[{bad}] is not a reduced Montgomery limb array")
    plain = np.empty_like(mont)
    A.from_montgomery_rows(FR, mont, plain)
    values = _LimbValues(plain)
    if values[0] != 1:
        raise WitnessMismatch(f"witness[0] must be 1 (the constant wire), got {values[0]!r}")
    return values, plain, mont


@dataclass(frozen=True)
class ProverScalars:
    """What the MSMs multiply the key's points by: the witness (plain limbs; wires
    n_public + 1.. also scale l_query) and the quotient's coset values (scale h_query)."""

    public: list
    witness: np.ndarray  # (n_wires, 4) plain
    quotient: np.ndarray  # (domain_size, 4) plain
    n_public: int


@dataclass(frozen=True)
class QuerySums:
    """The five MSM results, over all rows of a key or (summed later) over some of them."""

    a: G1Point
    b1: G1Point
    b2: G2Point
    l: G1Point
    h: G1Point

    def __add__(self, other: "QuerySums") -> "QuerySums":
        return QuerySums(self.a + other.a, self.b1 + other.b1, self.b2 + other.b2, self.l + other.l, self.h + other.h)


def prover_scalars(matrices: R1CSMatrices, a_aug, witness: Sequence[int], origins=None) -> ProverScalars:
    """The part of proving that needs the constraint matrices and no point of the key: check the
    witness, compute the quotient. ``a_aug``: ``matrices.a_with_public_rows()`` (cache it)."""
    witness, w_plain, w_mont = _witness_limbs(matrices.n_wires, witness)
    d_plain = quotient_evaluations(matrices, a_aug, w_mont, origins)
    n_public = matrices.n_public
    return ProverScalars([int(v) for v in witness[1 : n_public + 1]], w_plain, d_plain, n_public)


def query_sums(a_query, b_g1_query, b_g2_query, l_query, h_query, wires: np.ndarray,
               l_scalars: np.ndarray, h_scalars: np.ndarray) -> QuerySums:
    """The five MSMs over rows of the query arrays: a, b1, b2 by ``wires``, l by ``l_scalars``
    (the private wires' values), h by ``h_scalars``. A key split by rows sums these per part."""
    return QuerySums(B.msm_g1(a_query, wires), B.msm_g1(b_g1_query, wires), B.msm_g2(b_g2_query, wires),
                     B.msm_g1(l_query, np.ascontiguousarray(l_scalars)), B.msm_g1(h_query, h_scalars))


def assemble(vk, beta_g1: G1Point, delta_g1: G1Point, sums: QuerySums) -> Proof:
    """The proof from the MSM sums, with fresh uniformly random r, s."""
    r = secrets.randbelow(R)
    s = secrets.randbelow(R)
    proof_a = vk.alpha_g1 + sums.a + delta_g1 * r
    proof_b = vk.beta_g2 + sums.b2 + vk.delta_g2 * s
    b1 = beta_g1 + sums.b1 + delta_g1 * s
    proof_c = sums.l + sums.h + proof_a * s + b1 * r - delta_g1 * (r * s % R)
    del r, s
    # A corrupted b_g2_query row could push B out of G2; the verifier would reject the proof, but
    # saying so here points at the key instead of at the witness.
    require_g2(proof_b, "the computed proof point B (the proving key's b_g2_query is corrupt)")
    return Proof(proof_a, proof_b, proof_c)


def prove(pk: ProvingKey, witness: Sequence[int], *, origins=None,
          progress: Callable[[str], None] | None = None) -> tuple[Proof, list[int]]:
    """(proof, public signals) for a full witness (wire 0 = 1, then the public signals, then the
    rest, as :meth:`ConstraintSystem.solve` and circom's .wtns give it). ``origins`` (the
    constraint descriptions of a ConstraintSystem) make an unsatisfied-constraint error precise."""
    say = progress or (lambda _msg: None)
    pk.vk.require_sound()
    scalars = prover_scalars(pk.matrices, pk.prepared()["a_aug"], witness, origins)
    say("prove: quotient on the coset")
    w = scalars.witness
    sums = query_sums(pk.a_query, pk.b_g1_query, pk.b_g2_query, pk.l_query, pk.h_query,
                      w, w[scalars.n_public + 1:], scalars.quotient)
    say("prove: A, B1, B2, L and H MSMs")
    proof = assemble(pk.vk, pk.beta_g1, pk.delta_g1, sums)
    say("prove: done")
    return proof, scalars.public
