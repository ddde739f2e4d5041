"""Proofs for the chain tests: purchases, assignments and redemptions built from a tree (the
chain's, rebuilt from events, or the SQLite ledger's), so that the same proof can be submitted to
both ledgers."""
from __future__ import annotations

from dataclasses import dataclass

from circuits.protocol import Assignment, Note, owner_address, operator_address
from circuits.witness import assign_inputs, purchase_inputs, redeem_inputs

GROUP = 0x6A0


@dataclass
class Held:
    """A note or an assignment with its leaf position."""

    item: object
    leaf: int


def purchase_proof(system, sk: int, amount: int, epoch: int):
    note = Note.new(owner_address(sk), amount, epoch)
    proof, statement = system.prove("purchase", purchase_inputs(note))
    return note, proof, statement


def assign_proof(system, tree, sk: int, spent: list[Held], osk: int, assigned: int, now: int, relayer: int = 0,
                 fee: int = 0):
    """Spend `spent` (one or two notes of one epoch in `tree`): `assigned` to the operator of `osk`,
    the rest as change. Returns (proof, publics, assignment, change note)."""
    epoch = spent[0].item.epoch
    total = sum(h.item.amount for h in spent)
    assignment = Assignment.new(GROUP, operator_address(osk), assigned, epoch)
    change = Note.new(owner_address(sk), total - assigned, epoch)
    inputs = assign_inputs(sk, [(h.item, tree.proof(h.leaf)) for h in spent], tree.root, assignment, change, now,
                           relayer, fee)
    proof, publics = system.prove("assign", inputs)
    return proof, publics, assignment, change


def registry_tree(ledger):
    """zk's tree of a ledger's operator registry (either backend), from its leaves."""
    from circuits.protocol import registry_depth
    from zk.gadgets import MerkleTree

    tree = MerkleTree(registry_depth(ledger.depth))
    tree.extend(ledger.registry.leaves())
    return tree


def redeem_proof(system, tree, osk: int, held: Held, amount: int, payout: int, now: int, ledger=None,
                 registry=None, share_bps: int | None = None):
    """Redeem `amount` of the assignment `held` (in `tree`) to `payout`, with the operator's
    registry entry in `ledger`'s registry (or the given `registry` tree and `share_bps`); returns
    (proof, publics, change assignment)."""
    a = held.item
    entry = ledger.registry.entry(operator_address(osk)) if ledger is not None else None
    registry = registry if registry is not None else registry_tree(ledger)
    share = share_bps if share_bps is not None else entry.share_bps
    slot = entry.index if entry is not None else 0
    change = Assignment.new(a.group, a.operator, a.amount - amount, a.epoch)
    inputs = redeem_inputs(osk, a, tree.proof(held.leaf), tree.root, amount, payout, now, change, share,
                           registry.proof(slot), registry.root)
    proof, publics = system.prove("redeem", inputs)
    return proof, publics, change


def advance_to_epoch(w3, epoch: int) -> None:
    """Move the node's clock forward to the first hour of the calendar month `epoch` and mine."""
    import datetime as dt

    from circuits.protocol import epoch_to_month

    year, month = epoch_to_month(epoch)
    target = int(dt.datetime(year, month, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    now = w3.eth.get_block("latest")["timestamp"]
    if target <= now:
        raise ValueError(f"the node is already past the start of epoch {epoch}")
    w3.provider.make_request("evm_increaseTime", [target - now])
    w3.provider.make_request("evm_mine", [])
