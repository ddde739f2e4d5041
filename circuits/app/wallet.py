"""Wallets for users (notes) and operators (assignments), each in its own SQLite file.

A wallet writes what it is about to create (change notes, assignments) as `pending` before it
submits, and marks inputs spent only after the ledger accepted: a crash or a refused operation
never loses an opening nor marks credits spent that are not. `sync(ledger)` resolves whatever a
crash left pending: commitments found in the ledger's trees become usable, inputs whose
nullifiers the ledger has seen become spent.

Merkle paths come from the wallet's own copy of the trees' leaves, refreshed from the ledger, so
proving does not tell the ledger which leaf the wallet is interested in.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from circuits.app.ledger import ASSIGN_TREE, NOTE_TREE, Ledger, LedgerError, Payment
from circuits.protocol import (
    Assignment, Note, check_amount, check_field, is_usable, operator_address, owner_address, random_field_element,
)
from circuits.app.vault import (
    SCRYPT_N, Sealer, VaultError, WrongPassphrase, private_umask, require_private, unwrap_key, wrap_key, wrap_new_key,
)
from circuits.witness import assign_inputs, purchase_inputs, redeem_inputs
from zk.gadgets import MerkleTree
from zk.formats.jsonio import parse_json

BLOB_FORMAT = "zk-credits/assignment"
BLOB_VERSION = 1

FORMAT = 2  # 1: plain-text keys and openings (before issue 11); 2: sealed (circuits.app.vault)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves (tree TEXT NOT NULL, idx INTEGER NOT NULL, value TEXT NOT NULL,
                                   PRIMARY KEY (tree, idx));
CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, state TEXT NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS assignments (id TEXT PRIMARY KEY, role TEXT NOT NULL, state TEXT NOT NULL,
                                        sealed BLOB NOT NULL);
"""
# Only the leaves (a copy of the ledger's public trees), the public addresses and each record's
# state are in the clear. A record's id is an HMAC of its commitment and its body (the opening
# and its leaf position) is sealed: reading the file does not tell which leaves are this
# wallet's, nor link its purchases to its assignments.
# note / received-assignment states: pending (created, not yet seen on the ledger), unspent, spent,
# collision (its nullifier equals one this wallet already holds: never spent, see _resolve).
# given assignments (what a group owner created for an operator): pending, given.


class WalletError(ValueError):
    pass


class InsufficientCredits(WalletError):
    pass


class BlobError(WalletError):
    pass


class NotRegistered(WalletError):
    """An operator that is not in the ledger's registry: assigning to it would lose the credits."""


@dataclass(frozen=True)
class OwnedNote:
    note: Note
    leaf: int


@dataclass(frozen=True)
class OwnedAssignment:
    assignment: Assignment
    leaf: int


