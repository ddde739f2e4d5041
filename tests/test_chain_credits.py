"""CommunityCredits (purchase) on a hardhat node: a real purchase proof verified by the verifier
`zk export solidity` generates, paid in an OpenZeppelin ERC-20 by transferFrom from a fresh address,
the note appended to the note tree that a wallet rebuilds from events; the purchase attacks refused;
no owner, no upgrade, no way out for the money; every contract within EIP-170."""
import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from zk.r1cs.field import R

pytestmark = pytest.mark.npm
DEPTH = 20


@pytest.fixture(scope="module")
def system():
    from circuits.app.system import CreditsSystem

    return CreditsSystem.shared(4)  # the purchase circuit does not depend on the tree depth


@pytest.fixture(scope="module")
def compiled(system):
    from zk.chain.contracts import compile_credits
    from zk.formats.solidity import solidity_verifier

    return compile_credits(DEPTH, solidity_verifier(system.vks["purchase"]))


@pytest.fixture(scope="module")
def deployed(w3, compiled):
    from zk.chain.client import deploy

    token, _ = deploy(w3, compiled["TestStablecoin"])
    verifier, _ = deploy(w3, compiled["Groth16Verifier"])
    credits, receipt = deploy(w3, compiled["CommunityCredits"], token.address, verifier.address)
    return token, credits, receipt


def fresh_buyer(w3, token, amount):
    """A new address holding `amount` tokens (approved to nobody yet) and gas money."""
    from zk.chain.client import send

    account = w3.eth.account.create()
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": account.address, "value": 10**18}))
    send(w3, token.functions.mint(account.address, amount))
    return account


def send_as(w3, account, call) -> int:
    """Sign locally with the buyer's own key (a fresh address, unknown to the node); the
    transaction's status (hardhat mines a reverting transaction and answers with an error)."""
    from web3.exceptions import Web3RPCError

    tx = call.build_transaction({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address),
                                 "gas": 3_000_000, "chainId": w3.eth.chain_id})
    try:
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    except Web3RPCError as exc:
        assert "revert" in str(exc), exc
        return 0
    return w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.02)["status"]


def proof_args(system, note):
    from circuits.witness import purchase_inputs

    proof, statement = system.prove("purchase", purchase_inputs(note))
    return _abi_proof(proof, statement.as_list())


def _abi_proof(proof, public):
    """a, b, c as the verifier's ABI takes them."""
    from zk.formats.snarkjs import proof_to_json, public_to_json
    from zk.formats.solidity import calldata_words

    words = calldata_words(public_to_json(public), proof_to_json(proof))
    return [words[0:2], [words[2:4], words[4:6]], words[6:8]]


def test_purchase_from_a_fresh_address(w3, system, deployed):
    from circuits.protocol import Note, random_field_element
    from zk.chain.merkle import TreeMirror
    from zk.gadgets.merkle import MerkleTree

    token, credits, receipt = deployed
    print(f"\nCommunityCredits deploy: {receipt['gasUsed']:,} gas")
    epoch = credits.functions.currentEpoch().call()
    mirror = TreeMirror(credits, DEPTH)
    reference = MerkleTree(DEPTH)
    before = token.functions.balanceOf(credits.address).call()
    for amount in (100, 2**64 - 1):
        note = Note.new(random_field_element(), amount, epoch)
        buyer = fresh_buyer(w3, token, amount)
        assert send_as(w3, buyer, token.functions.approve(credits.address, amount)) == 1
        purchase = credits.functions.purchase(*proof_args(system, note), note.commitment, amount, epoch)
        assert send_as(w3, buyer, purchase) == 1
        block = w3.eth.get_block("latest", full_transactions=False)
        print(f"\npurchase of {amount}: {w3.eth.get_transaction_receipt(block['transactions'][-1])['gasUsed']:,} gas")
        reference.append(note.commitment)
        assert mirror.sync().root == reference.root == credits.functions.noteRoot().call()
        assert token.functions.balanceOf(buyer.address).call() == 0
    assert token.functions.balanceOf(credits.address).call() == before + 100 + 2**64 - 1
    assert credits.functions.purchased(epoch).call() >= 100 + 2**64 - 1


def test_purchase_attacks_are_refused(w3, system, deployed):
    from circuits.protocol import Note, random_field_element

    token, credits, _ = deployed
    epoch = credits.functions.currentEpoch().call()
    note = Note.new(random_field_element(), 50, epoch)
    args = proof_args(system, note)
    buyer = fresh_buyer(w3, token, 1000)
    size = len(_note_events(credits))

    def refused(*statement, approve=1000):
        assert send_as(w3, buyer, token.functions.approve(credits.address, approve)) == 1
        return send_as(w3, buyer, credits.functions.purchase(*args, *statement)) == 0

    assert refused(note.commitment, 51, epoch)            # pays 51 for a proof of 50: invalid proof
    assert refused(note.commitment, 50, epoch + 1)        # another month than the chain's
    assert refused(note.commitment + R, 50, epoch)        # the same commitment plus r
    assert refused(note.commitment, 0, epoch)             # nothing paid
    assert refused(note.commitment, 50, epoch, approve=49)  # the payment does not go through
    assert len(_note_events(credits)) == size
    assert not refused(note.commitment, 50, epoch)        # the honest purchase
    assert refused(note.commitment, 50, epoch)            # the same note twice
    assert token.functions.balanceOf(buyer.address).call() == 950


