"""Community Credits circuits (docs/PROTOCOL.md §5) at the witness level: every rule of the spec is
a constraint that an honest witness satisfies and a cheating witness violates.

Each attack breaks exactly one rule: the forged inputs are honest except for that one fact, and
the test names the check that refuses them (tests/refusal.py: every violated constraint must come
from that check, by its gadget name or the circuit's source line). The overflow cases also show
that the Groth16 prover refuses to prove them.
"""
from __future__ import annotations


import pytest
from refusal import names_check, refused_by

from circuits.assign import assign_circuit
from circuits.protocol import (
    Assignment, AssignPublic, Note, PurchasePublic, RedeemPublic, Tag, H, assignment_commitment,
    note_commitment, note_nullifier, operator_address, owner_address, random_field_element, registry_depth,
    registry_leaf,
)
from circuits.purchase import Purchase
from circuits.redeem import redeem_circuit
from circuits.witness import assign_inputs, purchase_inputs, redeem_inputs
from zk.gadgets import MerkleTree
from zk.r1cs import compile
from zk.r1cs.field import R

DEPTH = 4
EPOCH = 24322  # 2026-11
SK = 0x1234567
OWNER = owner_address(SK)
OSK = 0x7654321
OPERATOR = operator_address(OSK)
GROUP = 0xC0FFEE
PAYOUT = 0xDEADBEEF
SHARE = 6000

# The checks that refuse the attacks below, by the circuit source line that creates them.
NOTE_CM = "api.assert_equal(self.note_cm, H_gadget("
NOT_EXPIRED = "api.less_or_equal(now, api.add(epoch, LIFETIME - 1)"
NOT_FUTURE = "api.less_or_equal(epoch, now, EPOCH_BITS)"
NF_IS_THE_NOTES = "api.assert_equal(nf, H_gadget(api, Tag.NOTE_NF"
NOTE_1_IN_TREE = "api.assert_equal(roots[0], self.note_root)"
NOTE_2_IN_TREE_IF_WORTH_ANYTHING = "api.assert_equal(api.mul(self.amount_2, api.sub(roots[1], self.note_root)), 0)"
DISTINCT_NULLIFIERS = "api.assert_nonzero(api.sub(self.nf_1, self.nf_2))"
CONSERVATION = "api.assert_equal(api.add(self.amount_1, self.amount_2), api.add(self.assigned, self.change))"
ASSIGN_CM = "api.assert_equal(self.assign_cm, H_gadget("
CHANGE_CM = "api.assert_equal(self.change_cm, H_gadget(api, Tag.NOTE, owner"
ASSIGNMENT_IN_TREE = "api.assert_equal(merkle_root_gadget(api, cm, self.path_elements, self.path_indices), self.assign_root)"
ASSIGNMENT_NF = "api.assert_equal(self.nf, H_gadget(api, Tag.ASSIGN_NF"
REDEEM_CHANGE_CM = "api.assert_equal(self.change_cm, H_gadget(api, Tag.ASSIGNMENT, self.group, operator, remaining"


@pytest.fixture(scope="module")
def purchase_cs():
    return compile(Purchase)


@pytest.fixture(scope="module")
def assign_cs():
    return compile(assign_circuit(DEPTH))


@pytest.fixture(scope="module")
def redeem_cs():
    return compile(redeem_circuit(DEPTH))


def rejected(cs, inputs, where: str) -> None:
    """No witness satisfies the constraints for these inputs, and only the check ``where`` names
    refuses them (refusal.refused_by)."""
    refused_by(cs, inputs, where)


@pytest.fixture
def note_tree():
    """A note tree holding two of OWNER's notes (100 and 50, month EPOCH) among others' notes."""
    tree = MerkleTree(DEPTH)
    tree.append(Note.new(owner_address(99), 7, EPOCH).commitment)
    a = Note.new(OWNER, 100, EPOCH)
    b = Note.new(OWNER, 50, EPOCH)
    ia = tree.append(a.commitment)
    tree.append(Note.new(owner_address(98), 3, EPOCH).commitment)
    ib = tree.append(b.commitment)
    return tree, (a, ia), (b, ib)


