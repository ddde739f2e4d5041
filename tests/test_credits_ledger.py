"""The ledger with real Groth16 proofs (tree depth 4): the whole story, and each attack of
docs/PROTOCOL.md §6/§8 as a test that must fail to succeed, leaving the ledger unchanged."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from circuits.app.ledger import (
    ASSIGN_TREE, NOTE_TREE, NETWORK_FUND, BadPublicInput, InvalidProof, Ledger, NullifierSpent, Payment,
    PaymentMismatch, RelayerFeeTooHigh, UnknownRoot, WrongEpoch, relayer_account,
)
from circuits.protocol import (
    Assignment, AssignPublic, Note, PurchasePublic, RedeemPublic, assignment_commitment, external_hash, operator_address,
    owner_address, random_field_element,
)
from circuits.app.system import CreditsSystem
from governance import GOVERNANCE, register
from wallet_options import TEST_WALLET, operator, user  # noqa: F401 (fixtures)
from circuits.app.wallet import Wallet, export_assignment
from circuits.witness import assign_inputs, purchase_inputs, redeem_inputs
from refusal import names_check
from zk.gadgets import MerkleTree
from zk.r1cs import WitnessError
from zk.r1cs.field import R

DEPTH = 4
EPOCH = 24322
GROUP = 0x6A0


class Clock:
    def __init__(self, epoch=EPOCH):
        self.epoch = epoch

    def __call__(self):
        return self.epoch


@pytest.fixture(scope="module")
def system():
    return CreditsSystem.shared(DEPTH)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ledger(tmp_path, system, clock):
    return Ledger(tmp_path / "ledger.db", system, governance=GOVERNANCE.public_key, now=clock, depth=DEPTH)


_payments = iter(range(10 ** 9))


def pay(amount: int) -> Payment:
    return Payment(f"tx{next(_payments)}", "0xfresh", amount)


def snapshot(ledger: Ledger) -> list[str]:
    conn = sqlite3.connect(ledger.path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def refused(ledger, error, call, *args, match: str | None = None):
    """`call(*args)` raises `error` (with a message matching `match`, where one error class has
    several causes) and leaves the ledger exactly as it was."""
    before = snapshot(ledger)
    with pytest.raises(error, match=match):
        call(*args)
    assert snapshot(ledger) == before


def given_assignment(ledger, system, user, operator, amount=80, bought=100):
    if ledger.registry.entry(operator.operator) is None:
        register(ledger, operator.operator, 0x10000 + operator.operator % 1000)
    user.purchase(ledger, system, pay(bought))
    assignment = user.assign(ledger, system, GROUP, operator.operator, amount)
    operator.import_assignment(export_assignment(assignment))
    operator.sync(ledger)
    return assignment


def registry_path(ledger, operator):
    """(entry, its path, the registry root) from the ledger's public registry leaves."""
    entry = ledger.registry.entry(operator)
    tree = ledger.registry.tree()
    return entry, tree.proof(entry.index), tree.root


def redeem_proof(ledger, system, operator, amount, payout):
    """A redeem proof for the operator's first assignment (valid if amount <= assigned), not
    submitted; the operator is registered with `payout` first (as governance would)."""
    register(ledger, operator.operator, payout)
    operator.sync(ledger)
    owned = operator.assignments()[0]
    tree = MerkleTree(DEPTH)
    tree.extend(ledger.leaves(ASSIGN_TREE))
    a = owned.assignment
    change = Assignment.new(a.group, a.operator, 0, a.epoch)
    entry, path, root = registry_path(ledger, operator.operator)
    inputs = redeem_inputs(operator.osk, a, tree.proof(owned.leaf), tree.root, amount, payout, ledger.now(), change,
                           entry.share_bps, path, root)
    # The change commitment the circuit expects, even when assigned - amount wraps around r.
    inputs["change_cm"] = assignment_commitment(a.group, a.operator, (a.amount - amount) % R, a.epoch, change.rho)
    return system.prove("redeem", inputs)


