"""Solidity sources of the chain side that zk generates (Poseidon, Merkle trees) together with the
small contracts that expose them, compiled through the solc npm peer."""
from __future__ import annotations

from zk.chain.solc import CompiledContract, compile_solidity
from zk.formats.solidity_poseidon import TREE_LIBRARY, merkle_tree_library

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


CREDITS = "CommunityCredits"
STABLECOIN = "TestStablecoin"
NOTE_TREE_ID = 0

# Calendar month of a Unix time in the protocol's numbering (12 * year + month - 1), through
# Howard Hinnant's days-to-civil algorithm (exact for every day from 1970 on).
_EPOCH_OF = """
    function epochOf(uint256 timestamp) public pure returns (uint256) {
        uint256 z = timestamp / 86400 + 719468;
        uint256 era = z / 146097;
        uint256 doe = z - era * 146097;
        uint256 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        uint256 mp = (5 * doy + 2) / 153;
        uint256 month = mp < 10 ? mp + 3 : mp - 9;
        uint256 year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        return 12 * year + month - 1;
    }
"""


def credits_source(depth: int) -> str:
    """The money-holding contract, as far as the protocol is settled: ``purchase`` (docs/PROTOCOL.md
    §6) paid with ``transferFrom`` in an ERC-20 stablecoin, its proof checked by the verifier that
    ``zk export solidity`` generates for the purchase key, the note commitment appended to the note
    tree. It has no owner, no upgrade path and no way to move tokens out: assign, redeem and sweep
    (the only ways money leaves) wait for the nullifier and registry redesigns."""
    from zk.r1cs.field import R

    return merkle_tree_library(depth) + f"""
import {{IERC20}} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {{SafeERC20}} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

interface IPurchaseVerifier {{
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c,
                         uint256[3] calldata input) external view returns (bool);
}}

/// Community Credits (purchase only so far). Immutable: no owner, no upgrade, no withdrawal.
contract {CREDITS} {{
    using SafeERC20 for IERC20;
    using {TREE_LIBRARY} for {TREE_LIBRARY}.Tree;

    uint256 internal constant FIELD = {R:#x};
    uint8 public constant NOTE_TREE = {NOTE_TREE_ID};
    IERC20 public immutable token;
    IPurchaseVerifier public immutable purchaseVerifier;

    {TREE_LIBRARY}.Tree private notes;
    mapping(uint256 => bool) public noteCommitted;
    mapping(uint256 => uint256) public purchased;  // per epoch: the buckets' `purchased`

    event LeafInserted(uint8 indexed tree, uint256 index, uint256 leaf, uint256 root);
    event Purchased(uint256 indexed epoch, uint256 noteCommitment, uint256 amount);

    error NotInField();
    error BadAmount();
    error WrongEpoch();
    error DuplicateNote();
    error InvalidProof();

    constructor(IERC20 token_, IPurchaseVerifier purchaseVerifier_) {{
        token = token_;
        purchaseVerifier = purchaseVerifier_;
        notes.init();
    }}

    /// Buy `amount` credits of the current month into the note `noteCommitment`, paying `amount`
    /// tokens from the sender (approved beforehand). Effects before the token call, so a token
    /// that calls back finds the note already spent.
    function purchase(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c,
                      uint256 noteCommitment, uint256 amount, uint256 epoch) external {{
        if (noteCommitment >= FIELD || amount >= FIELD || epoch >= FIELD) revert NotInField();
        if (amount == 0 || amount > type(uint64).max) revert BadAmount();
        if (epoch != epochOf(block.timestamp)) revert WrongEpoch();
        if (noteCommitted[noteCommitment]) revert DuplicateNote();
        if (!purchaseVerifier.verifyProof(a, b, c, [noteCommitment, amount, epoch])) revert InvalidProof();
        noteCommitted[noteCommitment] = true;
        purchased[epoch] += amount;
        (uint256 index, uint256 root) = notes.insert(noteCommitment);
        emit LeafInserted(NOTE_TREE, index, noteCommitment, root);
        emit Purchased(epoch, noteCommitment, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }}

    function noteRoot() external view returns (uint256) {{
        return notes.root();
    }}

    function isKnownNoteRoot(uint256 value) external view returns (bool) {{
        return notes.isKnownRoot(value);
    }}

    function currentEpoch() external view returns (uint256) {{
        return epochOf(block.timestamp);
    }}
{_EPOCH_OF}}}
"""


STABLECOIN_SOURCE = f"""// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {{ERC20}} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// A test stablecoin (6 decimals like USDC) that anyone may mint: for local chains only.
contract {STABLECOIN} is ERC20 {{
    constructor() ERC20("Test USD", "TUSD") {{}}

    function decimals() public pure override returns (uint8) {{
        return 6;
    }}

    function mint(address to, uint256 amount) external {{
        _mint(to, amount);
    }}
}}
"""


def compile_credits(depth: int, purchase_verifier_source: str) -> dict[str, CompiledContract]:
    """CommunityCredits, the purchase verifier (``Groth16Verifier``) and the test stablecoin."""
    return compile_solidity({
        f"{CREDITS}.sol": credits_source(depth),
        "PurchaseVerifier.sol": purchase_verifier_source,
        f"{STABLECOIN}.sol": STABLECOIN_SOURCE,
    })
