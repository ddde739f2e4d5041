"""The key cache (circuits/app/system.py): zk's checksummed .pk files and snarkjs verification keys,
never pickles; every corrupted, tampered or mismatched file is a KeyCacheError naming it."""
from __future__ import annotations

import json
import os
import pickle
import shutil

import pytest

from circuits.protocol import Note, current_epoch
from circuits.app.system import (
    MANIFEST, CachedCreditsSystem, CreditsSystem, KeyCacheError, circuit_classes, compile, key_paths,
    write_manifest,
)
from circuits.witness import purchase_inputs

DEPTH = 4


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    key_dir = tmp_path_factory.mktemp("keys")
    system = CreditsSystem.load(DEPTH, key_dir)
    write_manifest(system, key_dir)
    return key_dir, system


@pytest.fixture
def key_dir(made, tmp_path):
    target = tmp_path / "keys"
    shutil.copytree(made[0], target)
    return target


def paths(key_dir, name):
    return key_paths(key_dir, name, compile(circuit_classes(DEPTH)[name]))


def test_reload_gives_the_same_keys_and_verifies_old_proofs(made, key_dir):
    _, first = made
    again = CreditsSystem.load(DEPTH, key_dir)
    assert all(k.setup_seconds == 0 for k in again.keys.values())
    for name in ("purchase", "assign", "redeem"):
        assert again.vks[name] == first.vks[name]
    proof, statement = first.prove("purchase", purchase_inputs(Note.new(5, 100, current_epoch())))
    assert again.verify("purchase", statement.as_list(), proof)
    cached = CachedCreditsSystem(DEPTH, key_dir)
    assert cached.verify("purchase", statement.as_list(), proof)
    assert not cached.verify("redeem", statement.as_list(), proof)
    assert list(cached.keys) == []  # verification compiled nothing
    proof, statement = cached.prove("purchase", purchase_inputs(Note.new(6, 7, current_epoch())))
    assert list(cached.keys) == ["purchase"] and first.verify("purchase", statement.as_list(), proof)


def test_no_pickle_in_the_cache(key_dir):
    assert not list(key_dir.glob("*.pkl"))
    for pk in key_dir.glob("*.pk"):
        assert pk.read_bytes()[:8] == b"ZKG16PK\x00"


def load_error(key_dir) -> str:
    with pytest.raises(KeyCacheError) as info:
        CreditsSystem.load(DEPTH, key_dir)
    return str(info.value)


def test_flipped_byte_in_proving_key(key_dir):
    pk, _ = paths(key_dir, "assign")
    data = bytearray(pk.read_bytes())
    data[-100] ^= 0x40
    pk.write_bytes(bytes(data))
    message = load_error(key_dir)
    assert "assign" in message and "checksum does not match" in message and "setup --force" in message


def test_truncated_proving_key(key_dir):
    pk, _ = paths(key_dir, "redeem")
    pk.write_bytes(pk.read_bytes()[:1000])
    assert "truncated" in load_error(key_dir)


class _Payload:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_is_not_unpickled(key_dir, tmp_path):
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = marker
    pk, _ = paths(key_dir, "purchase")
    pk.write_bytes(pickle.dumps(payload))
    assert "not a zk proving key" in load_error(key_dir)
    assert not marker.exists()


def test_proving_key_of_another_circuit(key_dir):
    purchase_pk, _ = paths(key_dir, "purchase")
    redeem_pk, _ = paths(key_dir, "redeem")
    shutil.copy(redeem_pk, purchase_pk)
    assert "is for another circuit" in load_error(key_dir)


def test_verification_key_of_another_circuit_or_setup(key_dir, tmp_path):
    _, purchase_vk = paths(key_dir, "purchase")
    other = CreditsSystem.load(DEPTH, tmp_path / "other")  # a second setup of the same circuits
    _, other_vk = key_paths(tmp_path / "other", "purchase", other.keys["purchase"].cs)
    shutil.copy(other_vk, purchase_vk)
    assert "does not match the proving key" in load_error(key_dir)


@pytest.mark.parametrize("edit, expected", [
    (lambda vk: vk[: len(vk) // 2], "not valid JSON"),
    (lambda vk: vk.replace('"protocol": "groth16"', '"protocol": "plonk"'), "protocol"),
    (lambda vk: json.dumps({**json.loads(vk), "vk_alpha_1": ["1", "3", "1"]}), "vk_alpha_1"),
])
def test_corrupted_verification_key(key_dir, edit, expected):
    _, vk = paths(key_dir, "assign")
    vk.write_text(edit(vk.read_text()))
    message = load_error(key_dir)
    assert "assign verification key" in message and expected in message
    with pytest.raises(KeyCacheError, match="assign verification key"):
        CachedCreditsSystem(DEPTH, key_dir)


def test_interrupted_setup_is_redone(key_dir):
    pk, vk = paths(key_dir, "purchase")
    vk.unlink()  # the .vkey.json is written last: a .pk alone is an interrupted setup
    system = CreditsSystem.load(DEPTH, key_dir)
    assert system.keys["purchase"].setup_seconds > 0 and vk.exists()
    assert CreditsSystem.load(DEPTH, key_dir).vks["purchase"] == system.vks["purchase"]


def test_manifest_checks(key_dir, tmp_path):
    with pytest.raises(KeyCacheError, match="run `zk credits setup` first"):
        CachedCreditsSystem(DEPTH, tmp_path / "empty")
    with pytest.raises(KeyCacheError, match="for depth 4, not 5"):
        CachedCreditsSystem(5, key_dir)
    manifest = json.loads((key_dir / MANIFEST).read_text())
    bad = json.loads(json.dumps(manifest))
    bad["circuits"]["assign"]["stem"] = "../../etc/assign"
    (key_dir / MANIFEST).write_text(json.dumps(bad))
    with pytest.raises(KeyCacheError, match="malformed"):
        CachedCreditsSystem(DEPTH, key_dir)
    (key_dir / MANIFEST).write_text("{")
    with pytest.raises(KeyCacheError, match="unreadable"):
        CachedCreditsSystem(DEPTH, key_dir)
    # Keys made for a circuit that has since changed (another digest) are not used for proving.
    changed = json.loads(json.dumps(manifest))
    _, old_vk = paths(key_dir, "purchase")
    changed["circuits"]["purchase"]["stem"] = "purchase-00000000000000000000000000000000"
    shutil.copy(old_vk, key_dir / "purchase-00000000000000000000000000000000.vkey.json")
    (key_dir / MANIFEST).write_text(json.dumps(changed))
    cached = CachedCreditsSystem(DEPTH, key_dir)
    with pytest.raises(KeyCacheError, match="circuit changed since the keys"):
        cached.prove("purchase", purchase_inputs(Note.new(5, 1, current_epoch())))