def assign_proof(ledger, system, user, amount, relayer=0, fee=0, root=None, tree=None):
    """A valid assign proof spending the user's first note, not yet submitted."""
    user.sync(ledger)
    owned = user.notes()[0]
    if tree is None:
        tree = MerkleTree(DEPTH)
        tree.extend(ledger.leaves(NOTE_TREE))
    note = owned.note
    assignment = Assignment.new(GROUP, operator_address(7), amount, note.epoch)  # the wallet's checks bypassed
    change = Note.new(user.owner, note.amount - amount, note.epoch)
    return system.prove("assign", assign_inputs(user.sk, [(note, tree.proof(owned.leaf))], tree.root, assignment,
                                                change, ledger.now(), relayer, fee))


# ------------------------------------------------------------------------------ the story


def test_whole_story(ledger, system, clock, user, operator):
    payout = 0x1111111111111111111111111111111111111111
    GOVERNANCE.add(ledger, operator.operator, payout, 7000)
    user.purchase(ledger, system, pay(100))
    user.purchase(ledger, system, pay(50))
    assert user.balance(EPOCH) == 150
    clock.epoch += 1
    assignment = user.assign(ledger, system, GROUP, operator.operator, 120, relayer=0xBEEF)  # both notes
    assert user.balance(clock.epoch) == 30 and len(user.notes("spent")) == 2

    assert operator.import_assignment(export_assignment(assignment)) == assignment
    operator.sync(ledger)
    assert operator.redeemable(clock.epoch) == 120
    clock.epoch += 1
    receipt = operator.redeem(ledger, system, 100, payout)
    assert (receipt["operator_share"], receipt["network_share"]) == (70, 30)
    receipt = operator.redeem(ledger, system, 20, payout)  # from the change assignment
    assert operator.redeemable(clock.epoch) == 0
    assert ledger.payout_balance(payout) == 84 and ledger.network_fund == 36
    ledger.check_invariants()

    clock.epoch = EPOCH + 11
    assert ledger.sweep_expired() == []
    clock.epoch = EPOCH + 12
    assert ledger.sweep_expired() == [(EPOCH, 30)]
    assert ledger.network_fund == 66
    ledger.check_invariants()
    assert [op for _, op, _, _ in ledger.events()] == ["registry", "purchase", "purchase", "assign", "redeem", "redeem",
                                                       "sweep"]
    # The user's change expired with its month.
    assert user.balance(clock.epoch) == 0


# ------------------------------------------------------------------------------ purchase attacks


def test_purchase_attacks(ledger, system, clock, user):
    note = Note.new(user.owner, 100, EPOCH)
    proof, st = system.prove("purchase", purchase_inputs(note))
    refused(ledger, PaymentMismatch, ledger.purchase, pay(99), proof, st.note_cm, 100, EPOCH,  # underpaid
            match="the payment carries 99, the proof claims 100")
    # A free note: the circuit proves amount 0 (a valid proof), only the ledger's rule refuses it.
    free = Note.new(user.owner, 0, EPOCH)
    free_proof, free_st = system.prove("purchase", purchase_inputs(free))
    assert system.verify("purchase", free_st.as_list(), free_proof)
    refused(ledger, PaymentMismatch, ledger.purchase, pay(0), free_proof, free_st.note_cm, 0, EPOCH,
            match="needs a payment of a positive amount")
    refused(ledger, InvalidProof, ledger.purchase, pay(1000), proof, st.note_cm, 1000, EPOCH,  # inflated
            match="does not verify")
    clock.epoch += 1  # a current month, so that only the proof (made for EPOCH) is wrong
    refused(ledger, InvalidProof, ledger.purchase, pay(100), proof, st.note_cm, 100, EPOCH + 1, match="does not verify")
    refused(ledger, WrongEpoch, ledger.purchase, pay(100), proof, st.note_cm, 100, EPOCH,  # stale month
            match=f"purchase for epoch {EPOCH} submitted in epoch {EPOCH + 1}")
    clock.epoch -= 1
    refused(ledger, BadPublicInput, ledger.purchase, pay(100), proof, st.note_cm + R, 100, EPOCH,
            match="public input 0 = .* is not a field element")
    payment = pay(100)
    ledger.purchase(payment, proof, st.note_cm, 100, EPOCH)
    # Replaying the proof with a fresh payment would mint a twin of the note: refused.
    refused(ledger, BadPublicInput, ledger.purchase, pay(100), proof, st.note_cm, 100, EPOCH,
            match="already in the note tree")
    # One payment pays for one purchase.
    other = Note.new(user.owner, 100, EPOCH)
    proof2, st2 = system.prove("purchase", purchase_inputs(other))
    refused(ledger, PaymentMismatch, ledger.purchase, payment, proof2, st2.note_cm, 100, EPOCH,
            match="already paid for a purchase")
    ledger.check_invariants()


