"""One real proof of each Community Credits circuit, verified by its exported Solidity verifier
in an EVM (issue 7: the contract on chain is what finally decides); a tampered public input is
refused by the same contract."""
from __future__ import annotations

import pytest

from circuits.app.ledger import ASSIGN_TREE, NOTE_TREE, Ledger, Payment
from circuits.protocol import Assignment, Note
from circuits.app.system import CreditsSystem
from governance import GOVERNANCE
from wallet_options import TEST_WALLET
from circuits.app.wallet import Wallet, export_assignment
from circuits.witness import assign_inputs, purchase_inputs, redeem_inputs
from zk.formats.snarkjs import proof_to_json, public_to_json
from zk.formats.solidity import calldata_words, solidity_verifier
from zk.gadgets import MerkleTree

from evm.runner import Call, evm_available, run_evm

pytestmark = [pytest.mark.npm, pytest.mark.skipif(not evm_available(), reason="solc/@ethereumjs/evm missing: run `make npm`")]

DEPTH = 4
EPOCH = 24322


def test_each_credits_circuit_verifies_on_the_evm(tmp_path):
    system = CreditsSystem.shared(DEPTH)
    ledger = Ledger(tmp_path / "ledger.db", system, governance=GOVERNANCE.public_key, now=lambda: EPOCH, depth=DEPTH)
    user, operator = Wallet(tmp_path / "user.db", **TEST_WALLET), Wallet(tmp_path / "operator.db", **TEST_WALLET)
    GOVERNANCE.add(ledger, operator.operator, 0xBEEF, 7000)

    statements = {}
    note = Note.new(user.owner, 100, EPOCH)
    statements["purchase"] = system.prove("purchase", purchase_inputs(note))
    ledger.purchase(Payment("tx-evm", "0xfresh", 100), statements["purchase"][0], note.commitment, 100, EPOCH)

    notes = MerkleTree(DEPTH)
    notes.extend(ledger.leaves(NOTE_TREE))
    leaf = ledger.leaves(NOTE_TREE).index(note.commitment)
    assignment = Assignment.new(0x6A0, operator.operator, 80, EPOCH)
    change_note = Note.new(user.owner, 20, EPOCH)
    statements["assign"] = system.prove("assign", assign_inputs(
        user.sk, [(note, notes.proof(leaf))], notes.root, assignment, change_note, EPOCH, 0, 0))
    ledger.assign(*statements["assign"], 0, 0)
    operator.import_assignment(export_assignment(assignment))
    operator.sync(ledger)

    owned = operator.assignments()[0]
    tree = MerkleTree(DEPTH)
    tree.extend(ledger.leaves(ASSIGN_TREE))
    a = owned.assignment
    change = Assignment.new(a.group, a.operator, a.amount - 30, a.epoch)
    registry = ledger.registry.tree()
    statements["redeem"] = system.prove(
        "redeem", redeem_inputs(operator.osk, a, tree.proof(owned.leaf), tree.root, 30, 0xBEEF, EPOCH, change, 7000,
                                registry.proof(0), registry.root)
    )

    contracts, calls = {}, []
    for name, (proof, statement) in statements.items():
        contracts[name] = (solidity_verifier(system.vks[name]), "Groth16Verifier")
        public = statement.as_list()
        assert system.verify(name, public, proof)
        calls.append(Call(name, calldata_words(public_to_json(public), proof_to_json(proof))))
        tampered = list(public)
        tampered[-1] = (tampered[-1] + 1)  # the epoch or payout: still < r, but another statement
        calls.append(Call(name, calldata_words(public_to_json(tampered), proof_to_json(proof))))

    results = run_evm(contracts, calls).calls
    for i, name in enumerate(statements):
        valid, tampered = results[2 * i], results[2 * i + 1]
        assert valid.returned_true, (name, valid)
        assert tampered.returned_false, (name, tampered)
