"""Assign circuit (docs/PROTOCOL.md §5.2): spend one or two notes of one owner and one purchase
month into an assignment to a group's operator plus change back to the same owner."""
from __future__ import annotations

from functools import lru_cache

from circuits.protocol import AMOUNT_BITS, DEFAULT_DEPTH, Tag, H_gadget, assert_usable, bind_public, leaf_position
from zk.gadgets import merkle_root_gadget
from zk.r1cs import Circuit, Private, Public


class Assign(Circuit):
    depth = DEFAULT_DEPTH

    note_root = Public()
    nf_1 = Public()
    nf_2 = Public()
    assign_cm = Public()
    change_cm = Public()
    now = Public()
    external_hash = Public()

    sk = Private()
    epoch = Private()
    amount_1 = Private()
    rho_1 = Private()
    amount_2 = Private()
    rho_2 = Private()
    group = Private()
    operator = Private()
    assigned = Private()
    rho_a = Private()
    change = Private()
    rho_c = Private()
    path_elements_1 = Private(shape=DEFAULT_DEPTH)
    path_indices_1 = Private(shape=DEFAULT_DEPTH)
    path_elements_2 = Private(shape=DEFAULT_DEPTH)
    path_indices_2 = Private(shape=DEFAULT_DEPTH)

    def define(self, api):
        owner = H_gadget(api, Tag.OWNER, self.sk)

        inputs = ((self.amount_1, self.rho_1, self.nf_1, self.path_elements_1, self.path_indices_1),
                  (self.amount_2, self.rho_2, self.nf_2, self.path_elements_2, self.path_indices_2))
        roots = []
        for amount, rho, nf, path_elements, path_indices in inputs:
            cm = H_gadget(api, Tag.NOTE, owner, amount, self.epoch, rho)
            # The nullifier is bound to the leaf's position: no two notes share one (§4.3).
            api.assert_equal(nf, H_gadget(api, Tag.NOTE_NF, self.sk, rho, leaf_position(api, path_indices)))
            roots.append(merkle_root_gadget(api, cm, path_elements, path_indices))
        api.assert_equal(roots[0], self.note_root)
        # Input 2 is a dummy when its amount is 0: its membership is then not checked.
        api.assert_equal(api.mul(self.amount_2, api.sub(roots[1], self.note_root)), 0)

        api.assert_nonzero(api.sub(self.nf_1, self.nf_2))
        assert_usable(api, self.epoch, self.now)

        for name in ("amount_1", "amount_2", "assigned", "change"):
            with api.gadget(f"range {name}"):  # named so that a test can tell which check refused
                api.assert_range(getattr(self, name), AMOUNT_BITS)
        api.assert_equal(api.add(self.amount_1, self.amount_2), api.add(self.assigned, self.change))

        api.assert_equal(self.assign_cm, H_gadget(api, Tag.ASSIGNMENT, self.group, self.operator, self.assigned,
                                                  self.epoch, self.rho_a))
        # Change goes back to the same owner: credits cannot be transferred through it.
        api.assert_equal(self.change_cm, H_gadget(api, Tag.NOTE, owner, self.change, self.epoch, self.rho_c))
        bind_public(api, self.external_hash)


@lru_cache(maxsize=None)
def assign_circuit(depth: int = DEFAULT_DEPTH) -> type[Assign]:
    """Assign for a note tree of another depth (the paths' shape is part of the declaration)."""
    if depth == DEFAULT_DEPTH:
        return Assign
    return type(f"Assign{depth}", (Assign,), {
        "depth": depth,
        "path_elements_1": Private(shape=depth), "path_indices_1": Private(shape=depth),
        "path_elements_2": Private(shape=depth), "path_indices_2": Private(shape=depth),
    })
