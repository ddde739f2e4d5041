"""Merkle tree: native incremental tree vs a from-scratch recomputation, and the in-circuit proof."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from zk.gadgets.merkle import (
    MerkleTree, compute_root, hash_pair, merkle_inclusion_circuit, zero_hashes,
)
from zk.gadgets.poseidon import poseidon
from zk.r1cs import R, UnsatisfiedConstraint, compile


def naive_root(leaves, depth):
    layer = list(leaves) + [0] * ((1 << depth) - len(leaves))
    for _ in range(depth):
        layer = [poseidon([layer[i], layer[i + 1]]) for i in range(0, len(layer), 2)]
    return layer[0]


def test_zero_hashes():
    zeros = zero_hashes(32)
    assert len(zeros) == 33 and zeros[0] == 0
    assert zeros[1] == poseidon([0, 0])
    assert all(zeros[h + 1] == hash_pair(zeros[h], zeros[h]) for h in range(32))
    assert MerkleTree(32).root == zeros[32]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, R - 1), min_size=0, max_size=16))
def test_incremental_root_matches_recomputation(leaves):
    tree = MerkleTree(4)
    for count, leaf in enumerate(leaves, start=1):
        assert tree.append(leaf) == count - 1
    assert tree.root == naive_root(leaves, 4)


def test_paths_verify_natively():
    tree = MerkleTree(5)
    tree.extend([random.Random(1).randrange(R) for _ in range(11)])
    for i in range(len(tree)):
        proof = tree.proof(i)
        assert proof.root() == tree.root
        assert proof.path_indices == [(i >> h) & 1 for h in range(5)]
    bad = tree.proof(3)
    assert compute_root(bad.leaf + 1, bad.path_elements, bad.path_indices) != tree.root


def test_tree_limits():
    tree = MerkleTree(1)
    tree.extend([5, 6])
    with pytest.raises(ValueError, match="full"):
        tree.append(7)
    with pytest.raises(ValueError, match="depth"):
        MerkleTree(33)
    with pytest.raises(ValueError, match="field elements"):
        MerkleTree(3).append(R)
    with pytest.raises(IndexError):
        tree.proof(2)


def test_deep_tree_is_incremental():
    tree = MerkleTree(32)
    tree.extend([1, 2, 3])
    zeros = zero_hashes(32)
    expected = hash_pair(hash_pair(1, 2), hash_pair(3, 0))
    for h in range(2, 32):
        expected = hash_pair(expected, zeros[h])
    assert tree.root == expected
    assert tree.proof(2).root() == tree.root


DEPTH = 6
INCLUSION = compile(merkle_inclusion_circuit(DEPTH))


def test_inclusion_constraint_count():
    # per level: boolean check + swap product + Poseidon(2) 240; the root equality folds away.
    # circomlib-based equivalent (Poseidon(2) + 2-product swap + boolean check), circom2 --O2: 243 per level
    assert INCLUSION.n_constraints == 242 * DEPTH
    assert INCLUSION.n_public_inputs == 1 and INCLUSION.n_private_inputs == 1 + 2 * DEPTH


def test_inclusion_proof_in_circuit_agrees_with_native():
    tree = MerkleTree(DEPTH)
    rng = random.Random(7)
    tree.extend([rng.randrange(R) for _ in range(13)])
    for index in (0, 5, 12):
        proof = tree.proof(index)
        witness = INCLUSION.solve({"root": tree.root, **proof.as_inputs()})
        INCLUSION.check(witness)


def test_wrong_leaf_or_path_fails():
    tree = MerkleTree(DEPTH)
    tree.extend([10, 20, 30])
    proof = tree.proof(1)
    inputs = {"root": tree.root, **proof.as_inputs()}
    with pytest.raises(UnsatisfiedConstraint, match="assert_equal"):
        INCLUSION.solve({**inputs, "leaf": 11})
    flipped = list(proof.path_indices)
    flipped[0] ^= 1
    with pytest.raises(UnsatisfiedConstraint):
        INCLUSION.solve({**inputs, "path_indices": flipped})
    non_bit = list(proof.path_indices)
    non_bit[2] = 2
    with pytest.raises(UnsatisfiedConstraint, match="assert_boolean"):
        INCLUSION.solve({**inputs, "path_indices": non_bit})


def test_depth_20_count_below_circom_reference():
    # tests/data/circom/merkle_reference.circom with MerkleProof(20): 4860 constraints under circom2 --O2
    assert compile(merkle_inclusion_circuit(20)).n_constraints == 4840
