"""The operator registry (docs/PROTOCOL.md §3.1, §5.3, §9): who may change it (governance only),
its rules (shares <= 7000, one payout per operator, signed changes in order), which roots redeem
accepts (the current one, or one replaced less than REGISTRY_ROOT_WINDOW seconds ago), and the
attacks it stops, with real proofs at tree depth 4: a fake operator's cash-out, a payout not
registered to the operator, a removed operator, a rotated payout.

Each attack breaks exactly one rule and asserts the error (or the constraint) that refused it;
refusals leave the ledger exactly as it was."""
from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circuits.app.ledger import (
    ASSIGN_TREE, InvalidProof, Ledger, LedgerError, Payment, RegistryError, StaleRegistryRoot, Unauthorized,
)
from circuits.app.registry import Governance, RegistryChange
from circuits.app.system import CreditsSystem
from circuits.app.wallet import NotRegistered, Wallet, WalletError, export_assignment
from circuits.protocol import (
    REGISTRY_ROOT_WINDOW, Assignment, Note, RedeemPublic, random_field_element, registry_leaf,
)
from circuits.witness import assign_inputs, redeem_inputs
from governance import GOVERNANCE
from wallet_options import TEST_WALLET, operator, user  # noqa: F401 (fixtures)
from zk.gadgets import MerkleTree
from zk.r1cs import WitnessError

EPOCH = 24322
T0 = 1_800_000_000  # seconds: the registry's clock in these tests
GROUP = 0x6A0
OP_A, OP_B, OP_C = 0xA1, 0xB2, 0xC3  # operator addresses (the rule tests need no keys)


class Seconds:
    def __init__(self):
        self.t = T0

    def __call__(self):
        return self.t


class AcceptAll:
    def verify(self, circuit, public_inputs, proof):
        return True


