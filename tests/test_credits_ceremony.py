"""Community Credits keys from a phase-2 ceremony (circuits/app/ceremony.py), on the purchase circuit
(414 constraints, a 2^9 domain) over a power-9 powers of tau made with zk's own ptau commands."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from circuits.app import ceremony
from circuits.app.system import circuit_classes, compile, key_paths, load_cached_keys

ROOT = Path(__file__).resolve().parent.parent
SNARKJS = ROOT / "node_modules" / ".bin" / "snarkjs"
BEACON = bytes(range(32))
DEPTH = 4


@pytest.fixture(scope="session")
def ptau(tmp_path_factory):
    from zk.ceremony import powersoftau

    d = tmp_path_factory.mktemp("credits-ptau")
    powersoftau.new(9, d / "pot0.ptau")
    powersoftau.contribute(d / "pot0.ptau", d / "pot1.ptau", name="test", entropy="credits")
    return d / "pot1.ptau"  # not prepared: setup computes the two Lagrange levels it needs


@pytest.fixture(scope="session")
def finished(tmp_path_factory, ptau):
    home = tmp_path_factory.mktemp("credits-home")
    directory, key_dir = home / "ceremony", home / "keys"
    hashes = ceremony.setup(directory, DEPTH, ptau, circuits=["purchase"])
    first = ceremony.contribute(directory, name="alice", entropy="a")
    second = ceremony.contribute(directory, name="bob")
    last = ceremony.beacon(directory, key_dir, BEACON, 10)
    return home, hashes, [first["purchase"], second["purchase"], last["purchase"]]


def test_ceremony_files_and_hashes(finished):
    home, hashes, published = finished
    directory = home / "ceremony"
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["purchase.r1cs", "purchase_0000.zkey", "purchase_0001.zkey", "purchase_0002.zkey",
                     "purchase_final.zkey", "state.json"]
    assert len(hashes["purchase"]) == 64 and len(set(published)) == 3
    assert ceremony.verify(directory) == {"purchase": published}
    assert ceremony.verify(directory, expect={"purchase": published})["purchase"] == published


def test_ceremony_refuses_another_published_chain(finished):
    from zk.ceremony.phase2 import VerificationFailed

    home, _, published = finished
    with pytest.raises(VerificationFailed, match="published"):
        ceremony.verify(home / "ceremony", expect={"purchase": published[:2]})


def test_installed_keys_are_the_final_zkey(finished):
    from zk.formats.zkey import read_zkey, verifying_key

    home, _, _ = finished
    cs = compile(circuit_classes(DEPTH)["purchase"])
    keys = load_cached_keys("purchase", cs, *key_paths(home / "keys", "purchase", cs))
    assert keys.vk == verifying_key(read_zkey(home / "ceremony" / "purchase_final.zkey"))
    assert keys.vk.gamma_g2 != keys.vk.delta_g2


@pytest.mark.npm
@pytest.mark.skipif(not SNARKJS.exists(), reason="npm peers not installed (run `make npm`)")
def test_snarkjs_verifies_the_credits_ceremony(finished, ptau, tmp_path):
    home, _, published = finished
    shutil.copy(ptau, tmp_path / "pot.ptau")
    subprocess.run([str(SNARKJS), "powersoftau", "prepare", "phase2", "pot.ptau", "pot_final.ptau"], cwd=tmp_path,
                   check=True, capture_output=True, timeout=600)
    out = subprocess.run([str(SNARKJS), "zkey", "verify", str(home / "ceremony" / "purchase.r1cs"), "pot_final.ptau",
                          str(home / "ceremony" / "purchase_final.zkey")], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert "ZKey Ok!" in out.stdout + out.stderr, out.stdout + out.stderr
    for digest in published:
        words = [digest[i:i + 4].hex() for i in range(0, 16, 4)]
        assert " ".join(words) in out.stdout + out.stderr


def test_state_errors(tmp_path):
    with pytest.raises(ceremony.CeremonyStateError, match="credits setup"):
        ceremony.contribute(tmp_path / "nothing")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "state.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ceremony.CeremonyStateError, match="not a Community Credits"):
        ceremony.verify(tmp_path / "c")
