"""The three circuits with their Groth16 keys: compile, set up (cached on disk), prove, verify.

    system = CreditsSystem.load(depth=20, key_dir="~/.cache/zk-credits")   # setup once, then cached
    proof, statement = system.prove("purchase", inputs)
    system.verify("purchase", statement.as_list(), proof)

The ledger only needs the verifying half (`Verifier`): any object with
`verify(circuit_name, public_inputs, proof) -> bool`.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping, Protocol, Sequence

import numpy as np

from circuits.assign import assign_circuit
from circuits.protocol import DEFAULT_DEPTH, AssignPublic, PurchasePublic, RedeemPublic
from circuits.purchase import Purchase
from circuits.redeem import redeem_circuit
from zk import groth16
from zk.r1cs import ConstraintSystem
from zk.r1cs.cache import compile_cached, remember

CIRCUIT_NAMES = ("purchase", "assign", "redeem")
STATEMENTS = {"purchase": PurchasePublic, "assign": AssignPublic, "redeem": RedeemPublic}


@lru_cache(maxsize=None)
def compile(circuit: type) -> ConstraintSystem:
    """Each circuit class compiled once per process (the CLI, tests and the demo reload keys often),
    and once at all: compiled circuits are cached on disk (zk.r1cs.cache; ZK_CIRCUIT_CACHE)."""
    return compile_cached(circuit)


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

    @property
    def total(self) -> float:
        return self.solve_seconds + self.prove_seconds


class CreditsSystem(Groth16Verifier):
    """Compiled circuits and keys for one tree depth."""

    def __init__(self, depth: int, keys: Mapping[str, CircuitKeys]):
        self.depth = depth
        self.keys = dict(keys)
        super().__init__({name: k.vk for name, k in self.keys.items()})
        self.last_timing: ProofTiming | None = None
        # Hears the stages of each proof (the CLI's progress display); None: silent.
        self.progress: Callable[[str], None] | None = None

    @classmethod
    def load(cls, depth: int = DEFAULT_DEPTH, key_dir: str | os.PathLike | None = None,
             progress: Callable[[str], None] | None = None) -> "CreditsSystem":
        """Compile the circuits and run (or load from `key_dir`) one Groth16 setup per circuit.

        Each circuit's keys are cached as `NAME-DIGEST.pk` (zk.formats.keyfile: checksummed and
        validated on load) and `NAME-DIGEST.vkey.json` (snarkjs), DIGEST a hash of the circuit's
        constraints, so changing a circuit never reuses an old key. A corrupted or tampered cache
        file raises KeyCacheError instead of being used or silently replaced. `progress(line)`
        hears each stage (compile, setup steps, load).
        """
        say = progress or (lambda _msg: None)
        keys = {}
        for name, circuit in circuit_classes(depth).items():
            t0 = time.perf_counter()
            cs = compile(circuit)
            say(f"{name}: compiled, {cs.n_constraints} constraints ({time.perf_counter() - t0:.1f} s)")
            t0 = time.perf_counter()
            keys[name] = _keys_for(name, cs, Path(key_dir).expanduser() if key_dir else None,
                                   progress=(lambda msg, name=name: say(f"{name}: {msg}")) if progress else None)
            how = f"setup {keys[name].setup_seconds:.1f} s" if keys[name].setup_seconds else "loaded from cache"
            say(f"{name}: keys ready, {how} ({time.perf_counter() - t0:.1f} s)")
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
        say = self.progress or (lambda _msg: None)
        say(f"{circuit}: solving the witness ({keys.cs.n_constraints} constraints)")
        t0 = time.perf_counter()
        witness = keys.cs.solve_values(inputs)  # Montgomery limbs: no Python ints between solver and prover
        t1 = time.perf_counter()
        say(f"{circuit}: witness solved ({t1 - t0:.2f} s), proving")
        proof, public = groth16.prove(keys.pk, witness, origins=keys.cs.origins,
                                      progress=(lambda msg: say(f"{circuit}: {msg}")) if self.progress else None)
        self.last_timing = ProofTiming(t1 - t0, time.perf_counter() - t1)
        return proof, STATEMENTS[circuit].from_list(public)

    def stats(self) -> dict[str, dict]:
        return {name: {"constraints": k.cs.n_constraints, "wires": k.cs.n_wires, "public": k.cs.n_public,
                       "setup_seconds": round(k.setup_seconds, 2)} for name, k in self.keys.items()}


def _r1cs_digest(cs: ConstraintSystem) -> str:
    """SHA-256 of the circuit's .r1cs file (first 32 hex digits), kept with the compiled circuit
    so that loading keys does not rebuild every constraint to hash them again."""
    from zk.formats.circom import r1cs_bytes

    found = getattr(cs, "digests", {}).get("r1cs-sha256")
    if found is None:
        found = hashlib.sha256(r1cs_bytes(cs)).hexdigest()[:32]
        remember(cs, "r1cs-sha256", found)
    return found


class KeyCacheError(ValueError):
    """A cached key file that cannot be used (corrupted, tampered with, or not this circuit's)."""


def key_paths(key_dir: Path, name: str, cs: ConstraintSystem) -> tuple[Path, Path]:
    """The proving key (zk's checksummed .pk file) and the snarkjs verification key of one circuit,
    named by a digest of its constraints so that a changed circuit never reuses an old key."""
    stem = f"{name}-{_r1cs_digest(cs)}"
    return key_dir / f"{stem}.pk", key_dir / f"{stem}.vkey.json"


def _same_matrices(a, b) -> bool:
    if (a.n_wires, a.n_public, a.n_constraints) != (b.n_wires, b.n_public, b.n_constraints):
        return False
    return all(np.array_equal(getattr(ma, f), getattr(mb, f))
               for ma, mb in ((a.a, b.a), (a.b, b.b), (a.c, b.c)) for f in ("rows", "cols", "coeffs"))


def load_cached_keys(name: str, cs: ConstraintSystem, pk_path: Path, vk_path: Path) -> CircuitKeys:
    """Read one circuit's cached keys; every problem is a KeyCacheError naming the file.

    The .pk file carries a SHA-256 over its contents and is validated point by point
    (zk.formats.keyfile); the verification key is read with snarkjs's JSON checks (curve and
    subgroup membership). Both must belong to this circuit: the proving key's matrices must be
    the compiled constraints, and the JSON key must be the proving key's own verifying key (the
    ledger verifies with the JSON key, so a swapped file would reject every honest proof or
    accept proofs made for another key)."""
    from zk.formats.snarkjs import SnarkjsFormatError, read_vkey
    from zk.formats import keyfile
    from zk.groth16.qap import QAPError, from_constraint_system

    hint = "delete it (or run `zk credits setup --force`) to generate new keys"
    try:
        pk = keyfile.load(pk_path)
    except (groth16.Groth16Error, QAPError) as exc:
        raise KeyCacheError(f"cached {name} proving key: {exc}; {hint}") from None
    if not _same_matrices(pk.matrices, from_constraint_system(cs)):
        raise KeyCacheError(f"cached {name} proving key {pk_path} is for another circuit; {hint}")
    try:
        vk = read_vkey(vk_path)
    except (SnarkjsFormatError, groth16.Groth16Error, ValueError) as exc:
        raise KeyCacheError(f"cached {name} verification key {vk_path}: {exc}; {hint}") from None
    if vk != pk.vk:
        raise KeyCacheError(f"cached {name} verification key {vk_path} does not match the proving key {pk_path}; {hint}")
    return CircuitKeys(name, cs, pk, vk)


def save_keys(keys: CircuitKeys, pk_path: Path, vk_path: Path) -> None:
    """Write both files atomically (temporary file + rename), the verification key last: a killed
    setup leaves either nothing or a .pk without its .vkey.json, which load treats as missing."""
    from zk.formats.snarkjs import dumps, vkey_to_json
    from zk.formats import keyfile

    pk_path.parent.mkdir(parents=True, exist_ok=True)
    keyfile.save(keys.pk, pk_path)
    tmp = f"{vk_path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(dumps(vkey_to_json(keys.vk)))
        os.replace(tmp, vk_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _keys_for(name: str, cs: ConstraintSystem, key_dir: Path | None, progress=None) -> CircuitKeys:
    if key_dir is not None:
        pk_path, vk_path = key_paths(key_dir, name, cs)
        if pk_path.exists() and vk_path.exists():
            return load_cached_keys(name, cs, pk_path, vk_path)
    t0 = time.perf_counter()
    pk, vk = groth16.setup(cs, progress=progress)
    keys = CircuitKeys(name, cs, pk, vk, time.perf_counter() - t0)
    if key_dir is not None:
        save_keys(keys, pk_path, vk_path)
    return keys


# --------------------------------------------------------------------------- key directory
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "zk-credits/keys"
MANIFEST_VERSION = 1


def write_manifest(system: CreditsSystem, key_dir: str | os.PathLike) -> Path:
    """Record which key files belong to this depth's circuits, so later commands can verify with
    the JSON keys without compiling, and compile only the circuit they prove with."""
    key_dir = Path(key_dir)
    circuits = {}
    for name, keys in system.keys.items():
        pk_path, _ = key_paths(key_dir, name, keys.cs)
        circuits[name] = {"stem": pk_path.stem, "constraints": keys.cs.n_constraints, "public": keys.cs.n_public}
    path = key_dir / MANIFEST
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "depth": system.depth,
                   "circuits": circuits}, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)
    return path


