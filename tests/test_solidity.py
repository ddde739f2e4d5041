"""Solidity export without an EVM: key/proof validation, snarkjs-identical calldata, `zk export` CLI.

The contracts themselves are run in a real EVM in test_solidity_evm.py.
"""
import copy
import json
import pathlib
import random
import sys

import pytest
from click.testing import CliRunner

import zk.cli.export  # noqa: F401  (attaches the commands)
from evm.synthetic import Trapdoor, twist_point_outside_g2
from zk.cli import cli
from zk.curve import G1Point, G2Point
from zk.formats.snarkjs import g1_to_snarkjs, g2_to_snarkjs
from zk.field import P, R
from zk.formats.solidity import (
    PAIRING_GAS_EIP1108,
    SolidityExportError,
    calldata_words,
    parse_proof,
    parse_public_signals,
    parse_verification_key,
    solidity_calldata,
    solidity_verifier,
)

DATA = pathlib.Path(__file__).parent / "data" / "solidity"
SIZES = (1, 4, 8)


def load(n: int, name: str):
    return json.loads((DATA / f"n{n}" / name).read_text())


@pytest.fixture(scope="module")
def vk4():
    return load(4, "verification_key.json")


# ---------------------------------------------------------------------------------------------
# Calldata: byte for byte what snarkjs prints


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("tag", ["", "_edge"])
def test_calldata_matches_snarkjs_output(n, tag):
    expected = (DATA / f"n{n}" / f"calldata{tag}_snarkjs.txt").read_text()
    assert solidity_calldata(load(n, f"public{tag}.json"), load(n, f"proof{tag}.json")) + "\n" == expected


def test_calldata_words_order_is_a_b_swapped_c_inputs():
    proof, public = load(4, "proof.json"), load(4, "public.json")
    a, b, c = proof["pi_a"], proof["pi_b"], proof["pi_c"]
    expected = [a[0], a[1], b[0][1], b[0][0], b[1][1], b[1][0], c[0], c[1], *public]
    assert calldata_words(public, proof) == [int(v) for v in expected]


def test_calldata_without_public_inputs():
    td = Trapdoor.random(0, random.Random(3))
    public, proof = td.prove([], random.Random(4))
    assert solidity_calldata(public, proof).endswith("],[]")


def test_calldata_encodes_infinity_as_the_precompiles_do():
    proof = copy.deepcopy(load(1, "proof.json"))
    proof["pi_a"] = ["0", "1", "0"]  # snarkjs's infinity; the precompiles read (0, 0)
    words = calldata_words(load(1, "public.json"), proof)
    assert words[:2] == [0, 0]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda p, s: p["pi_a"].__setitem__(1, str(int(p["pi_a"][1]) + 1)), "pi_a"),
        (lambda p, s: p["pi_c"].__setitem__(0, str(P)), "pi_c"),
        (lambda p, s: p["pi_b"][0].__setitem__(0, str(int(p["pi_b"][0][0]) + 1)), "pi_b"),
        (lambda p, s: p["pi_a"].__setitem__(2, "2"), "normalised"),
        (lambda p, s: p.__setitem__("protocol", "plonk"), "protocol"),
        (lambda p, s: p.__setitem__("curve", "bls12381"), "curve"),
        (lambda p, s: p.pop("pi_b"), "pi_b"),
        (lambda p, s: s.__setitem__(0, str(R)), "below the scalar field"),
        (lambda p, s: s.__setitem__(0, str(R + 5)), "below the scalar field"),
        (lambda p, s: s.__setitem__(0, "9" * 5000), "5000 digits is longer than any 256-bit value"),
        (lambda p, s: s.__setitem__(0, "-1"), "canonical"),
        (lambda p, s: s.__setitem__(0, "007"), "canonical"),
        (lambda p, s: s.__setitem__(0, "0x10"), "canonical"),
        (lambda p, s: s.__setitem__(0, True), "canonical"),
        (lambda p, s: s.__setitem__(0, 1.5), "canonical"),
    ],
)
def test_calldata_rejects_bad_proofs_and_inputs(mutate, message):
    proof, public = copy.deepcopy(load(4, "proof.json")), list(load(4, "public.json"))
    mutate(proof, public)
    with pytest.raises(SolidityExportError, match=message):
        solidity_calldata(public, proof)


