"""Groth16 over BN254, compatible with snarkjs (keys and proofs interoperate through its JSON).

    pk, vk = setup(cs)                     # cs: zk.r1cs.ConstraintSystem (or circom .r1cs)
    proof, public = prove(pk, witness)     # witness = cs.solve(inputs)
    assert verify(vk, public, proof)

Modules, one per protocol step: :mod:`.qap` (R1CS -> QAP), :mod:`.setup`, :mod:`.prove`,
:mod:`.verify`; data: :mod:`.keys`, :mod:`.data`. Files (the proving-key file, snarkjs JSON) are
:mod:`zk.formats`'s: this package takes and returns arrays and key objects only.
"""
from .data import Groth16Error, InvalidInput, InvalidKey, Proof
from .keys import ProvingKey, VerifyingKey
from .prove import WitnessMismatch, prove
from .qap import Matrix, QAPError, R1CSMatrices, UnsatisfiedWitness
from .setup import setup
from .verify import verify, verify_batch

__all__ = [
    "Groth16Error", "InvalidInput", "InvalidKey", "Proof", "ProvingKey", "VerifyingKey", "WitnessMismatch",
    "Matrix", "QAPError", "R1CSMatrices", "UnsatisfiedWitness", "prove", "setup", "verify", "verify_batch",
]