class Wallet:
    """A wallet file, created on first use. Its secrets are sealed under ``passphrase``
    (circuits.app.vault); a wrong one raises :class:`WrongPassphrase`. ``scrypt_n`` sets the KDF
    cost of a new wallet (tests use a cheaper one)."""

    def __init__(self, path: str | Path, passphrase, *, scrypt_n: int = SCRYPT_N):
        self.path = str(path)
        require_private(Path(self.path))
        with private_umask():  # the database and its -wal/-shm files: 0600
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = FULL")
                if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'keys'").fetchone():
                    raise WalletError(f"wallet {self.path} is in the unencrypted format 1; this version reads "
                                      "only sealed wallets (format 2): create a new wallet")
                with self._tx():
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            self.conn.execute(statement)
                    meta = dict(self.conn.execute("SELECT name, value FROM meta"))
                    if not meta:
                        meta = self._create(passphrase, scrypt_n)
            except BaseException:
                self.conn.close()
                raise
        try:
            self._sealer = Sealer(unwrap_key(parse_json(meta["vault"]), passphrase))
            keys = self._sealer.open("keys", "keys", bytes.fromhex(meta["keys"]))
            self.sk, self.osk = int(keys["sk"]), int(keys["osk"])
        except BaseException:
            self.conn.close()
            raise
        self.owner = owner_address(self.sk)
        self.operator = operator_address(self.osk)
        self._trees: dict[str, MerkleTree] = {}

    def _create(self, passphrase, scrypt_n: int) -> dict:
        record, data_key = wrap_new_key(passphrase, scrypt_n)
        sk, osk = random_field_element(), random_field_element()
        meta = {"format": str(FORMAT), "vault": json.dumps(record),
                "keys": Sealer(data_key).seal("keys", "keys", {"sk": str(sk), "osk": str(osk)}).hex(),
                "owner": str(owner_address(sk)), "operator": str(operator_address(osk))}
        self.conn.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        return meta

    def change_passphrase(self, new, *, scrypt_n: int = SCRYPT_N) -> None:
        """Rewrap the data key (which opening this wallet proved the old passphrase for) under
        ``new``; the records stay as they are."""
        with self._tx():
            self.conn.execute("UPDATE meta SET value = ? WHERE name = 'vault'",
                              (json.dumps(wrap_key(self._sealer.data_key, new, scrypt_n)),))

    def close(self) -> None:
        self.conn.close()

    def _tx(self):
        return _Tx(self.conn)

    # ------------------------------------------------------------------ sealed records
    def _records(self, table: str, where: str = "1", args: tuple = ()) -> list[tuple[str, str, dict]]:
        """(id, state, record) of the rows of ``table`` matching ``where``; records opened."""
        kind = _KIND[table]
        rows = self.conn.execute(f"SELECT id, state, sealed FROM {table} WHERE {where}", args).fetchall()
        return [(rid, state, self._sealer.open(kind, rid, sealed)) for rid, state, sealed in rows]

    def _id(self, table: str, cm: int) -> str:
        return self._sealer.name(_KIND[table], str(cm))

    def _put(self, table: str, record: dict, state: str, role: str | None = None, ignore: bool = False) -> None:
        rid = self._id(table, int(record["cm"]))
        sealed = self._sealer.seal(_KIND[table], rid, record)
        verb = "INSERT OR IGNORE" if ignore else "INSERT"
        if table == "notes":
            self.conn.execute(f"{verb} INTO notes VALUES (?, ?, ?)", (rid, state, sealed))
        else:
            self.conn.execute(f"{verb} INTO assignments VALUES (?, ?, ?, ?)", (rid, role, state, sealed))

    def _update(self, table: str, cm: int, state: str, leaf: int | None = None) -> None:
        rid = self._id(table, cm)
        if leaf is None:
            self.conn.execute(f"UPDATE {table} SET state = ? WHERE id = ?", (state, rid))
            return
        (_, _, record), = self._records(table, "id = ?", (rid,))
        record["leaf"] = leaf
        self.conn.execute(f"UPDATE {table} SET state = ?, sealed = ? WHERE id = ?",
                          (state, self._sealer.seal(_KIND[table], rid, record), rid))

    # ------------------------------------------------------------------ sync
    def sync(self, ledger: Ledger) -> None:
        """Fetch new leaves of both trees and resolve pending and spent states."""
        for tree in (NOTE_TREE, ASSIGN_TREE):
            have = self.conn.execute("SELECT COUNT(*) FROM leaves WHERE tree = ?", (tree,)).fetchone()[0]
            new = ledger.leaves(tree, have)
            with self._tx():
                self.conn.executemany("INSERT INTO leaves VALUES (?, ?, ?)",
                                      [(tree, have + i, str(v)) for i, v in enumerate(new)])
        with self._tx():
            self._resolve(ledger, "notes", NOTE_TREE, "note",
                          lambda record, leaf: _note(record).nullifier(self.sk, leaf))
            self._resolve(ledger, "assignments", ASSIGN_TREE, "assign",
                          lambda record, leaf: _assignment(record).nullifier(self.osk, leaf))

    def _resolve(self, ledger: Ledger, table: str, tree: str, kind: str, nullifier_of) -> None:
        spendable = "1" if table == "notes" else "role = 'received'"
        held = {nullifier_of(record, record["leaf"])
                for _, state, record in self._records(table, f"state IN ('unspent', 'spent') AND {spendable}")}
        roles = dict(self.conn.execute("SELECT id, role FROM assignments")) if table == "assignments" else {}
        for rid, _, record in self._records(table, "state = 'pending'"):
            row = self.conn.execute("SELECT idx FROM leaves WHERE tree = ? AND value = ? ORDER BY idx LIMIT 1",
                                    (tree, record["cm"])).fetchone()
            if row is None:
                continue
            state = "given" if roles.get(rid) == "given" else "unspent"
            if state == "unspent":
                nf = nullifier_of(record, row[0])
                # Position-bound nullifiers make this impossible (PROTOCOL.md §4.3); a wallet that
                # finds it anyway keeps the record out of use rather than lose one of the two.
                if nf in held:
                    state = "collision"
                held.add(nf)
            self._update(table, int(record["cm"]), state, row[0])
        for _, _, record in self._records(table, f"state = 'unspent' AND {spendable}"):
            if ledger.is_spent(kind, nullifier_of(record, record["leaf"])):
                self.conn.execute(f"UPDATE {table} SET state = 'spent' WHERE id = ?", (self._id(table, int(record["cm"])),))

    def _tree(self, tree: str, depth: int) -> MerkleTree:
        cached = self._trees.get(tree)
        if cached is None or cached.depth != depth:
            cached = self._trees[tree] = MerkleTree(depth)
        rows = self.conn.execute("SELECT value FROM leaves WHERE tree = ? AND idx >= ? ORDER BY idx",
                                 (tree, len(cached))).fetchall()
        cached.extend(int(v) for (v,) in rows)
        return cached

    # ------------------------------------------------------------------ user: purchase and assign
    def purchase(self, ledger: Ledger, system, payment: Payment, owner: int | None = None) -> OwnedNote:
        """Create a note for `payment` (to this wallet, or as a gift to another owner address) and
        submit its purchase proof."""
        note = Note.new(self.owner if owner is None else check_field(owner, "owner"),
                        check_amount(payment.amount), ledger.now())
        mine = note.owner == self.owner
        if mine:
            self._insert_note(note, "pending")
        submitted = False
        try:
            proof, statement = system.prove("purchase", purchase_inputs(note))
            submitted = True
            leaf = ledger.purchase(payment, proof, statement.note_cm, statement.amount, statement.epoch)
        except BaseException as exc:
            if mine:
                self._forget_pending(note, None, exc, submitted)
            raise
        if mine:
            with self._tx():
                self._update("notes", note.commitment, "unspent", leaf)
        return OwnedNote(note, leaf)

    def notes(self, state: str = "unspent") -> list[OwnedNote]:
        owned = [OwnedNote(_note(r), r["leaf"]) for _, _, r in self._records("notes", "state = ?", (state,))]
        return sorted(owned, key=lambda n: (n.note.epoch, n.note.amount))

    def balance(self, now: int) -> int:
        return sum(n.note.amount for n in self.notes() if is_usable(n.note.epoch, now))

    def select_notes(self, amount: int, now: int) -> list[OwnedNote]:
        """One or two usable notes of one purchase month worth at least `amount`, oldest month first
        (they expire first); a single note when one suffices."""
        by_epoch: dict[int, list[OwnedNote]] = {}
        for owned in self.notes():
            if is_usable(owned.note.epoch, now):
                by_epoch.setdefault(owned.note.epoch, []).append(owned)
        for epoch in sorted(by_epoch):
            candidates = sorted(by_epoch[epoch], key=lambda n: n.note.amount)
            single = [n for n in candidates if n.note.amount >= amount]
            if single:
                return [single[0]]
            if len(candidates) >= 2 and candidates[-1].note.amount + candidates[-2].note.amount >= amount:
                return [candidates[-1], candidates[-2]]
        raise InsufficientCredits(f"no one or two usable notes of one month hold {amount}")

    def assign(self, ledger: Ledger, system, group: int, operator: int, amount: int,
               relayer: int = 0, fee: int = 0, notes: Sequence[OwnedNote] | None = None) -> Assignment:
        """Give `amount` credits to a group's operator; returns the assignment (hand its opening to
        the operator with `export_assignment`)."""
        check_amount(amount)
        if ledger.registry.entry(check_field(operator, "operator")) is None:
            # Redeem proves registration (PROTOCOL.md §5.3): credits assigned to an unregistered
            # key could never be redeemed and would only expire to the network fund.
            raise NotRegistered(f"operator {operator:#x} is not in the ledger's registry: its credits could never "
                                "be redeemed")
        self.sync(ledger)
        now = ledger.now()
        inputs = list(notes) if notes is not None else self.select_notes(amount, now)
        if not 1 <= len(inputs) <= 2 or len({n.note.epoch for n in inputs}) != 1:
            raise WalletError("an assignment spends one or two notes of the same purchase month")
        epoch = inputs[0].note.epoch
        total = sum(n.note.amount for n in inputs)
        if total < amount:
            raise InsufficientCredits(f"the notes hold {total}, less than {amount}")
        tree = self._tree(NOTE_TREE, ledger.depth)
        assignment = Assignment.new(check_field(group, "group"), check_field(operator, "operator"), amount, epoch)
        change = Note.new(self.owner, total - amount, epoch)
        spent = []
        for owned in inputs:
            path = tree.proof(owned.leaf)
            if path.leaf != owned.note.commitment:
                raise WalletError(f"leaf {owned.leaf} of the local note tree is not this note")
            spent.append((owned.note, path))
        values = assign_inputs(self.sk, spent, tree.root, assignment, change, now, relayer, fee, ledger.depth)
        with self._tx():
            self._insert_note(change, "pending", tx=False)
            self._insert_assignment(assignment, "given", "pending", tx=False)
        submitted = False
        try:
            proof, statement = system.prove("assign", values)
            submitted = True
            assign_leaf, change_leaf = ledger.assign(proof, statement, relayer, fee)
        except BaseException as exc:
            self._forget_pending(change, assignment, exc, submitted)
            raise
        with self._tx():
            for owned in inputs:
                self._update("notes", owned.note.commitment, "spent")
            self._update("notes", change.commitment, "unspent", change_leaf)
            self._update("assignments", assignment.commitment, "given", assign_leaf)
        return assignment

    def export_assignment(self, assignment: Assignment) -> str:
        return export_assignment(assignment)

    # ------------------------------------------------------------------ operator: receive and redeem
    def import_assignment(self, blob: str) -> Assignment:
        """Accept an assignment opening from a group owner (it must be made out to this operator)."""
        assignment = import_assignment(blob)
        if assignment.operator != self.operator:
            raise BlobError("this assignment is made out to another operator")
        with self._tx():
            self._insert_assignment(assignment, "received", "pending", tx=False, ignore=True)
        return assignment

    def assignments(self, state: str = "unspent", role: str = "received") -> list[OwnedAssignment]:
        owned = [OwnedAssignment(_assignment(r), r["leaf"])
                 for _, _, r in self._records("assignments", "state = ? AND role = ?", (state, role))]
        return sorted(owned, key=lambda a: (a.assignment.epoch, a.assignment.amount))

    def redeemable(self, now: int) -> int:
        return sum(a.assignment.amount for a in self.assignments() if is_usable(a.assignment.epoch, now))

    def redeem(self, ledger: Ledger, system, amount: int, payout: int | None = None,
               assignment: OwnedAssignment | None = None) -> dict:
        """Redeem `amount` from one received assignment (the smallest that covers it) to this
        operator's registered payout (`payout`, when given, must be that address)."""
        check_amount(amount)
        entry = ledger.registry.entry(self.operator)
        if entry is None:
            raise NotRegistered(f"this wallet's operator address {self.operator:#x} is not in the ledger's registry")
        if payout is not None and payout != entry.payout:
            raise WalletError(f"payout {payout:#x} is not the payout registered to this operator "
                              f"({entry.payout:#x})")
        self.sync(ledger)
        now = ledger.now()
        if assignment is None:
            usable = [a for a in self.assignments() if is_usable(a.assignment.epoch, now) and a.assignment.amount >= amount]
            if not usable:
                raise InsufficientCredits(f"no usable assignment holds {amount}")
            assignment = usable[0]
        a = assignment.assignment
        if a.amount < amount:
            raise InsufficientCredits(f"the assignment holds {a.amount}, less than {amount}")
        tree = self._tree(ASSIGN_TREE, ledger.depth)
        path = tree.proof(assignment.leaf)
        if path.leaf != a.commitment:
            raise WalletError(f"leaf {assignment.leaf} of the local assignment tree is not this assignment")
        change = Assignment.new(a.group, a.operator, a.amount - amount, a.epoch)
        registry = ledger.registry.tree()
        entry_path = registry.proof(entry.index)
        if entry_path.leaf != entry.leaf:
            raise WalletError(f"slot {entry.index} of the ledger's registry tree is not this operator's entry")
        values = redeem_inputs(self.osk, a, path, tree.root, amount, entry.payout, now, change, entry.share_bps,
                               entry_path, registry.root)
        with self._tx():
            self._insert_assignment(change, "received", "pending", tx=False)
        submitted = False
        try:
            proof, statement = system.prove("redeem", values)
            submitted = True
            receipt = ledger.redeem(proof, statement)
        except BaseException as exc:
            self._forget_pending(None, change, exc, submitted)
            raise
        with self._tx():
            self._update("assignments", a.commitment, "spent")
            self._update("assignments", change.commitment, "unspent", receipt["change_leaf"])
        return receipt

    # ------------------------------------------------------------------ storage helpers
    def _insert_note(self, note: Note, state: str, tx: bool = True) -> None:
        record = {"cm": str(note.commitment), **note.to_json(), "leaf": None}
        if tx:
            with self._tx():
                self._put("notes", record, state)
        else:
            self._put("notes", record, state)

    def _insert_assignment(self, a: Assignment, role: str, state: str, tx: bool = True, ignore: bool = False) -> None:
        self._put("assignments", {"cm": str(a.commitment), **a.to_json(), "leaf": None}, state, role, ignore)

    def _forget_pending(self, note: Note | None, assignment: Assignment | None, exc: BaseException,
                        submitted: bool) -> None:
        """Drop the pending rows of an operation that certainly did not land: it failed before it
        was submitted, or the ledger refused it (a refusal leaves the ledger unchanged). Anything
        else (an interrupt while the ledger was working) stays pending for sync() to resolve."""
        if submitted and not isinstance(exc, LedgerError):
            return
        with self._tx():
            if note is not None:
                self.conn.execute("DELETE FROM notes WHERE id = ? AND state = 'pending'",
                                  (self._id("notes", note.commitment),))
            if assignment is not None:
                self.conn.execute("DELETE FROM assignments WHERE id = ? AND state = 'pending'",
                                  (self._id("assignments", assignment.commitment),))