def honest_assign(note_tree, amount=120, now=EPOCH, two=True):
    tree, (a, ia), (b, ib) = note_tree
    spent = [(a, tree.proof(ia))] + ([(b, tree.proof(ib))] if two else [])
    total = a.amount + (b.amount if two else 0)
    assignment = Assignment.new(GROUP, OPERATOR, amount, EPOCH)
    change = Note.new(OWNER, total - amount, EPOCH)
    return assign_inputs(SK, spent, tree.root, assignment, change, now, relayer=0xAB, fee=5)


@pytest.fixture
def assign_tree():
    tree = MerkleTree(DEPTH)
    tree.append(Assignment.new(GROUP + 1, operator_address(5), 9, EPOCH).commitment)
    mine = Assignment.new(GROUP, OPERATOR, 80, EPOCH)
    index = tree.append(mine.commitment)
    return tree, mine, index


def registry_tree(*entries):
    """A registry tree (depth registry_depth(DEPTH)) of (operator, payout, share) entries; returns
    the tree and each entry's slot."""
    tree = MerkleTree(registry_depth(DEPTH))
    return tree, [tree.append(registry_leaf(*entry)) for entry in entries]


@pytest.fixture(scope="module")
def registry():
    """OPERATOR registered with PAYOUT at SHARE, between two other operators."""
    tree, slots = registry_tree((operator_address(5), 0xAAAA, 7000), (OPERATOR, PAYOUT, SHARE),
                                (operator_address(6), 0xBBBB, 7000))
    return tree, slots[1]


def honest_redeem(assign_tree, registry, amount=30, now=EPOCH + 3):
    tree, mine, index = assign_tree
    reg, slot = registry
    change = Assignment.new(mine.group, mine.operator, mine.amount - amount, mine.epoch)
    return redeem_inputs(OSK, mine, tree.proof(index), tree.root, amount, PAYOUT, now, change, SHARE, reg.proof(slot),
                         reg.root)


# ------------------------------------------------------------------------------ shape


@pytest.mark.parametrize("circuit, statement", [
    (Purchase, PurchasePublic), (assign_circuit(DEPTH), AssignPublic), (redeem_circuit(DEPTH), RedeemPublic),
    (assign_circuit(), AssignPublic), (redeem_circuit(), RedeemPublic)])
def test_public_inputs_read_like_the_spec(circuit, statement):
    cs = compile(circuit)
    public = [s.name for s in cs.input_specs if s.kind == "public"]
    assert public == list(statement.__dataclass_fields__)
    assert cs.n_public == len(public) and cs.n_outputs == 0
    assert cs.warnings == []  # every private input is constrained


def test_tags_are_distinct_and_match_the_spec():
    assert [t.value for t in Tag] == list(range(1, 9))
    assert [t.name for t in Tag] == ["OWNER", "NOTE", "NOTE_NF", "OPERATOR", "ASSIGNMENT", "ASSIGN_NF", "EXTERNAL",
                                     "REGISTRY"]
    # The same arguments under two tags give unrelated values (domain separation).
    assert note_nullifier(SK, 5, 0) != H(Tag.ASSIGN_NF, SK, 5, 0)


# ------------------------------------------------------------------------------ purchase


def test_purchase_honest(purchase_cs):
    note = Note.new(OWNER, 100, EPOCH)
    witness = purchase_cs.solve(purchase_inputs(note))
    assert purchase_cs.public_values(witness) == [note.commitment, 100, EPOCH]


@pytest.mark.parametrize("amount", [1 << 64, R - 1, R - 100])
def test_purchase_amount_over_64_bits_rejected(purchase_cs, amount):
    rho = random_field_element()
    cm = note_commitment(OWNER, amount, EPOCH, rho)
    rejected(purchase_cs, {"note_cm": cm, "amount": amount, "epoch": EPOCH, "owner": OWNER, "rho": rho},
             "api.assert_range(self.amount, AMOUNT_BITS)")