def read_manifest(key_dir: str | os.PathLike, depth: int) -> dict:
    path = Path(key_dir) / MANIFEST
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise KeyCacheError(f"no keys in {key_dir}: run `zk credits setup` first") from None
    except (OSError, ValueError) as exc:
        raise KeyCacheError(f"key manifest {path} is unreadable: {exc}") from None
    ok = (isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT and data.get("version") == MANIFEST_VERSION
          and isinstance(data.get("circuits"), dict) and set(data["circuits"]) == set(CIRCUIT_NAMES)
          and all(isinstance(c, dict) and isinstance(c.get("stem"), str) and c["stem"].startswith(f"{n}-")
                  and "/" not in c["stem"] and "\\" not in c["stem"] for n, c in data["circuits"].items()))
    if not ok:
        raise KeyCacheError(f"key manifest {path} is malformed; run `zk credits setup --force`")
    if data.get("depth") != depth:
        raise KeyCacheError(f"the keys in {key_dir} are for depth {data.get('depth')}, not {depth}; "
                            "run `zk credits setup`")
    return data


class _LazyKeys(dict):
    def __init__(self, load: Callable[[str], CircuitKeys]):
        super().__init__()
        self._load = load

    def __missing__(self, name: str) -> CircuitKeys:
        if name not in CIRCUIT_NAMES:
            raise KeyError(name)
        value = self[name] = self._load(name)
        return value


