"""Each attack on the Groth16 verifier, key handling and prover randomness, as a test."""
from __future__ import annotations

import json

import pytest

from zk.curve import G1Point, G2Point
from zk.field import Fp2, R
from zk.formats import snarkjs as S
from zk.formats import keyfile
from zk.groth16 import InvalidInput, InvalidKey, Proof, VerifyingKey, prove, setup, verify, verify_batch
from zk.r1cs import Circuit, Private, Public, compile


class Product(Circuit):
    """a * b == c with c public, a public, b private."""

    c = Public()
    a = Public()
    b = Private()

    def define(self, api):
        api.assert_equal(api.mul(self.a, self.b), self.c)


@pytest.fixture(scope="module")
def system():
    cs = compile(Product)
    pk, vk = setup(cs)
    proofs = {}
    for a, b in ((3, 5), (4, 6)):
        proof, public = prove(pk, cs.solve({"a": a, "b": b, "c": a * b}))
        proofs[(a, b)] = (public, proof)
    return cs, pk, vk, proofs


def _twist_point_outside_g2() -> G2Point:
    x = Fp2(1, 0)
    while True:
        y = (x * x * x + G2Point.b).sqrt()
        if y is not None:
            point = G2Point(x, y, check=False)
            assert point.is_on_curve() and not point.is_in_subgroup()
            return point
        x = x + 1


def test_honest_proofs_verify(system):
    _, _, vk, proofs = system
    for public, proof in proofs.values():
        assert verify(vk, public, proof)


def test_public_input_plus_r_is_rejected(system):
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    # x + r satisfies the same pairing equation: only the range check stops it.
    with pytest.raises(InvalidInput, match=r"\[0, r\)"):
        verify(vk, [public[0] + R, public[1]], proof)
    with pytest.raises(InvalidInput, match=r"\[0, r\)"):
        verify(vk, [public[0], -1], proof)
    with pytest.raises(InvalidInput, match=r"\[0, r\)"):
        verify_batch(vk, [([public[0] + R, public[1]], proof)])


@pytest.mark.parametrize("count", [0, 1, 3])
def test_wrong_number_of_public_inputs(system, count):
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    with pytest.raises(InvalidInput, match="expects 2 public inputs"):
        verify(vk, (public + [0, 0])[:count], proof)
    with pytest.raises(InvalidInput, match="expects 2 public inputs"):
        verify_batch(vk, [(public, proof), ((public + [0, 0])[:count], proof)])


def test_public_inputs_must_be_ints(system):
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    with pytest.raises(InvalidInput, match="must be an int"):
        verify(vk, [str(public[0]), public[1]], proof)
    with pytest.raises(InvalidInput, match="must be an int"):
        verify(vk, [True, public[1]], proof)


def test_proof_point_off_curve(system):
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    off = G1Point(1, 3, check=False)
    assert not off.is_on_curve()
    with pytest.raises(InvalidInput, match="not on the G1 curve"):
        verify(vk, public, Proof(off, proof.b, proof.c))
    with pytest.raises(InvalidInput, match="not on the G1 curve"):
        verify(vk, public, Proof(proof.a, proof.b, off))
    off2 = G2Point(Fp2(1, 1), Fp2(1, 1), check=False)
    with pytest.raises(InvalidInput, match="not on the G2"):
        verify(vk, public, Proof(proof.a, off2, proof.c))
    with pytest.raises(InvalidInput, match="batch item 1"):
        verify_batch(vk, [(public, proof), (public, Proof(off, proof.b, proof.c))])


def test_g2_point_outside_subgroup(system):
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    with pytest.raises(InvalidInput, match="subgroup"):
        verify(vk, public, Proof(proof.a, _twist_point_outside_g2(), proof.c))
    # and the JSON reader refuses it before the verifier sees it
    obj = S.proof_to_json(Proof(proof.a, _twist_point_outside_g2(), proof.c))
    with pytest.raises(S.SnarkjsFormatError, match="subgroup"):
        S.proof_from_json(obj)


def test_wrong_types_are_rejected(system):
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    with pytest.raises(InvalidInput, match="expected a Proof, got tuple"):
        verify(vk, public, (proof.a, proof.b, proof.c))
    with pytest.raises(InvalidInput, match="G2Point"):
        verify(vk, public, Proof(proof.a, proof.a, proof.c))


