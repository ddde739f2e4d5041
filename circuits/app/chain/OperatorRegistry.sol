// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The operator registry of docs/PROTOCOL.md §3.1 on chain: entries (operator, payout, share_bps)
// as leaves H(REGISTRY, operator, payout, share_bps) of a Poseidon tree, changed only by the
// governance address (a multisig on a real chain), in order (`seq`, as the SQLite ledger's signed
// changes), and the root window that redeem reads: the current root, or one replaced less than
// ROOT_WINDOW seconds ago. Nothing here holds or moves money.

import {PoseidonUpdatableTree} from "PoseidonUpdatableTree.sol";

interface IPoseidon4 {
    function hash(uint256 a0, uint256 a1, uint256 a2, uint256 a3) external pure returns (uint256);
}

contract OperatorRegistry {
    using PoseidonUpdatableTree for PoseidonUpdatableTree.Tree;

    uint256 internal constant FIELD = PoseidonUpdatableTree.FIELD;
    uint256 public constant ROOT_WINDOW = 3600;
    uint256 public constant MAX_SHARE_BPS = 7000;
    uint256 internal constant REGISTRY_TAG = 8;
    uint256 internal constant SLOTS = 1 << PoseidonUpdatableTree.DEPTH;

    address public immutable governance;
    IPoseidon4 public immutable leafHasher;

    struct Entry {
        uint256 payout;
        uint32 share;
        uint32 slotPlusOne;  // 0: not registered
    }
    mapping(uint256 => Entry) internal entryOf;      // by operator
    mapping(uint256 => uint256) public payoutHolder; // payout => operator + 1 (0: nobody)
    mapping(uint256 => bool) internal slotUsed;
    mapping(uint256 => uint256) public replacedAt;   // root => when it stopped being current
    PoseidonUpdatableTree.Tree internal tree;
    uint256 public changes;                          // the next change's seq

    event RegistryChanged(uint256 indexed seq, uint8 op, uint256 operator, uint256 payout, uint256 share, uint256 slot,
                          uint256 leaf, uint256 root);

    error NotGovernance();
    error WrongSeq();
    error AlreadyRegistered();
    error NotRegistered();
    error PayoutTaken();
    error PayoutNotAnAddress();
    error ShareTooHigh();
    error OperatorNotInField();
    error RegistryFull();

    constructor(address governance_, IPoseidon4 leafHasher_) {
        governance = governance_;
        leafHasher = leafHasher_;
        tree.init();
    }

    modifier governed(uint256 seq) {
        if (msg.sender != governance) revert NotGovernance();
        if (seq != changes) revert WrongSeq();
        _;
    }

    function add(uint256 seq, uint256 operator, uint256 payout, uint256 share) external governed(seq) {
        if (operator >= FIELD) revert OperatorNotInField();
        if (entryOf[operator].slotPlusOne != 0) revert AlreadyRegistered();
        _checkShare(share);
        _takePayout(operator, payout);
        uint256 slot = _freeSlot();
        slotUsed[slot] = true;
        entryOf[operator] = Entry(payout, uint32(share), uint32(slot + 1));
        _write(0, operator, slot);
    }

    function rotate(uint256 seq, uint256 operator, uint256 payout) external governed(seq) {
        Entry storage e = _registered(operator);
        _takePayout(operator, payout);
        delete payoutHolder[e.payout];
        e.payout = payout;
        _write(1, operator, e.slotPlusOne - 1);
    }

    function setShare(uint256 seq, uint256 operator, uint256 share) external governed(seq) {
        Entry storage e = _registered(operator);
        _checkShare(share);
        e.share = uint32(share);
        _write(2, operator, e.slotPlusOne - 1);
    }

    function remove(uint256 seq, uint256 operator) external governed(seq) {
        Entry storage e = _registered(operator);
        uint256 slot = e.slotPlusOne - 1;
        delete payoutHolder[e.payout];
        delete entryOf[operator];
        slotUsed[slot] = false;
        _write(3, operator, slot);
    }

    /// What redeem accepts: the current root, or one replaced less than ROOT_WINDOW seconds ago.
    function isAcceptedRoot(uint256 value) external view returns (bool) {
        if (value == tree.root) return true;
        uint256 at = replacedAt[value];
        return at != 0 && block.timestamp < at + ROOT_WINDOW;
    }

    function root() external view returns (uint256) {
        return tree.root;
    }

    /// (payout, share, slot, registered)
    function entry(uint256 operator) external view returns (uint256, uint256, uint256, bool) {
        Entry storage e = entryOf[operator];
        return (e.payout, e.share, e.slotPlusOne == 0 ? 0 : e.slotPlusOne - 1, e.slotPlusOne != 0);
    }

    function _registered(uint256 operator) private view returns (Entry storage e) {
        e = entryOf[operator];
        if (e.slotPlusOne == 0) revert NotRegistered();
    }

    function _checkShare(uint256 share) private pure {
        if (share > MAX_SHARE_BPS) revert ShareTooHigh();
    }

    /// One operator per payout (§3.1): each redemption is attributable to one operator.
    function _takePayout(uint256 operator, uint256 payout) private {
        if (payout >> 160 != 0) revert PayoutNotAnAddress();
        if (payoutHolder[payout] != 0) revert PayoutTaken();
        payoutHolder[payout] = operator + 1;
    }

    /// The lowest free slot, as the SQLite ledger picks it.
    function _freeSlot() private view returns (uint256 slot) {
        for (slot = 0; slot < SLOTS; slot++) {
            if (!slotUsed[slot]) return slot;
        }
        revert RegistryFull();
    }

    function _write(uint8 op, uint256 operator, uint256 slot) private {
        Entry storage e = entryOf[operator];
        uint256 leaf = op == 3 ? 0 : leafHasher.hash(REGISTRY_TAG, operator, e.payout, e.share);
        uint256 old = tree.root;
        uint256 newRoot = tree.set(slot, leaf);
        replacedAt[old] = block.timestamp;
        emit RegistryChanged(changes, op, operator, e.payout, e.share, slot, leaf, newRoot);
        changes += 1;
    }
}
