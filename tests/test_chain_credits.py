"""CommunityCredits on a hardhat node with real proofs (trees of depth 4): purchase from fresh
addresses, assign (with and without a relayer), redeem, sweep and the release of the network fund,
each tree rebuilt by a wallet from events; every attack the SQLite ledger refuses refused on chain
too, plus the chain's own (reentrancy through the token, payout to the zero address, a relayer fee
above what it may take, one proof twice in one block); no owner, no upgrade, no way out for the
money; every contract within EIP-170."""
import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from governance import register
from chain_story import Held, advance_to_epoch, assign_proof, purchase_proof, redeem_proof
from circuits.app.ledger import (
    ASSIGN_TREE, NOTE_TREE, BadPublicInput, Bucket, InvalidProof, LedgerError, NullifierSpent,
    PaymentMismatch, UnknownRoot, WrongEpoch,
)
from circuits.protocol import AssignPublic, RedeemPublic, operator_address, random_field_element
from zk.r1cs.field import R

pytestmark = pytest.mark.npm
DEPTH = 4
SK, OSK, OSK2 = 0x5EC12E7, 0x0B5C, 0x0B5D
PAYOUT = 0xC0FFEE00000000000000000000000000000000AB
RELAYER = 0x2E1A4E2000000000000000000000000000000001
MAX_FEE = 5


def _deployment(w3, system, compiled, **options):
    """A deployment whose registry holds the test operator (share 70%, paid to PAYOUT)."""
    from circuits.app.chain.contracts import deploy_credits
    from circuits.app.chain.ledger import EvmLedger
    ledger = EvmLedger(deploy_credits(w3, system.vks, DEPTH, max_relayer_fee=MAX_FEE, compiled=compiled, **options))
    register(ledger, operator_address(OSK), PAYOUT, 7000)
    return ledger


@pytest.fixture
def ledger(w3, system, compiled):
    """A fresh deployment (its own token, trees and books) on the session's node."""
    return _deployment(w3, system, compiled)


@pytest.fixture(scope="module")
def module_ledger(w3, system, compiled):
    return _deployment(w3, system, compiled)


def buy(ledger, system, amount, sk=SK) -> Held:
    epoch = ledger.now()
    note, proof, _ = purchase_proof(system, sk, amount, epoch)
    index = ledger.purchase(ledger.fresh_buyer(amount), proof, note.commitment, amount, epoch)
    return Held(note, index)


def state(ledger) -> tuple:
    """Everything an operation could change: roots, sizes, buckets, books, token balances."""
    f = ledger.credits.functions
    return (ledger.root(NOTE_TREE), ledger.root(ASSIGN_TREE), ledger.leaf_count(NOTE_TREE),
            ledger.leaf_count(ASSIGN_TREE), ledger.buckets(), ledger.totals(), f.networkFundBalance().call(),
            ledger.token.functions.balanceOf(ledger.credits.address).call(), ledger.payout_balance(PAYOUT),
            ledger.payout_balance(RELAYER))


def refused(ledger, error, call, *args, **kwargs):
    before = state(ledger)
    with pytest.raises(error):
        call(*args, **kwargs)
    assert state(ledger) == before


