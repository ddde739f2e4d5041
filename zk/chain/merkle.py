"""A wallet's copy of an on-chain Poseidon Merkle tree, rebuilt from the contract's events.

The contract emits ``LeafInserted(uint8 tree, uint256 index, uint256 leaf, uint256 root)`` for every
insertion; :class:`TreeMirror` replays them in order into a :class:`zk.gadgets.MerkleTree` and
checks, root for root, that the contract and zk agree (so a wallet never builds a proof against a
tree the contract does not have).
"""
from __future__ import annotations

from zk.gadgets.merkle import MerkleTree

EVENT = "LeafInserted"


class TreeMismatch(RuntimeError):
    """The events do not describe the tree zk computes (a gap, a reordering, or another root)."""


class TreeMirror:
    def __init__(self, contract, depth: int, tree_id: int = 0):
        self.contract = contract
        self.tree_id = tree_id
        self.tree = MerkleTree(depth)
        self.roots: list[int] = [self.tree.root]  # after 0, 1, 2, ... insertions
        self._next_block = 0

    def sync(self) -> MerkleTree:
        """Apply the events since the last sync; raises TreeMismatch if they disagree with zk."""
        w3 = self.contract.w3
        head = w3.eth.block_number
        if head < self._next_block:
            return self.tree
        event = getattr(self.contract.events, EVENT)
        logs = event.get_logs(from_block=self._next_block, to_block=head, argument_filters={"tree": self.tree_id})
        for log in sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"])):
            args = log["args"]
            if args["index"] != len(self.tree):
                raise TreeMismatch(f"event for leaf {args['index']} but the mirror has {len(self.tree)} leaves")
            self.tree.append(args["leaf"])
            if self.tree.root != args["root"]:
                raise TreeMismatch(f"after leaf {args['index']} the contract's root is {args['root']:#x}, "
                                   f"zk's is {self.tree.root:#x}")
            self.roots.append(self.tree.root)
        self._next_block = head + 1
        return self.tree