_KIND = {"notes": "note", "assignments": "assignment"}


def _note(record: dict) -> Note:
    return Note.from_json(record)


def _assignment(record: dict) -> Assignment:
    return Assignment.from_json(record)


def public_addresses(path: str | Path) -> tuple[int, int]:
    """(owner, operator) addresses of a wallet file, read without its passphrase (they are public)."""
    require_private(Path(path))
    with private_umask():
        conn = sqlite3.connect(str(path))
    try:
        meta = dict(conn.execute("SELECT name, value FROM meta WHERE name IN ('owner', 'operator')"))
        return int(meta["owner"]), int(meta["operator"])
    except (sqlite3.Error, KeyError, ValueError) as exc:
        raise WalletError(f"{path} is not a wallet of this version ({exc})") from None
    finally:
        conn.close()


# ---------------------------------------------------------------------- assignment blobs
def _checksum(payload: dict) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def export_assignment(assignment: Assignment) -> str:
    """A versioned JSON blob with the assignment's opening, for the group owner to hand to the
    operator (by file or message). Anyone holding it learns the assignment, not its nullifier."""
    payload = {"format": BLOB_FORMAT, "version": BLOB_VERSION, "assignment": assignment.to_json()}
    return json.dumps({**payload, "checksum": _checksum(payload)}, sort_keys=True)


def import_assignment(blob: str) -> Assignment:
    try:
        data = parse_json(blob)
    except (TypeError, ValueError) as exc:
        raise BlobError(f"not an assignment blob: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != BLOB_FORMAT:
        raise BlobError(f"not a {BLOB_FORMAT} blob")
    if data.get("version") != BLOB_VERSION:
        raise BlobError(f"unsupported assignment blob version {data.get('version')!r} (this wallet reads {BLOB_VERSION})")
    payload = {k: data.get(k) for k in ("format", "version", "assignment")}
    if data.get("checksum") != _checksum(payload):
        raise BlobError("assignment blob checksum mismatch: it was corrupted or edited")
    try:
        return Assignment.from_json(data["assignment"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BlobError(f"malformed assignment in blob: {exc}") from None


class _Tx:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False
