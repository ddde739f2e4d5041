"""Groth16 verification keys and proofs made from a known trapdoor, for any number of public inputs.

With alpha, beta, gamma, delta and the IC scalars known, a proof for any public inputs is
A = a G1, B = b G2, C = (a b - alpha beta - gamma sum x_i ic_i) / delta G1 (the zero-knowledge
simulator): it satisfies e(A, B) = e(alpha, beta) e(vk_x, gamma) e(C, delta) exactly like a
prover's proof, so verifiers can be tested for shapes no circuit fixture covers (no public input,
16 inputs, IC points at infinity) without a circuit, a setup or snarkjs.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

from zk.curve import G1Point, G2Point
from zk.curve.constants import B_G2
from zk.formats.snarkjs import g1_to_snarkjs, g2_to_snarkjs
from zk.field import Fp2, R


@dataclass(frozen=True)
class Trapdoor:
    alpha: int
    beta: int
    gamma: int
    delta: int
    ic: tuple[int, ...]  # discrete logs of IC0..ICn; 0 puts that IC point at infinity

    @classmethod
    def random(cls, n_public: int, rng: random.Random, zero_ic: Sequence[int] = ()) -> "Trapdoor":
        nonzero = lambda: rng.randrange(1, R)  # noqa: E731
        ic = tuple(0 if i in zero_ic else nonzero() for i in range(n_public + 1))
        return cls(nonzero(), nonzero(), nonzero(), nonzero(), ic)

    @property
    def n_public(self) -> int:
        return len(self.ic) - 1

    def vk_json(self) -> dict:
        g1, g2 = G1Point.generator(), G2Point.generator()
        return {
            "protocol": "groth16",
            "curve": "bn128",
            "nPublic": self.n_public,
            "vk_alpha_1": g1_to_snarkjs(g1 * self.alpha),
            "vk_beta_2": g2_to_snarkjs(g2 * self.beta),
            "vk_gamma_2": g2_to_snarkjs(g2 * self.gamma),
            "vk_delta_2": g2_to_snarkjs(g2 * self.delta),
            "IC": [g1_to_snarkjs(g1 * s) for s in self.ic],
        }

    def prove(self, public: Sequence[int], rng: random.Random, a: int | None = None) -> tuple[list[str], dict]:
        """(public_json, proof_json) for ``public`` (each < r), in snarkjs's JSON shapes; ``a = 0``
        gives a proof that satisfies the pairing equation with A at infinity."""
        assert len(public) == self.n_public
        vk_x = (self.ic[0] + sum(x * s for x, s in zip(public, self.ic[1:]))) % R
        a = rng.randrange(1, R) if a is None else a
        b = rng.randrange(1, R)
        c = (a * b - self.alpha * self.beta - self.gamma * vk_x) * pow(self.delta, -1, R) % R
        proof = {
            "pi_a": g1_to_snarkjs(G1Point.generator() * a),
            "pi_b": g2_to_snarkjs(G2Point.generator() * b),
            "pi_c": g1_to_snarkjs(G1Point.generator() * c),
            "protocol": "groth16",
            "curve": "bn128",
        }
        return [str(x) for x in public], proof


def twist_point_outside_g2(rng: random.Random) -> G2Point:
    """A point of the twist E'(Fp2) that is not in the order-r subgroup (cofactor 2p - r)."""
    while True:
        x = Fp2(rng.randrange(1, 1 << 250), rng.randrange(1, 1 << 250))
        y = (x * x * x + B_G2).sqrt()
        if y is None:
            continue
        point = G2Point(x, y, check=False)
        assert point.is_on_curve()
        if not point.is_in_subgroup():
            return point