def test_the_whole_story_on_chain(w3, system, ledger):
    gas = {}
    first, second = buy(ledger, system, 100), buy(ledger, system, 50)
    gas["purchase"] = ledger.last_gas
    epoch = ledger.now()
    assert (ledger.buckets()[0].epoch, ledger.buckets()[0].purchased) == (epoch, 150)
    tree = ledger.tree(NOTE_TREE)
    assert tree.root == ledger.root(NOTE_TREE) and tree.leaves() == [first.item.commitment, second.item.commitment]

    proof, publics, assignment, change = assign_proof(system, tree, SK, [first, second], OSK, 120, epoch)
    assign_leaf, change_leaf = ledger.assign(proof, publics, 0, 0)
    gas["assign, two notes, no relayer"] = ledger.last_gas
    assert ledger.is_spent("note", publics.nf_1) and ledger.is_spent("note", publics.nf_2)
    assert ledger.tree(ASSIGN_TREE).leaves() == [assignment.commitment]
    assert ledger.tree(NOTE_TREE).leaves()[change_leaf] == change.commitment

    proof, publics, rest = redeem_proof(system, ledger.tree(ASSIGN_TREE), OSK, Held(assignment, assign_leaf), 100,
                                        PAYOUT, epoch, ledger)
    result = ledger.redeem(proof, publics)
    gas["redeem"] = ledger.last_gas
    assert (result["operator_share"], result["network_share"], result["debits"]) == (70, 30, [(epoch, 100)])
    assert ledger.payout_balance(PAYOUT) == 70 and ledger.network_fund == 30

    # The change note (30) assigned through a relayer, whose fee comes out of the network fund.
    proof, publics, _, _ = assign_proof(system, ledger.tree(NOTE_TREE), SK, [Held(change, change_leaf)], OSK, 30,
                                        epoch, RELAYER, MAX_FEE)
    ledger.assign(proof, publics, RELAYER, MAX_FEE)
    gas["assign, one note, relayer paid"] = ledger.last_gas
    assert ledger.payout_balance(RELAYER) == MAX_FEE and ledger.network_fund == 30 - MAX_FEE
    assert ledger.credits.functions.networkFundBalance().call() == 30 - MAX_FEE

    advance_to_epoch(w3, epoch + 11)
    assert ledger.sweep_expired() == []
    advance_to_epoch(w3, epoch + 12)
    assert ledger.sweep_expired() == [(epoch, 50)]
    gas["sweep, one bucket"] = ledger.last_gas
    assert ledger.buckets()[0] == Bucket(epoch, 150, 100, 50, False)
    held = ledger.token.functions.balanceOf(ledger.credits.address).call()
    assert ledger.release_network_fund() == held == 30 - MAX_FEE + 50
    gas["release the network fund"] = ledger.last_gas
    assert ledger.token.functions.balanceOf(ledger.deployment.network_fund).call() == held
    assert ledger.token.functions.balanceOf(ledger.credits.address).call() == 0
    print("\n" + "\n".join(f"{step}: {g:,} gas" for step, g in gas.items()))


def test_purchase_attacks_are_refused(system, ledger):
    epoch = ledger.now()
    note, proof, _ = purchase_proof(system, SK, 50, epoch)
    buyer = ledger.fresh_buyer(1000)
    refused(ledger, InvalidProof, ledger.purchase, buyer, proof, note.commitment, 51, epoch)  # pays 51, proof of 50
    refused(ledger, WrongEpoch, ledger.purchase, buyer, proof, note.commitment, 50, epoch + 1)
    refused(ledger, BadPublicInput, ledger.purchase, buyer, proof, note.commitment + R, 50, epoch)
    refused(ledger, BadPublicInput, ledger.purchase, buyer, proof, note.commitment, 0, epoch)
    refused(ledger, PaymentMismatch, ledger.purchase, buyer, proof, note.commitment, 50, epoch, approve=49)
    ledger.purchase(buyer, proof, note.commitment, 50, epoch)
    refused(ledger, BadPublicInput, ledger.purchase, buyer, proof, note.commitment, 50, epoch)  # the same note again
    assert ledger.token.functions.balanceOf(buyer.address).call() == 950