def test_purchase_epoch_over_32_bits_rejected(purchase_cs):
    rho = random_field_element()
    epoch = 1 << 32
    cm = note_commitment(OWNER, 5, epoch, rho)
    rejected(purchase_cs, {"note_cm": cm, "amount": 5, "epoch": epoch, "owner": OWNER, "rho": rho},
             "api.assert_range(self.epoch, EPOCH_BITS)")


def test_purchase_commitment_must_hide_the_paid_amount(purchase_cs):
    note = Note.new(OWNER, 1000, EPOCH)
    inputs = purchase_inputs(note)
    inputs["amount"] = 10  # pay 10, get a note worth 1000
    rejected(purchase_cs, inputs, NOTE_CM)
    inputs = purchase_inputs(note)
    inputs["epoch"] = EPOCH + 5  # a note dated later than its purchase
    rejected(purchase_cs, inputs, NOTE_CM)


# ------------------------------------------------------------------------------ assign


def test_assign_two_notes_honest(assign_cs, note_tree):
    inputs = honest_assign(note_tree)
    witness = assign_cs.solve(inputs)
    tree, (a, ia), (b, ib) = note_tree
    public = AssignPublic.from_list(assign_cs.public_values(witness))
    assert public.note_root == tree.root
    assert (public.nf_1, public.nf_2) == (a.nullifier(SK, ia), b.nullifier(SK, ib))
    assert public.change_cm == note_commitment(OWNER, 30, EPOCH, inputs["rho_c"])
    assert public.assign_cm == assignment_commitment(GROUP, OPERATOR, 120, EPOCH, inputs["rho_a"])


def test_assign_one_note_with_dummy(assign_cs, note_tree):
    assign_cs.solve(honest_assign(note_tree, amount=60, two=False))


def test_assign_not_expired_window(assign_cs, note_tree):
    assign_cs.solve(honest_assign(note_tree, now=EPOCH + 11))
    rejected(assign_cs, honest_assign(note_tree, now=EPOCH + 12), NOT_EXPIRED)
    rejected(assign_cs, honest_assign(note_tree, now=EPOCH - 1), NOT_FUTURE)


def test_assign_note_not_in_tree(assign_cs, note_tree):
    tree, (a, ia), _ = note_tree
    forged = Note.new(OWNER, 1000, EPOCH)
    inputs = honest_assign(note_tree, amount=60, two=False)
    inputs.update(amount_1=forged.amount, rho_1=forged.rho, nf_1=forged.nullifier(SK, ia), assigned=960)
    inputs["assign_cm"] = assignment_commitment(GROUP, OPERATOR, 960, EPOCH, inputs["rho_a"])
    rejected(assign_cs, inputs, NOTE_1_IN_TREE)
    # The forged note in a tree of the attacker's own: a valid path, but to an unknown root.
    other = MerkleTree(DEPTH)
    other.append(forged.commitment)
    inputs["path_elements_1"] = other.proof(0).path_elements
    inputs["path_indices_1"] = other.proof(0).path_indices
    inputs["nf_1"] = forged.nullifier(SK, 0)
    rejected(assign_cs, inputs, NOTE_1_IN_TREE)  # against the real root
    inputs["note_root"] = other.root
    assign_cs.solve(inputs)  # the circuit accepts it only under the fake root, which the ledger refuses


def test_assign_second_note_must_be_in_tree_when_it_has_value(assign_cs, note_tree):
    inputs = honest_assign(note_tree, amount=60, two=False)
    forged = Note.new(OWNER, 500, EPOCH)
    inputs.update(amount_2=500, rho_2=forged.rho, nf_2=forged.nullifier(SK, 0), assigned=560)
    inputs["assign_cm"] = assignment_commitment(GROUP, OPERATOR, 560, EPOCH, inputs["rho_a"])
    rejected(assign_cs, inputs, NOTE_2_IN_TREE_IF_WORTH_ANYTHING)


