"""Solidity sources of the chain side that zk generates (Poseidon, Merkle trees) together with the
small contracts that expose them, compiled through the solc npm peer. Generic: an application's
contracts (Community Credits: circuits/app/chain) deploy or call these."""
from __future__ import annotations

from zk.chain.solc import CompiledContract, compile_solidity
from zk.formats.solidity_poseidon import TREE_LIBRARY, library_name, merkle_tree_library, poseidon_library

TREE_HARNESS = "PoseidonTreeHarness"


def tree_harness_source(depth: int, **options) -> str:
    """A contract holding one tree, with ``insert(leaf)`` open to anyone, emitting the events that
    :class:`zk.chain.merkle.TreeMirror` reads: what the credits contract does for its trees,
    without the proofs in front."""
    return merkle_tree_library(depth, **options) + f"""
contract {TREE_HARNESS} {{
    using {TREE_LIBRARY} for {TREE_LIBRARY}.Tree;
    {TREE_LIBRARY}.Tree private tree;

    event LeafInserted(uint8 indexed tree, uint256 index, uint256 leaf, uint256 root);

    constructor() {{
        tree.init();
    }}

    function insert(uint256 leaf) external {{
        (uint256 index, uint256 newRoot) = tree.insert(leaf);
        emit LeafInserted(0, index, leaf, newRoot);
    }}

    function root() external view returns (uint256) {{
        return tree.root();
    }}

    function size() external view returns (uint256) {{
        return tree.size;
    }}

    function isKnownRoot(uint256 value) external view returns (bool) {{
        return tree.isKnownRoot(value);
    }}
}}
"""


def compile_tree_harness(depth: int, **options) -> CompiledContract:
    return compile_solidity({f"{TREE_HARNESS}.sol": tree_harness_source(depth, **options)})[TREE_HARNESS]


TREES = "PoseidonTrees"


def trees_source(depth: int, n_trees: int, **options) -> str:
    """``contract PoseidonTrees``: ``n_trees`` incremental Poseidon trees of one ``depth`` with their
    root histories, written only by the contract that deployed it (``writer``, immutable) and read
    by anyone. An application keeps its trees here so that the unrolled Poseidon(2) (17.5 kB of
    code) does not count against its own contract's EIP-170 limit; each write is one external
    call (about 2.6k gas for the first in a transaction, a few hundred for the next). Emits
    ``LeafInserted`` for :class:`zk.chain.merkle.TreeMirror`."""
    if not 1 <= n_trees <= 8:
        raise ValueError(f"PoseidonTrees holds 1 to 8 trees, got {n_trees}")
    return merkle_tree_library(depth, **options) + f"""
contract {TREES} {{
    using {TREE_LIBRARY} for {TREE_LIBRARY}.Tree;

    uint8 public constant TREES = {n_trees};
    uint256 public constant DEPTH = {depth};
    address public immutable writer;
    {TREE_LIBRARY}.Tree[{n_trees}] private trees;

    event LeafInserted(uint8 indexed tree, uint256 index, uint256 leaf, uint256 root);

    error NotWriter();
    error NoSuchTree();

    constructor() {{
        writer = msg.sender;
        for (uint256 i = 0; i < {n_trees}; i++) trees[i].init();
    }}

    function insert(uint8 tree, uint256 leaf) external returns (uint256 index) {{
        if (msg.sender != writer) revert NotWriter();
        index = _insert(tree, leaf);
    }}

    /// Two insertions for the price of one call.
    function insertPair(uint8 treeA, uint256 leafA, uint8 treeB, uint256 leafB)
        external returns (uint256 indexA, uint256 indexB)
    {{
        if (msg.sender != writer) revert NotWriter();
        indexA = _insert(treeA, leafA);
        indexB = _insert(treeB, leafB);
    }}

    function _insert(uint8 tree, uint256 leaf) private returns (uint256 index) {{
        if (tree >= {n_trees}) revert NoSuchTree();
        uint256 newRoot;
        (index, newRoot) = trees[tree].insert(leaf);
        emit LeafInserted(tree, index, leaf, newRoot);
    }}

    function root(uint8 tree) external view returns (uint256) {{
        if (tree >= {n_trees}) revert NoSuchTree();
        return trees[tree].root();
    }}

    function isKnownRoot(uint8 tree, uint256 value) external view returns (bool) {{
        if (tree >= {n_trees}) revert NoSuchTree();
        return trees[tree].isKnownRoot(value);
    }}

    function size(uint8 tree) external view returns (uint256) {{
        if (tree >= {n_trees}) revert NoSuchTree();
        return trees[tree].size;
    }}
}}
"""


def hasher_name(n_inputs: int) -> str:
    return f"PoseidonHasher{n_inputs}"


def hasher_source(n_inputs: int, *, sparse: bool = True) -> str:
    """``contract PoseidonHasher{n}`` with ``hash(...) external pure``: circomlib Poseidon(n) as a
    contract of its own, for a caller whose code has no room for the unrolled hash (Poseidon(3)
    alone is 23.9 kB; Poseidon(4) fits only with the textbook rounds, 17.4 kB)."""
    lib = library_name(n_inputs)
    args = ", ".join(f"uint256 a{i}" for i in range(n_inputs))
    names = ", ".join(f"a{i}" for i in range(n_inputs))
    return poseidon_library(n_inputs, sparse=sparse) + f"""
contract {hasher_name(n_inputs)} {{
    function hash({args}) external pure returns (uint256) {{
        return {lib}.hash({names});
    }}
}}
"""