def test_assign_attacks_are_refused(w3, system, ledger):
    epoch = ledger.now()
    held = buy(ledger, system, 100)
    tree = ledger.tree(NOTE_TREE)
    proof, publics, _, _ = assign_proof(system, tree, SK, [held], OSK, 60, epoch, RELAYER, MAX_FEE)
    # The fee is paid out of the network fund, which holds nothing yet.
    refused(ledger, LedgerError, ledger.assign, proof, publics, RELAYER, MAX_FEE)
    cheap, cheap_publics, _, _ = assign_proof(system, tree, SK, [held], OSK, 60, epoch, RELAYER, 0)
    refused(ledger, BadPublicInput, ledger.assign, cheap, cheap_publics, RELAYER + 1, 0)  # re-targeted relayer
    refused(ledger, BadPublicInput, ledger.assign, cheap, cheap_publics, RELAYER, 1)      # another fee
    tampered = AssignPublic(*(v + R if i == 1 else v for i, v in enumerate(cheap_publics.as_list())))
    refused(ledger, BadPublicInput, ledger.assign, cheap, tampered, RELAYER, 0)          # nf_1 + r
    other = AssignPublic(*(random_field_element() if i == 2 else v for i, v in enumerate(cheap_publics.as_list())))
    refused(ledger, InvalidProof, ledger.assign, cheap, other, RELAYER, 0)               # another nullifier
    forged_tree = ledger.tree(NOTE_TREE)
    forged_tree.append(random_field_element())  # a root the ledger never had, with a valid proof under it
    forged, forged_publics, _, _ = assign_proof(system, forged_tree, SK, [held], OSK, 60, epoch)
    refused(ledger, UnknownRoot, ledger.assign, forged, forged_publics, 0, 0)
    later, later_publics, _, _ = assign_proof(system, tree, SK, [held], OSK, 60, epoch + 1)
    refused(ledger, WrongEpoch, ledger.assign, later, later_publics, 0, 0)               # a proof for next month
    ledger.assign(cheap, cheap_publics, RELAYER, 0)
    refused(ledger, NullifierSpent, ledger.assign, cheap, cheap_publics, RELAYER, 0)     # replayed
    other, other_publics, _, _ = assign_proof(system, tree, SK, [held], OSK, 10, epoch)
    refused(ledger, NullifierSpent, ledger.assign, other, other_publics, 0, 0)           # same note, other proof


def test_relayer_fee_above_the_maximum_is_refused(system, ledger):
    from circuits.app.chain.ledger import RelayerFeeTooHigh

    epoch = ledger.now()
    held = buy(ledger, system, 100)
    assignment, leaf = _assigned(ledger, system, held, 100)
    proof, publics, _ = redeem_proof(system, ledger.tree(ASSIGN_TREE), OSK, Held(assignment, leaf), 100, PAYOUT, epoch, ledger)
    ledger.redeem(proof, publics)  # the network fund now holds 30, more than the maximum fee
    change = buy(ledger, system, 10)
    proof, publics, _, _ = assign_proof(system, ledger.tree(NOTE_TREE), SK, [change], OSK, 10, epoch, RELAYER,
                                        MAX_FEE + 1)
    refused(ledger, RelayerFeeTooHigh, ledger.assign, proof, publics, RELAYER, MAX_FEE + 1)


def _assigned(ledger, system, held, amount, relayer=0, fee=0, osk=OSK):
    proof, publics, assignment, _ = assign_proof(system, ledger.tree(NOTE_TREE), SK, [held], osk, amount,
                                                 ledger.now(), relayer, fee)
    leaf, _ = ledger.assign(proof, publics, relayer, fee)
    return assignment, leaf