def test_proof_b_outside_g2_is_rejected():
    proof = copy.deepcopy(load(4, "proof.json"))
    proof["pi_b"] = g2_to_snarkjs(twist_point_outside_g2(random.Random(5)))
    with pytest.raises(SolidityExportError, match="subgroup"):
        parse_proof(proof)


def test_public_signals_must_be_a_list():
    with pytest.raises(SolidityExportError, match="list"):
        parse_public_signals({"0": "1"})
    assert parse_public_signals(["0", "1", str(R - 1), 7]) == [0, 1, R - 1, 7]


# ---------------------------------------------------------------------------------------------
# Verification key validation


def _bad_keys(vk):
    g1_off = g1_to_snarkjs(G1Point.generator())
    g1_off[1] = "3"
    cases = {
        "protocol": ({**vk, "protocol": "plonk"}, "protocol"),
        "no protocol": ({k: v for k, v in vk.items() if k != "protocol"}, "protocol"),
        "curve": ({**vk, "curve": "bls12381"}, "curve"),
        "nPublic": ({**vk, "nPublic": vk["nPublic"] + 1}, "nPublic"),
        "nPublic type": ({**vk, "nPublic": str(vk["nPublic"])}, "nPublic"),
        "IC empty": ({**vk, "IC": []}, "IC"),
        "IC not a list": ({**vk, "IC": "x"}, "IC"),
        "missing delta": ({k: v for k, v in vk.items() if k != "vk_delta_2"}, "vk_delta_2"),
        "alpha off curve": ({**vk, "vk_alpha_1": g1_off}, "vk_alpha_1"),
        "IC off curve": ({**vk, "IC": vk["IC"][:-1] + [g1_off]}, r"IC\[4\]"),
        "beta outside G2": ({**vk, "vk_beta_2": g2_to_snarkjs(twist_point_outside_g2(random.Random(1)))}, "subgroup"),
        "gamma coordinate >= p": ({**vk, "vk_gamma_2": [[str(P), "0"], *vk["vk_gamma_2"][1:]]}, "vk_gamma_2"),
        "alpha infinity": ({**vk, "vk_alpha_1": ["0", "1", "0"]}, "infinity"),
        "gamma infinity": ({**vk, "vk_gamma_2": [["0", "0"], ["1", "0"], ["0", "0"]]}, "infinity"),
        "delta = gamma": ({**vk, "vk_delta_2": vk["vk_gamma_2"]}, "delta_2 equals gamma_2"),
        "not an object": ([vk], "JSON object"),
    }
    return cases


@pytest.mark.parametrize("case", list(_bad_keys(load(4, "verification_key.json"))))
def test_bad_verification_keys_are_refused(vk4, case):
    bad, message = _bad_keys(vk4)[case]
    with pytest.raises(SolidityExportError, match=message):
        solidity_verifier(bad)


def test_curve_aliases_accepted(vk4):
    for name in ("bn128", "BN254", "altbn128"):
        assert parse_verification_key({**vk4, "curve": name}).n_public == 4


def test_generator_options_are_validated(vk4):
    with pytest.raises(SolidityExportError, match="identifier"):
        solidity_verifier(vk4, contract_name="Bad Name")
    with pytest.raises(SolidityExportError, match="below the pairing precompile"):
        solidity_verifier(vk4, pairing_gas=PAIRING_GAS_EIP1108 - 1)
    capped = solidity_verifier(vk4, pairing_gas=PAIRING_GAS_EIP1108)
    assert f"staticcall({PAIRING_GAS_EIP1108}, 0x08" in capped
    assert "staticcall(gas(), 0x08" in solidity_verifier(vk4)
    assert "contract MyVerifier {" in solidity_verifier(vk4, contract_name="MyVerifier")


