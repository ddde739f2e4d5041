"""Verifying and proving keys."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from zk.curve import G1, G2, G1Point, G2Point, g1_to_array, g2_to_array
from zk.field import FP, FR
from zk.field.arrays import first_non_canonical

from .data import InvalidInput, InvalidKey, require_g1, require_g2

if TYPE_CHECKING:  # a verifier needs no QAP module (its import creates the QAP's kernels)
    from .qap import R1CSMatrices


def _require_finite(point, what: str) -> None:
    if point.is_infinity():
        raise InvalidKey(f"{what} is the point at infinity: the key is degenerate")


def degenerate_key_problem(alpha_g1, beta_g2, gamma_g2, delta_g2, ic) -> str | None:
    """The one home of the degenerate-key rule (used by the verifier, the prover, the key-file
    loader, the CLI, the Solidity exporter and the .zkey reader): why a verification key with
    these points must not be used to prove, verify or export, or None when it may. Each case
    lets someone without a witness produce a proof the key accepts (tests/test_degenerate_keys.py
    forges one for each):

    - alpha_1 or beta_2 at infinity: e(alpha, beta) = 1, and (A, B, C) = (X, gamma, 0) verifies
      for any public inputs, X = IC_0 + sum x_i IC_i;
    - gamma_2 at infinity: (alpha, beta, 0) verifies for any public inputs;
    - delta_2 at infinity: C drops out of the check, so it carries none of the witness;
    - delta_2 = gamma_2 or delta_2 = -gamma_2: (alpha, beta, -X) or (alpha, beta, X) verifies;
    - IC_i at infinity: public input i is not bound by the proof (IC_0 too: an honest setup never
      produces one);
    - IC_i = +-IC_j (i != j): inputs i and j can trade value (x_i + t, x_j -+ t).
    """
    for point, name in ((alpha_g1, "alpha_1"), (beta_g2, "beta_2"), (gamma_g2, "gamma_2"), (delta_g2, "delta_2")):
        if point.is_infinity():
            return f"vk {name} is the point at infinity: the key is degenerate and accepts forged proofs"
    if delta_g2 == gamma_g2:
        return "vk delta_2 equals gamma_2: such a key accepts forged proofs (C can absorb the public-input term)"
    if delta_g2 == -gamma_g2:
        return "vk delta_2 equals -gamma_2: such a key accepts forged proofs (C can cancel the public-input term)"
    seen: dict = {}
    for i, point in enumerate(ic):
        if point.is_infinity():
            return f"vk IC[{i}] is the point at infinity: the key is degenerate (that public input is not bound by proofs)"
        for other, sign in ((point, "equals"), (-point, "equals minus")):
            if other in seen:
                return (f"vk IC[{i}] {sign} IC[{seen[other]}]: the key is degenerate "
                        "(those public inputs can trade values in a proof)")
        seen[point] = i
    return None


def require_sound_key(alpha_g1, beta_g2, gamma_g2, delta_g2, ic, error=InvalidKey) -> None:
    """Raise ``error`` (the caller's own error class) when :func:`degenerate_key_problem` finds one."""
    problem = degenerate_key_problem(alpha_g1, beta_g2, gamma_g2, delta_g2, ic)
    if problem:
        raise error(problem)


@dataclass(frozen=True)
class VerifyingKey:
    """[alpha]_1, [beta]_2, [gamma]_2, [delta]_2 and IC_i = [(beta u_i + alpha v_i + w_i) / gamma]_1
    for the constant wire and each public signal.

    Construction refuses degenerate keys (:func:`degenerate_key_problem`) unless
    ``allow_degenerate=True``: a ceremony's initial key has gamma = delta by construction and must
    load so that contributions can replace delta. Proving, verifying and exporting call
    :meth:`require_sound`, which refuses such a key whatever the flag."""

    alpha_g1: G1Point
    beta_g2: G2Point
    gamma_g2: G2Point
    delta_g2: G2Point
    ic: tuple
    allow_degenerate: bool = field(default=False, compare=False, repr=False)
    # The points were validated where they entered (a key file whose digest passed the full
    # validation before, see zk.formats.keyfile): validate() checks the degenerate cases only.
    points_checked: bool = field(default=False, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "ic", tuple(self.ic))
        self.validate()

    @property
    def n_public(self) -> int:
        return len(self.ic) - 1

    def prepared(self) -> dict:
        """Arrays every verification reuses: the IC points and [beta, gamma, delta]_2."""
        cached = self.__dict__.get("_prepared")
        if cached is None:
            cached = {"ic": g1_to_array(self.ic), "g2": g2_to_array([self.beta_g2, self.gamma_g2, self.delta_g2])}
            object.__setattr__(self, "_prepared", cached)
        return cached

    def validate(self) -> None:
        """Points in their groups and IC non-empty; unless ``allow_degenerate``, also
        :meth:`require_sound`."""
        if self.points_checked:
            if not self.ic:
                raise InvalidKey("vk IC is empty: it needs at least the constant-wire term IC_0")
            if not self.allow_degenerate:
                self.require_sound()
            return
        try:
            require_g1(self.alpha_g1, "vk alpha_1")
            require_g2(self.beta_g2, "vk beta_2")
            require_g2(self.gamma_g2, "vk gamma_2")
            require_g2(self.delta_g2, "vk delta_2")
            if not self.ic:
                raise InvalidKey("vk IC is empty: it needs at least the constant-wire term IC_0")
            for i, p in enumerate(self.ic):
                require_g1(p, f"vk IC[{i}]")
        except InvalidInput as exc:
            raise InvalidKey(str(exc)) from None
        if not self.allow_degenerate:
            self.require_sound()

    def require_sound(self) -> None:
        """Raise :class:`InvalidKey` for a degenerate key (see :func:`degenerate_key_problem`);
        checked once per key object."""
        if not self.__dict__.get("_sound"):
            require_sound_key(self.alpha_g1, self.beta_g2, self.gamma_g2, self.delta_g2, self.ic)
            object.__setattr__(self, "_sound", True)


@dataclass
class ProvingKey:
    """Everything the prover needs: the verifying key, [beta]_1, [delta]_1, the query vectors
    (affine Montgomery arrays, infinity = zero row) and the constraint matrices.

    - a_query[j] = [u_j(tau)]_1, b_g1_query[j] = [v_j(tau)]_1, b_g2_query[j] = [v_j(tau)]_2
    - l_query[j] = [(beta u_j + alpha v_j + w_j) / delta]_1 for the private wires j > nPublic
    - h_query[i] = [L^(2n)_(2i+1)(tau) / delta]_1 (see :mod:`zk.groth16.qap`)
    """

    vk: VerifyingKey
    beta_g1: G1Point
    delta_g1: G1Point
    a_query: np.ndarray
    b_g1_query: np.ndarray
    b_g2_query: np.ndarray
    l_query: np.ndarray
    h_query: np.ndarray
    matrices: R1CSMatrices

    @property
    def n_wires(self) -> int:
        return self.matrices.n_wires

    @property
    def n_public(self) -> int:
        return self.matrices.n_public

    @property
    def domain_size(self) -> int:
        return self.matrices.domain_size

    def validate(self, *, deep: bool = True) -> None:
        """Sizes, group membership and the degenerate cases :meth:`VerifyingKey.validate` lists.

        deep=True also checks that every query coordinate is canonical and every query point is on
        its curve (one pass, cheap) and that [beta]_1, [delta]_1 match [beta]_2, [delta]_2 (one
        multi-pairing). b_g2_query rows get no per-point subgroup test (a 63-bit scalar
        multiplication each): a bad row can only spoil the prover's own proofs, and the prover
        checks the B it outputs.
        """
        m = self.matrices
        m.validate()
        n_wires, n_public, n = m.n_wires, m.n_public, m.domain_size
        self.vk.validate()
        if self.vk.n_public != n_public:
            raise InvalidKey(f"the verifying key has {self.vk.n_public} public inputs, the circuit {n_public}")
        shapes = {
            "a_query": (self.a_query, (n_wires, 2, 4)),
            "b_g1_query": (self.b_g1_query, (n_wires, 2, 4)),
            "b_g2_query": (self.b_g2_query, (n_wires, 2, 2, 4)),
            "l_query": (self.l_query, (n_wires - n_public - 1, 2, 4)),
            "h_query": (self.h_query, (n, 2, 4)),
        }
        for name, (arr, shape) in shapes.items():
            if not isinstance(arr, np.ndarray) or arr.dtype != np.uint64 or arr.shape != shape:
                got = getattr(arr, "shape", type(arr).__name__)
                raise InvalidKey(f"proving key {name} must be a uint64 array of shape {shape}, got {got}")
        check_g1_side(self.vk, self.beta_g1, self.delta_g1, pairing=False)
        if _any_zero_rows(self.h_query):
            raise InvalidKey("proving key h_query has a point at infinity: tau lies in the evaluation domain")
        if not deep:
            return
        for name in ("a_query", "b_g1_query", "l_query", "h_query", "b_g2_query"):
            check_query_points(getattr(self, name), f"proving key {name}", g2=name == "b_g2_query")
        for name in "abc":
            if getattr(m, name) is None:
                continue
            _check_canonical(getattr(m, name).coeffs, f"proving key matrix {name.upper()} coefficients", FR)
        check_g1_side(self.vk, self.beta_g1, self.delta_g1)


def check_g1_side(vk: VerifyingKey, beta_g1: G1Point, delta_g1: G1Point, *, pairing: bool = True) -> None:
    """[beta]_1 and [delta]_1 are finite G1 points and (``pairing``) match the verifying key's
    [beta]_2 and [delta]_2: one multi-pairing."""
    for point, what in ((beta_g1, "beta_1"), (delta_g1, "delta_1")):
        try:
            require_g1(point, f"proving key {what}")
        except InvalidInput as exc:
            raise InvalidKey(str(exc)) from None
        _require_finite(point, f"proving key {what}")
    if not pairing:
        return
    import secrets

    from ._backend import pairing_check

    # e(beta_1, -g2) e(-g1, ...) would need four pairings; with a random combination one
    # multi-pairing checks both: e(rho beta_1 + delta_1, -G2) e(G1, rho beta_2) e(G1, delta_2) == 1.
    rho = secrets.randbits(128) | 1
    lhs = beta_g1 * rho + delta_g1
    g1 = g1_to_array([-lhs, G1Point.generator(), G1Point.generator()])
    g2 = g2_to_array([G2Point.generator(), vk.beta_g2 * rho, vk.delta_g2])
    if not pairing_check(g1, g2):
        raise InvalidKey("proving key [beta]_1 / [delta]_1 do not match the verifying key's [beta]_2 / [delta]_2")


def check_query_points(arr: np.ndarray, what: str, *, g2: bool = False, finite: bool = False) -> None:
    """Every coordinate reduced and every row on its curve (infinity allowed unless ``finite``),
    in one pass. G2 rows get no subgroup test: see :meth:`ProvingKey.validate`."""
    if finite and _any_zero_rows(arr):
        raise InvalidKey(f"{what} has a point at infinity: tau lies in the evaluation domain")
    _check_canonical(arr, what)
    bad = (G2 if g2 else G1).first_off_curve(arr)
    if bad >= 0:
        raise InvalidKey(f"{what}[{bad}] is not on the {'G2 twist' if g2 else 'G1'} curve")


def _any_zero_rows(arr: np.ndarray) -> bool:
    flat = arr.reshape(arr.shape[0], -1)
    if not flat.shape[0]:
        return False
    # OR of the columns: a few passes at memory speed (any(axis=1) on 8-limb rows is ~10x slower).
    rows = flat[:, 0].copy()
    for k in range(1, flat.shape[1]):
        rows |= flat[:, k]
    return not rows.all()


def _check_canonical(arr: np.ndarray, name: str, field=FP) -> None:
    """Every 4-limb value reduced (the kernels assume reduced Montgomery values)."""
    if first_non_canonical(field, np.ascontiguousarray(arr).reshape(-1, 4)) >= 0:
        raise InvalidKey(f"{name} holds a value that is not reduced")