def test_redeem_attacks_are_refused(w3, system, ledger):
    epoch = ledger.now()
    assignment, leaf = _assigned(ledger, system, buy(ledger, system, 100), 80)
    held = Held(assignment, leaf)
    tree = ledger.tree(ASSIGN_TREE)
    proof, publics, _ = redeem_proof(system, tree, OSK, held, 50, PAYOUT, epoch, ledger)
    stolen = RedeemPublic(*(PAYOUT + 1 if i == 5 else v for i, v in enumerate(publics.as_list())))
    refused(ledger, InvalidProof, ledger.redeem, proof, stolen)                     # front-runner's payout
    more = RedeemPublic(*(51 if i == 4 else v for i, v in enumerate(publics.as_list())))
    refused(ledger, InvalidProof, ledger.redeem, proof, more)
    nothing, nothing_publics, _ = redeem_proof(system, tree, OSK, held, 0, PAYOUT, epoch, ledger)
    refused(ledger, BadPublicInput, ledger.redeem, nothing, nothing_publics)       # amount 0
    # An operator registered with the zero address as its payout: its proofs are valid, the
    # contract refuses to burn the money.
    zero_assignment, zero_leaf = _assigned(ledger, system, buy(ledger, system, 10), 10, osk=OSK2)
    register(ledger, operator_address(OSK2), 0, 7000)
    lost, lost_publics, _ = redeem_proof(system, ledger.tree(ASSIGN_TREE), OSK2, Held(zero_assignment, zero_leaf), 10,
                                         0, epoch, ledger)
    refused(ledger, BadPublicInput, ledger.redeem, lost, lost_publics)             # payout to the zero address
    wide = RedeemPublic(*(v + R if i == 2 else v for i, v in enumerate(publics.as_list())))
    refused(ledger, BadPublicInput, ledger.redeem, proof, wide)                    # nf + r
    late, late_publics, _ = redeem_proof(system, tree, OSK, held, 10, PAYOUT, epoch, ledger)
    ledger.redeem(proof, publics)
    refused(ledger, NullifierSpent, ledger.redeem, proof, publics)                 # replayed
    refused(ledger, NullifierSpent, ledger.redeem, late, late_publics)             # same assignment, other proof
    advance_to_epoch(w3, epoch + 12)
    refused(ledger, WrongEpoch, ledger.redeem, late, late_publics)                 # expired, old proof


def test_reentrancy_through_the_token_is_refused(w3, system, compiled):
    """A token that calls back into the contract from inside every transfer: the reentrant redeem
    (same proof) finds its nullifier spent, the reentrant assign its nullifiers, the reentrant
    purchase its note: one payment each."""
    from circuits.app.chain.contracts import deploy_credits
    from circuits.app.chain.ledger import EvmLedger, address_of, proof_words
    from zk.chain.client import deploy
    from zk.chain.solc import compile_solidity
    import pathlib

    source = (pathlib.Path(__file__).parent / "data" / "chain" / "ReentrantToken.sol").read_text()
    token, _ = deploy(w3, compile_solidity({"ReentrantToken.sol": source})["ReentrantToken"])
    ledger = _deployment(w3, system, compiled, token=token)
    credits = ledger.credits
    epoch = ledger.now()

    note, proof, _ = purchase_proof(system, SK, 100, epoch)
    buyer = ledger.fresh_buyer(300)
    again = credits.encode_abi("purchase", args=[*proof_words(proof), note.commitment, 100, epoch])
    ledger._transact(token.functions.arm(credits.address, again))
    ledger.purchase(buyer, proof, note.commitment, 100, epoch, approve=300)
    assert token.functions.reentered().call() and not token.functions.reentryOk().call()
    assert token.functions.balanceOf(buyer.address).call() == 200 and ledger.leaf_count(NOTE_TREE) == 1

    assignment, leaf = _assigned(ledger, system, Held(note, 0), 100)
    proof, publics, _ = redeem_proof(system, ledger.tree(ASSIGN_TREE), OSK, Held(assignment, leaf), 100, PAYOUT, epoch, ledger)
    again = credits.encode_abi("redeem", args=[*proof_words(proof), publics.as_list()])
    ledger._transact(token.functions.arm(credits.address, again))
    ledger.redeem(proof, publics)
    assert token.functions.reentered().call() and not token.functions.reentryOk().call()
    assert ledger.payout_balance(PAYOUT) == 70 and ledger.network_fund == 30

    change = buy(ledger, system, 10)
    proof, publics, _, _ = assign_proof(system, ledger.tree(NOTE_TREE), SK, [change], OSK, 10, epoch, RELAYER, MAX_FEE)
    again = credits.encode_abi("assign", args=[*proof_words(proof), publics.as_list(), address_of(RELAYER), MAX_FEE])
    ledger._transact(token.functions.arm(credits.address, again))
    ledger.assign(proof, publics, RELAYER, MAX_FEE)
    assert token.functions.reentered().call() and not token.functions.reentryOk().call()
    assert ledger.payout_balance(RELAYER) == MAX_FEE


