"""Groth16 interop with the real snarkjs 0.7.6 and circom2 (npm peers, installed by `make npm`).

One snarkjs pipeline per test session (circom2 compile, a power-8 powers of tau with one
contribution, phase 2 with a contribution and a beacon, verification key, proof): about 20 s.
"""
from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest

from zk.curve import G1Point
from zk.field import R
from zk.formats import snarkjs as S
from zk.formats.circom import read_r1cs, read_wtns
from zk.groth16 import InvalidInput, Proof, prove, setup, verify, verify_batch
from zk.r1cs import Circuit, Output, Private, Public, compile

from snarkjs_peer import BIN, ceremony_zkey, needs_snarkjs, snarkjs  # noqa: E402

DATA = pathlib.Path(__file__).parent / "data" / "snarkjs"
pytestmark = [pytest.mark.npm, needs_snarkjs]


def snarkjs_verifies(vk_path, public_path, proof_path, cwd) -> bool:
    result = snarkjs("groth16", "verify", vk_path, public_path, proof_path, cwd=cwd, check=False)
    output = result.stdout + result.stderr
    assert ("OK" in output) == (result.returncode == 0), output
    return result.returncode == 0


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    """circom2 + snarkjs artifacts for tests/data/snarkjs/mul.circom, built live."""
    d = tmp_path_factory.mktemp("snarkjs")
    shutil.copy(DATA / "mul.circom", d / "mul.circom")
    shutil.copy(DATA / "input.json", d / "input.json")
    if (BIN / "circom2").exists():
        subprocess.run([str(BIN / "circom2"), "mul.circom", "--r1cs", "--wasm", "--sym", "-o", "."], cwd=d,
                       check=True, capture_output=True, timeout=300)
        snarkjs("wtns", "calculate", "mul_js/mul.wasm", "input.json", "mul.wtns", cwd=d)
    else:  # the committed compile output of the same circuit
        shutil.copy(DATA / "mul.r1cs", d / "mul.r1cs")
        shutil.copy(DATA / "mul.wtns", d / "mul.wtns")
    ceremony_zkey(d, "mul.r1cs", "mul.zkey", "snarkjs_vk.json", name="test", entropy="interop entropy")
    snarkjs("groth16", "prove", "mul.zkey", "mul.wtns", "snarkjs_proof.json", "snarkjs_public.json", cwd=d)
    return d


@pytest.fixture(scope="session")
def ours(pipeline):
    """Our keys and proof for the same circom-compiled circuit, from its .r1cs and .wtns."""
    d = pipeline
    cs = read_r1cs(d / "mul.r1cs")
    pk, vk = setup(cs)
    proof, public = prove(pk, read_wtns(d / "mul.wtns"))
    S.write_vkey(vk, d / "vk.json")
    S.write_proof(proof, d / "proof.json")
    S.write_public(public, d / "public.json")
    return pk, vk, proof, public


def test_snarkjs_verifies_our_proof(pipeline, ours):
    assert ours[3] == [168, 3]
    assert snarkjs_verifies("vk.json", "public.json", "proof.json", cwd=pipeline)


def test_we_verify_snarkjs_proof(pipeline):
    vk = S.read_vkey(pipeline / "snarkjs_vk.json")
    public = S.read_public(pipeline / "snarkjs_public.json")
    proof = S.read_proof(pipeline / "snarkjs_proof.json")
    assert verify(vk, public, proof)
    assert verify_batch(vk, [(public, proof), (public, proof)])
    # and our writer reproduces snarkjs's files byte for byte
    for name, obj in (("snarkjs_vk.json", S.vkey_to_json(vk)), ("snarkjs_proof.json", S.proof_to_json(proof)),
                      ("snarkjs_public.json", S.public_to_json(public))):
        assert S.dumps(obj) == (pipeline / name).read_text()


def test_public_signals_agree(pipeline, ours):
    assert S.read_public(pipeline / "snarkjs_public.json") == ours[3]


def _write(d: pathlib.Path, name: str, obj) -> str:
    (d / name).write_text(S.dumps(obj))
    return name


@pytest.mark.parametrize("what", ["public", "pi_a", "pi_b", "pi_c", "swap"])
def test_tampering_is_rejected_by_both(pipeline, ours, what):
    _, vk, proof, public = ours
    g1 = G1Point.generator()
    tampered_public, tampered = list(public), proof
    if what == "public":
        tampered_public[1] += 1
    elif what == "pi_a":
        tampered = Proof(proof.a + g1, proof.b, proof.c)
    elif what == "pi_b":
        tampered = Proof(proof.a, proof.b + proof.b, proof.c)
    elif what == "pi_c":
        tampered = Proof(proof.a, proof.b, proof.c + g1)
    else:
        tampered = S.read_proof(pipeline / "snarkjs_proof.json")  # valid, but under another key
    assert not verify(vk, tampered_public, tampered)
    p = _write(pipeline, f"t_{what}_proof.json", S.proof_to_json(tampered))
    q = _write(pipeline, f"t_{what}_public.json", S.public_to_json(tampered_public))
    assert not snarkjs_verifies("vk.json", q, p, cwd=pipeline)