def test_assign_same_note_twice(assign_cs, note_tree):
    tree, (a, ia), _ = note_tree
    assignment = Assignment.new(GROUP, OPERATOR, 200, EPOCH)
    change = Note.new(OWNER, 0, EPOCH)
    inputs = assign_inputs(SK, [(a, tree.proof(ia)), (a, tree.proof(ia))], tree.root, assignment, change, EPOCH)
    rejected(assign_cs, inputs, DISTINCT_NULLIFIERS)


def test_assign_needs_the_owners_secret(assign_cs, note_tree):
    # A thief who knows the note's opening but not sk spends it with a key of its own, everything
    # else consistent with that key (nullifiers, change to itself): under its owner address the
    # note is not in the tree.
    tree, (a, ia), _ = note_tree
    thief = SK + 1
    assignment = Assignment.new(GROUP, OPERATOR, 60, EPOCH)
    change = Note.new(owner_address(thief), 40, EPOCH)
    inputs = assign_inputs(thief, [(a, tree.proof(ia))], tree.root, assignment, change, EPOCH)
    rejected(assign_cs, inputs, NOTE_1_IN_TREE)
    inputs = honest_assign(note_tree)
    inputs["nf_1"] = note_nullifier(SK + 1, a.rho, ia)  # a nullifier that is not the note's
    rejected(assign_cs, inputs, NF_IS_THE_NOTES)
    inputs["nf_1"] = note_nullifier(SK, a.rho, ia + 1)  # the note's, at another position
    rejected(assign_cs, inputs, NF_IS_THE_NOTES)


def test_assign_amounts_conserve(assign_cs, note_tree):
    inputs = honest_assign(note_tree)
    inputs["assigned"] += 1
    inputs["assign_cm"] = assignment_commitment(GROUP, OPERATOR, inputs["assigned"], EPOCH, inputs["rho_a"])
    rejected(assign_cs, inputs, CONSERVATION)


def _overflowing(amounts, assigned, change):
    """Assign inputs spending two notes of the given amounts, both in the tree (so only the range
    checks stand between the witness and the ledger), into `assigned` and `change`."""
    tree = MerkleTree(DEPTH)
    notes = [Note.new(OWNER, 0, EPOCH) for _ in amounts]
    rhos = [n.rho for n in notes]
    for amount, rho in zip(amounts, rhos):
        tree.append(note_commitment(OWNER, amount, EPOCH, rho))
    assignment = Assignment.new(GROUP, OPERATOR, 0, EPOCH)
    change_note = Note.new(OWNER, 0, EPOCH)
    inputs = assign_inputs(SK, [(n, tree.proof(i)) for i, n in enumerate(notes)], tree.root, assignment,
                           change_note, EPOCH)
    for i, (amount, rho) in enumerate(zip(amounts, rhos), start=1):
        inputs.update({f"amount_{i}": amount, f"rho_{i}": rho, f"nf_{i}": note_nullifier(SK, rho, i - 1)})
    inputs.update(assigned=assigned, change=change)
    inputs["assign_cm"] = assignment_commitment(GROUP, OPERATOR, assigned, EPOCH, inputs["rho_a"])
    inputs["change_cm"] = note_commitment(OWNER, change, EPOCH, inputs["rho_c"])
    return inputs


@pytest.mark.parametrize("amounts, assigned, change, check", [
    # assigned + change == amount_1 + amount_2 modulo r; each case breaks exactly one range check.
    ((100, 50), 151, R - 1, "range change"),
    ((100, 50), R - 1, 151, "range assigned"),  # without it: 151 credits of change from 150 (minting)
    ((R - 1, 6), 5, 0, "range amount_1"),
    ((6, R - 1), 5, 0, "range amount_2"),
])
def test_assign_overflow_modulo_r_rejected(assign_cs, amounts, assigned, change, check):
    """The 64-bit range checks make the conservation equation exact in the integers."""
    inputs = _overflowing(amounts, assigned, change)
    assert sum(amounts) % R == (assigned + change) % R
    rejected(assign_cs, inputs, check)