def _note_events(credits):
    """The note tree's insertions, as the events list them."""
    return credits.events.LeafInserted.get_logs(from_block=0)


def test_money_cannot_leave_by_any_other_door(compiled):
    """No owner, no upgrade, no withdrawal: purchase is the only state-changing function, and the
    code holds none of the opcodes that could hand control or the balance to someone else."""
    credits = compiled["CommunityCredits"]
    changing = [f["name"] for f in credits.abi if f["type"] == "function" and f["stateMutability"] not in ("view", "pure")]
    assert changing == ["purchase"]
    names = {f.get("name", "").lower() for f in credits.abi}
    assert not names & {"owner", "transferownership", "upgradeto", "upgradetoandcall", "withdraw", "rescue"}
    assert not {"selfdestruct", "delegatecall", "callcode"} & set(_opcodes(credits.runtime))


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


def test_every_contract_fits_eip170(compiled):
    from zk.chain.solc import MAX_RUNTIME_SIZE

    for name in ("CommunityCredits", "Groth16Verifier", "TestStablecoin"):
        print(f"\n{name}: {compiled[name].runtime_size:,} bytes of runtime code")
        assert 0 < compiled[name].runtime_size <= MAX_RUNTIME_SIZE, name


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**37))
def test_epoch_of_block_time_is_the_protocols_calendar_month(deployed, timestamp):
    from circuits.protocol import epoch_of

    day = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    assert deployed[1].functions.epochOf(timestamp).call() == epoch_of(day.year, day.month)


def test_the_sqlite_ledger_and_the_contract_agree_on_purchases(w3, system, compiled, deployed, tmp_path):
    """The same purchases and refused purchases, submitted to the SQLite ledger (the reference
    model) and to a fresh contract: the same verdicts, note roots, root histories and buckets after
    every step. The ledger's payment is the chain's own transfer (its transaction, its payer)."""
    from circuits.app.ledger import NOTE_TREE, Ledger, LedgerError, Payment
    from circuits.protocol import Note, random_field_element
    from circuits.witness import purchase_inputs
    from zk.chain.client import deploy

    token, shared, _ = deployed
    credits, _ = deploy(w3, compiled["CommunityCredits"], token.address, shared.functions.purchaseVerifier().call())
    epoch = credits.functions.currentEpoch().call()
    from circuits.app.registry import Governance

    ledger = Ledger(tmp_path / "ledger.db", system, governance=Governance.generate().public_key, now=lambda: epoch,
                    depth=DEPTH)
    notes = [Note.new(random_field_element(), amount, epoch) for amount in (7, 1, 500)]
    proofs = {note.commitment: system.prove("purchase", purchase_inputs(note)) for note in notes}
    steps = [(notes[0], 7, epoch), (notes[0], 8, epoch), (notes[1], 1, epoch + 1), (notes[1], 1, epoch),
             (notes[0], 7, epoch), (notes[2], 500, epoch)]
    verdicts = []
    for note, amount, claimed_epoch in steps:
        buyer = fresh_buyer(w3, token, amount)
        assert send_as(w3, buyer, token.functions.approve(credits.address, amount)) == 1
        proof, statement = proofs[note.commitment]
        purchase = credits.functions.purchase(*_abi_proof(proof, statement.as_list()), note.commitment, amount, claimed_epoch)
        on_chain = send_as(w3, buyer, purchase) == 1
        tx = w3.eth.get_block("latest")["transactions"][-1].hex()
        try:
            ledger.purchase(Payment(tx, buyer.address, amount), proof, note.commitment, amount, claimed_epoch)
            in_ledger = True
        except LedgerError:
            in_ledger = False
        verdicts.append(on_chain)
        assert on_chain == in_ledger, (amount, claimed_epoch)
        assert credits.functions.noteRoot().call() == ledger.root(NOTE_TREE)
        assert all(credits.functions.isKnownNoteRoot(r).call() for r in ledger.recent_roots(NOTE_TREE))
    assert verdicts == [True, False, False, True, False, True]
    assert [(b.epoch, b.purchased) for b in ledger.buckets()] == [(epoch, credits.functions.purchased(epoch).call())]
    assert token.functions.balanceOf(credits.address).call() == 7 + 1 + 500
