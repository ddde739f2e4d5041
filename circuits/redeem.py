"""Redeem circuit (docs/PROTOCOL.md §5.3): a registered operator spends an assignment made to it,
takes `amount` to the payout address the registry holds for it and leaves the rest assigned to
the same group."""
from __future__ import annotations

from functools import lru_cache

from circuits.protocol import (
    AMOUNT_BITS, DEFAULT_DEPTH, Tag, H_gadget, assert_usable, leaf_position, registry_depth,
)
from zk.gadgets import merkle_root_gadget
from zk.r1cs import Circuit, Private, Public


class Redeem(Circuit):
    depth = DEFAULT_DEPTH

    assign_root = Public()
    registry_root = Public()
    nf = Public()
    change_cm = Public()
    amount = Public()
    payout = Public()
    share_bps = Public()
    now = Public()

    osk = Private()
    group = Private()
    assigned = Private()
    epoch = Private()
    rho = Private()
    rho_c = Private()
    path_elements = Private(shape=DEFAULT_DEPTH)
    path_indices = Private(shape=DEFAULT_DEPTH)
    registry_path_elements = Private(shape=registry_depth(DEFAULT_DEPTH))
    registry_path_indices = Private(shape=registry_depth(DEFAULT_DEPTH))

    def define(self, api):
        operator = H_gadget(api, Tag.OPERATOR, self.osk)
        # Only a registered operator redeems, only to its registered payout at its registered
        # share: (operator, payout, share_bps) is a leaf of the registry (§3.1). The payout and
        # the share are public, so the proof is bound to them (no front-runner can redirect it).
        with api.gadget("registered operator"):
            entry = H_gadget(api, Tag.REGISTRY, operator, self.payout, self.share_bps)
            api.assert_equal(merkle_root_gadget(api, entry, self.registry_path_elements, self.registry_path_indices),
                             self.registry_root)
        cm = H_gadget(api, Tag.ASSIGNMENT, self.group, operator, self.assigned, self.epoch, self.rho)
        api.assert_equal(merkle_root_gadget(api, cm, self.path_elements, self.path_indices), self.assign_root)
        # Bound to the leaf's position: no two assignments share a nullifier (§4.3).
        api.assert_equal(self.nf, H_gadget(api, Tag.ASSIGN_NF, self.osk, self.rho,
                                           leaf_position(api, self.path_indices)))
        assert_usable(api, self.epoch, self.now)

        # Both ranges together say 0 <= amount <= assigned.
        remaining = api.sub(self.assigned, self.amount)
        with api.gadget("range amount"):
            api.assert_range(self.amount, AMOUNT_BITS)
        with api.gadget("range remaining"):
            api.assert_range(remaining, AMOUNT_BITS)
        api.assert_equal(self.change_cm, H_gadget(api, Tag.ASSIGNMENT, self.group, operator, remaining,
                                                  self.epoch, self.rho_c))


@lru_cache(maxsize=None)
def redeem_circuit(depth: int = DEFAULT_DEPTH) -> type[Redeem]:
    """Redeem for an assignment tree of another depth (and its registry, registry_depth(depth))."""
    if depth == DEFAULT_DEPTH:
        return Redeem
    levels = registry_depth(depth)
    return type(f"Redeem{depth}", (Redeem,), {
        "depth": depth,
        "path_elements": Private(shape=depth), "path_indices": Private(shape=depth),
        "registry_path_elements": Private(shape=levels), "registry_path_indices": Private(shape=levels),
    })
