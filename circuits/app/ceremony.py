"""Community Credits keys from a trusted-setup ceremony instead of a single-party setup.

    HOME/ceremony/state.json          depth and the powers-of-tau file the keys come from
    HOME/ceremony/NAME.r1cs           each circuit, as compiled (what `zk zkey verify` checks)
    HOME/ceremony/NAME_0000.zkey      snarkjs `groth16 setup` of the circuit over the ptau
    HOME/ceremony/NAME_000k.zkey      after the k-th phase-2 contribution
    HOME/ceremony/NAME_final.zkey     after the beacon; its keys are installed into HOME/keys

Each step runs on every circuit (purchase, assign, redeem) and returns the contribution hashes the
participant publishes. The .zkey files are snarkjs's: anyone can check them with `snarkjs zkey
verify` as well as `zk credits ceremony verify`. Only the beacon installs keys: before it, nobody
can prove with keys whose last contributor may still be the only honest one.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Callable

from circuits.app.system import CircuitKeys, CreditsSystem, circuit_classes, compile, key_paths, save_keys, write_manifest

STATE = "state.json"
STATE_FORMAT = "zk-credits/ceremony"
_INDEXED = re.compile(r"(?P<name>[a-z]+)_(?P<index>\d{4})\.zkey\Z")


class CeremonyStateError(ValueError):
    """The ceremony directory is missing, incomplete or inconsistent (one line for the user)."""


def _state(directory: Path) -> dict:
    try:
        with open(directory / STATE, encoding="utf-8") as fh:
            state = json.load(fh)
    except OSError:
        raise CeremonyStateError(f"no ceremony in {directory}: run `zk credits setup --ptau FILE` first") from None
    except ValueError:
        raise CeremonyStateError(f"{directory / STATE} is not valid JSON") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT or not isinstance(state.get("circuits"), list):
        raise CeremonyStateError(f"{directory / STATE} is not a Community Credits ceremony state")
    return state


def latest(directory: Path, name: str) -> tuple[int, Path]:
    """(index, path) of the newest numbered .zkey of one circuit."""
    found = []
    for path in directory.glob(f"{name}_*.zkey"):
        m = _INDEXED.match(path.name)
        if m and m.group("name") == name:
            found.append((int(m.group("index")), path))
    if not found:
        raise CeremonyStateError(f"no {name} key in {directory}")
    return max(found)


def setup(directory: Path, depth: int, ptau_path, *, circuits=None, progress=None) -> dict[str, bytes]:
    """Compile the circuits and write each one's initial .zkey from the ptau. Returns the circuit
    hashes. ``circuits`` limits the run to some of them (tests)."""
    from zk.ceremony.phase2 import new_zkey
    from zk.formats.circom import write_r1cs
    from zk.formats.ptau import read_ptau
    from zk.formats.zkey import SETUP_ORDER, write_zkey

    directory.mkdir(parents=True, exist_ok=True)
    ptau = read_ptau(ptau_path)
    names = list(circuits or circuit_classes(depth))
    hashes = {}
    for name in names:
        cs = compile(circuit_classes(depth)[name])
        r1cs = directory / f"{name}.r1cs"
        write_r1cs(cs, r1cs)
        z = new_zkey(r1cs, ptau, **({"progress": progress} if progress else {}))
        write_zkey(z, directory / f"{name}_0000.zkey", order=SETUP_ORDER)
        hashes[name] = z.cs_hash
    tmp = directory / f"{STATE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps({"format": STATE_FORMAT, "depth": depth, "ptau": str(Path(ptau_path).resolve()),
                               "circuits": names}, indent=1))
    os.replace(tmp, directory / STATE)
    return hashes


def _step(directory: Path, make: Callable, label: str) -> dict[str, bytes]:
    from zk.formats.zkey import read_zkey, write_zkey

    state = _state(directory)
    out = {}
    for name in state["circuits"]:
        index, path = latest(directory, name)
        z, digest = make(read_zkey(path))
        target = directory / (f"{name}_final.zkey" if label == "beacon" else f"{name}_{index + 1:04d}.zkey")
        write_zkey(z, target)
        out[name] = digest
    return out


def contribute(directory: Path, *, name: str | None = None, entropy: str = "", progress=None) -> dict[str, bytes]:
    """One participant's contribution to every circuit (a fresh secret per circuit)."""
    from zk.ceremony import phase2

    kwargs = {"progress": progress} if progress else {}
    return _step(directory, lambda z: phase2.contribute(z, entropy=entropy, name=name, **kwargs), "contribute")


def beacon(directory: Path, key_dir: Path, beacon_hash: bytes, num_iterations_exp: int, *,
           progress=None) -> dict[str, bytes]:
    """The final contribution from a public random value, then the keys installed into
    ``key_dir`` where CreditsSystem.load finds them (named by each circuit's digest)."""
    from zk.ceremony import phase2

    state = _state(directory)
    for name in state["circuits"]:
        if latest(directory, name)[0] == 0:
            raise CeremonyStateError(f"{name} has no contribution yet: a beacon alone is not a ceremony")
    kwargs = {"progress": progress} if progress else {}
    hashes = _step(directory, lambda z: phase2.beacon(z, beacon_hash, num_iterations_exp, name="beacon", **kwargs),
                   "beacon")
    install(directory, key_dir)
    return hashes


def install(directory: Path, key_dir: Path) -> Path:
    """Convert each circuit's final .zkey (with the C matrix from the compiled circuit) into the
    key files of the app, and write the key manifest."""
    from zk.formats.zkey import read_zkey, to_proving_key_with_r1cs

    state = _state(directory)
    classes = circuit_classes(state["depth"])
    keys = {}
    for name in state["circuits"]:
        final = directory / f"{name}_final.zkey"
        if not final.exists():
            raise CeremonyStateError(f"{final} is missing: run `zk credits ceremony beacon` first")
        cs = compile(classes[name])
        pk = to_proving_key_with_r1cs(read_zkey(final), cs)
        keys[name] = CircuitKeys(name, cs, pk, pk.vk)
        save_keys(keys[name], *key_paths(key_dir, name, cs))
    if set(keys) == set(classes):
        write_manifest(CreditsSystem(state["depth"], keys), key_dir)
    return key_dir


def verify(directory: Path, *, expect: dict[str, list[bytes]] | None = None) -> dict[str, list[bytes]]:
    """`zk zkey verify` of every circuit's newest key against its .r1cs and the ceremony's ptau;
    the contribution hashes of each, oldest first. ``expect``: the published hashes per circuit."""
    from zk.ceremony import phase2
    from zk.formats.ptau import read_ptau
    from zk.formats.zkey import read_zkey

    state = _state(directory)
    ptau = read_ptau(state["ptau"])
    out = {}
    for name in state["circuits"]:
        final = directory / f"{name}_final.zkey"
        path = final if final.exists() else latest(directory, name)[1]
        out[name] = phase2.verify(directory / f"{name}.r1cs", ptau, read_zkey(path),
                                  expect=None if expect is None else expect.get(name, []))
    return out
