"""Ledger accounting and storage rules that do not depend on proofs (docs/PROTOCOL.md §6-§7):
FIFO expiry accounting (invariant J against a model that knows the true months), sweeps, the
payout split, the root history window, atomicity under a killed process, and concurrent
processes spending one nullifier.

Proof checking is covered with real Groth16 proofs in test_credits_ledger.py; here a verifier
double accepts exactly the proof object `VALID` (and nothing else), so thousands of operations
stay fast.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circuits.app.ledger import (
    ASSIGN_TREE, NOTE_TREE, InvalidProof, Ledger, Payment, UnknownRoot,
)
from circuits.protocol import AssignPublic, RedeemPublic, external_hash, random_field_element
from governance import GOVERNANCE

ROOT = Path(__file__).resolve().parent.parent
EPOCH = 24322
VALID = "valid-proof"


class AcceptValid:
    """Verifier double: a proof is valid iff it is the VALID token (any statement)."""

    def verify(self, circuit, public_inputs, proof):
        return proof == VALID


class Clock:
    def __init__(self, epoch=EPOCH):
        self.epoch = epoch

    def __call__(self):
        return self.epoch


_ids = iter(range(10 ** 9))


def buy(ledger, amount):
    ledger.purchase(Payment(f"p{next(_ids)}", "0xpayer", amount), VALID, random_field_element(), amount, ledger.now())


def redeem(ledger, amount, payout=0x42, share_bps=7000):
    """A redemption the verifier double accepts (the registry's membership proof is the circuit's
    business, test_credits_registry.py); the registry root is the ledger's current one."""
    return ledger.redeem(VALID, RedeemPublic(ledger.root(ASSIGN_TREE), ledger.registry.root(), random_field_element(),
                                             random_field_element(), amount, payout, share_bps, ledger.now()))


def assign(ledger, root=None):
    publics = AssignPublic(ledger.root(NOTE_TREE) if root is None else root, random_field_element(),
                           random_field_element(), random_field_element(), random_field_element(), ledger.now(),
                           external_hash(0, 0))
    return ledger.assign(VALID, publics, 0, 0)