# ------------------------------------------------------------------------------ assign attacks


def test_assign_double_spend_and_replay(ledger, system, user):
    user.purchase(ledger, system, pay(100))
    proof, st = assign_proof(ledger, system, user, 60)
    proof2, st2 = assign_proof(ledger, system, user, 30)  # the same note, another assignment
    assert st.nf_1 == st2.nf_1 and st.assign_cm != st2.assign_cm
    ledger.assign(proof, st, 0, 0)
    refused(ledger, NullifierSpent, ledger.assign, proof2, st2, 0, 0, match="note nullifier")  # double spend
    refused(ledger, NullifierSpent, ledger.assign, proof, st, 0, 0, match="note nullifier")  # replay
    # The same nullifier spelled nf + r is not a field element.
    shifted = AssignPublic(**{**st2.__dict__, "nf_1": st2.nf_1 + R})
    refused(ledger, BadPublicInput, ledger.assign, proof2, shifted, 0, 0, match="public input 1 = .* not a field element")
    ledger.check_invariants()


def test_assign_under_unknown_root(ledger, system, user):
    user.purchase(ledger, system, pay(100))
    # A tree of the attacker's own containing the real note and a forged one.
    fake = MerkleTree(DEPTH)
    fake.extend(ledger.leaves(NOTE_TREE))
    fake.append(Note.new(user.owner, 10 ** 6, EPOCH).commitment)
    proof, st = assign_proof(ledger, system, user, 60, tree=fake)
    refused(ledger, UnknownRoot, ledger.assign, proof, st, 0, 0, match="note root is not among")


def test_assign_note_not_in_tree_gets_no_proof(ledger, system, user):
    user.purchase(ledger, system, pay(100))
    tree = MerkleTree(DEPTH)
    tree.extend(ledger.leaves(NOTE_TREE))
    forged = Note.new(user.owner, 10 ** 6, EPOCH)
    real_path = tree.proof(0)
    with pytest.raises(WitnessError) as refusal:
        system.prove("assign", assign_inputs(user.sk, [(forged, real_path)], ledger.root(NOTE_TREE),
                                             Assignment.new(GROUP, 1, 10 ** 6, EPOCH), Note.new(user.owner, 0, EPOCH),
                                             EPOCH))
    names_check(refusal.value, "api.assert_equal(roots[0], self.note_root)")


def test_assign_bound_to_relayer_and_fee(ledger, system, user):
    user.purchase(ledger, system, pay(100))
    proof, st = assign_proof(ledger, system, user, 60, relayer=0xAAAA, fee=0)
    unbound = "external_hash does not match"
    refused(ledger, BadPublicInput, ledger.assign, proof, st, 0xBBBB, 0, match=unbound)  # re-targeted relayer
    refused(ledger, BadPublicInput, ledger.assign, proof, st, 0xAAAA, 1, match=unbound)
    retargeted = AssignPublic(**{**st.__dict__, "external_hash": external_hash(0xBBBB, 0)})
    refused(ledger, InvalidProof, ledger.assign, proof, retargeted, 0xBBBB, 0, match="does not verify")
    ledger.assign(proof, st, 0xAAAA, 0)


