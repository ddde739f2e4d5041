"""Groth16 over BN254, compatible with snarkjs (keys and proofs interoperate through its JSON).

    pk, vk = setup(cs)                     # cs: zk.r1cs.ConstraintSystem (or circom .r1cs)
    proof, public = prove(pk, witness)     # witness = cs.solve(inputs)
    assert verify(vk, public, proof)

Modules, one per protocol step: :mod:`.qap` (R1CS -> QAP), :mod:`.setup`, :mod:`.prove`,
:mod:`.verify`; data: :mod:`.keys`, :mod:`.data`. Files (the proving-key file, snarkjs JSON) are
:mod:`zk.formats`'s: this package takes and returns arrays and key objects only.
"""
from zk._lazy import lazy_attributes

from .data import Groth16Error, InvalidInput, InvalidKey, Proof
from .keys import ProvingKey, VerifyingKey

# The protocol steps load on first use (PEP 562): each command needs one of them, and their
# modules (numba dispatchers, the MSM and NTT packages, the pairing's kernels) cost start-up time
# in every process that imports this one: `zk prove` needs neither setup nor verify, `zk verify`
# (and reading snarkjs JSON) neither the QAP nor the prover.
_LAZY = {"setup": "setup", "verify": "verify", "verify_batch": "verify", "prove": "prove",
         "WitnessMismatch": "prove", "Matrix": "qap", "QAPError": "qap", "R1CSMatrices": "qap",
         "UnsatisfiedWitness": "qap"}
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "Groth16Error", "InvalidInput", "InvalidKey", "Proof", "ProvingKey", "VerifyingKey", "WitnessMismatch",
    "Matrix", "QAPError", "R1CSMatrices", "UnsatisfiedWitness", "prove", "setup", "verify", "verify_batch",
]