def snapshot(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ledger(tmp_path, clock):
    return Ledger(tmp_path / "ledger.db", AcceptValid(), governance=GOVERNANCE.public_key, now=clock, depth=6)


# ------------------------------------------------------------------------------ payouts, sweeps


def test_only_the_valid_token_passes_the_double(ledger):
    with pytest.raises(InvalidProof, match="does not verify"):
        ledger.purchase(Payment("x", "0x", 5), "forged", 1, 5, EPOCH)


def test_payout_split_rounds_down_for_the_operator(ledger):
    buy(ledger, 1000)
    receipt = redeem(ledger, 7)
    assert (receipt["operator_share"], receipt["network_share"]) == (4, 3)  # floor(4.9)
    ledger.check_invariants()


@pytest.mark.parametrize("share", [0, 5000, 6000, 7000])
def test_share_of_the_redeeming_operator(ledger, share):
    """Each operator's registered share (public in its redeem proof) decides its split."""
    buy(ledger, 10 ** 6)
    redeem(ledger, 10 ** 6, payout=0x77, share_bps=share)
    assert ledger.payout_balance(0x77) == share * 100
    assert ledger.network_fund == 10 ** 6 - share * 100
    ledger.check_invariants()


def test_two_operators_two_shares(ledger):
    buy(ledger, 1000)
    redeem(ledger, 333, payout=0x70, share_bps=7000)
    redeem(ledger, 333, payout=0x60, share_bps=6000)
    assert (ledger.payout_balance(0x70), ledger.payout_balance(0x60)) == (233, 199)  # floors of 233.1, 199.8
    assert ledger.network_fund == 666 - 233 - 199
    ledger.check_invariants()


def test_sweep_waits_twelve_months_and_goes_in_order(ledger, clock):
    buy(ledger, 100)
    clock.epoch += 1
    buy(ledger, 40)
    redeem(ledger, 30)  # FIFO: from the older bucket
    assert [(b.epoch, b.debited) for b in ledger.buckets()] == [(EPOCH, 30), (EPOCH + 1, 0)]
    clock.epoch = EPOCH + 11
    assert ledger.sweep_expired() == []
    clock.epoch = EPOCH + 12
    assert ledger.sweep_expired() == [(EPOCH, 70)]
    assert ledger.sweep_expired() == []
    clock.epoch = EPOCH + 30
    assert ledger.sweep_expired() == [(EPOCH + 1, 40)]
    assert ledger.network_fund == 9 + 70 + 40
    ledger.check_invariants()


# ------------------------------------------------------------------------------ roots


def test_root_history_keeps_the_last_32_roots(ledger):
    buy(ledger, 5)
    old = ledger.root(NOTE_TREE)
    for _ in range(31):  # 31 more roots: `old` is now the oldest of the last 32
        buy(ledger, 5)
    assert old in ledger.recent_roots(NOTE_TREE)
    assign(ledger, root=old)  # accepted; its change note pushes `old` out of the window
    assert old not in ledger.recent_roots(NOTE_TREE)
    before = snapshot(ledger.path)
    with pytest.raises(UnknownRoot, match="note root is not among"):
        assign(ledger, root=old)
    assert snapshot(ledger.path) == before
    with pytest.raises(UnknownRoot, match="note root is not among"):
        assign(ledger, root=ledger.root(ASSIGN_TREE))  # a root of the other tree
    ledger.check_invariants()


def test_stored_trees_are_checked_against_their_leaves(ledger):
    buy(ledger, 5)
    buy(ledger, 6)
    ledger.check_invariants()
    conn = sqlite3.connect(ledger.path)
    conn.execute("UPDATE nodes SET value = '1' WHERE tree = 'note' AND level = 1 AND pos = 0")
    conn.commit()
    conn.close()
    with pytest.raises(AssertionError, match="does not match"):
        ledger.check_invariants()


def test_books_are_checked(ledger):
    buy(ledger, 100)
    redeem(ledger, 10)
    conn = sqlite3.connect(ledger.path)
    conn.execute("UPDATE balances SET amount = '4' WHERE account = 'network'")
    conn.commit()
    conn.close()
    with pytest.raises(AssertionError, match="network fund"):
        ledger.check_invariants()


# ------------------------------------------------------------------------------ FIFO (§7)

ops = st.lists(st.one_of(
    st.tuples(st.just("buy"), st.integers(1, 1000)),
    st.tuples(st.just("redeem"), st.integers(0, 10 ** 6), st.floats(0, 1)),
    st.tuples(st.just("advance"), st.integers(1, 7)),
    st.tuples(st.just("sweep")),
), max_size=28)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_fifo_invariant_J_against_true_months(sequence):
    """Invariant J (§7): for every k, the open buckets from month k on hold at least the credits
    of those months that are still unredeemed. So every valid redemption is paid, and sweeps
    never take what unexpired credits still need."""
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "l.db", AcceptValid(), governance=GOVERNANCE.public_key, now=clock, depth=6)
        unredeemed: dict[int, int] = {}  # U_m: what users of month m really still hold
        for op in sequence:
            now = clock.epoch
            if op[0] == "buy":
                buy(ledger, op[1])
                unredeemed[now] = unredeemed.get(now, 0) + op[1]
            elif op[0] == "redeem":
                months = sorted(m for m, u in unredeemed.items() if u > 0 and m <= now <= m + 11)
                if not months:
                    continue
                month = months[op[1] % len(months)]
                amount = 1 + int(op[2] * (unredeemed[month] - 1))
                redeem(ledger, amount)  # must never be refused for lack of funds
                unredeemed[month] -= amount
            elif op[0] == "advance":
                clock.epoch += op[1]
            else:
                for month, _ in ledger.sweep_expired():
                    assert month + 12 <= now
                    unredeemed[month] = 0  # expired: nobody can redeem them any more
            open_buckets = [b for b in ledger.buckets() if b.open]
            for k in [b.epoch for b in open_buckets]:
                held = sum(b.purchased - b.debited for b in open_buckets if b.epoch >= k)
                owed = sum(unredeemed.get(b.epoch, 0) for b in open_buckets if b.epoch >= k)
                assert held >= owed, f"J fails at k={k}: buckets hold {held}, users hold {owed}"
            for month, u in unredeemed.items():
                if u and not any(b.epoch == month for b in open_buckets):
                    raise AssertionError(f"month {month} still has {u} unredeemed credits but was swept")
        ledger.check_invariants()


# ------------------------------------------------------------------------------ processes