def test_overflow_helper_builds_honest_inputs(assign_cs):
    assign_cs.solve(_overflowing((100, 50), 120, 30))


def test_assign_change_to_another_owner_rejected(assign_cs, note_tree):
    inputs = honest_assign(note_tree)
    inputs["change_cm"] = note_commitment(owner_address(SK + 1), inputs["change"], EPOCH, inputs["rho_c"])
    rejected(assign_cs, inputs, CHANGE_CM)


def test_assign_cannot_refresh_the_epoch(assign_cs, note_tree):
    inputs = honest_assign(note_tree, amount=60, two=False)
    inputs["assign_cm"] = assignment_commitment(GROUP, OPERATOR, 60, EPOCH + 6, inputs["rho_a"])
    rejected(assign_cs, inputs, ASSIGN_CM)
    inputs = honest_assign(note_tree, amount=60, two=False)
    inputs["change_cm"] = note_commitment(OWNER, inputs["change"], EPOCH + 6, inputs["rho_c"])
    rejected(assign_cs, inputs, CHANGE_CM)


def test_assign_notes_of_two_months_are_not_merged(assign_cs):
    tree = MerkleTree(DEPTH)
    a, b = Note.new(OWNER, 10, EPOCH), Note.new(OWNER, 10, EPOCH + 1)
    tree.extend([a.commitment, b.commitment])
    assignment = Assignment.new(GROUP, OPERATOR, 20, EPOCH)
    inputs = assign_inputs(SK, [(a, tree.proof(0)), (b, tree.proof(1))], tree.root, assignment,
                           Note.new(OWNER, 0, EPOCH), EPOCH + 1)
    rejected(assign_cs, inputs, NOTE_2_IN_TREE_IF_WORTH_ANYTHING)  # the circuit hashes b under a's month


# ------------------------------------------------------------------------------ redeem


def test_redeem_honest(redeem_cs, assign_tree, registry):
    inputs = honest_redeem(assign_tree, registry)
    witness = redeem_cs.solve(inputs)
    public = RedeemPublic.from_list(redeem_cs.public_values(witness))
    _, mine, _ = assign_tree
    assert public.nf == mine.nullifier(OSK, assign_tree[2])
    assert public.change_cm == assignment_commitment(GROUP, OPERATOR, 50, EPOCH, inputs["rho_c"])
    redeem_cs.solve(honest_redeem(assign_tree, registry, amount=80))  # everything (change worth 0)
    redeem_cs.solve(honest_redeem(assign_tree, registry, now=EPOCH + 11))


@pytest.mark.parametrize("amount, check", [
    # remaining = 80 - amount modulo r; each case breaks exactly one of the two range checks.
    (81, "range remaining"),  # remaining = r - 1
    ((1 << 64) - 1, "range remaining"),  # the largest amount that passes its own range check
    (R - 1, "range amount"),  # remaining = 81: without the amount's range check, 81 credits from 80
    (R - (1 << 64) + 81, "range amount"),  # remaining = 2^64 - 1, the largest that passes
])
def test_redeem_more_than_assigned_rejected(redeem_cs, assign_tree, registry, amount, check):
    inputs = honest_redeem(assign_tree, registry)
    inputs["amount"] = amount
    tree, mine, _ = assign_tree
    inputs["change_cm"] = assignment_commitment(GROUP, OPERATOR, (mine.amount - amount) % R, EPOCH, inputs["rho_c"])
    rejected(redeem_cs, inputs, check)


