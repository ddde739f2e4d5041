"""Groth16 key generation (a single-party trusted setup, for development and tests).

The toxic waste (tau, alpha, beta, gamma, delta) comes from ``secrets``, lives only in local
variables and the arrays derived from it, which are overwritten before returning. Whoever knows
it can forge proofs, so production circuits should use a multi-party ceremony (snarkjs's
powers of tau + zkey contributions); this generator exists so that the toolkit is complete on
its own and keys for tests and development are one call away.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Callable

import numpy as np

from zk.curve import g1_from_array, g2_from_array
from zk.field import FR, R
from zk.field import arrays as field_arrays
from zk.poly import lagrange_evaluations

from . import _backend as backend
from .data import InvalidKey
from .keys import ProvingKey, VerifyingKey
from .qap import (Matrix, QAPError, R1CSMatrices, from_constraint_system, linear_combination3, mont_element,
                  sparse_accumulate, to_plain)

Progress = Callable[[str], None]


def _nonzero_scalar() -> int:
    return secrets.randbelow(R - 1) + 1


def _column_evaluations(mats: R1CSMatrices, a_aug, lagrange: np.ndarray):
    """u_j(tau), v_j(tau), w_j(tau) for every wire j: the transposed matrices times L(tau)."""
    out = []
    for m in (a_aug, mats.b, mats.c):
        v = np.empty((mats.n_wires, 4), dtype=np.uint64)
        sparse_accumulate(FR, m.cols, m.rows, m.coeffs, lagrange, v)
        out.append(v)
    return out


@dataclass
class _ToxicWaste:
    tau: int
    alpha: int
    beta: int
    gamma: int
    delta: int


def _sample_toxic_waste(n: int) -> _ToxicWaste:
    # tau must avoid the size-2n domain: there L^(2n)(tau) is an indicator vector and the H query
    # would hold points at infinity (and Z(tau) = 0 on the size-n domain breaks soundness).
    while True:
        tau = _nonzero_scalar()
        if pow(tau, 2 * n, R) != 1:
            break
    alpha, beta, gamma, delta = (_nonzero_scalar() for _ in range(4))
    # gamma and delta are independent; delta = +-gamma lets C absorb or cancel the public-input
    # term (forgery, see zk.groth16.keys.degenerate_key_problem).
    while delta in (gamma, R - gamma):
        delta = _nonzero_scalar()
    return _ToxicWaste(tau, alpha, beta, gamma, delta)


_TERM_ARRAYS = ("matrix", "constraint", "signal", "coeffs")


def matrices_from_terms(terms) -> R1CSMatrices:
    """The matrices of a .r1cs read as arrays (:func:`zk.formats.circom.read_r1cs_terms`: one
    row per stored term, coefficients as plain limbs already checked below r), equal entry for
    entry, in the same order, to what :func:`zk.formats.circom.read_r1cs` and
    ``from_constraint_system`` give: zero coefficients dropped, each linear combination's terms
    by wire, then coefficient. At 2^20 this skips a Python object per term (about 1 GiB and a
    quarter of setup's CPU, docs/bench.md "At 2^18 and 2^20")."""
    matrix, constraint, signal, coeffs = (getattr(terms, name) for name in _TERM_ARRAYS)
    n = matrix.shape[0]
    if not (constraint.shape == signal.shape == (n,) and coeffs.shape == (n, 4) and coeffs.dtype == np.uint64):
        raise QAPError("r1cs terms: matrix, constraint, signal and coefficient arrays differ in shape")
    if n and field_arrays.first_non_canonical(FR, np.ascontiguousarray(coeffs)) >= 0:
        raise QAPError("a constraint coefficient is not below r")
    keep = np.flatnonzero(coeffs.any(axis=1))
    limbs = coeffs[keep]
    # np.lexsort's last key is the primary one: matrix, constraint, wire, then the coefficient's
    # value (its limbs from the most significant), which orders repeated wires as read_r1cs does.
    order = keep[np.lexsort((limbs[:, 0], limbs[:, 1], limbs[:, 2], limbs[:, 3], signal[keep], constraint[keep],
                             matrix[keep]))]
    mats = []
    for m in (0, 1, 2):
        sel = order[matrix[order] == m]
        mont = np.empty((sel.shape[0], 4), dtype=np.uint64)
        field_arrays.to_montgomery_rows(FR, np.ascontiguousarray(coeffs[sel]), mont)
        mats.append(Matrix(constraint[sel].astype(np.int64), signal[sel].astype(np.int64), mont))
    out = R1CSMatrices(int(terms.n_wires), int(terms.n_public), int(terms.n_constraints), *mats)
    out.validate()
    return out


def setup(cs, *, progress: Progress | None = None) -> tuple[ProvingKey, VerifyingKey]:
    """Keys for a constraint system: a :class:`zk.r1cs.ConstraintSystem` (also as read from a
    circom .r1cs), its :class:`R1CSMatrices`, or a .r1cs's terms as arrays
    (:func:`zk.formats.circom.read_r1cs_terms`, the lighter way for large circuits). ``progress``
    receives one line per stage (the CLI prints them)."""
    is_terms = all(hasattr(cs, name) for name in _TERM_ARRAYS) and not hasattr(cs, "to_coo")
    mats = matrices_from_terms(cs) if is_terms else from_constraint_system(cs)
    toxic = _sample_toxic_waste(mats.domain_size)
    try:
        return _keys(mats, toxic, progress)
    finally:
        toxic.tau = toxic.alpha = toxic.beta = toxic.gamma = toxic.delta = 0


def _wipe(*arrays: np.ndarray) -> None:
    for arr in arrays:
        arr.fill(0)


def _fixed_base_wiped(engine, scalars: np.ndarray) -> np.ndarray:
    """engine's [s_i]G for Montgomery scalars, which (and their plain copy) are zeroed after."""
    plain = to_plain(scalars)
    _wipe(scalars)
    try:
        return engine(plain)
    finally:
        _wipe(plain)


def _keys(mats: R1CSMatrices, toxic: _ToxicWaste, progress: Progress | None) -> tuple[ProvingKey, VerifyingKey]:
    say = progress or (lambda _msg: None)
    n = mats.domain_size
    n_public = mats.n_public
    tau, alpha, beta, gamma, delta = toxic.tau, toxic.alpha, toxic.beta, toxic.gamma, toxic.delta
    # Each cause named apart, so that a refusal says (and a test can check) which rule it broke.
    zero = [name for name, value in zip(("tau", "alpha", "beta", "gamma", "delta"), (tau, alpha, beta, gamma, delta))
            if value == 0]
    if zero:
        raise InvalidKey(f"degenerate toxic waste: {zero[0]} is zero")
    if delta in (gamma, R - gamma):
        raise InvalidKey("degenerate toxic waste: delta = +-gamma")
    if pow(tau, 2 * n, R) == 1:
        raise InvalidKey("degenerate toxic waste: tau in the evaluation domain")

    say(f"setup: {mats.n_constraints} constraints, {mats.n_wires} wires, {n_public} public, domain 2^{n.bit_length() - 1}")
    a_aug = mats.a_with_public_rows()
    # Each array derived from the toxic waste is zeroed, and dropped, as soon as it is used: at
    # 2^20 these are 32-64 MiB each, and all of them alive together raised setup's peak.
    lagrange = lagrange_evaluations(n, tau)
    u, v, w = _column_evaluations(mats, a_aug, lagrange)
    _wipe(lagrange)
    del lagrange, a_aug

    gamma_inv, delta_inv = pow(gamma, -1, R), pow(delta, -1, R)
    k = np.empty_like(u)
    linear_combination3(FR, u, v, w, mont_element(beta), mont_element(alpha), mont_element(1), k)
    _wipe(w)
    del w
    ic_scalars = np.empty((n_public + 1, 4), dtype=np.uint64)
    l_scalars = np.empty((mats.n_wires - n_public - 1, 4), dtype=np.uint64)
    field_arrays.scale(FR, k[: n_public + 1], mont_element(gamma_inv), ic_scalars)
    k_private = np.ascontiguousarray(k[n_public + 1:])
    field_arrays.scale(FR, k_private, mont_element(delta_inv), l_scalars)
    _wipe(k, k_private)
    del k, k_private
    lagrange_2n = lagrange_evaluations(2 * n, tau)
    h_scalars = np.ascontiguousarray(lagrange_2n[1::2])
    _wipe(lagrange_2n)
    del lagrange_2n
    field_arrays.scale(FR, h_scalars, mont_element(delta_inv), h_scalars)
    say("setup: scalars ready")

    u_plain, v_plain = to_plain(u), to_plain(v)
    _wipe(u, v)
    del u, v
    a_query = backend.fixed_base_g1(u_plain)
    _wipe(u_plain)
    del u_plain
    b_g1_query = backend.fixed_base_g1(v_plain)
    say("setup: A and B1 queries")
    b_g2_query = backend.fixed_base_g2(v_plain)
    _wipe(v_plain)
    del v_plain
    say("setup: B2 query")
    ic = g1_from_array(_fixed_base_wiped(backend.fixed_base_g1, ic_scalars))
    l_query = _fixed_base_wiped(backend.fixed_base_g1, l_scalars)
    h_query = _fixed_base_wiped(backend.fixed_base_g1, h_scalars)
    del ic_scalars, l_scalars, h_scalars
    say("setup: L and H queries")

    fixed_g1 = field_arrays.ints_to_raw([alpha, beta, delta])
    alpha_g1, beta_g1, delta_g1 = g1_from_array(backend.fixed_base_g1(fixed_g1))
    fixed_g2 = field_arrays.ints_to_raw([beta, gamma, delta])
    beta_g2, gamma_g2, delta_g2 = g2_from_array(backend.fixed_base_g2(fixed_g2))
    _wipe(fixed_g1, fixed_g2)
    del tau, alpha, beta, gamma, delta, gamma_inv, delta_inv

    vk = VerifyingKey(alpha_g1, beta_g2, gamma_g2, delta_g2, tuple(ic))
    pk = ProvingKey(vk, beta_g1, delta_g1, a_query, b_g1_query, b_g2_query, l_query, h_query, mats)
    try:
        pk.validate(deep=False)
    except InvalidKey as exc:  # pragma: no cover - only with a broken engine or negligible luck
        raise InvalidKey(f"setup produced an unusable key ({exc}); run it again") from None
    say("setup: done")
    return pk, vk
