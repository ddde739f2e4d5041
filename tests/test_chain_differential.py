"""The SQLite ledger is the reference model of the contracts: the same random sequences of
purchases, assignments (with and without a paid relayer), redemptions, registry changes, clock
jumps (the node's evm_increaseTime), sweeps and replays go to both, with the same proofs; after
every step both gave the same verdict (accepted, or refused by the same rule) and hold the same
roots, leaves, nullifiers, buckets, registry and balances.

ZK_CHAIN_DIFF_EXAMPLES sets the number of sequences (3 in `make test`; more for a long run)."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chain_story import Held, advance_to_epoch, assign_proof, purchase_proof, redeem_proof, registry_tree
from circuits.app.ledger import ASSIGN_TREE, NOTE_TREE, Ledger, LedgerError, Payment
from circuits.protocol import is_usable, operator_address
from governance import GOVERNANCE

pytestmark = pytest.mark.npm
DEPTH = 4
MAX_FEE = 7
USERS = (0x51, 0x52)
OPERATORS = (0x0A1, 0x0A2)
PAYOUTS = (0xAA01, 0xAA02, 0xAA03)
RELAYER = 0xBB01
EXAMPLES = int(os.environ.get("ZK_CHAIN_DIFF_EXAMPLES", "3"))


class Pair:
    """The two ledgers, what the users and operators hold, and the step log for failure reports."""

    def __init__(self, w3, system, compiled, path):
        from circuits.app.chain.contracts import deploy_credits
        from circuits.app.chain.ledger import EvmLedger

        self.w3, self.system = w3, system
        advance_to_epoch(w3, self._chain_epoch() + 1)  # a month's start: no step crosses a month's end
        self.evm = EvmLedger(deploy_credits(w3, system.vks, DEPTH, max_relayer_fee=MAX_FEE, compiled=compiled))
        self.sql = Ledger(path, system, governance=GOVERNANCE.public_key, now=self.evm.now,
                          seconds=lambda: w3.eth.get_block("latest")["timestamp"], depth=DEPTH,
                          max_relayer_fee=MAX_FEE)
        self.notes: list[tuple[int, Held]] = []        # (sk, note), unspent
        self.assignments: list[tuple[int, Held]] = []  # (osk, assignment), unspent
        self.replays: list[tuple[str, tuple]] = []
        self.nullifiers: set[tuple[str, int]] = set()
        self.log: list[str] = []

    def _chain_epoch(self):
        from datetime import datetime, timezone

        from circuits.protocol import epoch_of

        day = datetime.fromtimestamp(self.w3.eth.get_block("latest")["timestamp"], timezone.utc)
        return epoch_of(day.year, day.month)

    def both(self, what: str, on_chain, in_sql):
        """Run the operation on both ledgers; the same verdict, then the same state."""
        outcomes = []
        for run in (on_chain, in_sql):
            try:
                outcomes.append(("ok", run()))
            except LedgerError as exc:
                outcomes.append((type(exc).__name__, str(exc)))
        self.log.append(f"{what}: chain {outcomes[0][0]}, sqlite {outcomes[1][0]}")
        assert outcomes[0][0] == outcomes[1][0], "\n".join(self.log + [repr(outcomes)])
        self.compare()
        return outcomes[0][1] if outcomes[0][0] == "ok" else None

    def compare(self):
        evm, sql = self.evm, self.sql
        for tree in (NOTE_TREE, ASSIGN_TREE):
            assert evm.root(tree) == sql.root(tree), (tree, self.log)
            assert evm.leaves(tree) == sql.leaves(tree), (tree, self.log)
            assert all(evm.is_known_root(tree, r) for r in sql.recent_roots(tree)), (tree, self.log)
        assert evm.registry.root() == sql.registry.root(), self.log
        assert evm.registry.leaves() == sql.registry.leaves(), self.log
        assert evm.registry.entries() == sql.registry.entries(), self.log
        assert evm.registry.next_seq() == sql.registry.next_seq()
        for kind, nf in self.nullifiers:
            assert evm.is_spent(kind, nf) == sql.is_spent(kind, nf), (kind, self.log)
        assert evm.buckets() == sql.buckets(), self.log
        for payout in PAYOUTS:
            assert evm.payout_balance(payout) == sql.payout_balance(payout), (payout, self.log)
        assert evm.payout_balance(RELAYER) == sql.balance(f"relayer:{RELAYER:#042x}"), self.log
        assert evm.network_fund == sql.network_fund, self.log
        totals = sql.totals()
        assert {k: v for k, v in evm.totals().items()} == {k: totals[k] for k in evm.totals()}, self.log
        sql.check_invariants()

    # ------------------------------------------------------------------ steps
    def purchase(self, data):
        sk = data.draw(st.sampled_from(USERS))
        amount = data.draw(st.integers(1, 300))
        epoch = self.evm.now()
        claimed = epoch + data.draw(st.sampled_from([0, 0, 0, 1]))  # a proof for next month, sometimes
        note, proof, _ = purchase_proof(self.system, sk, amount, claimed)
        buyer = self.evm.fresh_buyer(amount)
        payment: list = [f"refused-{len(self.log)}"]

        def on_chain():
            index = self.evm.purchase(buyer, proof, note.commitment, amount, claimed)
            payment[0] = self.w3.eth.get_block("latest")["transactions"][-1].hex()
            return index

        index = self.both(f"purchase {amount} for epoch {claimed}", on_chain, lambda: self.sql.purchase(
            Payment(payment[0], buyer.address, amount), proof, note.commitment, amount, claimed))
        if index is not None:
            self.notes.append((sk, Held(note, index)))

    def assign(self, data):
        now = self.evm.now()
        usable = [(sk, h) for sk, h in self.notes if is_usable(h.item.epoch, now)]
        if not usable:
            return self.purchase(data)
        sk, first = data.draw(st.sampled_from(usable))
        partners = [h for s, h in usable if s == sk and h is not first and h.item.epoch == first.item.epoch]
        spent = [first] + ([data.draw(st.sampled_from(partners))] if partners and data.draw(st.booleans()) else [])
        total = sum(h.item.amount for h in spent)
        assigned = data.draw(st.integers(0, total))
        osk = data.draw(st.sampled_from(OPERATORS))
        fee = data.draw(st.sampled_from([0, 0, 1, MAX_FEE, MAX_FEE + 1]))
        relayer = RELAYER if fee else 0
        tree = self.evm.tree(NOTE_TREE)
        proof, publics, assignment, change = assign_proof(self.system, tree, sk, spent, osk, assigned, now, relayer, fee)
        self._submit_assign(f"assign {assigned} of {total} (fee {fee})", proof, publics, relayer, fee, sk, spent, osk,
                            assignment, change)

    def _submit_assign(self, what, proof, publics, relayer, fee, sk, spent, osk, assignment, change):
        leaves = self.both(what, lambda: self.evm.assign(proof, publics, relayer, fee),
                           lambda: self.sql.assign(proof, publics, relayer, fee))
        self.nullifiers |= {("note", publics.nf_1), ("note", publics.nf_2)}
        self.replays.append(("assign", (proof, publics, relayer, fee)))
        if leaves is not None:
            ids = {id(h) for h in spent}
            self.notes = [(s, h) for s, h in self.notes if id(h) not in ids]
            self.notes.append((sk, Held(change, leaves[1])))
            self.assignments.append((osk, Held(assignment, leaves[0])))

    def redeem(self, data):
        now = self.evm.now()
        candidates = [(osk, h) for osk, h in self.assignments
                      if is_usable(h.item.epoch, now) and self.sql.registry.entry(operator_address(osk)) is not None]
        if not candidates:
            return self.registry(data)
        osk, held = data.draw(st.sampled_from(candidates))
        amount = data.draw(st.integers(0, held.item.amount))
        entry = self.sql.registry.entry(operator_address(osk))
        proof, publics, change = redeem_proof(self.system, self.evm.tree(ASSIGN_TREE), osk, held, amount, entry.payout,
                                              now, self.sql, registry_tree(self.sql), entry.share_bps)
        result = self.both(f"redeem {amount} of {held.item.amount} to {entry.payout:#x} at {entry.share_bps}",
                           lambda: self.evm.redeem(proof, publics), lambda: self.sql.redeem(proof, publics))
        self.nullifiers.add(("assign", publics.nf))
        self.replays.append(("redeem", (proof, publics)))
        if result is not None:
            self.assignments = [(o, h) for o, h in self.assignments if h is not held]
            self.assignments.append((osk, Held(change, result["change_leaf"])))

    def registry(self, data):
        from circuits.app.registry import RegistryChange

        operator = operator_address(data.draw(st.sampled_from(OPERATORS)))
        entry = self.sql.registry.entry(operator)
        if entry is None:
            op, payout, share = "add", data.draw(st.sampled_from(PAYOUTS)), data.draw(st.sampled_from([0, 5000, 7000, 7001]))
        else:
            op = data.draw(st.sampled_from(["rotate", "share", "remove"]))
            payout = data.draw(st.sampled_from(PAYOUTS)) if op == "rotate" else None
            share = data.draw(st.sampled_from([0, 3333, 7000, 7001])) if op == "share" else None
        change = RegistryChange(op, operator, self.sql.registry.next_seq(), payout if op in ("add", "rotate") else None,
                                share if op in ("add", "share") else None)
        signature = GOVERNANCE.sign(change, self.sql.ledger_id)
        self.both(f"registry {op} {payout} {share}", lambda: self.evm.registry.apply(change),
                  lambda: self.sql.registry.apply(change, signature))

    def jump(self, data):
        kind = data.draw(st.sampled_from(["10 minutes", "70 minutes", "next month", "a year"]))
        if kind in ("10 minutes", "70 minutes"):
            self.w3.provider.make_request("evm_increaseTime", [600 if kind == "10 minutes" else 4200])
            self.w3.provider.make_request("evm_mine", [])
        else:
            advance_to_epoch(self.w3, self.evm.now() + (1 if kind == "next month" else 12))
        self.log.append(f"clock +{kind}: epoch {self.evm.now()}")
        self.compare()

    def sweep(self, data):
        self.both("sweep", self.evm.sweep_expired, self.sql.sweep_expired)

    def replay(self, data):
        if not self.replays:
            return self.sweep(data)
        kind, args = data.draw(st.sampled_from(self.replays))
        self.both(f"replay {kind}", lambda: getattr(self.evm, kind)(*args), lambda: getattr(self.sql, kind)(*args))


STEPS = ["purchase", "purchase", "assign", "assign", "redeem", "redeem", "registry", "jump", "sweep", "replay"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(data=st.data())
def test_sqlite_and_chain_agree_step_by_step(w3, system, compiled, tmp_path_factory, data):
    pair = Pair(w3, system, compiled, tmp_path_factory.mktemp("diff") / "ledger.db")
    # Every sequence starts with an operator registered and a purchase, so that the rest can act.
    GOVERNANCE.add(pair.sql, operator_address(OPERATORS[0]), PAYOUTS[0], 7000)
    pair.evm.registry.apply(pair.sql.registry.changes()[-1][0])
    pair.compare()
    pair.purchase(data)
    for _ in range(data.draw(st.integers(6, 12), label="steps")):
        getattr(pair, data.draw(st.sampled_from(STEPS), label="step"))(data)
    print("\n" + "\n".join(pair.log))