@pytest.mark.parametrize("which", ["a", "b", "c", "negate_a", "swap_ac"])
def test_tampered_proof_is_rejected(system, which):
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    g1, g2 = G1Point.generator(), G2Point.generator()
    tampered = {
        "a": Proof(proof.a + g1, proof.b, proof.c),
        "b": Proof(proof.a, proof.b + g2, proof.c),
        "c": Proof(proof.a, proof.b, proof.c + g1),
        "negate_a": Proof(-proof.a, proof.b, proof.c),
        "swap_ac": Proof(proof.c, proof.b, proof.a),
    }[which]
    assert not verify(vk, public, tampered)
    assert not verify_batch(vk, [(public, tampered)])


def test_infinity_proof_points_are_rejected_without_crashing(system):
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    assert not verify(vk, public, Proof(G1Point.infinity(), proof.b, proof.c))
    assert not verify(vk, public, Proof(proof.a, G2Point.infinity(), proof.c))
    assert not verify(vk, public, Proof(G1Point.infinity(), G2Point.infinity(), G1Point.infinity()))


def test_proofs_swapped_between_statements(system):
    _, _, vk, proofs = system
    public_1, proof_1 = proofs[(3, 5)]
    public_2, proof_2 = proofs[(4, 6)]
    assert not verify(vk, public_1, proof_2)
    assert not verify(vk, public_2, proof_1)
    assert not verify_batch(vk, [(public_1, proof_2), (public_2, proof_1)])
    # mixing the components of two valid proofs gives no valid proof either
    assert not verify(vk, public_1, Proof(proof_1.a, proof_2.b, proof_1.c))


def test_proof_for_another_key_is_rejected(system):
    cs, _, _, proofs = system
    _, other_vk = setup(cs)
    public, proof = proofs[(3, 5)]
    assert not verify(other_vk, public, proof)


def test_two_proofs_of_one_statement_differ_and_both_verify(system):
    cs, pk, vk, _ = system
    witness = cs.solve({"a": 3, "b": 5, "c": 15})
    (p1, pub1), (p2, pub2) = prove(pk, witness), prove(pk, witness)
    assert pub1 == pub2
    assert p1.a != p2.a and p1.b != p2.b and p1.c != p2.c
    assert verify(vk, pub1, p1) and verify(vk, pub2, p2)


def test_batch_with_one_bad_proof_fails(system):
    _, _, vk, proofs = system
    (public_1, proof_1), (public_2, proof_2) = proofs[(3, 5)], proofs[(4, 6)]
    assert verify_batch(vk, [(public_1, proof_1), (public_2, proof_2), (public_1, proof_1)])
    assert verify_batch(vk, [])
    bad = Proof(proof_2.a, proof_2.b, proof_2.c + G1Point.generator())
    assert not verify_batch(vk, [(public_1, proof_1), (public_2, bad), (public_1, proof_1)])
    assert not verify_batch(vk, [(public_1, proof_1), ([public_2[0], public_2[1] + 1], proof_2)])
    with pytest.raises(InvalidInput, match="pair"):
        verify_batch(vk, [proof_1])


def test_batch_scalars_are_not_predictable(system, monkeypatch):
    """A batch verifier with fixed coefficients can be fooled by two proofs whose errors cancel;
    with fresh random rho each call the same pair is caught."""
    _, _, vk, proofs = system
    public, proof = proofs[(3, 5)]
    g1 = G1Point.generator()
    # With rho_1 = rho_2 = 1, shifting C_1 by +G and C_2 by -G leaves sum rho_j C_j unchanged.
    p_plus = Proof(proof.a, proof.b, proof.c + g1)
    p_minus = Proof(proof.a, proof.b, proof.c - g1)
    import importlib

    verify_module = importlib.import_module("zk.groth16.verify")
    monkeypatch.setattr(verify_module.secrets, "randbits", lambda bits: 1)
    assert verify_batch(vk, [(public, p_plus), (public, p_minus)])  # the weakness, demonstrated
    monkeypatch.undo()
    assert not verify_batch(vk, [(public, p_plus), (public, p_minus)])