@pytest.mark.parametrize("n", SIZES)
def test_contract_has_snarkjs_abi_and_embeds_the_key(n):
    vk = load(n, "verification_key.json")
    source = solidity_verifier(vk)
    assert "contract Groth16Verifier {" in source
    signature = (
        "function verifyProof(uint256[2] calldata _pA, uint256[2][2] calldata _pB, uint256[2] calldata _pC, "
        f"uint256[{n}] calldata _pubSignals) public view returns (bool)"
    )
    assert signature in source
    for point in vk["IC"]:
        assert point[0] in source and point[1] in source
    assert vk["vk_alpha_1"][0] in source
    # beta, gamma, delta are embedded negated: x unchanged, y -> p - y
    for name in ("vk_beta_2", "vk_gamma_2", "vk_delta_2"):
        (x0, x1), (y0, y1), _ = vk[name]
        assert x0 in source and x1 in source
        assert str(P - int(y0)) in source and str(P - int(y1)) in source


def test_ic_at_infinity_is_refused():
    td = Trapdoor.random(3, random.Random(2), zero_ic=[2])
    with pytest.raises(SolidityExportError, match=r"IC\[2\] is the point at infinity"):
        solidity_verifier(td.vk_json())


def test_no_public_inputs_drops_the_argument():
    source = solidity_verifier(Trapdoor.random(0, random.Random(1)).vk_json())
    assert "uint256[2] calldata _pC) public view returns (bool)" in source
    assert "_pubSignals" not in source


# ---------------------------------------------------------------------------------------------
# CLI


def invoke(*args):
    result = CliRunner().invoke(cli, list(map(str, args)))
    assert "Traceback" not in result.output
    return result


def test_cli_export_solidity_writes_the_generated_contract(tmp_path):
    out = tmp_path / "Verifier.sol"
    result = invoke("export", "solidity", DATA / "n4" / "verification_key.json", out)
    assert result.exit_code == 0, result.output
    assert out.read_text() == solidity_verifier(load(4, "verification_key.json"))
    assert "4 public input" in result.output


def test_cli_export_solidity_to_stdout_with_options():
    result = invoke("export", "solidity", DATA / "n1" / "verification_key.json", "--contract-name", "V1",
                    "--pairing-gas", PAIRING_GAS_EIP1108)
    assert result.exit_code == 0, result.output
    assert result.output == solidity_verifier(load(1, "verification_key.json"), contract_name="V1",
                                              pairing_gas=PAIRING_GAS_EIP1108)


@pytest.mark.parametrize("n", SIZES)
def test_cli_export_calldata_prints_what_snarkjs_prints(n):
    result = invoke("export", "calldata", DATA / f"n{n}" / "public.json", DATA / f"n{n}" / "proof.json")
    assert result.exit_code == 0, result.output
    assert result.output == (DATA / f"n{n}" / "calldata_snarkjs.txt").read_text()


