"""Groth16 verification, single and batched.

Single: e(-A, B) · e(alpha, beta) · e(IC_0 + sum x_i IC_i, gamma) · e(C, delta) == 1, as one
multi-pairing (one shared Miller loop, one final exponentiation).

Batch of k proofs under one key: with independent random 128-bit rho_j,
    prod_j e(-rho_j A_j, B_j) · e(sum rho_j alpha, beta) · e(sum rho_j X_j, gamma) · e(sum rho_j C_j, delta) == 1
k + 3 pairs instead of 4k. If some proof is invalid the product is 1 only when the rho_j hit
a root of a non-zero linear relation: probability <= 2^-128.

Malformed input raises :class:`InvalidInput` (wrong count, inputs outside [0, r), points not in
their groups); a well-formed proof that does not verify returns False.
"""
from __future__ import annotations

import secrets
from typing import Iterable, Sequence

import numpy as np

from zk.curve import G1Point, g1_to_array, g2_to_array
from zk.curve import kernels as curve_kernels
from zk.field import FP, R
from zk.field import arrays as field_arrays

from . import _backend as backend
from .data import InvalidInput, Proof
from .keys import VerifyingKey

BATCH_SCALAR_BITS = 128
# Up to this many public inputs the verifier's kernel forms IC_0 + sum x_i IC_i itself (a scalar
# multiplication each); above it an MSM does, and the kernel gets the sum.
IC_IN_KERNEL_MAX = 32


def check_public_inputs(vk: VerifyingKey, public_inputs: Sequence[int]) -> list[int]:
    """The public inputs as ints, after checking their number and that each is in [0, r)."""
    values = list(public_inputs)
    if len(values) != vk.n_public:
        raise InvalidInput(f"the verifying key expects {vk.n_public} public inputs, got {len(values)}")
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InvalidInput(f"public input {i} must be an int, got {type(value).__name__}")
        if not 0 <= int(value) < R:
            # x and x + r give the same pairing equation; accepting both would make every proof
            # valid for several "different" statements (input malleability).
            raise InvalidInput(f"public input {i} = {value} is not a field element: it must be in [0, r)")
    return [int(v) for v in values]


def _public_combination(vk: VerifyingKey, values: list[int]) -> G1Point:
    """IC_0 + sum_i x_i IC_i."""
    return backend.msm_g1(vk.prepared()["ic"], field_arrays.ints_to_raw([1] + values))


def _check_proof(proof: Proof) -> Proof:
    if not isinstance(proof, Proof):
        raise InvalidInput(f"expected a Proof, got {type(proof).__name__}")
    return proof.validate()


def verify(vk: VerifyingKey, public_inputs: Sequence[int], proof: Proof, *, insecure_dev_key: bool = False) -> bool:
    """True when the proof is valid for these public inputs (outputs first, then public inputs, as
    in public.json). Raises :class:`InvalidInput` for malformed input (see the module doc) and
    :class:`InvalidKey` for a degenerate key unless ``insecure_dev_key`` (see :func:`prove`)."""
    if not insecure_dev_key:
        vk.require_sound()
    values = check_public_inputs(vk, public_inputs)
    _check_proof(proof)
    # One kernel: IC_0 + sum x_i IC_i and the multi-pairing (each cached kernel a process loads
    # costs it start-up time; an MSM for a handful of inputs would be four more kernels).
    if len(values) <= IC_IN_KERNEL_MAX:
        ic, scalars = vk.prepared()["ic"], field_arrays.ints_to_raw(values)
    else:
        ic, scalars = g1_to_array([_public_combination(vk, values)]), field_arrays.ints_to_raw([])
    g1 = np.concatenate([g1_to_array([-proof.a, vk.alpha_g1, proof.c]), ic])
    g2 = np.concatenate([g2_to_array([proof.b]), vk.prepared()["g2"]])
    return backend.groth16_check(g1, g2, scalars)


def verify_batch(vk: VerifyingKey, items: Iterable[tuple[Sequence[int], Proof]]) -> bool:
    """True when every (public inputs, proof) pair verifies (up to 2^-128 error); an empty batch is True."""
    vk.require_sound()
    checked = []
    for k, item in enumerate(items):
        try:
            public_inputs, proof = item
        except (TypeError, ValueError):
            raise InvalidInput(f"batch item {k} must be a (public inputs, proof) pair") from None
        try:
            checked.append((check_public_inputs(vk, public_inputs), _check_proof(proof)))
        except InvalidInput as exc:
            raise InvalidInput(f"batch item {k}: {exc}") from None
    if not checked:
        return True
    rhos = [secrets.randbits(BATCH_SCALAR_BITS) for _ in checked]
    # A zero rho would drop its proof from the check entirely.
    rhos = [rho or 1 for rho in rhos]
    rho_raw = field_arrays.ints_to_raw(rhos)
    n_public = vk.n_public
    # sum_j rho_j X_j = rho_total IC_0 + sum_i (sum_j rho_j x_ji) IC_i: one MSM over the IC points.
    ic_scalars = [sum(rhos) % R] + [sum(rho * values[i] for rho, (values, _) in zip(rhos, checked)) % R
                                    for i in range(n_public)]
    vk_x = backend.msm_g1(vk.prepared()["ic"], field_arrays.ints_to_raw(ic_scalars))
    c_sum = backend.msm_g1(g1_to_array([p.c for _, p in checked]), rho_raw)
    alpha_sum = vk.alpha_g1 * (sum(rhos) % R)
    g1 = np.concatenate([_scaled(g1_to_array([-p.a for _, p in checked]), rho_raw),
                         g1_to_array([alpha_sum, vk_x, c_sum])])
    g2 = np.concatenate([g2_to_array([p.b for _, p in checked]), vk.prepared()["g2"]])
    return backend.pairing_check(g1, g2)


def _scaled(points: np.ndarray, scalars: np.ndarray) -> np.ndarray:
    """[k_i P_i] (each separately), affine; 128-bit scalars cost half a full multiplication."""
    jac = np.empty((points.shape[0], 3, 4), dtype=np.uint64)
    curve_kernels.batch_scalar_mul(FP, points, scalars, jac)
    out = np.empty_like(points)
    curve_kernels.batch_to_affine(FP, jac, out)
    return out