def test_redeem_expired_or_future_rejected(redeem_cs, assign_tree, registry):
    rejected(redeem_cs, honest_redeem(assign_tree, registry, now=EPOCH + 12), NOT_EXPIRED)
    rejected(redeem_cs, honest_redeem(assign_tree, registry, now=EPOCH - 1), NOT_FUTURE)


def thief_redeem(assign_tree, thief_osk, amount=30):
    """A redemption of OPERATOR's assignment by another key that knows its opening, with
    everything else consistent with that key: the thief is a registered operator itself (payout
    0x7EEF), the nullifier and the change are computed with its key. Only the assignment's
    membership is left to refuse it: under the thief's operator address it is not in the tree."""
    tree, mine, index = assign_tree
    thief = operator_address(thief_osk)
    reg, slots = registry_tree((OPERATOR, PAYOUT, SHARE), (thief, 0x7EEF, SHARE))
    change = Assignment.new(mine.group, thief, mine.amount - amount, mine.epoch)
    return redeem_inputs(thief_osk, mine, tree.proof(index), tree.root, amount, 0x7EEF, EPOCH + 3, change, SHARE,
                         reg.proof(slots[1]), reg.root)


def test_redeem_needs_the_operator_key(redeem_cs, assign_tree, registry):
    rejected(redeem_cs, thief_redeem(assign_tree, OSK + 1), ASSIGNMENT_IN_TREE)
    inputs = honest_redeem(assign_tree, registry)
    _, mine, _ = assign_tree
    inputs["nf"] = H(Tag.ASSIGN_NF, OSK, mine.rho + 1, assign_tree[2])
    rejected(redeem_cs, inputs, ASSIGNMENT_NF)
    inputs["nf"] = H(Tag.ASSIGN_NF, OSK, mine.rho, assign_tree[2] + 1)  # another position
    rejected(redeem_cs, inputs, ASSIGNMENT_NF)


def test_redeem_change_stays_with_the_group(redeem_cs, assign_tree, registry):
    inputs = honest_redeem(assign_tree, registry)
    inputs["change_cm"] = assignment_commitment(GROUP + 1, OPERATOR, 50, EPOCH, inputs["rho_c"])
    rejected(redeem_cs, inputs, REDEEM_CHANGE_CM)
    inputs = honest_redeem(assign_tree, registry)
    inputs["change_cm"] = assignment_commitment(GROUP, operator_address(3), 50, EPOCH, inputs["rho_c"])
    rejected(redeem_cs, inputs, REDEEM_CHANGE_CM)


def test_redeem_group_owner_cannot_redeem(redeem_cs, assign_tree, registry):
    """Knowing the assignment's opening (as the group owner does) is not enough without osk, even
    for a group owner that runs a registered operator of its own."""
    rejected(redeem_cs, thief_redeem(assign_tree, random_field_element(), amount=80), ASSIGNMENT_IN_TREE)


# ------------------------------------------------------------------------------ redeem: the registry (§3.1)
# Each case breaks exactly one rule: the witness is honest except for the one registry fact, and
# the constraint that refuses it is the registry membership check ("registered operator").


def test_redeem_public_payout_and_share_are_the_registered_ones(redeem_cs, assign_tree, registry):
    witness = redeem_cs.solve(honest_redeem(assign_tree, registry))
    public = RedeemPublic.from_list(redeem_cs.public_values(witness))
    assert (public.payout, public.share_bps, public.registry_root) == (PAYOUT, SHARE, registry[0].root)