def test_cli_export_calldata_defaults_to_snarkjs_file_names(tmp_path, monkeypatch):
    for name in ("public.json", "proof.json"):
        (tmp_path / name).write_text((DATA / "n1" / name).read_text())
    monkeypatch.chdir(tmp_path)
    result = invoke("export", "calldata")
    assert result.exit_code == 0, result.output
    assert result.output == (DATA / "n1" / "calldata_snarkjs.txt").read_text()


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "command, files, message",
    [
        ("solidity", {"vk": None}, "cannot read verification key"),
        ("solidity", {"vk": "{not json"}, "not valid JSON"),
        ("solidity", {"vk": "[" * 100000 + "]" * 100000}, "not valid JSON"),
        ("solidity", {"vk": '{"protocol": "plonk", "curve": "bn128"}'}, "protocol 'plonk'"),
        ("solidity", {"vk": '{"protocol": "groth16", "curve": "bls12381"}'}, "curve 'bls12381'"),
        ("solidity", {"vk": '{"protocol": "groth16", "curve": "bn128", "nPublic": 1, "IC": [1]}'}, "nPublic"),
        ("calldata", {"public": None, "proof": "PROOF"}, "cannot read public signals"),
        ("calldata", {"public": "PUBLIC", "proof": "\xff\xfe"}, "not valid JSON"),
        ("calldata", {"public": '["1"]', "proof": '{"protocol": "plonk"}'}, "protocol 'plonk'"),
        ("calldata", {"public": '"1"', "proof": "PROOF"}, "list"),
    ],
)
def test_cli_bad_input_is_one_clear_error(tmp_path, command, files, message):
    paths = []
    for key, content in files.items():
        path = tmp_path / f"{key}.json"
        if content == "PROOF":
            content = (DATA / "n4" / "proof.json").read_text()
        elif content == "PUBLIC":
            content = (DATA / "n4" / "public.json").read_text()
        if content is not None:
            path.write_text(content, encoding="latin-1")
        paths.append(path)
    args = ["export", command, *paths]
    if command == "solidity":
        args.append(tmp_path / "out.sol")
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert not (tmp_path / "out.sol").exists()


def test_cli_deep_json_is_an_error_even_with_a_raised_recursion_limit(tmp_path):
    # Other code in the process may raise the limit; json's C parser would then overflow the C stack.
    path = _write(tmp_path, "deep.json", "[" * 300000 + "]" * 300000)
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        result = invoke("export", "calldata", path, path)
    finally:
        sys.setrecursionlimit(previous)
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_cli_unwritable_output_is_a_clear_error(tmp_path):
    result = invoke("export", "solidity", DATA / "n1" / "verification_key.json", tmp_path / "missing" / "V.sol")
    assert result.exit_code == 2
    assert "cannot write" in result.output


def test_cli_wrong_subgroup_key_is_a_clear_error(tmp_path):
    vk = load(1, "verification_key.json")
    vk["vk_delta_2"] = g2_to_snarkjs(twist_point_outside_g2(random.Random(9)))
    path = _write(tmp_path, "vk.json", json.dumps(vk))
    result = invoke("export", "solidity", path)
    assert result.exit_code == 2 and "not in the order-r subgroup" in result.output


def test_g2_generator_round_trips_through_words():
    from zk.formats.solidity import g2_words

    g = G2Point.generator()
    assert g2_words(g) == [g.x.c1.value, g.x.c0.value, g.y.c1.value, g.y.c0.value]
    assert g2_words(G2Point.infinity()) == [0, 0, 0, 0]


def test_groth16_verifying_key_object_is_accepted_and_checked():
    from zk.groth16 import VerifyingKey, setup
    from zk.r1cs import Circuit, Private, Public, compile

    class Square(Circuit):
        x = Public()
        y = Private()

        def define(self, api):
            api.assert_equal(self.y * self.y, self.x)

    _, vk = setup(compile(Square))
    assert parse_verification_key(vk).n_public == 1
    forged = object.__new__(VerifyingKey)
    fields = {"alpha_g1": vk.alpha_g1, "beta_g2": vk.beta_g2, "gamma_g2": vk.gamma_g2, "delta_g2": vk.delta_g2,
              "ic": (vk.ic[0], G1Point(1, 3, check=False))}
    for name, value in fields.items():
        object.__setattr__(forged, name, value)
    with pytest.raises(SolidityExportError, match=r"IC\[1\] is not a point"):
        solidity_verifier(forged)
    object.__setattr__(forged, "ic", vk.ic)
    object.__setattr__(forged, "delta_g2", vk.gamma_g2)
    with pytest.raises(SolidityExportError, match="delta_2 equals gamma_2"):
        solidity_verifier(forged)
