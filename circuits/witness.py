"""Circuit inputs (public and private, by name) for each step, from the native objects.

The wallet uses these; tests use them too, then change one value to play an attacker.
"""
from __future__ import annotations

from typing import Sequence

from circuits.protocol import Assignment, Note, external_hash, random_field_element
from zk.gadgets import MerkleProof


def purchase_inputs(note: Note) -> dict:
    return {"note_cm": note.commitment, "amount": note.amount, "epoch": note.epoch, "owner": note.owner, "rho": note.rho}


def dummy_note(owner: int, epoch: int) -> Note:
    """The second input of a one-note assignment: worth 0, fresh rho so its nullifier is unique."""
    return Note(owner, 0, epoch, random_field_element())


def assign_inputs(sk: int, spent: Sequence[tuple[Note, MerkleProof | None]], note_root: int, assignment: Assignment,
                  change: Note, now: int, relayer: int = 0, fee: int = 0, depth: int | None = None) -> dict:
    """`spent`: one or two (note, path) pairs; a missing second input becomes a dummy note
    (amount 0, path of zeros, which the circuit does not check)."""
    spent = list(spent)
    if not 1 <= len(spent) <= 2:
        raise ValueError("an assignment spends one or two notes")
    if depth is None:
        depth = len(spent[0][1].path_elements)
    if len(spent) == 1:
        spent.append((dummy_note(spent[0][0].owner, spent[0][0].epoch), None))
    values = {"note_root": note_root, "assign_cm": assignment.commitment, "change_cm": change.commitment,
              "now": now, "external_hash": external_hash(relayer, fee), "sk": sk, "epoch": spent[0][0].epoch,
              "group": assignment.group, "operator": assignment.operator, "assigned": assignment.amount,
              "rho_a": assignment.rho, "change": change.amount, "rho_c": change.rho}
    for i, (note, path) in enumerate(spent, start=1):
        elements = path.path_elements if path is not None else [0] * depth
        bits = path.path_indices if path is not None else [0] * depth
        position = path.index if path is not None else 0
        values.update({f"nf_{i}": note.nullifier(sk, position), f"amount_{i}": note.amount, f"rho_{i}": note.rho,
                       f"path_elements_{i}": list(elements), f"path_indices_{i}": list(bits)})
    return values


def redeem_inputs(osk: int, assignment: Assignment, path: MerkleProof, assign_root: int, amount: int, payout: int,
                  now: int, change: Assignment, share_bps: int, registry_path: MerkleProof, registry_root: int) -> dict:
    """`payout`, `share_bps`: the operator's registry entry; `registry_path`: that entry's path in
    the registry tree whose root is `registry_root`."""
    return {"assign_root": assign_root, "registry_root": registry_root, "nf": assignment.nullifier(osk, path.index),
            "change_cm": change.commitment, "amount": amount, "payout": payout, "share_bps": share_bps, "now": now,
            "osk": osk, "group": assignment.group, "assigned": assignment.amount, "epoch": assignment.epoch,
            "rho": assignment.rho, "rho_c": change.rho,
            "path_elements": list(path.path_elements), "path_indices": list(path.path_indices),
            "registry_path_elements": list(registry_path.path_elements),
            "registry_path_indices": list(registry_path.path_indices)}
