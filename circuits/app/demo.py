"""The whole Community Credits story, with real Groth16 proofs: `zk credits demo` or
`python scripts/demo.py [--home DIR] [--depth N]`.

Governance registers two server operators with different shares (70% and 60%); purchases from
fresh addresses, an assignment of part of them to a group's operator (two notes in, change back),
the hand-over of the assignment, redemptions split between each operator's registered payout and
the network fund, a double spend, a replayed proof and a front-run payout refused, a holder's
cash-out through a fake operator refused (by its wallet, by the circuit: no proof exists, and by
the ledger: a registry of its own is not the ledger's), expiry a year later and the sweep of what
was never redeemed; each step says what the chain sees, how long the proof took and whether the
ledger's verification accepted it. Ends with balances, the fund split and the ledger's invariant
checks.

The keys are cached in HOME/keys (shared with `zk credits setup` at the same depth): a second run
only loads them. The story's ledger and wallets live in HOME/demo and start fresh every run.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import time
from pathlib import Path
from typing import Callable

from circuits.app.vault import DEMO_PASSPHRASE
from circuits.app.home import Home, TimedVerifier, default_home, group_id, hex_address, month, simulated_payment
from circuits.app.ledger import (
    ASSIGN_TREE, NOTE_TREE, InvalidProof, LedgerError, NullifierSpent, StaleRegistryRoot,
)
from circuits.protocol import (
    DEFAULT_DEPTH, LIFETIME, Assignment, Note, RedeemPublic, epoch_of, registry_leaf,
)
from circuits.app.registry import Governance
from circuits.app.system import CreditsSystem
from circuits.app.wallet import BlobError, InsufficientCredits, NotRegistered, export_assignment
from circuits.witness import assign_inputs, redeem_inputs
from zk.gadgets import MerkleTree
from zk.r1cs import WitnessError

START = epoch_of(2026, 11)
SHARE_BPS = 7000
PAYOUT = 0x00000000000000000000000000000000C0FFEE01
SHARE_BPS_B = 6000
PAYOUT_B = 0x00000000000000000000000000000000C0FFEE02
ATTACKER_PAYOUT = 0x000000000000000000000000000000000BADBAD0


def short(value: int) -> str:
    text = f"{value:064x}"
    return f"0x{text[:6]}..{text[-4:]}"


class Story:
    def __init__(self, home: Path, depth: int, echo: Callable[[str], None], ceremony_ptau: Path | None = None):
        self.echo = echo
        self.depth = depth
        self.ceremony_ptau = ceremony_ptau
        self.home_root = Path(home)
        self.steps = 0
        self.accepted = 0
        self.refused = 0

    # ------------------------------------------------------------------ printing
    def step(self, title: str) -> None:
        self.steps += 1
        self.echo(f"\n{self.steps}. {title}")

    def say(self, text: str) -> None:
        self.echo(f"   {text}")

    def public(self, fields: dict) -> None:
        parts = []
        for name, value in fields.items():
            if name == "payout":
                parts.append(f"payout={hex_address(value)}")
            else:
                parts.append(f"{name}={short(value) if value >= 1 << 64 else value}")
        self.say("on chain: " + ", ".join(parts))

    def proof_line(self, circuit: str) -> None:
        timing = self.system.last_timing
        _, ok, seconds = self.verifier.last
        self.say(f"{circuit} proof: solve {timing.solve_seconds:.2f} s + prove {timing.prove_seconds:.2f} s; "
                 f"ledger verification {seconds * 1000:.0f} ms: {'VALID' if ok else 'INVALID'}")
        if not ok:
            raise AssertionError(f"an honest {circuit} proof did not verify")
        self.accepted += 1

    def refused_line(self, what: str, exc: Exception, expected: type) -> None:
        if not isinstance(exc, expected):
            raise AssertionError(f"{what}: expected {expected.__name__}, got {type(exc).__name__}: {exc}")
        self.refused += 1
        self.say(f"REFUSED ({type(exc).__name__}): {exc}")

    def last_event(self) -> dict:
        return list(self.ledger.events())[-1][3]

    def ceremony(self, key_dir: Path) -> None:
        """Phase 2 for the three circuits: two contributions and a beacon, each hash printed as
        its participant would publish it; the final keys go to ``key_dir``."""
        from circuits.app import ceremony

        directory = self.home_root / "ceremony"
        if directory.exists():
            shutil.rmtree(directory)
        if key_dir.exists():
            shutil.rmtree(key_dir)
        t0 = time.perf_counter()
        self.echo(f"trusted setup from the powers of tau {self.ceremony_ptau} (phase 2 in {directory})")
        for name, digest in ceremony.setup(directory, self.depth, self.ceremony_ptau).items():
            self.echo(f"   {name:8s} circuit hash      {digest.hex()[:32]}...")
        published = {}
        for who in ("alice", "bob"):
            for name, digest in ceremony.contribute(directory, name=who).items():
                published.setdefault(name, []).append(digest)
                self.echo(f"   {name:8s} {who:6s} contributed {digest.hex()[:32]}...")
        beacon = hashlib.sha256(b"a future block hash").digest()
        for name, digest in ceremony.beacon(directory, key_dir, beacon, 10).items():
            published[name].append(digest)
            self.echo(f"   {name:8s} beacon {beacon.hex()[:16]}... {digest.hex()[:32]}...")
        ceremony.verify(directory, expect=published)
        self.echo(f"   every key verified against its circuit, the ptau and the published hashes "
                  f"({time.perf_counter() - t0:.1f} s)")

    # ------------------------------------------------------------------ the story
    def setup(self) -> None:
        from circuits.app.cli import numba_cache_is_cold

        self.echo(f"Community Credits demo: tree depth {self.depth} (2^{self.depth} notes), "
                  f"registered operators only, credits expire {LIFETIME} months after purchase")
        if numba_cache_is_cold():
            self.echo("first run on this machine: numba compiles its kernels "
                      "(one to two minutes on a 2-core machine; cached afterwards)")
        key_dir = self.home_root / "keys"
        if self.ceremony_ptau is not None:
            key_dir = self.home_root / "ceremony-keys"
            self.ceremony(key_dir)
        t0 = time.perf_counter()
        self.system = CreditsSystem.load(self.depth, key_dir)
        cached = not any(k.setup_seconds for k in self.system.keys.values())
        how = ("from the ceremony above" if self.ceremony_ptau is not None
               else "(single-party setup: development only)")
        self.echo(f"circuits compiled and keys {'loaded from' if cached else 'generated into'} {key_dir} "
                  f"in {time.perf_counter() - t0:.1f} s {how}")
        for name, keys in self.system.keys.items():
            setup = f", setup {keys.setup_seconds:.1f} s" if keys.setup_seconds else ""
            self.echo(f"   {name:8s} {keys.cs.n_constraints:6d} constraints, {keys.cs.n_public} public inputs{setup}")
        run_dir = self.home_root / "demo"
        if run_dir.exists():
            shutil.rmtree(run_dir)
        self.governance = Governance.generate()  # the demo network's governance key
        self.home = Home.create(run_dir, self.depth, START, governance=self.governance)
        # The demo's wallets are sealed under a stated passphrase (circuits.app.vault.DEMO_PASSPHRASE):
        # real wallets take theirs from a prompt or $ZK_CREDITS_PASSPHRASE.
        self.home.passphrase = lambda name, create: DEMO_PASSPHRASE
        self.verifier = TimedVerifier(self.system)
        self.ledger = self.home.ledger(self.verifier)
        self.alice = self.home.wallet("alice", create=True)
        self.bob = self.home.wallet("bob", create=True)
        self.op = self.home.wallet("operator", create=True)
        self.op_b = self.home.wallet("operator-b", create=True)
        self.fake = self.home.wallet("fake-operator", create=True)
        self.echo(f"fresh ledger and wallets (alice, bob: users; operator, operator-b: serve groups; fake-operator: "
                  f"a key of alice's own) in {run_dir}; clock {month(self.ledger.now())}; the wallets are sealed "
                  f"under the demo passphrase {DEMO_PASSPHRASE!r}")
        self.step("the network's governance registers two server operators (each change signed by its key)")
        for name, wallet, payout, share in (("operator", self.op, PAYOUT, SHARE_BPS),
                                            ("operator-b", self.op_b, PAYOUT_B, SHARE_BPS_B)):
            root = self.governance.add(self.ledger, wallet.operator, payout, share)
            self.say(f"{name:10s} address {short(wallet.operator)} payout {hex_address(payout)} share {share / 100:.0f}%"
                     f"; registry root {short(root)}")
        self.say("only these may redeem, only to these payouts, at these shares: the redeem proof shows its "
                 "(operator, payout, share) is a leaf of the registry")

    def purchase(self, who: str, wallet, amount: int) -> None:
        payment = simulated_payment(amount)
        self.step(f"{who} buys {amount} credits, paying {amount} from fresh address {payment.payer[:10]}..")
        owned = wallet.purchase(self.ledger, self.system, payment)
        self.public({"note_cm": owned.note.commitment, "amount": amount, "epoch": owned.note.epoch})
        self.proof_line("purchase")
        self.say(f"note {owned.leaf} in the note tree; {who} holds {wallet.balance(self.ledger.now())} usable credits")

    def run(self) -> None:
        self.setup()
        ledger, system = self.ledger, self.system
        self.purchase("alice", self.alice, 100)
        self.purchase("alice", self.alice, 100)
        self.purchase("bob", self.bob, 50)

        group = "#rust-lang (group link t.me/+rust)"
        gid = group_id(group)
        self.step(f"alice assigns 150 credits to group {group!r} served by the operator")
        self.say(f"the operator gave alice its address {short(self.op.operator)}; group id {short(gid)} "
                 "(a hash of the link, never on chain)")
        assignment = self.alice.assign(ledger, system, group=gid, operator=self.op.operator, amount=150)
        event = self.last_event()
        self.public({k: int(event[k]) for k in ("note_root", "nf_1", "nf_2", "assign_cm", "change_cm", "now",
                                                "external_hash")})
        self.proof_line("assign")
        change = [n for n in self.alice.notes() if n.leaf == event["change_leaf"]]
        self.say(f"spent alice's two notes of 100 (their nullifiers are public, not which notes they are); "
                 f"change note {change[0].note.amount} back to alice; alice holds "
                 f"{self.alice.balance(ledger.now())} usable")
        double_spend_proof = self.verifier.last_submission

        self.step("alice hands the assignment to the operator (a checksummed JSON blob, private channel)")
        blob = self.alice.export_assignment(assignment)
        tampered = blob.replace(f'"amount": "{assignment.amount}"', '"amount": "1500"')
        try:
            self.op.import_assignment(tampered)
        except BlobError as exc:
            self.say(f"a copy edited to 1500 credits: {exc}")
        self.op.import_assignment(blob)
        self.op.sync(ledger)
        self.say(f"the operator accepted it: redeemable {self.op.redeemable(ledger.now())}")

        self.step("double spend: alice replays her assign proof")
        circuit, publics, proof = double_spend_proof
        from circuits.protocol import AssignPublic

        try:
            ledger.assign(proof, AssignPublic.from_list(publics), 0, 0)
        except LedgerError as exc:
            self.refused_line("replayed assign", exc, NullifierSpent)

        self.step("double spend: a fresh, valid proof spending alice's first (already spent) note again")
        spent = self.alice.notes("spent")[0]
        tree = self.alice._tree(NOTE_TREE, self.depth)
        fake = Assignment.new(gid, self.op.operator, spent.note.amount, spent.note.epoch)
        values = assign_inputs(self.alice.sk, [(spent.note, tree.proof(spent.leaf))], tree.root, fake,
                               Note.new(self.alice.owner, 0, spent.note.epoch), ledger.now(), depth=self.depth)
        fresh_proof, statement = system.prove("assign", values)
        try:
            ledger.assign(fresh_proof, statement, 0, 0)
        except LedgerError as exc:
            self.say(f"the proof verified ({self.verifier.last[2] * 1000:.0f} ms) but its nullifier "
                     f"{short(statement.nf_1)} is already in the nullifier set")
            self.refused_line("double spend", exc, NullifierSpent)

        self.step(f"the operator redeems 100 to its payout address {hex_address(PAYOUT)}")
        receipt = self.op.redeem(ledger, system, 100, PAYOUT)
        event = self.last_event()
        self.public({k: int(event[k]) for k in RedeemPublic.__dataclass_fields__})
        self.proof_line("redeem")
        self.say(f"split: {receipt['operator_share']} to the operator, {receipt['network_share']} to the network "
                 f"fund; the change assignment ({self.op.redeemable(ledger.now())}) stays with the operator")
        _, publics, redeem_proof = self.verifier.last_submission

        self.step(f"front-running: someone copies that redeem proof with payout {hex_address(ATTACKER_PAYOUT)}")
        stolen = RedeemPublic(**{**RedeemPublic.from_list(publics).__dict__, "payout": ATTACKER_PAYOUT})
        try:
            ledger.redeem(redeem_proof, stolen)
        except LedgerError as exc:
            self.refused_line("front-run", exc, InvalidProof)

        self.step("the operator redeems 30 more from the change assignment")
        self.op.redeem(ledger, system, 30, PAYOUT)
        self.proof_line("redeem")
        self.say(f"redeemable left: {self.op.redeemable(ledger.now())}")

        self.fake_operator_cash_out()

        self.home.advance(6)
        self.echo(f"\n   ... six months pass: clock {month(ledger.now())}")
        self.purchase("bob", self.bob, 40)
        self.step("bob assigns 80 credits to another group: refused, his notes are of two different months")
        try:
            self.bob.assign(ledger, system, group=group_id("#zk-research"), operator=self.op.operator, amount=80)
        except InsufficientCredits as exc:
            self.refused += 1
            self.say(f"REFUSED by bob's wallet: {exc} (months are never merged: each keeps its own expiry)")
        self.step("bob assigns 40 (his newest note) to group '#zk-research', served by operator-b")
        assignment = self.bob.assign(ledger, system, group=group_id("#zk-research"), operator=self.op_b.operator,
                                     amount=40, notes=[n for n in self.bob.notes() if n.note.amount == 40])
        self.proof_line("assign")
        self.op_b.import_assignment(self.bob.export_assignment(assignment))
        self.op_b.sync(ledger)
        self.step(f"operator-b accepts bob's assignment and redeems all 40 (registered share {SHARE_BPS_B / 100:.0f}%)")
        receipt = self.op_b.redeem(ledger, system, 40)
        self.proof_line("redeem")
        self.say(f"split: {receipt['operator_share']} to operator-b's payout {hex_address(PAYOUT_B)}, "
                 f"{receipt['network_share']} to the network fund")
        self.say("the ledger debits the oldest open month first (the redemption "
                 "does not reveal which month the credits were bought in)")

        self.home.set_clock(START + LIFETIME)
        self.step(f"a year after the first purchases: clock {month(ledger.now())}; the {month(START)} credits "
                  "have expired")
        try:
            self.bob.assign(ledger, system, group=gid, operator=self.op.operator, amount=50)
        except InsufficientCredits as exc:
            self.refused += 1
            self.say(f"bob tries to assign his 50 from {month(START)}: REFUSED by his wallet: {exc}")
        try:
            self.op.redeem(ledger, system, 20, PAYOUT)
        except InsufficientCredits as exc:
            self.refused += 1
            self.say(f"the operator tries to redeem its last 20: REFUSED: {exc}")
        self.sweep()
        self.say("the 40 redeemed in the spring were debited from the oldest month (FIFO), so this sweep "
                 "releases less than the 120 truly unredeemed; the rest follows when the spring month expires")
        self.home.set_clock(START + 6 + LIFETIME)
        self.step(f"clock {month(ledger.now())}: bob's spring purchase has expired too")
        self.sweep()
        self.finish()

    def fake_operator_cash_out(self) -> None:
        """Alice wants money instead of server capacity: she assigns her 50 to an operator key of
        her own and tries to redeem 70% to an address of her choice."""
        ledger, system, alice, fake = self.ledger, self.system, self.alice, self.fake
        self.step("alice wants cash: she assigns her 50 of change to an operator key of her own (fake-operator)")
        try:
            alice.assign(ledger, system, group=group_id("#no-such-group"), operator=fake.operator, amount=50)
        except NotRegistered as exc:
            self.refused += 1
            self.say(f"REFUSED by alice's wallet: {exc}")
        alice.sync(ledger)
        note = alice.notes()[0]
        tree = alice._tree(NOTE_TREE, self.depth)
        assignment = Assignment.new(group_id("#no-such-group"), fake.operator, note.note.amount, note.note.epoch)
        proof, statement = system.prove("assign", assign_inputs(
            alice.sk, [(note.note, tree.proof(note.leaf))], tree.root, assignment,
            Note.new(alice.owner, 0, note.note.epoch), ledger.now(), depth=self.depth))
        assign_leaf, _ = ledger.assign(proof, statement, 0, 0)
        self.say("with her own code instead of the wallet, the assignment lands: assign does not check the "
                 "registry, no money moves (PROTOCOL.md §5.2)")
        fake.import_assignment(export_assignment(assignment))
        fake.sync(ledger)
        alice.sync(ledger)

        self.step(f"the fake operator tries to cash out 50 to {hex_address(ATTACKER_PAYOUT)}")
        try:
            fake.redeem(ledger, system, 50, ATTACKER_PAYOUT)
        except NotRegistered as exc:
            self.refused += 1
            self.say(f"REFUSED by its wallet: {exc}")
        assign_tree = MerkleTree(self.depth)
        assign_tree.extend(ledger.leaves(ASSIGN_TREE))
        change = Assignment.new(assignment.group, assignment.operator, 0, assignment.epoch)

        def inputs(registry: MerkleTree, slot: int) -> dict:
            return redeem_inputs(fake.osk, assignment, assign_tree.proof(assign_leaf), assign_tree.root, 50,
                                 ATTACKER_PAYOUT, ledger.now(), change, SHARE_BPS, registry.proof(slot), registry.root)

        real = ledger.registry.tree()
        try:
            system.prove("redeem", inputs(real, 0))
            raise AssertionError("a redeem proof for an unregistered operator was made")
        except WitnessError as exc:
            self.refused += 1
            check = getattr(exc, "origin", str(exc)).split("/")[0]
            self.say(f"REFUSED in circuit: no proof exists against the ledger's registry (the {check!r} "
                     "constraints are not satisfied)")
        own = MerkleTree(ledger.registry.depth)
        slot = own.append(registry_leaf(fake.operator, ATTACKER_PAYOUT, SHARE_BPS))
        proof, statement = system.prove("redeem", inputs(own, slot))
        self.say(f"a registry of its own making, listing itself: the proof is made, root {short(own.root)}")
        try:
            ledger.redeem(proof, statement)
        except LedgerError as exc:
            self.say(f"the proof verified ({self.verifier.last[2] * 1000:.0f} ms) but its registry root is not "
                     "the ledger's")
            self.refused_line("fake registry", exc, StaleRegistryRoot)
        self.say(f"{hex_address(ATTACKER_PAYOUT)} received {ledger.payout_balance(ATTACKER_PAYOUT)}; alice's 50 "
                 "stay in their month and go to the network fund when it expires")

    def sweep(self) -> None:
        swept = self.ledger.sweep_expired()
        for epoch, amount in swept:
            self.say(f"sweep: {amount} credits of {month(epoch)} released to the network fund")
        if not swept:
            self.say("sweep: nothing expired")

    def finish(self) -> None:
        from circuits.app.cli import status_lines

        ledger = self.ledger
        self.echo("\nFinal state")
        for line in status_lines(ledger, self.home):
            self.echo(line)
        totals = ledger.totals()
        self.echo(f"   fund split: paid in {totals['payments']} = operators {totals['operator_payouts']} "
                  f"+ network {totals['network_from_redemptions']} (redemptions) "
                  f"+ network {totals['network_from_sweeps']} (sweeps) + still open "
                  f"{sum(b.remaining for b in ledger.buckets() if b.open)}")
        t0 = time.perf_counter()
        ledger.check_invariants()
        self.echo(f"   check_invariants: OK ({time.perf_counter() - t0:.2f} s: books balance, both trees "
                  f"({ledger.leaf_count(NOTE_TREE)} notes, {ledger.leaf_count(ASSIGN_TREE)} assignments) match "
                  "their leaves)")
        valid = sum(1 for _, ok, _ in self.verifier.log if ok)
        self.echo(f"   {self.accepted} honest proofs, every one verified by the ledger; {valid} verifications "
                  f"passed in all, {self.refused} attempts refused")


def run_demo(home: str | Path | None = None, depth: int = DEFAULT_DEPTH,
             echo: Callable[[str], None] = print, ceremony_ptau: str | Path | None = None) -> None:
    t0 = time.perf_counter()
    story = Story(Path(home) if home is not None else default_home(), depth, echo,
                  Path(ceremony_ptau) if ceremony_ptau is not None else None)
    story.run()
    echo(f"\ndemo finished in {time.perf_counter() - t0:.1f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Community Credits: the whole story with real proofs.")
    parser.add_argument("--home", default=None, help="data directory (keys cached in HOME/keys); "
                        "default $ZK_CREDITS_HOME or ./.credits")
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH)
    parser.add_argument("--ceremony", default=None, metavar="PTAU",
                        help="make the keys in a phase-2 ceremony over this powers of tau (two contributions, a beacon)")
    args = parser.parse_args(argv)
    run_demo(args.home, args.depth, ceremony_ptau=args.ceremony)


if __name__ == "__main__":
    main()
