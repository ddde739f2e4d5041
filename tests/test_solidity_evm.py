"""The exported verifier in a real EVM: solc compiles it, @ethereumjs/evm runs it (tests/evm).

All contracts and calls of this module run in one node process (see the ``evm`` fixture): each
test adds nothing, it only reads the results of the calls it is about.
"""
import json
import pathlib
import random

import pytest

from evm.runner import Call, evm_available, run_evm
from evm.synthetic import Trapdoor, twist_point_outside_g2
from zk.field import P, R
from zk.formats.solidity import PAIRING_GAS_EIP1108, calldata_words, g2_words, solidity_verifier

DATA = pathlib.Path(__file__).parent / "data" / "solidity"
SIZES = (1, 4, 8)
GAS = 10_000_000
CHEAP = 10_000  # a rejection before any precompile call
ONE_PAIRING_CHECK = 260_000  # a full verification with up to 16 inputs stays far below this
N_FLIPS = 40

pytestmark = [
    pytest.mark.npm,
    pytest.mark.skipif(not evm_available(), reason="node, solc or @ethereumjs/evm missing from node_modules (run `make npm`)"),
]


def load(n: int, name: str):
    return json.loads((DATA / f"n{n}" / name).read_text())


def on_g1(x: int, y: int) -> bool:
    return (y * y - x * x * x - 3) % P == 0


def tampered(words: list[int], n: int):
    """(name, words, expectation): 'false' after the pairing, 'cheap' = false before any precompile."""
    a, b, c = words[0:2], words[2:6], words[6:8]
    cases = []

    def case(name, new_words, expect):
        cases.append((name, list(new_words), expect))

    def replace(start, values):
        out = list(words)
        out[start:start + len(values)] = values
        return out

    case("input+1", replace(8, [(words[8] + 1) % R]), "false")
    for i in range(n):
        case(f"input{i}+r", replace(8 + i, [words[8 + i] + R]), "cheap")
    case("input=2^256-1", replace(8 + n - 1, [2**256 - 1]), "cheap")
    for name, index in (("A.x", 0), ("A.y", 1), ("C.x", 6), ("C.y", 7)):
        bumped = replace(index, [(words[index] + 1) % P])
        point = bumped[0:2] if index < 2 else bumped[6:8]
        assert not on_g1(*point)
        case(f"{name}+1 (off curve)", bumped, "cheap")
        if words[index] + P < 2**256:
            case(f"{name}+p (same point, non-canonical)", replace(index, [words[index] + P]), "cheap")
    for k in range(4):
        case(f"B[{k}]+1 (off twist)", replace(2 + k, [(b[k] + 1) % P]), "cheap")
        case(f"B[{k}]+p (non-canonical)", replace(2 + k, [b[k] + P]), "cheap")
    case("B with c0/c1 swapped (snarkjs JSON order)", replace(2, [b[1], b[0], b[3], b[2]]), "cheap")
    case("-A", replace(0, [a[0], P - a[1]]), "false")
    case("-B", replace(2, [b[0], b[1], (P - b[2]) % P, (P - b[3]) % P]), "false")
    case("A at infinity", replace(0, [0, 0]), "cheap")
    case("B at infinity", replace(2, [0, 0, 0, 0]), "cheap")
    case("C at infinity", replace(6, [0, 0]), "cheap")
    case("A and C swapped", c + b + a + words[8:], "false")
    case("A = G1 generator", replace(0, [1, 2]), "false")
    return cases


class Job:
    def __init__(self):
        self.contracts, self.calls, self.keys = {}, [], []

    def contract(self, label, source):
        self.contracts[label] = (source, "Groth16Verifier")

    def call(self, key, to, words=(), *, gas=GAS, truncate=0):
        assert key not in self.keys, key
        self.keys.append(key)
        self.calls.append(Call(to, words, gas=gas, truncate=truncate))

    def run(self):
        run = run_evm(self.contracts, self.calls)
        return run, dict(zip(self.keys, run.calls))


