"""Poseidon in the EVM (zk.formats.solidity_poseidon) against zk's native Poseidon, on a hardhat
node; the transformed rounds it is generated from (zk.gadgets.poseidon_sparse) against the native
permutation and circomlib's own tables of them."""
import pathlib
import re

import pytest
from hypothesis import given, settings, strategies as st

from zk.formats.solidity_poseidon import MAX_EVM_INPUTS, library_name, poseidon_library
from zk.gadgets.poseidon import poseidon
from zk.gadgets.poseidon_sparse import poseidon_sparse, sparse_parameters
from zk.r1cs.field import R

ROOT = pathlib.Path(__file__).resolve().parent.parent
CIRCOMLIB = ROOT / "node_modules" / "circomlib" / "circuits" / "poseidon_constants.circom"
ARITIES = range(1, MAX_EVM_INPUTS + 1)
field_elements = st.integers(0, R - 1) | st.sampled_from([0, 1, R - 1])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 16).flatmap(lambda n: st.lists(field_elements, min_size=n, max_size=n)))
def test_sparse_rounds_equal_the_permutation(inputs):
    assert poseidon_sparse(inputs) == poseidon(inputs)


def _circom_table(function: str, t: int) -> list[int]:
    text = CIRCOMLIB.read_text()
    body = text[text.index(f"function {function}"):]
    body = body[:body.find("\nfunction ", 10)]
    match = re.search(rf"t\s*==\s*{t}\)\s*\{{\s*return\s*(\[.*?\]);", body, re.S)
    return [int(x, 0) for x in re.findall(r"0x[0-9a-fA-F]+|\d+", match.group(1))]


@pytest.mark.npm
@pytest.mark.parametrize("t", [2, 3, 4, 6, 17])
def test_sparse_matrices_equal_circomlib_tables(t):
    if not CIRCOMLIB.exists():
        pytest.skip("circomlib missing: run `make npm`")
    params = sparse_parameters(t - 1)
    assert [x for rnd in params.partial for x in (*rnd.row, *rnd.column)] == _circom_table("POSEIDON_S", t)
    dense = params.first_half[-1][1]  # circomlib's Mix reads its matrices transposed
    assert [dense[j][i] for i in range(t) for j in range(t)] == _circom_table("POSEIDON_P", t)


def test_arity_outside_the_evm_range_is_refused():
    with pytest.raises(ValueError, match="1 to 16"):
        poseidon_library(0)
    with pytest.raises(ValueError, match=f"1 to {MAX_EVM_INPUTS}"):
        poseidon_library(MAX_EVM_INPUTS + 1)


def _harness(n: int, sparse: bool) -> str:
    name = f"{library_name(n)}{'' if sparse else 'Textbook'}"
    args = ", ".join(f"uint256 a{i}" for i in range(n))
    names = ", ".join(f"a{i}" for i in range(n))
    return poseidon_library(n, sparse=sparse, name=name, header=False) + f"""
contract Hash{n}{'' if sparse else 'Textbook'} {{
    function hash({args}) external pure returns (uint256) {{ return {name}.hash({names}); }}
    // The same call without the hash: what the dispatcher and ABI decoding cost.
    function baseline({args}) external pure returns (uint256) {{ return a0 ^ a{n - 1}; }}
}}
"""


@pytest.fixture(scope="module")
def hashers(w3):
    from zk.chain.client import deploy
    from zk.chain.solc import MAX_RUNTIME_SIZE, compile_solidity

    sources = {f"Hash{n}{s}.sol": "pragma solidity ^0.8.20;\n" + _harness(n, s == "") for n in ARITIES for s in ("", "Textbook")}
    compiled = compile_solidity(sources)
    out = {}
    for n in ARITIES:
        for sparse in (True, False):
            unit = compiled[f"Hash{n}{'' if sparse else 'Textbook'}"]
            assert unit.runtime_size <= MAX_RUNTIME_SIZE
            out[n, sparse] = deploy(w3, unit)[0]
    return out


@pytest.mark.npm
@pytest.mark.parametrize("n", ARITIES)
@pytest.mark.parametrize("sparse", [True, False], ids=["sparse", "textbook"])
def test_evm_poseidon_equals_native(hashers, n, sparse):
    contract = hashers[n, sparse]

    @settings(max_examples=25, deadline=None)
    @given(st.lists(field_elements, min_size=n, max_size=n))
    def check(inputs):
        assert contract.functions.hash(*inputs).call() == poseidon(inputs)

    check()


@pytest.mark.npm
@pytest.mark.parametrize("n", ARITIES)
def test_evm_poseidon_refuses_inputs_outside_the_field(hashers, n):
    from web3.exceptions import ContractLogicError

    for position in range(n):
        for bad in (R, R + 1, 2**256 - 1):
            inputs = [1] * n
            inputs[position] = bad
            with pytest.raises(ContractLogicError):
                hashers[n, True].functions.hash(*inputs).call()
    assert hashers[n, True].functions.hash(*([R - 1] * n)).call() == poseidon([R - 1] * n)


def hash_gas(contract, inputs) -> int:
    """Gas of the hash alone: the call's gas less that of the same call doing nothing."""
    return contract.functions.hash(*inputs).estimate_gas() - contract.functions.baseline(*inputs).estimate_gas()


@pytest.mark.npm
def test_sparse_rounds_cost_well_below_the_textbook(hashers):
    # Deterministic gas, not time: a regression bar for the generator.
    for n in ARITIES:
        inputs = list(range(1, n + 1))
        assert 2 * hash_gas(hashers[n, True], inputs) < hash_gas(hashers[n, False], inputs)