def test_delta_equal_gamma_key_is_refused(system):
    _, pk, vk, _ = system
    with pytest.raises(InvalidKey, match="delta_2 equals gamma_2"):
        VerifyingKey(vk.alpha_g1, vk.beta_g2, vk.gamma_g2, vk.gamma_g2, vk.ic)
    obj = S.vkey_to_json(vk)
    obj["vk_delta_2"] = obj["vk_gamma_2"]
    with pytest.raises(InvalidKey, match="delta_2 equals gamma_2"):
        S.vkey_from_json(json.loads(json.dumps(obj)))


def test_delta_equal_gamma_key_file_is_refused(system, tmp_path):
    _, pk, _, _ = system
    data = bytearray(keyfile.key_bytes(pk))
    fixed = _array_bytes(data, "g2_fixed")
    row = 16 * 8  # one affine G2 point: 2 coordinates x 2 Fp x 4 limbs
    data[fixed + 2 * row : fixed + 3 * row] = data[fixed + row : fixed + 2 * row]  # delta := gamma
    path = tmp_path / "bad.pk"
    path.write_bytes(_reseal(data))
    with pytest.raises(InvalidKey, match="delta_2 equals gamma_2"):
        keyfile.load(path)


@pytest.mark.parametrize("field", ["vk_alpha_1", "IC"])
def test_key_points_at_infinity_are_refused(system, field):
    _, _, vk, _ = system
    obj = S.vkey_to_json(vk)
    if field == "IC":
        obj["IC"][1] = ["0", "1", "0"]
    else:
        obj[field] = ["0", "1", "0"]
    with pytest.raises(InvalidKey, match="infinity"):
        S.vkey_from_json(obj)
    obj = S.vkey_to_json(vk)
    obj["vk_gamma_2"] = [["0", "0"], ["1", "0"], ["0", "0"]]
    with pytest.raises(InvalidKey, match="infinity"):
        S.vkey_from_json(obj)


def test_vk_g2_point_outside_subgroup_is_refused(system):
    _, _, vk, _ = system
    with pytest.raises(InvalidKey, match="subgroup"):
        VerifyingKey(vk.alpha_g1, vk.beta_g2, vk.gamma_g2, _twist_point_outside_g2(), vk.ic)


# helpers to craft key files with a valid checksum around bad content


def _header(data: bytes) -> tuple[dict, int]:
    import struct

    _, _, header_len, _, _ = struct.unpack("<8sIIQ32s", bytes(data[:56]))
    return json.loads(bytes(data[56 : 56 + header_len])), 56 + header_len


def _array_bytes(data: bytes, name: str) -> int:
    header, body = _header(data)
    entry = next(e for e in header["arrays"] if e["name"] == name)
    return body + entry["offset"]


def _reseal(data: bytearray) -> bytes:
    import hashlib

    data[24:56] = hashlib.sha256(bytes(data[56:])).digest()
    return bytes(data)


def test_key_file_with_infinity_in_h_query_is_refused(system, tmp_path):
    _, pk, _, _ = system
    data = bytearray(keyfile.key_bytes(pk))
    h = _array_bytes(data, "h_query")
    data[h : h + 64] = bytes(64)
    path = tmp_path / "h.pk"
    path.write_bytes(_reseal(data))
    with pytest.raises(InvalidKey, match="h_query"):
        keyfile.load(path)


def test_key_file_with_mismatched_delta_1_is_refused(system, tmp_path):
    _, pk, _, _ = system
    data = bytearray(keyfile.key_bytes(pk))
    fixed = _array_bytes(data, "g1_fixed")
    row = 8 * 8
    data[fixed + 2 * row : fixed + 3 * row] = data[fixed + row : fixed + 2 * row]  # delta_1 := beta_1
    path = tmp_path / "d.pk"
    path.write_bytes(_reseal(data))
    with pytest.raises(InvalidKey, match="do not match"):
        keyfile.load(path)


def test_key_file_with_off_curve_query_point_is_refused(system, tmp_path):
    _, pk, _, _ = system
    data = bytearray(keyfile.key_bytes(pk))
    a = _array_bytes(data, "a_query")
    data[a + 64 + 8] ^= 1  # flip a low bit of a_query[1].x (the limb stays < p)
    path = tmp_path / "c.pk"
    path.write_bytes(_reseal(data))
    with pytest.raises(InvalidKey, match=r"a_query\[1\] is not on the G1 curve"):
        keyfile.load(path)
