"""Session fixtures for the tests.

- The tests that run contracts on a real local chain (tests/test_chain_*.py): one hardhat node
  per test session, started on first use and stopped at the end (also on failure).
- Compiled circuits (zk.r1cs.cache) are cached in a temporary directory of the session.
- ZK_CROSSCHECK_SOLVER=1: every witness any test solves is also solved by the replaying solver,
  and the two must agree (same witness, or the same error and message). This is how the compiled
  solver (zk.r1cs.tape) is checked on every circuit of the suite; it makes the suite slower."""
import os
import re
import tempfile

import pytest

# Compiled circuits cached by the CLI and the credits system go to a directory of this session,
# never to the user's ~/.cache (subprocesses inherit it).
os.environ.setdefault("ZK_CIRCUIT_CACHE", tempfile.mkdtemp(prefix="zk-circuit-cache-"))
# Likewise the digests of validated proving keys (zk.formats.keyfile).
os.environ.setdefault("ZK_VALIDATED_KEYS", tempfile.mkdtemp(prefix="zk-validated-keys-"))
# And an empty directory for the ahead-of-time verifier (zk.aot): tests use the JIT kernels unless
# they build the module themselves (tests/test_aot.py), whatever the user has built.
os.environ.setdefault("ZK_AOT_DIR", tempfile.mkdtemp(prefix="zk-aot-"))

_LOCATION = re.compile(r" at [^\s()]+:\d+")


@pytest.fixture(autouse=True, scope="session")
def _crosscheck_compiled_solver():
    if os.environ.get("ZK_CROSSCHECK_SOLVER") != "1":
        yield
        return
    from zk.r1cs import InputError, WitnessError
    from zk.r1cs.system import ConstraintSystem

    original = ConstraintSystem.solve

    def outcome(fn, *args, **kwargs):
        try:
            return "ok", fn(*args, **kwargs)
        except (WitnessError, InputError) as exc:
            return type(exc), str(exc), exc

    def crosschecked(self, inputs, check=True):
        compiled = outcome(original, self, inputs, check)
        if self.tape is not None:
            replayed = outcome(self.solve_by_replay, inputs, check)
            left, right = compiled[:2], replayed[:2]
            if left[0] != "ok" and "conftest.py:" in right[1]:
                # A circuit defined inside zk/ (merkle_inclusion_circuit) has no user frame, so its
                # origins name the first frame outside zk/: here the replay's caller, this file.
                left, right = (left[0], _LOCATION.sub("", left[1])), (right[0], _LOCATION.sub("", right[1]))
            assert left == right, f"compiled solver {compiled[:2]} != replay {replayed[:2]}"
        if compiled[0] != "ok":
            raise compiled[2]
        return compiled[1]

    ConstraintSystem.solve = crosschecked
    try:
        yield
    finally:
        ConstraintSystem.solve = original


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


CHAIN_DEPTH = 4  # the chain tests' trees and keys (small trees: proofs in about a second)


@pytest.fixture(scope="session")
def system():
    """The credits circuits' keys at the chain tests' depth, set up once per session."""
    from circuits.app.system import CreditsSystem

    return CreditsSystem.shared(CHAIN_DEPTH)


@pytest.fixture(scope="session")
def compiled(system):
    """Every Community Credits contract for those keys and trees (solc, cached on disk)."""
    from circuits.app.chain.contracts import compile_credits

    return compile_credits(CHAIN_DEPTH, system.vks)
