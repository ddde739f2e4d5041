"""snarkjs JSON (verification key, proof, public signals) against files snarkjs 0.7.6 wrote
(tests/data/snarkjs, see its README), plus every malformed input the readers must refuse."""
from __future__ import annotations

import json
import pathlib

import pytest

from zk.curve import G1Point
from zk.field import P, R
from zk.formats import snarkjs as S
from zk.formats.circom import read_r1cs, read_wtns
from zk.groth16 import InvalidInput, Proof, prove, setup, verify

DATA = pathlib.Path(__file__).parent / "data" / "snarkjs"


@pytest.fixture(scope="module")
def fixture():
    vk_text = (DATA / "verification_key.json").read_text()
    proof_text = (DATA / "proof.json").read_text()
    public_text = (DATA / "public.json").read_text()
    return vk_text, proof_text, public_text


def test_files_round_trip_byte_for_byte(fixture):
    vk_text, proof_text, public_text = fixture
    vk = S.vkey_from_json(json.loads(vk_text))
    assert S.dumps(S.vkey_to_json(vk)) == vk_text  # vk_alphabeta_12 included
    assert S.dumps(S.proof_to_json(S.proof_from_json(json.loads(proof_text)))) == proof_text
    assert S.dumps(S.public_to_json(S.public_from_json(json.loads(public_text)))) == public_text


def test_we_verify_snarkjs_proof(fixture):
    vk = S.read_vkey(DATA / "verification_key.json")
    proof = S.read_proof(DATA / "proof.json")
    public = S.read_public(DATA / "public.json")
    assert public == [168, 3]
    assert verify(vk, public, proof)
    assert not verify(vk, [168, 4], proof)
    assert not verify(vk, public, Proof(proof.a, proof.b, proof.c + G1Point.generator()))
    with pytest.raises(InvalidInput, match="public input 0 = .* is not a field element"):
        verify(vk, [168 + R, 3], proof)


def test_we_prove_circom_circuit_with_our_keys(tmp_path):
    cs = read_r1cs(DATA / "mul.r1cs")
    witness = read_wtns(DATA / "mul.wtns")
    pk, vk = setup(cs)
    proof, public = prove(pk, witness)
    assert public == [168, 3]
    S.write_vkey(vk, tmp_path / "vk.json")
    S.write_proof(proof, tmp_path / "proof.json")
    S.write_public(public, tmp_path / "public.json")
    assert verify(S.read_vkey(tmp_path / "vk.json"), S.read_public(tmp_path / "public.json"),
                  S.read_proof(tmp_path / "proof.json"))


def test_proof_from_another_setup_does_not_verify():
    cs = read_r1cs(DATA / "mul.r1cs")
    pk, _ = setup(cs)
    proof, public = prove(pk, read_wtns(DATA / "mul.wtns"))
    assert not verify(S.read_vkey(DATA / "verification_key.json"), public, proof)


def _vk(fixture):
    return json.loads(fixture[0])


def _proof(fixture):
    return json.loads(fixture[1])


@pytest.mark.parametrize("mutate, error, message", [
    (lambda o: o.update(protocol="plonk"), S.SnarkjsFormatError, "protocol"),
    (lambda o: o.update(curve="bls12381"), S.SnarkjsFormatError, "curve"),
    (lambda o: o.pop("protocol"), S.SnarkjsFormatError, "protocol"),
    (lambda o: o.update(nPublic=3), S.SnarkjsFormatError, "nPublic"),
    (lambda o: o.update(nPublic="2"), S.SnarkjsFormatError, "nPublic"),
    (lambda o: o.pop("vk_delta_2"), S.SnarkjsFormatError, "vk_delta_2"),
    (lambda o: o.update(IC=[]), S.SnarkjsFormatError, "IC"),
    (lambda o: o["vk_alpha_1"].__setitem__(1, "1"), S.SnarkjsFormatError, "not on the"),
    (lambda o: o["vk_alpha_1"].__setitem__(0, str(P)), S.SnarkjsFormatError, "canonical"),
    (lambda o: o["vk_alpha_1"].__setitem__(0, "0x1"), S.SnarkjsFormatError, "decimal"),
    (lambda o: o["vk_alpha_1"].__setitem__(2, "2"), S.SnarkjsFormatError, "normalised"),
    (lambda o: o["vk_beta_2"][0].__setitem__(0, "5"), S.SnarkjsFormatError, "G2"),
    (lambda o: o["IC"][0].pop(), S.SnarkjsFormatError, "list of 3"),
])
def test_malformed_verification_key(fixture, mutate, error, message):
    obj = _vk(fixture)
    mutate(obj)
    with pytest.raises(error, match=message):
        S.vkey_from_json(obj)


def test_curve_aliases_accepted(fixture):
    for name in ("BN254", "bn254", "ALTBN128"):
        obj = _vk(fixture)
        obj["curve"] = name
        S.vkey_from_json(obj)


@pytest.mark.parametrize("mutate, message", [
    (lambda o: o.pop("pi_a"), "pi_a"),
    (lambda o: o.update(protocol="fflonk"), "protocol"),
    (lambda o: o["pi_a"].__setitem__(0, "12"), "not on the"),
    (lambda o: o["pi_b"].__setitem__(2, ["1"]), "list of 2"),
    (lambda o: o["pi_c"].__setitem__(1, -5), "canonical"),
    (lambda o: o["pi_c"].__setitem__(1, "007"), "decimal"),
])
def test_malformed_proof(fixture, mutate, message):
    obj = _proof(fixture)
    mutate(obj)
    with pytest.raises(S.SnarkjsFormatError, match=message):
        S.proof_from_json(obj)


def test_proof_without_protocol_fields_is_read():
    # snarkjs's verifier reads only pi_a, pi_b, pi_c.
    obj = json.loads((DATA / "proof.json").read_text())
    del obj["protocol"], obj["curve"]
    S.proof_from_json(obj)


@pytest.mark.parametrize("value, message", [
    ({"0": "1"}, "list"),
    (["1", "-1"], "decimal"),
    (["1", "01"], "decimal"),
    (["1", 2.5], "decimal"),
    (["1", True], "bool"),
    (["1", " 2"], "decimal"),
])
def test_malformed_public_signals(value, message):
    with pytest.raises(S.SnarkjsFormatError, match=message):
        S.public_from_json(value)


def test_public_signals_at_or_above_r_reach_the_verifier():
    assert S.public_from_json([str(R), "0"]) == [R, 0]


def test_unreadable_files(tmp_path):
    with pytest.raises(S.SnarkjsFormatError, match="cannot read"):
        S.read_vkey(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(S.SnarkjsFormatError, match="not valid JSON"):
        S.read_proof(tmp_path / "bad.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(S.SnarkjsFormatError, match="not valid JSON"):
        S.read_public(tmp_path / "bin.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(S.SnarkjsFormatError, match="JSON object"):
        S.read_vkey(tmp_path / "list.json")