class CachedCreditsSystem(CreditsSystem):
    """A CreditsSystem over a key directory that setup filled (with its manifest): verifying keys
    are read at once from their snarkjs JSON; a circuit is compiled and its proving key loaded
    only when it first proves. A command that proves one purchase does not pay for compiling the
    assign circuit."""

    def __init__(self, depth: int, key_dir: str | os.PathLike):
        from zk.formats.snarkjs import SnarkjsFormatError, read_vkey

        self.depth = depth
        self.key_dir = Path(key_dir)
        self.manifest = read_manifest(self.key_dir, depth)
        vks = {}
        for name, entry in self.manifest["circuits"].items():
            path = self.key_dir / f"{entry['stem']}.vkey.json"
            try:
                vks[name] = read_vkey(path)
            except (SnarkjsFormatError, groth16.Groth16Error, ValueError) as exc:
                raise KeyCacheError(f"cached {name} verification key {path}: {exc}; "
                                    "run `zk credits setup --force` to generate new keys") from None
        Groth16Verifier.__init__(self, vks)
        self.keys = _LazyKeys(self._load_circuit)
        self.last_timing = None
        self.progress = None

    def _load_circuit(self, name: str) -> CircuitKeys:
        cs = compile(circuit_classes(self.depth)[name])
        pk_path, vk_path = key_paths(self.key_dir, name, cs)
        if pk_path.stem != self.manifest["circuits"][name]["stem"]:
            raise KeyCacheError(f"the {name} circuit changed since the keys in {self.key_dir} were made; "
                                "run `zk credits setup`")
        keys = load_cached_keys(name, cs, pk_path, vk_path)
        if keys.vk != self.vks[name]:
            raise KeyCacheError(f"cached {name} keys changed on disk while in use")
        return keys