@pytest.fixture(scope="module")
def evm():
    rng = random.Random(2024)
    job = Job()
    for n in SIZES:
        vk = load(n, "verification_key.json")
        job.contract(f"zk{n}", solidity_verifier(vk))
        job.contract(f"capped{n}", solidity_verifier(vk, pairing_gas=PAIRING_GAS_EIP1108))
        job.contract(f"snarkjs{n}", (DATA / f"n{n}" / "verifier_snarkjs.sol").read_text())
        words = calldata_words(load(n, "public.json"), load(n, "proof.json"))
        edge = calldata_words(load(n, "public_edge.json"), load(n, "proof_edge.json"))
        for label in (f"zk{n}", f"capped{n}", f"snarkjs{n}"):
            job.call(f"{label}/valid", label, words)
            job.call(f"{label}/edge", label, edge)
        for name, bad, _ in tampered(words, n):
            job.call(f"zk{n}/{name}", f"zk{n}", bad)
        outside = words[:2] + g2_words(twist_point_outside_g2(rng)) + words[6:]
        job.call(f"zk{n}/B outside G2", f"zk{n}", outside, gas=1_000_000)
        job.call(f"capped{n}/B outside G2", f"capped{n}", outside, gas=1_000_000)
        job.call(f"zk{n}/truncated calldata", f"zk{n}", words, truncate=1)
        job.call(f"zk{n}/out of gas", f"zk{n}", words, gas=150_000)
        off_curve = [words[0] + 1] + words[1:]
        job.call(f"zk{n}/A.x+1 gas 1M", f"zk{n}", off_curve, gas=1_000_000)
        job.call(f"snarkjs{n}/A.x+1 gas 1M", f"snarkjs{n}", off_curve, gas=1_000_000)
    # Random single-bit flips anywhere in the arguments of a valid call.
    words = calldata_words(load(4, "public.json"), load(4, "proof.json"))
    for k in range(N_FLIPS):
        index, bit = rng.randrange(len(words)), rng.randrange(256)
        flipped = list(words)
        flipped[index] ^= 1 << bit
        job.call(f"flip{k}", "zk4", flipped)
    # Synthetic keys: no public input, extreme inputs, 16 inputs, a key mismatch. (Keys with an IC
    # point at infinity are degenerate: the exporter refuses them, tests/test_degenerate_keys.py.)
    for n, inputs in (
        (0, []),
        (2, [rng.randrange(R), rng.randrange(R)]),
        (3, [5, 0, R - 1]),
        (16, [[0, 1, R - 1, rng.randrange(R)][i % 4] for i in range(16)]),
    ):
        td = Trapdoor.random(n, rng)
        label = f"synthetic{n}"
        job.contract(label, solidity_verifier(td.vk_json()))
        public, proof = td.prove(inputs, rng)
        words = calldata_words(public, proof)
        job.call(f"{label}/valid", label, words)
        if n:
            job.call(f"{label}/input+1", label, words[:8] + [(words[8] + 1) % R] + words[9:])
            job.call(f"{label}/last input+r", label, words[:-1] + [words[-1] + R])
        job.call(f"{label}/A at infinity, equation holds", label, calldata_words(*td.prove(inputs, rng, a=0)))
        other = Trapdoor.random(n, rng)
        job.call(f"{label}/proof for another key", label, calldata_words(*other.prove(inputs, rng)))
    run, results = job.run()
    return run, results


def test_compiler_and_rules(evm):
    run, _ = evm
    assert run.compiler.startswith("0.8.")
    assert run.hardfork == "prague"


def test_generated_contracts_compile_without_warnings(evm):
    run, _ = evm
    ours = {label: w for label, w in run.warnings.items() if not label.startswith("snarkjs")}
    assert ours == {}, ours


@pytest.mark.parametrize("n", SIZES)
def test_same_abi_as_snarkjs_verifier(evm, n):
    run, _ = evm
    assert run.contracts[f"zk{n}"]["methods"] == run.contracts[f"snarkjs{n}"]["methods"]
    assert list(run.contracts[f"zk{n}"]["methods"]) == [
        f"verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[{n}])"
    ]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("label", ["zk", "capped", "snarkjs"])
@pytest.mark.parametrize("proof", ["valid", "edge"])
def test_snarkjs_proofs_verify(evm, n, label, proof):
    result = evm[1][f"{label}{n}/{proof}"]
    assert result.returned_true, result


@pytest.mark.parametrize("n", SIZES)
def test_gas_no_worse_than_snarkjs(evm, n):
    results = evm[1]
    ours, theirs = results[f"zk{n}/valid"].gas_used, results[f"snarkjs{n}/valid"].gas_used
    assert ours <= theirs, (ours, theirs)
    # Inputs 0 skip the ecMul and the ecAdd.
    if n > 1:
        assert results[f"zk{n}/edge"].gas_used < ours - 6_000
    # The precompiles alone: pairing 45000 + 4 * 34000, per input ecMul 6000 + ecAdd 150, 100 per call.
    floor = PAIRING_GAS_EIP1108 + 100 + n * (6000 + 150 + 200)
    assert floor < ours < floor + 3_000


def _tampered_ids():
    words = calldata_words(load(4, "public.json"), load(4, "proof.json"))
    return [(n, name, expect) for n in SIZES for name, _, expect in tampered(words if n == 4 else
            calldata_words(load(n, "public.json"), load(n, "proof.json")), n)]