def test_one_proof_twice_in_one_block(w3, system, ledger):
    """Two transactions carrying the same assign proof, mined together: exactly one succeeds."""
    epoch = ledger.now()
    held = buy(ledger, system, 100)
    proof, publics, _, _ = assign_proof(system, ledger.tree(NOTE_TREE), SK, [held], OSK, 100, epoch)
    from circuits.app.chain.ledger import address_of, proof_words

    call = ledger.credits.functions.assign(*proof_words(proof), publics.as_list(), address_of(0), 0)
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        hashes = [call.transact({"from": sender, "gas": 3_000_000}) for sender in w3.eth.accounts[1:3]]
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    receipts = [w3.eth.wait_for_transaction_receipt(h) for h in hashes]
    assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    assert sorted(r["status"] for r in receipts) == [0, 1]
    assert ledger.leaf_count(ASSIGN_TREE) == 1


def test_money_cannot_leave_by_any_other_door(compiled):
    """No owner, no upgrade, no admin withdrawal: the state-changing functions are the protocol's
    operations and the release of the network fund to its immutable address, and the code holds
    none of the opcodes that could hand control or the balance to someone else."""
    credits = compiled["CommunityCredits"]
    changing = {f["name"] for f in credits.abi if f["type"] == "function" and f["stateMutability"] not in ("view", "pure")}
    assert changing == {"purchase", "assign", "redeem", "sweep", "releaseNetworkFund"}
    registry = compiled["OperatorRegistry"]  # governed, and holds no money: no token calls at all
    assert not [f for f in registry.abi if f["type"] == "function" and "token" in f["name"].lower()]
    names = {f.get("name", "").lower() for f in credits.abi}
    assert not names & {"owner", "transferownership", "upgradeto", "upgradetoandcall", "withdraw", "rescue"}
    for name in ("CommunityCredits", "PoseidonTrees"):
        assert not {"selfdestruct", "delegatecall", "callcode"} & set(_opcodes(compiled[name].runtime)), name


def _opcodes(code_hex: str) -> list[str]:
    names = {0xF2: "callcode", 0xF4: "delegatecall", 0xFF: "selfdestruct"}
    code, out, i = bytes.fromhex(code_hex), [], 0
    # solc appends CBOR metadata after the code; its bytes are not instructions.
    end = len(code) - 2 - int.from_bytes(code[-2:], "big")
    while i < end:
        op = code[i]
        out.append(names.get(op, f"{op:02x}"))
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return out


def test_every_contract_fits_eip170_at_depth_20(system):
    from circuits.app.chain.contracts import compile_credits
    from zk.chain.solc import MAX_RUNTIME_SIZE

    compiled = compile_credits(20, system.vks)  # the verifiers' size does not depend on the depth
    for name in ("CommunityCredits", "PoseidonTrees", "PoseidonHasher3", "PurchaseVerifier", "AssignVerifier",
                 "RedeemVerifier", "TestStablecoin", "OperatorRegistry", "PoseidonHasher4"):
        print(f"\n{name}: {compiled[name].runtime_size:,} bytes of runtime code")
        assert 0 < compiled[name].runtime_size <= MAX_RUNTIME_SIZE, name
    assert len(compiled["CommunityCredits"].bytecode) // 2 <= 49_152  # EIP-3860: it creates its trees


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**37))
def test_epoch_of_block_time_is_the_protocols_calendar_month(module_ledger, timestamp):
    from circuits.protocol import epoch_of

    day = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    assert module_ledger.credits.functions.epochOf(timestamp).call() == epoch_of(day.year, day.month)