def test_redeem_by_an_unregistered_operator_key(redeem_cs, registry):
    """A fake operator: a key of its own, an assignment made out to it, a payout of its choice."""
    fake_osk = random_field_element()
    fake = Assignment.new(GROUP, operator_address(fake_osk), 80, EPOCH)
    tree = MerkleTree(DEPTH)
    index = tree.append(fake.commitment)
    reg, slot = registry
    change = Assignment.new(GROUP, fake.operator, 50, EPOCH)
    for payout, share, path in ((0xBAD, 7000, reg.proof(slot)), (PAYOUT, SHARE, reg.proof(slot)),
                                (0xAAAA, 7000, reg.proof(0))):  # its own payout, OPERATOR's, another's
        inputs = redeem_inputs(fake_osk, fake, tree.proof(index), tree.root, 30, payout, EPOCH, change, share, path,
                               reg.root)
        rejected(redeem_cs, inputs, "registered operator")
    # Only in a registry of its own making does the circuit accept it: a root the ledger refuses
    # (StaleRegistryRoot, test_credits_registry.py).
    own, (own_slot,) = registry_tree((fake.operator, 0xBAD, 7000))
    redeem_cs.solve(redeem_inputs(fake_osk, fake, tree.proof(index), tree.root, 30, 0xBAD, EPOCH, change, 7000,
                                  own.proof(own_slot), own.root))


def test_redeem_to_a_payout_not_registered_to_the_operator(redeem_cs, assign_tree, registry):
    for payout in (0xBAD, 0xAAAA):  # nobody's, another operator's
        inputs = honest_redeem(assign_tree, registry)
        inputs["payout"] = payout
        rejected(redeem_cs, inputs, "registered operator")


@pytest.mark.parametrize("share", [SHARE + 1, 7000, SHARE - 1, 0])
def test_redeem_with_another_share(redeem_cs, assign_tree, registry, share):
    inputs = honest_redeem(assign_tree, registry)
    inputs["share_bps"] = share
    rejected(redeem_cs, inputs, "registered operator")


def test_redeem_registry_path_must_lead_to_the_public_root(redeem_cs, assign_tree, registry):
    inputs = honest_redeem(assign_tree, registry)
    inputs["registry_root"] = registry_tree((OPERATOR, PAYOUT, SHARE))[0].root  # another registry's root
    rejected(redeem_cs, inputs, "registered operator")
    inputs = honest_redeem(assign_tree, registry)
    inputs["registry_path_indices"] = [1 - inputs["registry_path_indices"][0], *inputs["registry_path_indices"][1:]]
    rejected(redeem_cs, inputs, "registered operator")


def test_registry_leaf_is_domain_separated():
    assert registry_leaf(OPERATOR, PAYOUT, SHARE) == H(Tag.REGISTRY, OPERATOR, PAYOUT, SHARE)
    assert registry_leaf(OPERATOR, PAYOUT, SHARE) != H(Tag.ASSIGNMENT, OPERATOR, PAYOUT, SHARE)


# ------------------------------------------------------------------------------ no proof either


def test_prover_refuses_overflow_witnesses(note_tree, assign_tree, registry):
    """The Groth16 prover checks the witness: an overflowing assignment or redemption gets no proof."""
    from circuits.app.system import CreditsSystem
    from zk.groth16 import UnsatisfiedWitness, prove

    system = CreditsSystem.shared(DEPTH)
    inputs = honest_assign(note_tree)
    inputs.update(assigned=151, change=R - 1)
    inputs["assign_cm"] = assignment_commitment(GROUP, OPERATOR, 151, EPOCH, inputs["rho_a"])
    inputs["change_cm"] = note_commitment(OWNER, R - 1, EPOCH, inputs["rho_c"])
    keys = system.keys["assign"]
    witness = keys.cs.solve(inputs, check=False)
    with pytest.raises(UnsatisfiedWitness) as refusal:
        prove(keys.pk, witness, origins=keys.cs.origins)
    names_check(refusal.value, "range change")

    inputs = honest_redeem(assign_tree, registry)
    inputs["amount"] = R - 1
    inputs["change_cm"] = assignment_commitment(GROUP, OPERATOR, 81, EPOCH, inputs["rho_c"])
    keys = system.keys["redeem"]
    witness = keys.cs.solve(inputs, check=False)
    with pytest.raises(UnsatisfiedWitness) as refusal:
        prove(keys.pk, witness, origins=keys.cs.origins)
    names_check(refusal.value, "range amount")
