"""Purchase circuit (docs/PROTOCOL.md §5.1): the note commitment hides exactly the paid amount and
the purchase epoch, both public."""
from __future__ import annotations

from circuits.protocol import AMOUNT_BITS, EPOCH_BITS, Tag, H_gadget
from zk.r1cs import Circuit, Private, Public


class Purchase(Circuit):
    note_cm = Public()
    amount = Public()
    epoch = Public()

    owner = Private()
    rho = Private()

    def define(self, api):
        # A payment can never mint more than its value modulo r.
        api.assert_range(self.amount, AMOUNT_BITS)
        api.assert_range(self.epoch, EPOCH_BITS)
        api.assert_equal(self.note_cm, H_gadget(api, Tag.NOTE, self.owner, self.amount, self.epoch, self.rho))