@pytest.mark.parametrize("n, name, expect", _tampered_ids())
def test_tampered_proofs_return_false_without_burning_gas(evm, n, name, expect):
    result = evm[1][f"zk{n}/{name}"]
    assert result.returned_false, result
    assert result.gas_used < (CHEAP if expect == "cheap" else ONE_PAIRING_CHECK), result.gas_used


def test_random_bit_flips_never_verify_and_never_burn_gas(evm):
    for k in range(N_FLIPS):
        result = evm[1][f"flip{k}"]
        assert result.returned_false and result.gas_used < ONE_PAIRING_CHECK, (k, result)


@pytest.mark.parametrize("n", SIZES)
def test_off_curve_point_burns_gas_in_snarkjs_verifier_but_not_ours(evm, n):
    results = evm[1]
    ours, theirs = results[f"zk{n}/A.x+1 gas 1M"], results[f"snarkjs{n}/A.x+1 gas 1M"]
    assert ours.returned_false and ours.gas_used < CHEAP
    # snarkjs hands the bad point to the pairing precompile, which fails and keeps all it was given.
    assert theirs.returned_false and theirs.gas_used > 950_000


@pytest.mark.parametrize("n", SIZES)
def test_b_outside_g2_reverts_and_a_cap_bounds_its_cost(evm, n):
    results = evm[1]
    uncapped, capped = results[f"zk{n}/B outside G2"], results[f"capped{n}/B outside G2"]
    assert uncapped.reverted and capped.reverted
    # Only the pairing precompile sees the subgroup; it fails and consumes the gas forwarded to it.
    assert uncapped.gas_used > 950_000
    assert capped.gas_used < PAIRING_GAS_EIP1108 + 6_350 * n + 3_000


@pytest.mark.parametrize("n", SIZES)
def test_short_calldata_reverts_cheaply(evm, n):
    result = evm[1][f"zk{n}/truncated calldata"]
    assert result.reverted and result.gas_used < 1_000, result


@pytest.mark.parametrize("n", SIZES)
def test_too_little_gas_reverts_instead_of_answering_false(evm, n):
    result = evm[1][f"zk{n}/out of gas"]
    assert result.reverted, result


@pytest.mark.parametrize("n", [0, 2, 3, 16])
def test_synthetic_keys(evm, n):
    results = evm[1]
    assert results[f"synthetic{n}/valid"].returned_true, results[f"synthetic{n}/valid"]
    assert results[f"synthetic{n}/proof for another key"].returned_false
    # Infinity is rejected before the pairing even when the equation holds (see zk.formats.solidity).
    at_infinity = results[f"synthetic{n}/A at infinity, equation holds"]
    assert at_infinity.returned_false and at_infinity.gas_used < CHEAP
    if n:
        assert results[f"synthetic{n}/input+1"].returned_false
        cheap = results[f"synthetic{n}/last input+r"]
        assert cheap.returned_false and cheap.gas_used < CHEAP


@pytest.fixture(scope="module")
def via_ir():
    """The same contracts compiled through solc's IR pipeline (stack allocation differs there:
    a generated contract must not fail with "stack too deep"), optimizer on and off."""
    rng = random.Random(7)
    contracts, calls, keys = {}, [], []
    for n in SIZES:
        words = calldata_words(load(n, "public.json"), load(n, "proof.json"))
        contracts[f"zk{n}"] = (solidity_verifier(load(n, "verification_key.json")), "Groth16Verifier")
        calls += [Call(f"zk{n}", words), Call(f"zk{n}", words[:8] + [(words[8] + 1) % R] + words[9:]),
                  Call(f"zk{n}", [words[0] + 1] + words[1:])]
        keys += [(n, "valid"), (n, "input+1"), (n, "A.x+1")]
    for n in (0, 16, 32):
        td = Trapdoor.random(n, rng)
        contracts[f"zk{n}"] = (solidity_verifier(td.vk_json()), "Groth16Verifier")
        calls.append(Call(f"zk{n}", calldata_words(*td.prove([rng.randrange(R) for _ in range(n)], rng))))
        keys.append((n, "valid"))
    return {runs: dict(zip(keys, run_evm(contracts, calls, via_ir=True, optimizer_runs=runs).calls))
            for runs in (200, None)}


@pytest.mark.parametrize("runs", [200, None])
def test_via_ir_compiles_and_verifies(via_ir, runs):
    results = via_ir[runs]
    for (n, key), result in results.items():
        if key == "valid":
            assert result.returned_true, (n, result)
        else:
            assert result.returned_false, (n, key, result)
        if key == "A.x+1":
            assert result.gas_used < CHEAP
