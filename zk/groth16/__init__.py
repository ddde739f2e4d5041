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
from .prove import WitnessMismatch, prove
from .qap import Matrix, QAPError, R1CSMatrices, UnsatisfiedWitness

# setup and verify load on first use (PEP 562): `zk prove` needs neither, and their modules
# (the pairing's kernels among them) cost start-up time in every process that imports this one.
_LAZY = {"setup": "setup", "verify": "verify", "verify_batch": "verify"}
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "Groth16Error", "InvalidInput", "InvalidKey", "Proof", "ProvingKey", "VerifyingKey", "WitnessMismatch",
    "Matrix", "QAPError", "R1CSMatrices", "UnsatisfiedWitness", "prove", "setup", "verify", "verify_batch",
]