def snapshot(ledger) -> list[str]:
    conn = sqlite3.connect(ledger.path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def refused(ledger, error, match, call, *args):
    before = snapshot(ledger)
    with pytest.raises(error, match=match):
        call(*args)
    assert snapshot(ledger) == before


@pytest.fixture
def seconds():
    return Seconds()


@pytest.fixture
def ledger(tmp_path, seconds):
    return Ledger(tmp_path / "ledger.db", AcceptAll(), governance=GOVERNANCE.public_key, now=lambda: EPOCH,
                  seconds=seconds, depth=2)


_ids = iter(range(10 ** 9))


def buy(ledger, amount=1000):
    ledger.purchase(Payment(f"p{next(_ids)}", "0x", amount), None, random_field_element(), amount, ledger.now())


def redeem_under(ledger, registry_root, payout=0x1234, share_bps=7000, amount=10):
    """A redemption the verifier double accepts, under `registry_root`: only the ledger's own
    rules stand between it and the money."""
    return ledger.redeem(None, RedeemPublic(ledger.root(ASSIGN_TREE), registry_root, random_field_element(),
                                            random_field_element(), amount, payout, share_bps, EPOCH))


def signed(change: RegistryChange, ledger, key: Governance = GOVERNANCE) -> bytes:
    return key.sign(change, ledger.ledger_id)


# ------------------------------------------------------------------------------ the registry itself


def test_registered_entries_are_the_tree(ledger):
    root_a = GOVERNANCE.add(ledger, OP_A, 0xAAAA, 7000)
    root_b = GOVERNANCE.add(ledger, OP_B, 0xBBBB, 6000)
    assert root_a != root_b == ledger.registry.root()
    assert [(e.operator, e.payout, e.share_bps, e.index) for e in ledger.registry.entries()] == [
        (OP_A, 0xAAAA, 7000, 0), (OP_B, 0xBBBB, 6000, 1)]
    tree = MerkleTree(ledger.registry.depth)
    tree.extend([registry_leaf(OP_A, 0xAAAA, 7000), registry_leaf(OP_B, 0xBBBB, 6000)])
    assert tree.root == ledger.registry.root() and ledger.registry.leaves() == tree.leaves()
    assert [c.op for c, _, _ in ledger.registry.changes()] == ["add", "add"]
    ledger.check_invariants()


def test_a_change_without_the_governance_signature(ledger, tmp_path):
    change = RegistryChange("add", OP_A, 0, payout=0xAAAA, share_bps=7000)
    mallory = Governance.generate()
    refused(ledger, Unauthorized, "not signed by the governance key", ledger.registry.apply, change,
            signed(change, ledger, mallory))  # another key
    refused(ledger, Unauthorized, "not signed", ledger.registry.apply, change, b"\0" * 64)
    refused(ledger, Unauthorized, "not signed", ledger.registry.apply, change, b"")
    # Governance's signature of another change (another payout, share, operator or seq).
    for other in (RegistryChange("add", OP_A, 0, payout=0xBAD, share_bps=7000),
                  RegistryChange("add", OP_A, 0, payout=0xAAAA, share_bps=6999),
                  RegistryChange("add", OP_B, 0, payout=0xAAAA, share_bps=7000),
                  RegistryChange("add", OP_A, 1, payout=0xAAAA, share_bps=7000)):
        refused(ledger, Unauthorized, "not signed", ledger.registry.apply, change, signed(other, ledger))
    # Governance's signature of this change for another ledger.
    other_ledger = Ledger(tmp_path / "other.db", AcceptAll(), governance=GOVERNANCE.public_key, depth=2)
    refused(ledger, Unauthorized, "not signed", ledger.registry.apply, change, signed(change, other_ledger))
    ledger.registry.apply(change, signed(change, ledger))
    assert ledger.registry.entry(OP_A).payout == 0xAAAA


def test_a_replayed_change(ledger):
    change = RegistryChange("remove", OP_A, 1)
    GOVERNANCE.add(ledger, OP_A, 0xAAAA, 7000)
    signature = signed(change, ledger)
    ledger.registry.apply(change, signature)
    GOVERNANCE.add(ledger, OP_A, 0xAAAA, 7000)  # re-admitted (seq 2)
    refused(ledger, RegistryError, "seq 1 is not the next one", ledger.registry.apply, change, signature)
    assert ledger.registry.entry(OP_A) is not None


def test_share_above_7000_refused_at_registration(ledger):
    for bad in (7001, 10000, 2 ** 64):
        change = RegistryChange("add", OP_A, 0, payout=0xAAAA, share_bps=bad)
        refused(ledger, RegistryError, "refused at registration: operator share must be 0..7000",
                ledger.registry.apply, change, signed(change, ledger))
    GOVERNANCE.add(ledger, OP_A, 0xAAAA, 7000)
    change = RegistryChange("share", OP_A, 1, share_bps=7001)
    refused(ledger, RegistryError, "must be 0..7000", ledger.registry.apply, change, signed(change, ledger))
    GOVERNANCE.set_share(ledger, OP_A, 5500)
    assert ledger.registry.entry(OP_A).share_bps == 5500


def test_registry_rules(ledger):
    GOVERNANCE.add(ledger, OP_A, 0xAAAA, 7000)
    refused(ledger, RegistryError, "already registered", GOVERNANCE.add, ledger, OP_A, 0xA2, 7000)
    refused(ledger, RegistryError, "payout 0xaaaa is already registered to another operator",
            GOVERNANCE.add, ledger, OP_B, 0xAAAA, 7000)
    refused(ledger, RegistryError, "not registered", GOVERNANCE.rotate, ledger, OP_B, 0xB0)
    refused(ledger, RegistryError, "not registered", GOVERNANCE.remove, ledger, OP_B)
    refused(ledger, RegistryError, "160-bit chain address", GOVERNANCE.add, ledger, OP_B, 1 << 160, 7000)
    refused(ledger, RegistryError, "already registered to this operator", GOVERNANCE.rotate, ledger, OP_A, 0xAAAA)


def test_full_registry_reuses_removed_slots(ledger):
    for k in range(4):  # depth 2: four slots
        GOVERNANCE.add(ledger, 0x100 + k, 0x200 + k, 7000)
    refused(ledger, RegistryError, "the registry is full", GOVERNANCE.add, ledger, OP_C, 0xCCCC, 7000)
    GOVERNANCE.remove(ledger, 0x101)
    GOVERNANCE.add(ledger, OP_C, 0xCCCC, 7000)
    assert ledger.registry.entry(OP_C).index == 1
    ledger.check_invariants()


# ------------------------------------------------------------------------------ roots redeem accepts


def test_stale_or_unknown_registry_root(ledger, seconds):
    buy(ledger)
    GOVERNANCE.add(ledger, OP_A, 0x1234, 7000)
    refused(ledger, StaleRegistryRoot, "registry root is neither current nor replaced less than 3600 s ago",
            redeem_under, ledger, random_field_element())
    own = MerkleTree(ledger.registry.depth)
    own.append(registry_leaf(0xFA4E, 0x1234, 7000))  # a registry of the attacker's own making
    refused(ledger, StaleRegistryRoot, "neither current", redeem_under, ledger, own.root)
    redeem_under(ledger, ledger.registry.root())


def test_replaced_root_accepted_for_a_time_not_a_number_of_changes(ledger, seconds):
    buy(ledger)
    GOVERNANCE.add(ledger, OP_A, 0x1234, 7000)
    old = ledger.registry.root()
    seconds.t += 10
    GOVERNANCE.rotate(ledger, OP_A, 0x5678)
    for k in range(40):  # many more changes than any count-bounded history would keep
        GOVERNANCE.add(ledger, OP_B, 0xB0 + k, 7000)
        GOVERNANCE.remove(ledger, OP_B)
    seconds.t += REGISTRY_ROOT_WINDOW - 1
    redeem_under(ledger, old)  # replaced 3599 s ago: still accepted (a proof in flight)
    seconds.t += 1
    refused(ledger, StaleRegistryRoot, "neither current", redeem_under, ledger, old)


def test_a_quiet_registry_still_expires_old_roots(ledger, seconds):
    """No change follows the rotation: a count-bounded history would keep the old root forever."""
    buy(ledger)
    GOVERNANCE.add(ledger, OP_A, 0x1234, 7000)
    old = ledger.registry.root()
    GOVERNANCE.rotate(ledger, OP_A, 0x5678)
    seconds.t += REGISTRY_ROOT_WINDOW
    refused(ledger, StaleRegistryRoot, "neither current", redeem_under, ledger, old)
    seconds.t += 10 ** 6
    redeem_under(ledger, ledger.registry.root(), payout=0x5678)  # the current root never expires


# ------------------------------------------------------------------------------ with real proofs

DEPTH = 4


@pytest.fixture(scope="module")
def system():
    return CreditsSystem.shared(DEPTH)


@pytest.fixture
def proving_ledger(tmp_path, system, seconds):
    class Clock:
        epoch = EPOCH

        def __call__(self):
            return self.epoch

    return Ledger(tmp_path / "proving.db", system, governance=GOVERNANCE.public_key, now=Clock(), seconds=seconds,
                  depth=DEPTH)


def raw_assignment(ledger, system, user, operator_address, amount):
    """An assignment proof made without the wallet's registry check (a colluding user's own code),
    submitted: the ledger accepts it, assign does not prove registration (PROTOCOL.md §5.2)."""
    user.purchase(ledger, system, Payment(f"tx{next(_ids)}", "0x", 100))
    user.sync(ledger)
    owned = user.notes()[0]
    tree = MerkleTree(DEPTH)
    tree.extend(ledger.leaves("note"))
    assignment = Assignment.new(GROUP, operator_address, amount, owned.note.epoch)
    change = Note.new(user.owner, owned.note.amount - amount, owned.note.epoch)
    proof, statement = system.prove("assign", assign_inputs(user.sk, [(owned.note, tree.proof(owned.leaf))], tree.root,
                                                            assignment, change, ledger.now()))
    leaf, _ = ledger.assign(proof, statement, 0, 0)
    return assignment, leaf


def redeem_values(ledger, osk, assignment, leaf, amount, payout, share_bps, registry: MerkleTree, slot):
    tree = MerkleTree(DEPTH)
    tree.extend(ledger.leaves(ASSIGN_TREE))
    change = Assignment.new(assignment.group, assignment.operator, assignment.amount - amount, assignment.epoch)
    return redeem_inputs(osk, assignment, tree.proof(leaf), tree.root, amount, payout, ledger.now(), change,
                         share_bps, registry.proof(slot), registry.root)


def test_fake_operator_cash_out_refused(proving_ledger, system, user, operator, tmp_path):
    """A holder who wants cash makes an operator key of its own and assigns to it."""
    ledger = proving_ledger
    GOVERNANCE.add(ledger, operator.operator, 0xAAAA, 7000)  # a real operator exists
    fake = Wallet(tmp_path / "fake.db", **TEST_WALLET)
    with pytest.raises(NotRegistered, match="not in the ledger's registry"):  # the wallet refuses to assign
        user.assign(ledger, system, GROUP, fake.operator, 60)
    assignment, leaf = raw_assignment(ledger, system, user, fake.operator, 60)
    fake.import_assignment(export_assignment(assignment))
    with pytest.raises(NotRegistered):  # its wallet refuses to redeem
        fake.redeem(ledger, system, 60, 0xFA4E)
    # No proof can be made against the ledger's registry, with its own payout or the real operator's.
    registry = ledger.registry.tree()
    for payout, share in ((0xFA4E, 7000), (0xAAAA, 7000)):
        with pytest.raises(WitnessError, match="registered operator"):
            system.prove("redeem", redeem_values(ledger, fake.osk, assignment, leaf, 60, payout, share, registry, 0))
    # A proof under a registry of its own making verifies, and the ledger refuses its root.
    own = MerkleTree(ledger.registry.depth)
    slot = own.append(registry_leaf(fake.operator, 0xFA4E, 7000))
    proof, statement = system.prove("redeem", redeem_values(ledger, fake.osk, assignment, leaf, 60, 0xFA4E, 7000,
                                                            own, slot))
    refused(ledger, StaleRegistryRoot, "neither current", ledger.redeem, proof, statement)
    assert ledger.payout_balance(0xFA4E) == 0
    ledger.check_invariants()


def test_payout_not_registered_to_the_operator(proving_ledger, system, user, operator):
    ledger = proving_ledger
    GOVERNANCE.add(ledger, operator.operator, 0xAAAA, 6000)
    GOVERNANCE.add(ledger, 0xB2, 0xBBBB, 7000)  # another operator's payout and share
    assignment, leaf = raw_assignment(ledger, system, user, operator.operator, 60)
    operator.import_assignment(export_assignment(assignment))
    with pytest.raises(WalletError, match="not the payout registered to this operator"):
        operator.redeem(ledger, system, 60, 0xBBBB)
    registry = ledger.registry.tree()
    for payout, share in ((0xBBBB, 6000), (0xBBBB, 7000), (0xAAAA, 7000)):  # wrong payout; wrong share
        with pytest.raises(WitnessError, match="registered operator"):
            system.prove("redeem", redeem_values(ledger, operator.osk, assignment, leaf, 60, payout, share, registry, 0))
    proof, statement = system.prove("redeem", redeem_values(ledger, operator.osk, assignment, leaf, 60, 0xAAAA, 6000,
                                                            registry, 0))
    # The registered payout and share are public: no one can redirect the payment or raise the share.
    for changed in ({"payout": 0xBBBB}, {"share_bps": 7000}):
        refused(ledger, InvalidProof, "does not verify", ledger.redeem, proof,
                RedeemPublic(**{**statement.__dict__, **changed}))
    ledger.redeem(proof, statement)
    assert (ledger.payout_balance(0xAAAA), ledger.network_fund) == (36, 24)


def test_per_operator_shares(proving_ledger, system, user, operator, tmp_path):
    ledger = proving_ledger
    other = Wallet(tmp_path / "other.db", **TEST_WALLET)
    GOVERNANCE.add(ledger, operator.operator, 0xAAAA, 7000)
    GOVERNANCE.add(ledger, other.operator, 0xBBBB, 6000)
    user.purchase(ledger, system, Payment("tx-a", "0x", 100))
    user.purchase(ledger, system, Payment("tx-b", "0x", 100))
    for wallet in (operator, other):
        wallet.import_assignment(export_assignment(user.assign(ledger, system, GROUP, wallet.operator, 100)))
    assert operator.redeem(ledger, system, 100)["operator_share"] == 70
    assert other.redeem(ledger, system, 100)["operator_share"] == 60
    assert ledger.payout_balances() == {0xAAAA: 70, 0xBBBB: 60} and ledger.network_fund == 70
    ledger.check_invariants()


def test_removed_operator(proving_ledger, system, user, operator, seconds):
    """Removal: proofs made before it are accepted for REGISTRY_ROOT_WINDOW seconds (the window
    every replaced root gets), none after; no new proof can be made; the assignment's credits
    stay in their month's bucket and go to the network fund when the month is swept."""
    ledger = proving_ledger
    GOVERNANCE.add(ledger, operator.operator, 0xAAAA, 7000)
    user.purchase(ledger, system, Payment("tx-r", "0x", 100))
    for _ in range(2):
        operator.import_assignment(export_assignment(user.assign(ledger, system, GROUP, operator.operator, 40)))
    operator.redeem(ledger, system, 30)
    operator.sync(ledger)
    small, big = operator.assignments()  # 10 left of the first, 40 of the second
    registry = ledger.registry.tree()
    before = [system.prove("redeem", redeem_values(ledger, operator.osk, held.assignment, held.leaf, amount, 0xAAAA,
                                                   7000, registry, 0)) for held, amount in ((small, 10), (big, 20))]
    seconds.t += 100
    GOVERNANCE.remove(ledger, operator.operator)
    with pytest.raises(NotRegistered):
        operator.redeem(ledger, system, 10)
    with pytest.raises(WitnessError, match="registered operator"):  # against the new registry: no proof
        system.prove("redeem", redeem_values(ledger, operator.osk, big.assignment, big.leaf, 10, 0xAAAA, 7000,
                                             ledger.registry.tree(), 0))
    seconds.t += REGISTRY_ROOT_WINDOW - 1
    ledger.redeem(*before[0])  # within the window: a proof made before the removal still lands
    seconds.t += 1
    refused(ledger, StaleRegistryRoot, "neither current", ledger.redeem, *before[1])
    assert ledger.payout_balance(0xAAAA) == 21 + 7
    # The operator's unredeemable 40 (and the user's 20 of change) stay in the open bucket until
    # their month expires, then go to the network fund.
    fund = ledger.network_fund
    ledger.now.epoch = EPOCH + 12
    assert ledger.sweep_expired() == [(EPOCH, 60)]
    assert ledger.network_fund == fund + 60
    ledger.check_invariants()


def test_payout_rotation(proving_ledger, system, user, operator, seconds):
    """Governance rotates the payout (the operator asks it to): proofs to the old payout land only
    within the window, new redemptions go to the new payout."""
    ledger = proving_ledger
    GOVERNANCE.add(ledger, operator.operator, 0xAAAA, 7000)
    user.purchase(ledger, system, Payment("tx-p", "0x", 100))
    operator.import_assignment(export_assignment(user.assign(ledger, system, GROUP, operator.operator, 80)))
    operator.sync(ledger)
    held = operator.assignments()[0]
    old_proof = system.prove("redeem", redeem_values(ledger, operator.osk, held.assignment, held.leaf, 10, 0xAAAA, 7000,
                                                     ledger.registry.tree(), 0))
    GOVERNANCE.rotate(ledger, operator.operator, 0xCCCC)
    with pytest.raises(WalletError, match="not the payout registered"):
        operator.redeem(ledger, system, 10, 0xAAAA)
    seconds.t += REGISTRY_ROOT_WINDOW
    refused(ledger, StaleRegistryRoot, "neither current", ledger.redeem, *old_proof)
    assert operator.redeem(ledger, system, 10)["operator_share"] == 7  # to the new payout
    assert ledger.payout_balances() == {0xCCCC: 7}
    ledger.check_invariants()


def test_registry_events_are_public(proving_ledger):
    ledger = proving_ledger
    GOVERNANCE.add(ledger, 0xA1, 0xAAAA, 7000)
    GOVERNANCE.rotate(ledger, 0xA1, 0xBBBB)
    events = [data for _, op, _, data in ledger.events() if op == "registry"]
    assert [(e["op"], e["payout"]) for e in events] == [("add", str(0xAAAA)), ("rotate", str(0xBBBB))]
    with pytest.raises(LedgerError):
        GOVERNANCE.rotate(ledger, 0xA1, 0xBBBB)


# ------------------------------------------------------------------------------ against a model

_operators = st.sampled_from([0xA1, 0xA2, 0xA3, 0xA4, 0xA5])
_payouts = st.sampled_from([0x11, 0x12, 0x13, 0x14, 0x15, 0x16])
_shares = st.sampled_from([0, 6000, 7000, 7001])
_steps = st.lists(st.one_of(
    st.tuples(st.just("add"), _operators, _payouts, _shares),
    st.tuples(st.just("rotate"), _operators, _payouts, st.none()),
    st.tuples(st.just("share"), _operators, st.none(), _shares),
    st.tuples(st.just("remove"), _operators, st.none(), st.none()),
    st.tuples(st.just("wait"), st.integers(0, 2 * REGISTRY_ROOT_WINDOW), st.none(), st.none()),
), max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_steps)
def test_registry_against_a_model(steps):
    """Random governance changes and waits: the ledger's entries, tree and accepted roots are the
    model's (slots reused lowest first, one payout per operator, shares <= 7000, 4 slots at depth 2,
    a replaced root accepted for less than REGISTRY_ROOT_WINDOW seconds)."""
    seconds = Seconds()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "l.db", AcceptAll(), governance=GOVERNANCE.public_key, now=lambda: EPOCH,
                        seconds=seconds, depth=2)
        entries: dict[int, tuple[int, int, int]] = {}  # operator -> (payout, share, slot)
        history = [[ledger.registry.root(), None]]  # [root, replaced at]
        for op, operator, payout, share in steps:
            if op == "wait":
                seconds.t += operator
            else:
                current = entries.get(operator)
                payouts = {p for p, _, _ in entries.values()}
                if op == "add":
                    ok = current is None and payout not in payouts and share <= 7000 and len(entries) < 4
                else:
                    ok = current is not None and (op != "rotate" or payout not in payouts) and (
                        op != "share" or share <= 7000)
                change = RegistryChange(op, operator, ledger.registry.next_seq(), payout, share)
                if not ok:
                    with pytest.raises(RegistryError):
                        ledger.registry.apply(change, signed(change, ledger))
                else:
                    ledger.registry.apply(change, signed(change, ledger))
                    if op == "add":
                        used = {slot for _, _, slot in entries.values()}
                        entries[operator] = (payout, share, min(set(range(5)) - used))
                    elif op == "rotate":
                        entries[operator] = (payout, *current[1:])
                    elif op == "share":
                        entries[operator] = (current[0], share, current[2])
                    else:
                        del entries[operator]
                    history[-1][1] = seconds.t
                    tree = MerkleTree(ledger.registry.depth)
                    slots = {slot: registry_leaf(o, p, s) for o, (p, s, slot) in entries.items()}
                    tree.extend([slots.get(i, 0) for i in range(max(slots, default=-1) + 1)])
                    history.append([tree.root, None])
            assert {e.operator: (e.payout, e.share_bps, e.index) for e in ledger.registry.entries()} == entries
            assert ledger.registry.root() == history[-1][0]
            for root, _ in history:
                accepted = any(r == root and (until is None or until > seconds.t - REGISTRY_ROOT_WINDOW)
                               for r, until in history)
                try:
                    ledger.registry.require_root(ledger._connect(), root)
                    assert accepted, "a stale registry root was accepted"
                except StaleRegistryRoot:
                    assert not accepted, "a registry root within the window was refused"
        ledger.check_invariants()