_CHILD = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    from circuits.app.ledger import Ledger, Payment, NullifierSpent, ASSIGN_TREE
    from circuits.protocol import RedeemPublic, random_field_element

    class AcceptValid:
        def verify(self, circuit, public_inputs, proof):
            return proof == "valid-proof"

    def fault(point):
        if point == os.environ.get("CRASH_AT"):
            os._exit(9)  # like kill -9 in the middle of the transaction

    ledger = Ledger({path!r}, AcceptValid(), now=lambda: {epoch}, fault=fault)
    action = sys.argv[1]
    if action == "purchase":
        ledger.purchase(Payment("child", "0x", 10), "valid-proof", random_field_element(), 10, {epoch})
    elif action == "redeem":
        nf = int(sys.argv[2]) if len(sys.argv) > 2 else random_field_element()
        start = float(sys.argv[3]) if len(sys.argv) > 3 else 0
        while time.time() < start:
            pass
        publics = RedeemPublic(ledger.root(ASSIGN_TREE), ledger.registry.root(), nf, random_field_element(), 10, 1,
                               7000, {epoch})
        try:
            ledger.redeem("valid-proof", publics)
            print("ok")
        except NullifierSpent:
            print("spent")
    elif action == "sweep":
        ledger.sweep_expired()
    elif action == "loop":
        i = 0
        while True:
            i += 1
            ledger.purchase(Payment(f"loop{{i}}", "0x", 7), "valid-proof", random_field_element(), 7, {epoch})
            ledger.redeem("valid-proof", RedeemPublic(ledger.root(ASSIGN_TREE), ledger.registry.root(),
                                                      random_field_element(), random_field_element(), 3, 1, 7000,
                                                      {epoch}))
            print(i, flush=True)
""")


def child(path, epoch, *args, env=None, **kw):
    script = _CHILD.format(root=str(ROOT), path=str(path), epoch=epoch)
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.parametrize("action, point", [("purchase", "purchase:appended"), ("redeem", "redeem:paid"),
                                           ("sweep", "sweep:bucket")])
def test_killed_mid_operation_leaves_the_ledger_as_before(tmp_path, action, point):
    clock = Clock(EPOCH)
    path = tmp_path / "ledger.db"
    ledger = Ledger(path, AcceptValid(), governance=GOVERNANCE.public_key, now=clock, depth=20)
    buy(ledger, 100)
    clock.epoch += 1
    buy(ledger, 50)
    epoch = EPOCH + 12 if action == "sweep" else clock.epoch
    before = snapshot(path)
    proc = child(path, epoch, action, env={"CRASH_AT": point})
    proc.communicate(timeout=120)
    assert proc.returncode == 9
    assert snapshot(path) == before
    ledger.check_invariants()
    # Without the crash the same operation completes.
    proc = child(path, epoch, action)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert snapshot(path) != before
    ledger.check_invariants()


def test_sigkill_at_a_random_moment(tmp_path):
    path = tmp_path / "ledger.db"
    ledger = Ledger(path, AcceptValid(), governance=GOVERNANCE.public_key, now=lambda: EPOCH, depth=20)
    buy(ledger, 10 ** 6)
    proc = child(path, EPOCH, "loop")
    # Wait until the loop is running, then kill it wherever it is.
    first = proc.stdout.readline()
    assert first.strip() == "1", proc.stderr.read()
    time.sleep(0.37)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    ledger.check_invariants()
    purchases = sum(1 for _, op, _, _ in ledger.events() if op == "purchase")
    redemptions = sum(1 for _, op, _, _ in ledger.events() if op == "redeem")
    assert purchases - 1 in (redemptions, redemptions + 1)  # whole operations only
    assert ledger.payout_balance(1) == redemptions * 2


def test_processes_racing_one_nullifier(tmp_path):
    path = tmp_path / "ledger.db"
    ledger = Ledger(path, AcceptValid(), governance=GOVERNANCE.public_key, now=lambda: EPOCH, depth=8)
    buy(ledger, 1000)
    nf = random_field_element()
    start = time.time() + 3
    procs = [child(path, EPOCH, "redeem", nf, start) for _ in range(4)]
    outcomes = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert outcomes == ["ok", "spent", "spent", "spent"]
    assert ledger.is_spent("assign", nf)
    assert ledger.payout_balance(1) == 7
    ledger.check_invariants()
