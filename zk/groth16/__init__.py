"""Groth16 over BN254, compatible with snarkjs (keys and proofs interoperate through its JSON).

    pk, vk = setup(cs)                     # cs: zk.r1cs.ConstraintSystem (or circom .r1cs)
    proof, public = prove(pk, witness)     # witness = cs.solve(inputs)
    assert verify(vk, public, proof)

Modules, one per protocol step: :mod:`.qap` (R1CS -> QAP), :mod:`.setup`, :mod:`.prove`,
:mod:`.verify`; data: :mod:`.keys`, :mod:`.data`; :mod:`.keyfile` stores proving keys.
"""
from .data import Groth16Error, InvalidInput, InvalidKey, Proof
from .keys import ProvingKey, VerifyingKey
from .prove import WitnessMismatch, prove
from .qap import QAPError, UnsatisfiedWitness
from .setup import setup
from .verify import verify, verify_batch

__all__ = [
    "Groth16Error", "InvalidInput", "InvalidKey", "Proof", "ProvingKey", "VerifyingKey", "WitnessMismatch",
    "QAPError", "UnsatisfiedWitness", "prove", "setup", "verify", "verify_batch",
]
