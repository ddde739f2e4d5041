"""Degenerate verification keys: for each rule of zk.groth16.keys.degenerate_key_problem, a proof
made without any witness that the key accepts once the rule is switched off, and the refusal
(naming the rule) from every place a key is used: verify, verify_batch, prove, the key file,
snarkjs JSON, the CLI and the Solidity exporter. A ceremony's initial key (gamma = delta) still
loads with allow_degenerate=True."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import zk.cli.export  # noqa: F401  (attaches the commands)
import zk.cli.groth16  # noqa: F401
from zk import groth16
from zk.cli import cli
from zk.curve import G1Point, G2Point
from zk.field import R
from zk.formats import snarkjs as S
from zk.formats.solidity import SolidityExportError, solidity_verifier
from zk.groth16 import InvalidKey, Proof, VerifyingKey, keys, prove, verify, verify_batch
from zk.r1cs import Circuit, Private, Public, compile


class TwoInputs(Circuit):
    x = Public()
    y = Public()
    w = Private()

    def define(self, api):
        api.assert_equal(self.w * self.w, self.x + self.y * 3)


X, Y, W = 10, 2, 4  # 4 * 4 = 10 + 2 * 3


@pytest.fixture(scope="module")
def honest():
    cs = compile(TwoInputs)
    pk, vk = groth16.setup(cs)
    proof, public = prove(pk, cs.solve({"x": X, "y": Y, "w": W}))
    assert public == [X, Y] and verify(vk, public, proof)
    return pk, vk, proof


def vk_x(vk, public):
    out = vk.ic[0]
    for x, point in zip(public, vk.ic[1:]):
        out = out + point * x
    return out


def degenerate(vk, **fields):
    values = dict(alpha_g1=vk.alpha_g1, beta_g2=vk.beta_g2, gamma_g2=vk.gamma_g2, delta_g2=vk.delta_g2, ic=vk.ic)
    values.update(fields)
    return VerifyingKey(**values, allow_degenerate=True)


O1, O2 = G1Point.infinity(), G2Point.infinity()


def c_free(vk):
    """With delta at infinity, C drops out of the equation: it carries none of the witness. A key
    from a known trapdoor shows it: (A, B) with ab = alpha beta + gamma vk_x, and any C at all."""
    alpha, beta, gamma, a = 5, 7, 11, 13
    ic = (17, 19, 23)
    public = [X, Y]
    x = (ic[0] + ic[1] * X + ic[2] * Y) % R
    b = (alpha * beta + gamma * x) * pow(a, -1, R) % R
    g1, g2 = G1Point.generator(), G2Point.generator()
    key = VerifyingKey(g1 * alpha, g2 * beta, g2 * gamma, O2, tuple(g1 * s for s in ic), allow_degenerate=True)
    return key, Proof(g1 * a, g2 * b, g1 * 777), public


def forgeries(honest):
    """name -> (degenerate key, forged proof, public inputs the forgery claims, expected message)."""
    _, vk, proof = honest
    lie = [123456789, 987654321]  # no witness exists: 123456789 + 3 * 987654321 is not a known square
    ic0, ic1, ic2 = vk.ic
    # Keys whose IC relations are broken, shifted so that the honest proof for (X, Y) still verifies.
    unbound = degenerate(vk, ic=(ic0 + ic1 * X, O1, ic2))
    traded = degenerate(vk, ic=(ic0 + ic2 * Y - ic1 * Y, ic1, ic1))
    opposed = degenerate(vk, ic=(ic0 + ic2 * Y + ic1 * Y, ic1, -ic1))
    cases = {
        "gamma = delta": (degenerate(vk, delta_g2=vk.gamma_g2), None, lie, "delta_2 equals gamma_2"),
        "gamma = -delta": (degenerate(vk, delta_g2=-vk.gamma_g2), None, lie, "delta_2 equals -gamma_2"),
        "gamma at infinity": (degenerate(vk, gamma_g2=O2), Proof(vk.alpha_g1, vk.beta_g2, O1), lie,
                              "gamma_2 is the point at infinity"),
        "delta at infinity": (*c_free(vk), "delta_2 is the point at infinity"),
        "alpha at infinity": (degenerate(vk, alpha_g1=O1), None, lie, "alpha_1 is the point at infinity"),
        "beta at infinity": (degenerate(vk, beta_g2=O2), None, lie, "beta_2 is the point at infinity"),
        "IC_1 at infinity": (unbound, proof, [X + 1, Y], r"IC\[1\] is the point at infinity"),
        "IC_1 = IC_2": (traded, proof, [X - 5, Y + 5], r"IC\[2\] equals IC\[1\]"),
        "IC_1 = -IC_2": (opposed, proof, [X + 5, Y + 5], r"IC\[2\] equals minus IC\[1\]"),
    }
    out = {}
    for name, (key, forged, public, message) in cases.items():
        if forged is None:
            x = vk_x(key, public)
            if name == "gamma = delta":
                forged = Proof(key.alpha_g1, key.beta_g2, -x)
            elif name == "gamma = -delta":
                forged = Proof(key.alpha_g1, key.beta_g2, x)
            else:  # e(alpha, beta) = 1: (X, gamma, 0) balances e(X, gamma)
                forged = Proof(x, key.gamma_g2, O1)
        out[name] = (key, forged, public, message)
    return out


CASES = ["gamma = delta", "gamma = -delta", "gamma at infinity", "delta at infinity", "alpha at infinity",
         "beta at infinity", "IC_1 at infinity", "IC_1 = IC_2", "IC_1 = -IC_2"]


@pytest.mark.parametrize("name", CASES)
def test_forgery_verifies_only_without_the_rule(honest, name, monkeypatch):
    _, vk, _ = honest
    key, forged, public, message = forgeries(honest)[name]
    # A sound key rejects the forged claim (for delta at infinity: the same key with a real delta)...
    sound = degenerate(key, delta_g2=G2Point.generator() * 29) if name == "delta at infinity" else vk
    assert not verify(sound, public, forged)
    # ...the degenerate key is refused, naming the rule...
    with pytest.raises(InvalidKey, match=message):
        verify(key, public, forged)
    with pytest.raises(InvalidKey, match=message):
        verify_batch(key, [(public, forged)])
    # ...and without the rule it would accept the forgery.
    monkeypatch.setattr(VerifyingKey, "require_sound", lambda self: None)
    assert verify(key, public, forged)


@pytest.mark.parametrize("name", CASES)
def test_refused_on_construction_export_and_cli(honest, name, tmp_path):
    _, _, proof = honest
    key, forged, public, message = forgeries(honest)[name]
    fields = dict(alpha_g1=key.alpha_g1, beta_g2=key.beta_g2, gamma_g2=key.gamma_g2, delta_g2=key.delta_g2, ic=key.ic)
    with pytest.raises(InvalidKey, match=message):
        VerifyingKey(**fields)
    vkey_json = S.vkey_to_json(key)
    with pytest.raises(InvalidKey, match=message):
        S.vkey_from_json(vkey_json)
    with pytest.raises(SolidityExportError, match=message):
        solidity_verifier(vkey_json)
    with pytest.raises(SolidityExportError, match=message):
        solidity_verifier(key)
    (tmp_path / "vk.json").write_text(json.dumps(vkey_json))
    S.write_public(public, tmp_path / "public.json")
    S.write_proof(forged, tmp_path / "proof.json")
    for args in (["verify", tmp_path / "vk.json", tmp_path / "public.json", tmp_path / "proof.json"],
                 ["export", "solidity", tmp_path / "vk.json", tmp_path / "Verifier.sol"]):
        result = CliRunner().invoke(cli, [str(a) for a in args])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
        assert re.search(message, lines[0]), result.output
    assert not (tmp_path / "Verifier.sol").exists()


def test_prover_refuses_a_degenerate_key(honest):
    pk, vk, _ = honest
    import dataclasses

    bad = dataclasses.replace(pk, vk=degenerate(vk, delta_g2=-vk.gamma_g2))
    with pytest.raises(InvalidKey, match="delta_2 equals -gamma_2"):
        prove(bad, compile(TwoInputs).solve({"x": X, "y": Y, "w": W}))


def test_ceremony_initial_key_loads_but_is_not_used(honest):
    """gamma = delta is how a phase-2 ceremony starts: it must load so contributions can replace
    delta, and stays unusable until they have."""
    _, vk, proof = honest
    initial = degenerate(vk, delta_g2=vk.gamma_g2)
    assert initial.delta_g2 == initial.gamma_g2
    with pytest.raises(InvalidKey, match="delta_2 equals gamma_2"):
        initial.require_sound()
    contributed = degenerate(vk)
    contributed.require_sound()
    assert verify(contributed, [X, Y], proof)


def test_rule_has_one_home():
    assert keys.degenerate_key_problem.__module__ == "zk.groth16.keys"
    g1, g2 = G1Point.generator(), G2Point.generator()
    assert keys.degenerate_key_problem(g1, g2, g2 * 2, g2 * 3, (g1, g1 * 2)) is None
    assert "IC[1] equals IC[0]" in keys.degenerate_key_problem(g1, g2, g2 * 2, g2 * 3, (g1, g1))
