"""The ledger's own rules, one at a time (issue 11, finding 6: no test protected these). The proof
check is replaced by a verifier that accepts everything, so each case breaks exactly one ledger
rule and the assertion names the error that refused it; the real-proof versions of the attacks
are in test_credits_ledger.py."""
from __future__ import annotations

import pytest

from circuits.app.ledger import (
    BadPublicInput, InsufficientFunds, Ledger, LedgerError, Payment, UnknownRoot,
)
from circuits.protocol import AssignPublic, RedeemPublic, external_hash, random_field_element
from zk.r1cs.field import R
from governance import GOVERNANCE

EPOCH = 24322


class AcceptAll:
    def verify(self, circuit, public_inputs, proof):
        return True


@pytest.fixture
def ledger(tmp_path):
    return Ledger(tmp_path / "ledger.db", AcceptAll(), governance=GOVERNANCE.public_key, now=lambda: EPOCH, depth=2)


_ids = iter(range(10 ** 9))


def buy(ledger, amount=100):
    return ledger.purchase(Payment(f"p{next(_ids)}", "0xfresh", amount), None, random_field_element(), amount, EPOCH)


def redeem_publics(ledger, **changes):
    values = dict(assign_root=ledger.root("assign"), registry_root=ledger.registry.root(), nf=random_field_element(),
                  change_cm=random_field_element(), amount=10, payout=0x1234, share_bps=7000, now=EPOCH)
    values.update(changes)
    return RedeemPublic(**values)


def assign_publics(ledger, relayer=0, fee=0, **changes):
    values = dict(note_root=ledger.root("note"), nf_1=random_field_element(), nf_2=random_field_element(),
                  assign_cm=random_field_element(), change_cm=random_field_element(), now=EPOCH,
                  external_hash=external_hash(relayer % R, fee % R))
    values.update(changes)
    return AssignPublic(**values)


def test_baseline_operations_pass(ledger):
    buy(ledger)
    ledger.assign(None, assign_publics(ledger), 0, 0)
    receipt = ledger.redeem(None, redeem_publics(ledger))
    assert receipt


def test_redeem_against_unknown_root(ledger):
    buy(ledger)
    with pytest.raises(UnknownRoot, match="assign root is not among"):
        ledger.redeem(None, redeem_publics(ledger, assign_root=random_field_element()))


def test_redeem_of_nothing(ledger):
    buy(ledger)
    with pytest.raises(BadPublicInput, match="must redeem a positive amount"):
        ledger.redeem(None, redeem_publics(ledger, amount=0))


def test_redeem_more_than_the_open_buckets_hold(ledger):
    buy(ledger, 5)
    with pytest.raises(InsufficientFunds, match="open buckets hold less than 6"):
        ledger.redeem(None, redeem_publics(ledger, amount=6))
    ledger.redeem(None, redeem_publics(ledger, amount=5))


@pytest.mark.parametrize("relayer, fee, which", [(R, 0, "public input 0"), (0, R, "public input 1"),
                                                 (R + 7, 3, "public input 0"), (3, 2 * R, "public input 1")])
def test_relayer_or_fee_not_a_field_element(ledger, relayer, fee, which):
    """x and x + r hash alike: accepting both would let a relayer's transaction claim another fee."""
    buy(ledger)
    publics = assign_publics(ledger, relayer, fee)
    with pytest.raises(BadPublicInput, match=f"{which} = .* is not a field element"):
        ledger.assign(None, publics, relayer, fee)


def test_full_tree(ledger):
    for _ in range(4):  # depth 2: four leaves
        buy(ledger)
    with pytest.raises(LedgerError, match="the note tree is full"):
        buy(ledger)


def test_redeem_with_a_share_above_7000(ledger):
    buy(ledger)
    with pytest.raises(BadPublicInput, match="share_bps 7001 is above 7000"):
        ledger.redeem(None, redeem_publics(ledger, share_bps=7001))


def test_redeem_to_a_payout_wider_than_an_address(ledger):
    buy(ledger)
    with pytest.raises(BadPublicInput, match="payout must be a 160-bit chain address"):
        ledger.redeem(None, redeem_publics(ledger, payout=1 << 160))
    ledger.redeem(None, redeem_publics(ledger, payout=(1 << 160) - 1))


def test_reopening_with_another_depth_or_governance(tmp_path):
    Ledger(tmp_path / "l.db", AcceptAll(), governance=GOVERNANCE.public_key, depth=3).close()
    with pytest.raises(ValueError, match="has depth 3, not 4"):
        Ledger(tmp_path / "l.db", AcceptAll(), depth=4)
    with pytest.raises(ValueError, match="has another governance key"):
        Ledger(tmp_path / "l.db", AcceptAll(), governance=bytes(32))
    assert Ledger(tmp_path / "l.db", AcceptAll()).depth == 3


def test_creating_without_a_governance_key(tmp_path):
    with pytest.raises(ValueError, match="needs its governance key"):
        Ledger(tmp_path / "l.db", AcceptAll(), depth=3)
