"""Fixtures for the tests that run contracts on a real local chain (tests/test_chain_*.py): one
hardhat node per test session, started on first use and stopped at the end (also on failure)."""
import pytest


@pytest.fixture(scope="session")
def local_node():
    pytest.importorskip("web3", reason="web3 missing: `make setup` installs the chain extra")
    from zk.chain.node import LocalNode, node_available
    from zk.chain.solc import solc_available

    if not (node_available() and solc_available()):
        pytest.skip("hardhat or solc missing from node_modules: run `make npm`")
    with LocalNode() as node:
        yield node


@pytest.fixture(scope="session")
def w3(local_node):
    return local_node.web3()
