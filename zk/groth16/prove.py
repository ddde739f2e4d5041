"""The Groth16 prover: one proof from a proving key and a full witness.

    A = alpha + sum_j w_j u_j(tau) + r delta                         (G1)
    B = beta  + sum_j w_j v_j(tau) + s delta                         (G2, and in G1 for C)
    C = sum_{j private} w_j L_j + D(tau)/delta + s A + r B1 - r s delta     (G1)

with fresh uniformly random r, s from ``secrets`` for every proof: they make (A, B, C) uniformly
distributed among the valid proofs of the statement, which is where zero knowledge comes from.
"""
from __future__ import annotations

import secrets
from typing import Callable, Sequence

import numpy as np

from zk.field import FR, R
from zk.field import arrays as A

from . import _backend as B
from .data import Groth16Error, Proof, require_g2
from .keys import ProvingKey
from .qap import R_LIMBS, first_not_below, quotient_evaluations


class WitnessMismatch(Groth16Error):
    """A witness that does not fit the proving key (length, constant wire, values >= r)."""


def _first_bad_value(witness) -> int:
    for i, value in enumerate(witness):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= int(value) < R:
            return i
    return -1


def _witness_limbs(pk: ProvingKey, witness: Sequence[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(values, plain limbs for the MSMs, Montgomery limbs for the QAP), checked: the right
    length, every value an int in [0, r), wire 0 = 1. One pass of Python over the values (the
    byte conversion); the range check runs on the limbs."""
    witness = list(witness)
    if len(witness) != pk.n_wires:
        raise WitnessMismatch(f"the witness has {len(witness)} values, the circuit has {pk.n_wires} wires")
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


def prove(pk: ProvingKey, witness: Sequence[int], *, origins=None,
          progress: Callable[[str], None] | None = None) -> tuple[Proof, list[int]]:
    """(proof, public signals) for a full witness (wire 0 = 1, then the public signals, then the
    rest, as :meth:`ConstraintSystem.solve` and circom's .wtns give it). ``origins`` (the
    constraint descriptions of a ConstraintSystem) make an unsatisfied-constraint error precise."""
    say = progress or (lambda _msg: None)
    pk.vk.require_sound()
    witness, w_plain, w_mont = _witness_limbs(pk, witness)
    mats = pk.matrices
    n_public = mats.n_public

    d_plain = quotient_evaluations(mats, pk.prepared()["a_aug"], w_mont, origins)
    say("prove: quotient on the coset")

    a_sum = B.msm_g1(pk.a_query, w_plain)
    b1_sum = B.msm_g1(pk.b_g1_query, w_plain)
    say("prove: A and B1 MSMs")
    b2_sum = B.msm_g2(pk.b_g2_query, w_plain)
    say("prove: B2 MSM")
    l_sum = B.msm_g1(pk.l_query, np.ascontiguousarray(w_plain[n_public + 1:]))
    h_sum = B.msm_g1(pk.h_query, d_plain)
    say("prove: L and H MSMs")

    r = secrets.randbelow(R)
    s = secrets.randbelow(R)
    vk = pk.vk
    proof_a = vk.alpha_g1 + a_sum + pk.delta_g1 * r
    proof_b = vk.beta_g2 + b2_sum + vk.delta_g2 * s
    b1 = pk.beta_g1 + b1_sum + pk.delta_g1 * s
    proof_c = l_sum + h_sum + proof_a * s + b1 * r - pk.delta_g1 * (r * s % R)
    del r, s
    # A corrupted b_g2_query row could push B out of G2; the verifier would reject the proof, but
    # saying so here points at the key instead of at the witness.
    require_g2(proof_b, "the computed proof point B (the proving key's b_g2_query is corrupt)")
    say("prove: done")
    return Proof(proof_a, proof_b, proof_c), [int(v) for v in witness[1 : n_public + 1]]
