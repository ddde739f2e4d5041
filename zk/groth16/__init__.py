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

# setup and verify load on first use (PEP 562): `zk prove` needs neither, and their modules
# (the pairing's kernels among them) cost start-up time in every process that imports this one.
_LAZY = {"setup": "setup", "verify": "verify", "verify_batch": "verify"}


def __getattr__(name: str):
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Groth16Error", "InvalidInput", "InvalidKey", "Proof", "ProvingKey", "VerifyingKey", "WitnessMismatch",
    "Matrix", "QAPError", "R1CSMatrices", "UnsatisfiedWitness", "prove", "setup", "verify", "verify_batch",
]