def test_public_input_plus_r_is_rejected_by_both(pipeline, ours):
    _, vk, proof, public = ours
    shifted = [public[0] + R, public[1]]
    with pytest.raises(InvalidInput):
        verify(vk, shifted, proof)
    q = _write(pipeline, "r_public.json", S.public_to_json(shifted))
    assert not snarkjs_verifies("vk.json", q, "proof.json", cwd=pipeline)


def test_snarkjs_tampered_proof_rejected_by_us(pipeline):
    vk = S.read_vkey(pipeline / "snarkjs_vk.json")
    public = S.read_public(pipeline / "snarkjs_public.json")
    proof = S.read_proof(pipeline / "snarkjs_proof.json")
    assert not verify(vk, [public[0], public[1] + 1], proof)
    assert not verify(vk, public, Proof(proof.a, proof.b, proof.c + G1Point.generator()))


class Commitment(Circuit):
    """A Python-built circuit: an output, a public input, private inputs."""

    digest = Output()
    salt = Public()
    secret = Private(2)

    def define(self, api):
        t = api.mul(self.secret[0], self.secret[1])
        api.set_output(self.digest, api.add(api.mul(t, t, self.salt), self.secret[0]))


def test_snarkjs_verifies_proof_of_python_circuit(tmp_path):
    cs = compile(Commitment)
    pk, vk = setup(cs)
    witness = cs.solve({"salt": 11, "secret": [3, 4]})
    proof, public = prove(pk, witness)
    assert public == [144 * 11 + 3, 11]
    S.write_vkey(vk, tmp_path / "vk.json")
    S.write_proof(proof, tmp_path / "proof.json")
    S.write_public(public, tmp_path / "public.json")
    assert snarkjs_verifies("vk.json", "public.json", "proof.json", cwd=tmp_path)
    _write(tmp_path, "bad.json", S.public_to_json([public[0], public[1] + 1]))
    assert not snarkjs_verifies("vk.json", "bad.json", "proof.json", cwd=tmp_path)


def test_cli_end_to_end_with_snarkjs(pipeline, tmp_path):
    from click.testing import CliRunner

    import zk.cli.groth16  # noqa: F401
    from zk.cli import cli

    def run(*args):
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    assert run("setup", pipeline / "mul.r1cs", tmp_path / "mul.pk", "--vkey", tmp_path / "vk.json").exit_code == 0
    assert run("prove", tmp_path / "mul.pk", pipeline / "mul.wtns", tmp_path / "proof.json",
               tmp_path / "public.json").exit_code == 0
    assert snarkjs_verifies("vk.json", "public.json", "proof.json", cwd=tmp_path)
    # our CLI on snarkjs's files
    result = run("verify", pipeline / "snarkjs_vk.json", pipeline / "snarkjs_public.json", pipeline / "snarkjs_proof.json")
    assert result.exit_code == 0
    # snarkjs's proof against our key: both say invalid
    result = run("verify", tmp_path / "vk.json", pipeline / "snarkjs_public.json", pipeline / "snarkjs_proof.json")
    assert result.exit_code == 1
    assert not snarkjs_verifies(tmp_path / "vk.json", pipeline / "snarkjs_public.json",
                                pipeline / "snarkjs_proof.json", cwd=tmp_path)


def test_snarkjs_key_without_phase2_contribution_is_refused(pipeline):
    """`snarkjs groth16 setup` alone leaves delta = gamma = the G2 generator; snarkjs itself
    accepts proofs under such a key, including forged ones. We refuse the key."""
    from click.testing import CliRunner

    import zk.cli.groth16  # noqa: F401
    from zk.cli import cli
    from zk.groth16 import InvalidKey

    snarkjs("zkey", "export", "verificationkey", "mul0.zkey", "vk_no_contribution.json", cwd=pipeline)
    obj = json.loads((pipeline / "vk_no_contribution.json").read_text())
    assert obj["vk_delta_2"] == obj["vk_gamma_2"]
    with pytest.raises(InvalidKey, match="delta_2 equals gamma_2"):
        S.read_vkey(pipeline / "vk_no_contribution.json")
    result = CliRunner().invoke(cli, ["verify", str(pipeline / "vk_no_contribution.json"),
                                      str(pipeline / "snarkjs_public.json"), str(pipeline / "snarkjs_proof.json")])
    assert result.exit_code == 2 and "delta_2 equals gamma_2" in result.output

    # Why: with gamma = delta, (A, B, C) = (alpha, beta, -X) satisfies the pairing equation for
    # any public input X = IC_0 + sum x_i IC_i. snarkjs accepts this forgery.
    from zk.formats.snarkjs import g1_from_snarkjs, g2_from_snarkjs

    alpha, beta = g1_from_snarkjs(obj["vk_alpha_1"]), g2_from_snarkjs(obj["vk_beta_2"])
    ic = [g1_from_snarkjs(p) for p in obj["IC"]]
    claimed = [12345, 678]  # any values: the forger needs no witness
    x = ic[0] + ic[1] * claimed[0] + ic[2] * claimed[1]
    _write(pipeline, "forged_proof.json", S.proof_to_json(Proof(alpha, beta, -x)))
    _write(pipeline, "forged_public.json", S.public_to_json(claimed))
    assert snarkjs_verifies("vk_no_contribution.json", "forged_public.json", "forged_proof.json", cwd=pipeline)
