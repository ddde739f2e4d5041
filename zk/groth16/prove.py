"""The Groth16 prover: one proof from a proving key and a full witness.

    A = alpha + sum_j w_j u_j(tau) + r delta                         (G1)
    B = beta  + sum_j w_j v_j(tau) + s delta                         (G2, and in G1 for C)
    C = sum_{j private} w_j L_j + D(tau)/delta + s A + r B1 - r s delta     (G1)

with fresh uniformly random r, s from ``secrets`` for every proof: they make (A, B, C) uniformly
distributed among the valid proofs of the statement, which is where zero knowledge comes from.

The witness is checked once, where it enters (:func:`checked_witness`), and travels as plain
limbs from there: the MSMs (``_backend``) do not check it again.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from zk._mapped import release_pages
from zk.curve import G1Point, G2Point
from zk.field import FR, R
from zk.field import arrays as field_arrays
from zk.msm.scalars import ScalarError, Scalars

from . import _backend as backend
from .data import Groth16Error, Proof, require_g2
from .keys import ProvingKey
from .qap import R1CSMatrices, quotient_evaluations


class WitnessMismatch(Groth16Error):
    """A witness that does not fit the proving key (length, constant wire, values >= r)."""


def _first_bad_value(witness) -> int:
    for i, value in enumerate(witness):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= int(value) < R:
            return i
    return -1


def checked_witness(n_wires: int, witness) -> tuple[np.ndarray, np.ndarray]:
    """(plain limbs for the MSMs, Montgomery limbs for the QAP), checked here once: the right
    length, every value in [0, r), wire 0 = 1; nothing downstream checks them again. Accepts
    :class:`zk.msm.Scalars` (e.g. :func:`zk.formats.circom.read_wtns_scalars`: range checked when
    read), an (n, 4) uint64 array of Montgomery limbs (what ConstraintSystem.solve_values gives),
    or a sequence of ints (one C-speed pass of bytes, no big-int maths)."""
    n = len(witness) if isinstance(witness, (Scalars, np.ndarray)) else None
    if n is None:
        witness = list(witness)
        n = len(witness)
    if isinstance(witness, np.ndarray) and (witness.dtype != np.uint64 or witness.ndim != 2 or witness.shape[1] != 4):
        raise WitnessMismatch(f"a witness array must be (n, 4) uint64 Montgomery limbs, got {witness.dtype} {witness.shape}")
    if n != n_wires:
        raise WitnessMismatch(f"the witness has {n} values, the circuit has {n_wires} wires")
    mont = None
    if isinstance(witness, Scalars):
        plain = witness.limbs
    elif isinstance(witness, np.ndarray):
        mont = np.ascontiguousarray(witness)
        bad = field_arrays.first_non_canonical(FR, mont)
        if bad >= 0:
            raise WitnessMismatch(f"witness[{bad}] is not a reduced Montgomery limb array")
        plain = np.empty_like(mont)
        field_arrays.from_montgomery_rows(FR, mont, plain)
    else:
        values = witness
        plain = None
        if set(map(type, values)) <= {int}:  # C-speed type scan; anything else takes the slow path
            try:
                plain = field_arrays.ints_to_raw(values)
            except OverflowError:  # negative or >= 2^256
                pass
        elif _first_bad_value(values) < 0:  # numpy integers and the like
            plain = field_arrays.ints_to_raw([int(v) for v in values])
        if plain is None:
            bad = _first_bad_value(values)
            raise WitnessMismatch(f"witness[{bad}] = {values[bad]!r} is not a field element in [0, r)")
        try:
            plain = Scalars.from_limbs(plain, "witness value").limbs
        except ScalarError as exc:
            raise WitnessMismatch(f"witness[{exc.index}] = {values[exc.index]!r} is not a field element in [0, r)") from None
    if n == 0 or tuple(plain[0]) != (1, 0, 0, 0):
        first = field_arrays.raw_to_ints(plain[:1])[0] if n else None
        raise WitnessMismatch(f"witness[0] must be 1 (the constant wire), got {first!r}")
    if mont is None:
        mont = np.empty_like(plain)
        field_arrays.to_montgomery_rows(FR, plain, mont)
    return plain, mont


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


def prover_scalars(matrices: R1CSMatrices, a_aug, witness, origins=None) -> ProverScalars:
    """The part of proving that needs the constraint matrices and no point of the key: check the
    witness, compute the quotient. ``a_aug``: ``matrices.a_with_public_rows()``, or None (the
    public rows are added on the way, without a copy of A)."""
    w_plain, w_mont = checked_witness(matrices.n_wires, witness)
    d_plain = quotient_evaluations(matrices, a_aug, w_mont, origins)
    n_public = matrices.n_public
    return ProverScalars(field_arrays.raw_to_ints(w_plain[1 : n_public + 1]), w_plain, d_plain, n_public)


def _msm(engine, query: np.ndarray, scalars: np.ndarray):
    total = engine(query, scalars)
    # A mapped key's query is read once per proof: its pages need not stay resident through the
    # other MSMs (zk._mapped; a no-op for a key in memory).
    release_pages(query)
    return total


def query_sums(a_query, b_g1_query, b_g2_query, l_query, h_query, wires: np.ndarray,
               l_scalars: np.ndarray, h_scalars: np.ndarray) -> QuerySums:
    """The five MSMs over rows of the query arrays: a, b1, b2 by ``wires``, l by ``l_scalars``
    (the private wires' values), h by ``h_scalars``. A key split by rows sums these per part.
    The G2 MSM, whose scratch is the largest, runs last."""
    h = _msm(backend.msm_g1, h_query, h_scalars)
    l = _msm(backend.msm_g1, l_query, np.ascontiguousarray(l_scalars))
    a = _msm(backend.msm_g1, a_query, wires)
    b1 = _msm(backend.msm_g1, b_g1_query, wires)
    return QuerySums(a, b1, _msm(backend.msm_g2, b_g2_query, wires), l, h)


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


def prove(pk: ProvingKey, witness: Sequence[int] | Scalars | np.ndarray, *, origins=None,
          progress: Callable[[str], None] | None = None, insecure_dev_key: bool = False) -> tuple[Proof, list[int]]:
    """(proof, public signals) for a full witness (wire 0 = 1, then the public signals, then the
    rest, as :meth:`ConstraintSystem.solve` and circom's .wtns give it): ints, Montgomery limbs
    (ConstraintSystem.solve_values) or :class:`zk.msm.Scalars`. ``origins`` (the constraint
    descriptions of a ConstraintSystem) make an unsatisfied-constraint error precise. A degenerate
    key is refused unless ``insecure_dev_key`` (a ceremony's key before its first phase-2
    contribution, gamma = delta, for tests: anyone can forge proofs under it)."""
    say = progress or (lambda _msg: None)
    if not insecure_dev_key:
        pk.vk.require_sound()
    scalars = prover_scalars(pk.matrices, None, witness, origins)
    for m in (pk.matrices.a, pk.matrices.b, pk.matrices.c):
        if m is not None:
            for part in (m.rows, m.cols, m.coeffs):
                release_pages(part)
    say("prove: quotient on the coset")
    w = scalars.witness
    sums = query_sums(pk.a_query, pk.b_g1_query, pk.b_g2_query, pk.l_query, pk.h_query,
                      w, w[scalars.n_public + 1:], scalars.quotient)
    say("prove: A, B1, B2, L and H MSMs")
    proof = assemble(pk.vk, pk.beta_g1, pk.delta_g1, sums)
    say("prove: done")
    return proof, scalars.public
