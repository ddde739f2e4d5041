"""The three circuits with their Groth16 keys: compile, set up (cached on disk), prove, verify.

    system = CreditsSystem.load(depth=20, key_dir="~/.cache/zk-credits")   # setup once, then cached
    proof, statement = system.prove("purchase", inputs)
    system.verify("purchase", statement.as_list(), proof)

The ledger only needs the verifying half (`Verifier`): any object with
`verify(circuit_name, public_inputs, proof) -> bool`.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol, Sequence

from circuits.assign import assign_circuit
from circuits.protocol import DEFAULT_DEPTH, AssignPublic, PurchasePublic, RedeemPublic
from circuits.purchase import Purchase
from circuits.redeem import redeem_circuit
from zk import groth16
from zk.r1cs import ConstraintSystem, compile

CIRCUIT_NAMES = ("purchase", "assign", "redeem")
STATEMENTS = {"purchase": PurchasePublic, "assign": AssignPublic, "redeem": RedeemPublic}
KEY_CACHE_VERSION = 1


def circuit_classes(depth: int = DEFAULT_DEPTH) -> dict[str, type]:
    return {"purchase": Purchase, "assign": assign_circuit(depth), "redeem": redeem_circuit(depth)}


class Verifier(Protocol):
    def verify(self, circuit: str, public_inputs: Sequence[int], proof) -> bool: ...


class Groth16Verifier:
    """Verifies each circuit's proofs with that circuit's own verifying key only."""

    def __init__(self, vks: Mapping[str, groth16.VerifyingKey]):
        missing = set(CIRCUIT_NAMES) - set(vks)
        if missing:
            raise ValueError(f"no verifying key for {sorted(missing)}")
        self.vks = dict(vks)

    def verify(self, circuit: str, public_inputs: Sequence[int], proof) -> bool:
        vk = self.vks.get(circuit)
        if vk is None:
            raise ValueError(f"unknown circuit {circuit!r}")
        try:
            return groth16.verify(vk, list(public_inputs), proof)
        except groth16.InvalidInput:
            # Malformed proofs and inputs are simply not valid proofs of this statement.
            return False


@dataclass
class CircuitKeys:
    name: str
    cs: ConstraintSystem
    pk: groth16.ProvingKey
    vk: groth16.VerifyingKey
    setup_seconds: float = 0.0


@dataclass
class ProofTiming:
    solve_seconds: float
    prove_seconds: float


class CreditsSystem(Groth16Verifier):
    """Compiled circuits and keys for one tree depth."""

    def __init__(self, depth: int, keys: Mapping[str, CircuitKeys]):
        self.depth = depth
        self.keys = dict(keys)
        super().__init__({name: k.vk for name, k in self.keys.items()})
        self.last_timing: ProofTiming | None = None

    @classmethod
    def load(cls, depth: int = DEFAULT_DEPTH, key_dir: str | os.PathLike | None = None) -> "CreditsSystem":
        """Compile the circuits and run (or load from `key_dir`) one Groth16 setup per circuit.

        The cache file is named by a digest of the circuit's constraints, so changing a circuit
        never reuses an old key. Only load key directories you created: the files are pickles.
        """
        keys = {}
        for name, circuit in circuit_classes(depth).items():
            cs = compile(circuit)
            keys[name] = _keys_for(name, cs, Path(key_dir).expanduser() if key_dir else None)
        return cls(depth, keys)

    _shared: dict = {}

    @classmethod
    def shared(cls, depth: int = DEFAULT_DEPTH, key_dir: str | os.PathLike | None = None) -> "CreditsSystem":
        """One instance per (depth, key_dir) in this process: tests and demos set up once."""
        key = (depth, str(key_dir) if key_dir else None)
        if key not in cls._shared:
            cls._shared[key] = cls.load(depth, key_dir)
        return cls._shared[key]

    def prove(self, circuit: str, inputs: Mapping) -> tuple[groth16.Proof, object]:
        """Solve the witness (which checks every constraint) and prove; returns the proof and the
        statement (PurchasePublic / AssignPublic / RedeemPublic)."""
        keys = self.keys[circuit]
        t0 = time.perf_counter()
        witness = keys.cs.solve(inputs)
        t1 = time.perf_counter()
        proof, public = groth16.prove(keys.pk, witness, origins=keys.cs.origins)
        self.last_timing = ProofTiming(t1 - t0, time.perf_counter() - t1)
        return proof, STATEMENTS[circuit].from_list(public)

    def stats(self) -> dict[str, dict]:
        return {name: {"constraints": k.cs.n_constraints, "wires": k.cs.n_wires, "public": k.cs.n_public,
                       "setup_seconds": round(k.setup_seconds, 2)} for name, k in self.keys.items()}


def _r1cs_digest(cs: ConstraintSystem) -> str:
    from zk.formats.circom import r1cs_bytes

    return hashlib.sha256(r1cs_bytes(cs)).hexdigest()[:32]


def _keys_for(name: str, cs: ConstraintSystem, key_dir: Path | None) -> CircuitKeys:
    path = None
    if key_dir is not None:
        path = key_dir / f"{name}-{_r1cs_digest(cs)}.v{KEY_CACHE_VERSION}.pkl"
        if path.exists():
            with open(path, "rb") as fh:
                pk, vk = pickle.load(fh)
            return CircuitKeys(name, cs, pk, vk)
    t0 = time.perf_counter()
    pk, vk = groth16.setup(cs)
    keys = CircuitKeys(name, cs, pk, vk, time.perf_counter() - t0)
    if path is not None:
        key_dir.mkdir(parents=True, exist_ok=True)
        # Write then rename so a killed setup never leaves a truncated key behind.
        fd, tmp = tempfile.mkstemp(dir=key_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((pk, vk), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    return keys
