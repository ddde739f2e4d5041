"""zk.ceremony's primitives against hashlib and against snarkjs 0.7.6 / ffjavascript themselves:
BLAKE2b with saved state, ChaCha, fromRng for Fr/Fq/G1/G2, hash-to-G2, ptau contribution keys."""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import random
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from zk.ceremony.blake2b import Blake2b, PartialHashError
from zk.ceremony.chacha import ChaCha, fq_from_rng, fr_from_rng, g1_from_rng, g2_from_rng
from zk.ceremony.keypair import (
    beacon_rng,
    create_ptau_key,
    format_hash,
    hash_to_g2,
    same_ratio,
)
from zk.curve import G1Point, G2Point

ROOT = pathlib.Path(__file__).resolve().parent.parent
PEER = ROOT / "tests" / "data" / "ceremony" / "snarkjs_primitives.mjs"
HAVE_NODE = (ROOT / "node_modules" / "snarkjs").exists()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=700), st.lists(st.integers(1, 300), min_size=1, max_size=8))
def test_blake2b_matches_hashlib_in_any_chunking(data, cuts):
    hasher, pos, i = Blake2b(), 0, 0
    while pos < len(data):
        step = cuts[i % len(cuts)]
        hasher.update(data[pos : pos + step])
        pos, i = pos + step, i + 1
    assert hasher.digest() == hashlib.blake2b(data).digest()
    restored = Blake2b.from_state(hasher.state())
    assert restored.digest() == hasher.digest()
    more = os.urandom(200)
    assert restored.update(more).digest() == hashlib.blake2b(data + more).digest()


def test_blake2b_large_input():
    data = os.urandom((1 << 20) + 77)
    assert Blake2b().update(data).digest() == hashlib.blake2b(data).digest()


@pytest.mark.parametrize("bad", [
    bytes(215),
    bytes(200) + (129).to_bytes(4, "little") + bytes(12),  # buffer position beyond the block
    bytes(192) + (5).to_bytes(4, "little") + bytes(20),  # compressed count not whole blocks
])
def test_partial_hash_rejects_impossible_states(bad):
    with pytest.raises(PartialHashError):
        Blake2b.from_state(bad)


def test_same_ratio():
    g1, g2 = G1Point.generator(), G2Point.generator()
    assert same_ratio(g1 * 5, g1 * 35, g2 * 3, g2 * 21)
    assert not same_ratio(g1 * 5, g1 * 35, g2 * 3, g2 * 22)
    assert not same_ratio(G1Point.infinity(), G1Point.infinity(), g2, g2)


def test_format_hash_layout():
    text = format_hash(bytes(range(64)), "Title:")
    lines = text.split("\n")
    assert lines[0] == "Title:" and len(lines) == 5
    assert lines[1] == "\t\t00010203 04050607 08090a0b 0c0d0e0f"


def test_beacon_rng_is_iterated_sha256():
    digest = b"\x01" * 32
    for _ in range(1 << 10):
        digest = hashlib.sha256(digest).digest()
    assert beacon_rng(b"\x01" * 32, 10).next_u32() == ChaCha.from_hash(digest).next_u32()
    with pytest.raises(ValueError):
        beacon_rng(b"\x01", 9)


@pytest.mark.npm
@pytest.mark.skipif(not HAVE_NODE, reason="npm peers not installed (run `make npm`)")
def test_primitives_match_snarkjs(tmp_path):
    rnd = random.Random(12)
    cases = []
    for _ in range(4):
        chunks = [rnd.randbytes(rnd.choice([1, 32, 64, 127, 128, 129, 300, 1000])).hex() for _ in range(rnd.randint(1, 6))]
        cases.append({"seed": [rnd.getrandbits(32) for _ in range(8)], "chunks": chunks,
                      "challenge": rnd.randbytes(64).hex()})
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"cases": cases}))
    result = subprocess.run(["node", str(PEER), str(spec)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    expected = json.loads(result.stdout)

    def g1(p):
        return [str(p.x.value), str(p.y.value)]

    def g2(p):
        return [[str(p.x.c0.value), str(p.x.c1.value)], [str(p.y.c0.value), str(p.y.c1.value)]]

    for case, want in zip(cases, expected):
        rng = ChaCha(case["seed"])
        assert [rng.next_u32() for _ in range(20)] == want["words"]
        assert str(fr_from_rng(rng)) == want["fr"]
        assert str(fq_from_rng(rng)) == want["fq"]
        assert g1(g1_from_rng(rng)) == want["g1"]
        assert g2(g2_from_rng(rng)) == want["g2"]
        hasher = Blake2b()
        for chunk in case["chunks"]:
            hasher.update(bytes.fromhex(chunk))
        assert hasher.state().hex() == want["partial"]
        assert hasher.digest().hex() == want["digest"]
        challenge = bytes.fromhex(case["challenge"])
        key = create_ptau_key(challenge, ChaCha(case["seed"]))
        for part in ("tau", "alpha", "beta"):
            ours, theirs = getattr(key, part), want["key"][part]
            assert [g1(ours.g1_s), g1(ours.g1_sx), g2(ours.g2_sp), g2(ours.g2_spx)] == \
                [theirs["g1_s"], theirs["g1_sx"], theirs["g2_sp"], theirs["g2_spx"]]
            assert same_ratio(ours.g1_s, ours.g1_sx, ours.g2_sp, ours.g2_spx)
        assert g2(hash_to_g2(challenge)) == want["hash_to_g2"]
