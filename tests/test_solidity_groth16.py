"""Proofs from zk.groth16 verified by the exported contract in a real EVM, end to end through the
CLI (`zk export solidity`, `zk export calldata`) and the snarkjs JSON files zk.groth16 writes."""
import json
import random

import pytest
from click.testing import CliRunner

import zk.cli.export  # noqa: F401  (attaches the commands)
from evm.runner import Call, evm_available, run_evm
from zk.cli import cli
from zk.field import R
from zk.formats import snarkjs as S
from zk.formats.solidity import CONTRACT_NAME, calldata_words, solidity_verifier
from zk.groth16 import prove, setup, verify
from zk.r1cs import Circuit, Output, Private, Public, compile

SIZES = (1, 4, 8)

pytestmark = [
    pytest.mark.npm,
    pytest.mark.skipif(not evm_available(), reason="node, solc or @ethereumjs/evm missing from node_modules (run `make npm`)"),
]


def chain_circuit(n_public: int):
    """s = w * prod(x_i + 1) with s public (an output) and n_public - 1 public inputs x."""
    attrs = {"s": Output(), "w": Private()}
    if n_public > 1:
        attrs["x"] = Public(n_public - 1)

    def define(self, api):
        acc = self.w
        for xi in self.x if n_public > 1 else []:
            acc = acc * (xi + 1)
        api.set_output(self.s, acc)

    attrs["define"] = define
    return type(f"Chain{n_public}", (Circuit,), attrs)


def cli_output(*args) -> str:
    result = CliRunner().invoke(cli, list(map(str, args)))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def evm_results(tmp_path_factory):
    rng = random.Random(77)
    contracts, calls, keys = {}, [], []
    for n in SIZES:
        work = tmp_path_factory.mktemp(f"groth16_{n}")
        cs = compile(chain_circuit(n))
        pk, vk = setup(cs)
        inputs = {"w": rng.randrange(1, R)}
        if n > 1:
            inputs["x"] = [rng.randrange(R) for _ in range(n - 1)]
        proof, public = prove(pk, cs.solve(inputs))
        assert verify(vk, public, proof)
        S.write_vkey(vk, work / "verification_key.json")
        S.write_proof(proof, work / "proof.json")
        S.write_public(public, work / "public.json")

        cli_output("export", "solidity", work / "verification_key.json", work / "Verifier.sol")
        contracts[f"ours{n}"] = ((work / "Verifier.sol").read_text(), CONTRACT_NAME)
        # The VerifyingKey object exports the same contract as its JSON file.
        assert solidity_verifier(vk) == contracts[f"ours{n}"][0]
        # The calldata exactly as printed, parsed the way a user pastes it into a call.
        printed = cli_output("export", "calldata", work / "public.json", work / "proof.json")
        a, b, c, inputs_words = json.loads(f"[{printed}]")
        words = [int(v, 16) for v in (*a, *b[0], *b[1], *c, *inputs_words)]
        assert words == calldata_words(S.public_to_json(public), S.proof_to_json(proof))

        for key, call_words in (
            ("valid", words),
            ("input+1", words[:8] + [(words[8] + 1) % R] + words[9:]),
            ("input+r", words[:8] + [words[8] + R] + words[9:]),
        ):
            keys.append((n, key))
            calls.append(Call(f"ours{n}", call_words))
        # A second proof of the same statement (fresh randomness) verifies as well.
        proof2, _ = prove(pk, cs.solve(inputs))
        keys.append((n, "second proof"))
        calls.append(Call(f"ours{n}", calldata_words(S.public_to_json(public), S.proof_to_json(proof2))))
    run = run_evm(contracts, calls)
    return dict(zip(keys, run.calls))


@pytest.mark.parametrize("n", SIZES)
def test_zk_groth16_proofs_verify_on_the_evm(evm_results, n):
    for key in ("valid", "second proof"):
        assert evm_results[(n, key)].returned_true, (key, evm_results[(n, key)])


@pytest.mark.parametrize("n", SIZES)
def test_zk_groth16_wrong_inputs_are_rejected_on_the_evm(evm_results, n):
    assert evm_results[(n, "input+1")].returned_false
    assert evm_results[(n, "input+r")].returned_false
    assert evm_results[(n, "input+r")].gas_used < 10_000

