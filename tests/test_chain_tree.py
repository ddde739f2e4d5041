"""The incremental Poseidon Merkle tree contract on a hardhat node: every root equals zk's
MerkleTree after the same insertions, a wallet rebuilds the tree from the events alone, the root
history keeps exactly the last 32 roots as the SQLite ledger does, and bad leaves are refused."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from zk.gadgets.merkle import MerkleTree
from zk.r1cs.field import R

pytestmark = pytest.mark.npm
HISTORY = 32


@pytest.fixture(scope="module")
def deploy_tree(w3):
    from zk.chain.client import deploy
    from zk.chain.contracts import compile_tree_harness

    def make(depth, **options):
        compiled = compile_tree_harness(depth, **options)
        contract, receipt = deploy(w3, compiled)
        return contract, receipt

    return make


def _insert_all(w3, contract, leaves):
    from zk.chain.client import send

    return [send(w3, contract.functions.insert(leaf)).gas for leaf in leaves]


def test_every_root_equals_zk_and_the_mirror_rebuilds_the_tree(w3, deploy_tree):
    from zk.chain.merkle import TreeMirror

    contract, _ = deploy_tree(20)
    mirror = TreeMirror(contract, 20)
    reference = MerkleTree(20)
    rng = random.Random(16)
    leaves = [rng.randrange(R) for _ in range(32)] + [0, R - 1]
    for start, stop in ((0, 5), (5, 30), (30, len(leaves))):  # later syncs pick up where they left off
        _insert_all(w3, contract, leaves[start:stop])
        for leaf in leaves[start:stop]:
            reference.append(leaf)
        assert mirror.sync().root == reference.root == contract.functions.root().call()
    assert mirror.tree.leaves() == leaves
    assert contract.functions.size().call() == len(leaves)
    # The last 32 roots (after insertions 3..34) are known, the ones before are not, 0 never is.
    for k, root in enumerate(mirror.roots):
        assert contract.functions.isKnownRoot(root).call() == (k >= len(mirror.roots) - HISTORY), k
    assert not contract.functions.isKnownRoot(0).call()


def test_small_tree_fills_up_exactly_like_zk(w3, deploy_tree):
    """Depth 4 walks every pattern of left and right children; the 17th leaf is refused."""
    from zk.chain.client import TransactionFailed, send
    from zk.chain.merkle import TreeMirror

    contract, _ = deploy_tree(4)
    mirror = TreeMirror(contract, 4)
    assert contract.functions.isKnownRoot(MerkleTree(4).root).call()
    rng = random.Random(4)
    for _ in range(16):
        send(w3, contract.functions.insert(rng.randrange(R)))
        mirror.sync()  # raises TreeMismatch on the first root that differs
    with pytest.raises(TransactionFailed):
        send(w3, contract.functions.insert(1))
    assert contract.functions.size().call() == 16


def test_leaves_outside_the_field_are_refused(w3, deploy_tree):
    from zk.chain.client import TransactionFailed, send

    contract, _ = deploy_tree(20)
    for bad in (R, R + 5, 2**256 - 1):
        with pytest.raises(TransactionFailed):
            send(w3, contract.functions.insert(bad))
    assert contract.functions.size().call() == 0


@settings(max_examples=3, deadline=None)
@given(st.lists(st.integers(0, R - 1), min_size=1, max_size=5))
def test_random_insertions_match_zk(w3, deploy_tree, leaves):
    from zk.chain.merkle import TreeMirror

    contract, _ = deploy_tree(20)
    _insert_all(w3, contract, leaves)
    reference = MerkleTree(20)
    reference.extend(leaves)
    assert TreeMirror(contract, 20).sync().root == reference.root


def test_one_frontier_write_costs_less_than_tornados(w3, deploy_tree):
    """Tornado's scheme (a write at every left-child level) as the reference: the same roots, and
    dearer from the first insertion on."""
    from zk.chain.merkle import TreeMirror

    frontier, _ = deploy_tree(20)
    tornado, _ = deploy_tree(20, store_every_left=True)
    leaves = list(range(1, 9))
    cheap, dear = _insert_all(w3, frontier, leaves), _insert_all(w3, tornado, leaves)
    assert all(c < d for c, d in zip(cheap, dear))
    assert TreeMirror(tornado, 20).sync().root == TreeMirror(frontier, 20).sync().root
