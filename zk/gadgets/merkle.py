"""Binary Merkle trees hashed with Poseidon(2) (circomlib-compatible): a native incremental tree and
the in-circuit inclusion proof. Empty leaves are 0; an empty subtree of height h hashes to zeros[h]."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from zk.gadgets.poseidon import poseidon, poseidon_gadget
from zk.r1cs.field import R

MAX_DEPTH = 32


def hash_pair(left: int, right: int) -> int:
    return poseidon([left, right])


@lru_cache(maxsize=None)
def zero_hashes(depth: int) -> tuple[int, ...]:
    """zeros[h] = root of a subtree of height h whose leaves are all 0, for h = 0..depth."""
    _check_depth(depth)
    zeros = [0]
    for _ in range(depth):
        zeros.append(hash_pair(zeros[-1], zeros[-1]))
    return tuple(zeros)


def _check_depth(depth: int) -> None:
    if not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"Merkle tree depth must be between 1 and {MAX_DEPTH}, got {depth!r}")


@dataclass(frozen=True)
class MerkleProof:
    leaf: int
    index: int
    path_elements: list[int]  # siblings from the leaf level up
    path_indices: list[int]  # bit i = 1 when the node at level i is a right child

    def root(self) -> int:
        return compute_root(self.leaf, self.path_elements, self.path_indices)

    def as_inputs(self) -> dict:
        return {"leaf": self.leaf, "path_elements": list(self.path_elements), "path_indices": list(self.path_indices)}


def compute_root(leaf: int, path_elements: Sequence[int], path_indices: Sequence[int]) -> int:
    node = leaf
    for sibling, bit in zip(path_elements, path_indices, strict=True):
        if bit not in (0, 1):
            raise ValueError(f"path indices must be bits, got {bit!r}")
        node = hash_pair(sibling, node) if bit else hash_pair(node, sibling)
    return node


class MerkleTree:
    """Append-only tree of fixed depth; keeps every computed node so any leaf's path is available."""

    def __init__(self, depth: int = 20):
        _check_depth(depth)
        self.depth = depth
        self.zeros = zero_hashes(depth)
        # levels[h][i] is the node at height h, position i; positions past the end are empty subtrees.
        self._levels: list[list[int]] = [[] for _ in range(depth + 1)]

    def __len__(self) -> int:
        return len(self._levels[0])

    @property
    def capacity(self) -> int:
        return 1 << self.depth

    @property
    def root(self) -> int:
        top = self._levels[self.depth]
        return top[0] if top else self.zeros[self.depth]

    def leaves(self) -> list[int]:
        return list(self._levels[0])

    def _node(self, height: int, position: int) -> int:
        level = self._levels[height]
        return level[position] if position < len(level) else self.zeros[height]

    def append(self, leaf: int) -> int:
        """Add a leaf, update the path to the root (depth hashes) and return the leaf's index."""
        if isinstance(leaf, bool) or not isinstance(leaf, int) or not 0 <= leaf < R:
            raise ValueError(f"leaves must be field elements (ints in [0, r)), got {leaf!r}")
        index = len(self)
        if index >= self.capacity:
            raise ValueError(f"the tree is full ({self.capacity} leaves at depth {self.depth})")
        self._levels[0].append(leaf)
        position, node = index, leaf
        for height in range(self.depth):
            if position & 1:
                node = hash_pair(self._node(height, position - 1), node)
            else:
                node = hash_pair(node, self._node(height, position + 1))
            position >>= 1
            level = self._levels[height + 1]
            if position < len(level):
                level[position] = node
            else:
                level.append(node)
        return index

    def extend(self, leaves: Sequence[int]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def proof(self, index: int) -> MerkleProof:
        """Authentication path for the leaf at `index`."""
        if not 0 <= index < len(self):
            raise IndexError(f"no leaf at index {index} (the tree has {len(self)} leaves)")
        elements = [self._node(h, (index >> h) ^ 1) for h in range(self.depth)]
        bits = [(index >> h) & 1 for h in range(self.depth)]
        return MerkleProof(self._levels[0][index], index, elements, bits)


def merkle_root_gadget(api, leaf, path_elements: Sequence, path_indices: Sequence):
    """Root of the path from `leaf` in-circuit: per level one boolean check, one product for the
    left/right swap and one Poseidon(2) (240), so 242 constraints per level."""
    if len(path_elements) != len(path_indices):
        raise ValueError("path_elements and path_indices must have the same length")
    node = leaf
    with api.gadget(f"merkle({len(path_elements)})"):
        for sibling, bit in zip(path_elements, path_indices):
            api.assert_boolean(bit)
            # With bit = 1 the node is the right child: swap by moving delta = bit*(sibling - node).
            delta = api.mul(bit, api.sub(sibling, node))
            node = poseidon_gadget(api, [api.add(node, delta), api.sub(sibling, delta)])
    return node


def merkle_inclusion_circuit(depth: int):
    """A Circuit class proving that a private leaf is in the tree with the public root."""
    from zk.r1cs import Circuit, Private, Public

    _check_depth(depth)

    class MerkleInclusion(Circuit):
        root = Public()
        leaf = Private()
        path_elements = Private(shape=depth)
        path_indices = Private(shape=depth)

        def define(self, api):
            api.assert_equal(merkle_root_gadget(api, self.leaf, self.path_elements, self.path_indices), self.root)

    MerkleInclusion.__name__ = MerkleInclusion.__qualname__ = f"MerkleInclusion{depth}"
    return MerkleInclusion