def test_relayer_paid_by_the_network_fund(tmp_path, system, clock, user, operator):
    """§6.1: the fee goes from the network fund to the relayer's address, at most the ledger's
    maximum and at most what the fund holds; the user's credits are untouched."""
    ledger = Ledger(tmp_path / "fees.db", system, governance=GOVERNANCE.public_key, now=clock, depth=DEPTH,
                    max_relayer_fee=5)
    relayer = 0x2E1A4E20000000000000000000000000000000AA
    user.purchase(ledger, system, pay(100))
    proof, st = assign_proof(ledger, system, user, 60, relayer=relayer, fee=5)
    refused(ledger, RelayerFeeTooHigh, ledger.assign, proof, st, relayer, 5, match="network fund holds")  # empty fund
    given_assignment(ledger, system, user, operator, amount=10, bought=100)
    operator.redeem(ledger, system, 10)  # the fund receives 3
    proof, st = assign_proof(ledger, system, user, 60, relayer=relayer, fee=3)
    too_much, too_much_st = assign_proof(ledger, system, user, 60, relayer=relayer, fee=6)
    refused(ledger, RelayerFeeTooHigh, ledger.assign, too_much, too_much_st, relayer, 6, match="maximum 5")
    ledger.assign(proof, st, relayer, 3)
    assert ledger.balance(relayer_account(relayer)) == 3 and ledger.balance(NETWORK_FUND) == 0
    assert ledger.totals()["relayer_fees"] == 3
    ledger.check_invariants()


def test_assign_expired_note(ledger, system, clock, user, operator):
    register(ledger, operator.operator, 0x4444)
    user.purchase(ledger, system, pay(100))
    clock.epoch = EPOCH + 11
    proof, st = assign_proof(ledger, system, user, 60)  # last usable month
    clock.epoch = EPOCH + 12
    refused(ledger, WrongEpoch, ledger.assign, proof, st, 0, 0,
            match=f"the proof is for epoch {EPOCH + 11}, the ledger is in epoch {EPOCH + 12}")
    before = user.notes()
    with pytest.raises(WitnessError) as refusal:  # no proof can be made once the note expired
        user.assign(ledger, system, GROUP, operator.operator, 60, notes=before)
    names_check(refusal.value, "api.less_or_equal(now, api.add(epoch, LIFETIME - 1)")
    assert user.notes() == before and user.assignments("pending", "given") == []


# ------------------------------------------------------------------------------ redeem attacks


def test_redeem_front_running_and_replay(ledger, system, user, operator):
    given_assignment(ledger, system, user, operator, amount=80)
    payout = 0x2222
    proof, st = redeem_proof(ledger, system, operator, 50, payout)
    thief = RedeemPublic(**{**st.__dict__, "payout": 0x6666})
    refused(ledger, InvalidProof, ledger.redeem, proof, thief, match="does not verify")
    more = RedeemPublic(**{**st.__dict__, "amount": 80})
    refused(ledger, InvalidProof, ledger.redeem, proof, more, match="does not verify")
    refused(ledger, BadPublicInput, ledger.redeem, proof, RedeemPublic(**{**st.__dict__, "nf": st.nf + R}),
            match="public input 2 = .* not a field element")
    # (The proof is not for this payout either; test_credits_ledger_rules.py breaks only the width rule.)
    refused(ledger, BadPublicInput, ledger.redeem, proof, RedeemPublic(**{**st.__dict__, "payout": 1 << 160}),
            match="payout must be a 160-bit chain address")
    ledger.redeem(proof, st)
    refused(ledger, NullifierSpent, ledger.redeem, proof, st, match="assign nullifier")  # replay
    assert ledger.payout_balance(payout) == 35 and ledger.payout_balance(0x6666) == 0
    ledger.check_invariants()


def test_redeem_more_than_assigned_gets_no_proof(ledger, system, user, operator):
    given_assignment(ledger, system, user, operator, amount=80)
    with pytest.raises(WitnessError) as refusal:
        redeem_proof(ledger, system, operator, 81, 0x3333)
    names_check(refusal.value, "range remaining")


