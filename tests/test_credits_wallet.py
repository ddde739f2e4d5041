"""Wallets: assignment blobs, note selection, and that a refused or interrupted operation never
corrupts the wallet (inputs are marked spent only after the ledger accepted)."""
from __future__ import annotations

import json

import pytest

from circuits.app.ledger import Ledger, Payment, WrongEpoch
from circuits.protocol import Assignment, operator_address
from circuits.app.system import CreditsSystem
from governance import GOVERNANCE
from wallet_options import TEST_WALLET
from circuits.app.wallet import BlobError, InsufficientCredits, Wallet, export_assignment, import_assignment

DEPTH = 4
EPOCH = 24322


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


_ids = iter(range(10 ** 9))


def pay(amount):
    return Payment(f"w{next(_ids)}", "0xfresh", amount)


# ------------------------------------------------------------------------------ blobs


def test_blob_roundtrip_and_tampering():
    a = Assignment.new(5, operator_address(9), 100, EPOCH)
    blob = export_assignment(a)
    assert import_assignment(blob) == a
    data = json.loads(blob)
    assert data["format"] == "zk-credits/assignment" and data["version"] == 1
    tampered = dict(data, assignment=dict(data["assignment"], amount="1000"))
    with pytest.raises(BlobError, match="checksum"):
        import_assignment(json.dumps(tampered))
    with pytest.raises(BlobError, match="version"):
        import_assignment(json.dumps(dict(data, version=2)))
    with pytest.raises(BlobError, match="not an assignment blob"):
        import_assignment("not json")
    with pytest.raises(BlobError, match="not a zk-credits/assignment blob"):
        import_assignment(json.dumps({"format": "something else"}))
    with pytest.raises(BlobError, match="not an assignment"):
        import_assignment(blob[:-10])  # truncated


def test_operator_refuses_someone_elses_assignment(tmp_path):
    operator = Wallet(tmp_path / "op.db", **TEST_WALLET)
    with pytest.raises(BlobError, match="another operator"):
        operator.import_assignment(export_assignment(Assignment.new(5, operator_address(9), 100, EPOCH)))
    assert operator.assignments("pending") == []


def test_keys_persist(tmp_path):
    first = Wallet(tmp_path / "w.db", **TEST_WALLET)
    sk, osk = first.sk, first.osk
    first.close()
    again = Wallet(tmp_path / "w.db", **TEST_WALLET)
    assert (again.sk, again.osk) == (sk, osk)
    assert Wallet(tmp_path / "other.db", **TEST_WALLET).sk != sk


# ------------------------------------------------------------------------------ operations


def test_note_selection(tmp_path, ledger, system, clock):
    user = Wallet(tmp_path / "u.db", **TEST_WALLET)
    user.purchase(ledger, system, pay(10))
    user.purchase(ledger, system, pay(30))
    clock.epoch += 1
    user.purchase(ledger, system, pay(100))
    # Oldest month first; a single note when one covers the amount.
    assert [n.note.amount for n in user.select_notes(25, clock.epoch)] == [30]
    assert [n.note.amount for n in user.select_notes(40, clock.epoch)] == [30, 10]
    assert [n.note.amount for n in user.select_notes(41, clock.epoch)] == [100]
    with pytest.raises(InsufficientCredits, match="no one or two usable notes of one month hold 101"):
        user.select_notes(101, clock.epoch)
    # Credits of two months are never merged into one assignment.
    with pytest.raises(InsufficientCredits, match="no one or two usable notes of one month hold 131"):
        user.select_notes(131, clock.epoch)
    clock.epoch = EPOCH + 12
    assert user.balance(clock.epoch) == 100


def test_refused_assignment_leaves_the_wallet_unchanged(tmp_path, ledger, system, clock):
    user = Wallet(tmp_path / "u.db", **TEST_WALLET)
    GOVERNANCE.add(ledger, operator_address(2), 0x2, 7000)
    user.purchase(ledger, system, pay(100))

    class MonthTurnsWhileProving(Clock):
        """The ledger's month changes between the wallet reading it and the ledger checking it."""
        calls = 0

        def __call__(self):
            self.calls += 1
            return EPOCH if self.calls == 1 else EPOCH + 1

    ledger.now = MonthTurnsWhileProving()
    notes = user.notes()
    with pytest.raises(WrongEpoch):
        user.assign(ledger, system, 1, operator_address(2), 60)
    assert user.notes() == notes  # not marked spent
    assert user.notes("pending") == [] and user.assignments("pending", "given") == []
    ledger.now = clock
    user.assign(ledger, system, 1, operator_address(2), 60)
    assert [n.note.amount for n in user.notes()] == [40]


def test_crash_after_the_ledger_accepted_is_resolved_by_sync(tmp_path, ledger, system):
    """The process dies after the ledger applied the assignment but before the wallet recorded it:
    the wallet still has the change note and the assignment as pending, and sync settles them."""
    user = Wallet(tmp_path / "u.db", **TEST_WALLET)
    operator = Wallet(tmp_path / "op.db", **TEST_WALLET)
    GOVERNANCE.add(ledger, operator.operator, 0x1, 7000)
    user.purchase(ledger, system, pay(100))

    class DiesAfterSubmit(Exception):
        pass

    real_assign = ledger.assign

    def assign_then_die(*args):
        real_assign(*args)
        raise DiesAfterSubmit

    ledger.assign = assign_then_die
    with pytest.raises(DiesAfterSubmit):
        user.assign(ledger, system, 1, operator.operator, 60)
    ledger.assign = real_assign
    assert [n.note.amount for n in user.notes("pending")] == [40]
    assert [n.note.amount for n in user.notes()] == [100]  # not yet known to be spent
    user.sync(ledger)
    assert [n.note.amount for n in user.notes()] == [40]
    assert [n.note.amount for n in user.notes("spent")] == [100]
    given = user.assignments("given", "given")
    assert [a.assignment.amount for a in given] == [60]
    # The group owner can still hand the opening over.
    operator.import_assignment(export_assignment(given[0].assignment))
    operator.sync(ledger)
    assert operator.redeemable(EPOCH) == 60


def test_redeem_spends_only_after_acceptance(tmp_path, ledger, system, clock):
    user = Wallet(tmp_path / "u.db", **TEST_WALLET)
    operator = Wallet(tmp_path / "op.db", **TEST_WALLET)
    GOVERNANCE.add(ledger, operator.operator, 0x1, 7000)
    user.purchase(ledger, system, pay(100))
    operator.import_assignment(export_assignment(user.assign(ledger, system, 1, operator.operator, 60)))
    operator.sync(ledger)
    with pytest.raises(InsufficientCredits, match="no usable assignment holds 61"):
        operator.redeem(ledger, system, 61, 0x1)
    operator.redeem(ledger, system, 60, 0x1)
    assert operator.redeemable(EPOCH) == 0
    assert [a.assignment.amount for a in operator.assignments()] == [0]  # the empty change
    assert ledger.payout_balance(0x1) == 42