def test_redeem_expired_assignment(ledger, system, clock, user, operator):
    given_assignment(ledger, system, user, operator, amount=80)
    clock.epoch = EPOCH + 11
    proof, st = redeem_proof(ledger, system, operator, 80, 0x4444)
    clock.epoch = EPOCH + 12
    refused(ledger, WrongEpoch, ledger.redeem, proof, st,
            match=f"the proof is for epoch {EPOCH + 11}, the ledger is in epoch {EPOCH + 12}")
    with pytest.raises(WitnessError) as refusal:
        redeem_proof(ledger, system, operator, 80, 0x4444)
    names_check(refusal.value, "api.less_or_equal(now, api.add(epoch, LIFETIME - 1)")


def test_proof_for_another_circuit(ledger, system, user, operator):
    given_assignment(ledger, system, user, operator, amount=80)
    redeem_pf, redeem_st = redeem_proof(ledger, system, operator, 10, 0x5555)
    user.purchase(ledger, system, pay(40))
    assign_pf, assign_st = assign_proof(ledger, system, user, 10)
    padded = AssignPublic.from_list(redeem_st.as_list()[:6] + [external_hash(0, 0)])
    refused(ledger, InvalidProof, ledger.assign, redeem_pf, padded, 0, 0)
    values = assign_st.as_list()
    refused(ledger, InvalidProof, ledger.redeem, assign_pf, RedeemPublic.from_list(values[:4] + [10, 0x5555, 7000, values[5]]))
    note = Note.new(user.owner, 5, EPOCH)
    purchase_pf, _ = system.prove("purchase", purchase_inputs(note))
    refused(ledger, InvalidProof, ledger.redeem, purchase_pf, redeem_st)
    refused(ledger, InvalidProof, ledger.purchase, pay(10), redeem_pf, note.commitment, 10, EPOCH)
    ledger.redeem(redeem_pf, redeem_st)
    ledger.assign(assign_pf, assign_st, 0, 0)


# ------------------------------------------------------------------------------ concurrency


def test_concurrent_submissions_of_one_nullifier(ledger, system, user, operator):
    given_assignment(ledger, system, user, operator, amount=80)
    proofs = [redeem_proof(ledger, system, operator, 80, 0x7777) for _ in range(2)]  # two proofs, one nf
    user.purchase(ledger, system, pay(100))
    assigns = [assign_proof(ledger, system, user, 10 * (k + 1)) for k in range(2)]
    assert proofs[0][1].nf == proofs[1][1].nf and assigns[0][1].nf_1 == assigns[1][1].nf_1
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def submit(k):
        barrier.wait()
        try:
            if k % 2:
                ledger.redeem(*proofs[k % 4 // 2])
            else:
                ledger.assign(*assigns[k % 4 // 2], 0, 0)
            outcome = "ok"
        except NullifierSpent:
            outcome = "spent"
        with lock:
            results.append(f"{k % 2}:{outcome}")

    threads = [threading.Thread(target=submit, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["0:ok"] + ["0:spent"] * 3 + ["1:ok"] + ["1:spent"] * 3
    assert ledger.payout_balance(0x7777) == 56
    ledger.check_invariants()


# ------------------------------------------------------------------------------ crash safety


@pytest.mark.parametrize("point", ["purchase:appended", "assign:nullifier", "assign:appended",
                                   "redeem:appended", "redeem:paid"])
def test_failure_mid_operation_changes_nothing(tmp_path, system, clock, user, operator, point):
    class Crash(RuntimeError):
        pass

    armed = {"on": False}

    def fault(where):
        if armed["on"] and where == point:
            raise Crash(where)

    ledger = Ledger(tmp_path / "ledger.db", system, governance=GOVERNANCE.public_key, now=clock, depth=DEPTH,
                    fault=fault)
    register(ledger, operator.operator, 0x8888)
    given_assignment(ledger, system, user, operator, amount=80)
    user.purchase(ledger, system, pay(100))
    armed["on"] = True
    before = snapshot(ledger)
    user_notes = user.notes()
    with pytest.raises(Crash):
        if point.startswith("purchase"):
            user.purchase(ledger, system, pay(30))
        elif point.startswith("assign"):
            user.assign(ledger, system, GROUP, operator.operator, 10)
        else:
            operator.redeem(ledger, system, 40, 0x8888)
    assert snapshot(ledger) == before
    ledger.check_invariants()
    # The wallets marked nothing spent (what they created stays pending: they cannot tell whether the
    # ledger applied it); sync finds nothing landed, and the same operation then goes through.
    user.sync(ledger)
    operator.sync(ledger)
    assert user.notes() == user_notes
    armed["on"] = False
    if point.startswith("assign"):
        user.assign(ledger, system, GROUP, operator.operator, 10)
    elif point.startswith("redeem"):
        operator.redeem(ledger, system, 40, 0x8888)
    ledger.check_invariants()


# ------------------------------------------------------------------------------ unlinkability


def test_transcripts_share_no_field_element(ledger, system, clock, user, operator):
    """The public inputs of a purchase, the assignment spending its note and the redemption of
    that assignment have no element in common (amounts and months differ here: those are the
    known value and timing leaks of §8, which wallets mitigate with denominations and delays)."""
    register(ledger, operator.operator, 0xABCDEF)
    user.purchase(ledger, system, pay(100))
    clock.epoch += 1
    assignment = user.assign(ledger, system, GROUP, operator.operator, 60, relayer=0x99)
    operator.import_assignment(export_assignment(assignment))
    clock.epoch += 1
    operator.redeem(ledger, system, 25, 0xABCDEF)
    transcripts = {}
    for _, op, _, data in ledger.events():
        if op == "registry":
            continue  # governance's, public by design
        cls = {"purchase": PurchasePublic, "assign": AssignPublic, "redeem": RedeemPublic}[op]
        transcripts[op] = set(cls.from_json(data).as_list())
    assert len(transcripts) == 3
    assert not transcripts["purchase"] & transcripts["assign"]
    assert not transcripts["purchase"] & transcripts["redeem"]
    assert not transcripts["assign"] & transcripts["redeem"]
    # And the openings behind them are linked only privately: the note, its nullifier, the
    # assignment and its nullifier are four unrelated field elements.
    spent = user.notes("spent")[0]
    assert spent.note.commitment in transcripts["purchase"]
    assert spent.note.nullifier(user.sk, spent.leaf) in transcripts["assign"]
    assert assignment.commitment in transcripts["assign"]
    assert assignment.nullifier(operator.osk, operator.assignments("spent")[0].leaf) in transcripts["redeem"]


def test_assignments_sharing_rho_are_both_redeemable(ledger, system, user, operator, clock, monkeypatch):
    """Faerie gold (issue 11, finding 5): the assigner chooses rho. Two assignments with the same
    rho (90 and 1 credits) used to share a nullifier: redeeming the 1 made the 90 unredeemable.
    Nullifiers are bound to the leaf position, so both redeem."""
    rho = random_field_element()
    register(ledger, operator.operator, 0x1111)
    monkeypatch.setattr(Assignment, "new", classmethod(lambda cls, g, o, a, e: cls(g, o, a, e, rho)))
    user.purchase(ledger, system, pay(100))
    big = user.assign(ledger, system, GROUP, operator.operator, 90)
    small = user.assign(ledger, system, GROUP, operator.operator, 1)
    assert big.rho == small.rho and big.commitment != small.commitment
    monkeypatch.undo()
    for assignment in (big, small):
        operator.import_assignment(export_assignment(assignment))
    operator.sync(ledger)
    held = {a.assignment.amount: a for a in operator.assignments()}
    assert held[1].assignment.nullifier(operator.osk, held[1].leaf) != \
        held[90].assignment.nullifier(operator.osk, held[90].leaf)
    operator.redeem(ledger, system, 1, 0x1111, assignment=held[1])
    operator.redeem(ledger, system, 90, assignment=held[90])
    assert operator.redeemable(ledger.now()) == 0
