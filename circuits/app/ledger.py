"""The ledger: the Community Credits contract's logic (docs/PROTOCOL.md §6-§7) on SQLite.

Every operation is one `BEGIN IMMEDIATE` transaction, so it applies completely or not at all
(also when the process is killed half-way), and two submissions of the same nullifier serialize:
the second sees the first's row (and the UNIQUE key would refuse it anyway). Proofs are verified
before the transaction starts (they depend only on their statement), every check against the
state runs inside it.

Amounts and field elements are stored as decimal TEXT: SQLite integers are signed 64-bit and an
amount may use all 64 bits; sums are done in Python.
"""
from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from circuits.app.registry import RegistryChange, RegistryEntry, verify_change
from circuits.protocol import (
    DEFAULT_DEPTH, LIFETIME, MAX_AMOUNT, MAX_OPERATOR_SHARE_BPS, PAYOUT_BITS, REGISTRY_ROOT_WINDOW, ROOT_HISTORY, AssignPublic,
    ProtocolError, PurchasePublic, RedeemPublic, check_payout, check_share, current_epoch, external_hash,
    registry_depth,
)
from zk.gadgets.merkle import hash_pair, zero_hashes
from zk.r1cs.field import R

if TYPE_CHECKING:
    from circuits.app.system import Verifier

NOTE_TREE = "note"
ASSIGN_TREE = "assign"
REGISTRY_TREE = "registry"
NETWORK_FUND = "network"
SCHEMA_VERSION = 2  # 2: the operator registry (protocol 0.3)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE leaves (tree TEXT NOT NULL, idx INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (tree, idx));
CREATE INDEX leaves_by_value ON leaves (tree, value);
CREATE TABLE nodes (tree TEXT NOT NULL, level INTEGER NOT NULL, pos INTEGER NOT NULL, value TEXT NOT NULL,
                    PRIMARY KEY (tree, level, pos));
CREATE TABLE roots (tree TEXT NOT NULL, seq INTEGER NOT NULL, root TEXT NOT NULL, PRIMARY KEY (tree, seq));
CREATE TABLE nullifiers (kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, value));
CREATE TABLE payments (payment_id TEXT PRIMARY KEY, payer TEXT NOT NULL, amount TEXT NOT NULL);
CREATE TABLE buckets (epoch INTEGER PRIMARY KEY, purchased TEXT NOT NULL, debited TEXT NOT NULL,
                      swept TEXT NOT NULL, open INTEGER NOT NULL);
CREATE TABLE balances (account TEXT PRIMARY KEY, amount TEXT NOT NULL);
CREATE TABLE totals (name TEXT PRIMARY KEY, amount TEXT NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, epoch INTEGER NOT NULL,
                     data TEXT NOT NULL);
CREATE TABLE registry (operator TEXT PRIMARY KEY, idx INTEGER NOT NULL UNIQUE, payout TEXT NOT NULL UNIQUE,
                       share_bps INTEGER NOT NULL);
CREATE TABLE registry_roots (seq INTEGER PRIMARY KEY, root TEXT NOT NULL, since INTEGER NOT NULL, until INTEGER);
CREATE TABLE registry_changes (seq INTEGER PRIMARY KEY, change TEXT NOT NULL, signature TEXT NOT NULL,
                               at INTEGER NOT NULL);
"""
_TOTALS = ("operator_payouts", "network_from_redemptions", "network_from_sweeps", "payments", "relayer_fees")


class LedgerError(ValueError):
    """An operation the ledger refuses; the state is unchanged."""


class InvalidProof(LedgerError):
    pass


class BadPublicInput(LedgerError):
    pass


class UnknownRoot(LedgerError):
    pass


class NullifierSpent(LedgerError):
    pass


class WrongEpoch(LedgerError):
    pass


class PaymentMismatch(LedgerError):
    pass


class InsufficientFunds(LedgerError):
    pass


class RelayerFeeTooHigh(LedgerError):
    """A relayer fee above the ledger's maximum or above what the network fund holds (§6.1)."""


class StaleRegistryRoot(UnknownRoot):
    """A registry root that is neither current nor replaced less than REGISTRY_ROOT_WINDOW ago."""


class RegistryError(LedgerError):
    """A registry change that breaks a registry rule (share above 7000, unknown operator, ...)."""


class Unauthorized(LedgerError):
    """A registry change without the governance key's signature."""


class InvariantViolation(AssertionError):
    pass


@dataclass(frozen=True)
class Payment:
    """A payment seen on the chain: its transaction id (each pays for one purchase), payer, value."""

    payment_id: str
    payer: str
    amount: int


@dataclass(frozen=True)
class Bucket:
    epoch: int
    purchased: int
    debited: int
    swept: int
    open: bool

    @property
    def remaining(self) -> int:
        return self.purchased - self.debited - self.swept


def _check_publics(values: Sequence[int]) -> None:
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < R:
            # x + r encodes the same field element as x: accepting it would give one nullifier two
            # spellings in the nullifier set.
            raise BadPublicInput(f"public input {i} = {v!r} is not a field element in [0, r)")


class Ledger:
    """One ledger database. Safe to share between threads and processes: each operation opens
    its own connection."""

    def __init__(self, path: str | Path, verifier: "Verifier", *, governance: bytes | None = None,
                 now: Callable[[], int] = current_epoch, seconds: Callable[[], int] = lambda: int(time.time()),
                 depth: int | None = None, max_relayer_fee: int | None = None,
                 fault: Callable[[str], None] | None = None):
        """Open (or create) the ledger at `path`. `depth` (default 20) and `governance` (the
        32-byte Ed25519 public key that authorises registry changes, required to create) are
        fixed at creation; when opening they must match or be None. `now` gives the current
        epoch, `seconds` the time in seconds (the registry root window); both injectable for
        tests. `max_relayer_fee` (default 0: no fees) is the most an assignment's relayer may be
        paid out of the network fund (§6.1), fixed at creation. `fault(point)` is called at named
        points inside transactions so tests can crash an operation half-way."""
        self.path = str(path)
        self.verifier = verifier
        self.now = now
        self.seconds = seconds
        self._fault = fault or (lambda point: None)
        self._local = threading.local()
        with self._transaction() as db:
            exists = db.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone()
            if not exists:
                depth = DEFAULT_DEPTH if depth is None else depth
                if not isinstance(governance, (bytes, bytearray)) or len(governance) != 32:
                    raise ValueError("a new ledger needs its governance key (32-byte Ed25519 public key), "
                                     f"got {governance!r}")
                zero_hashes(depth)  # validates the depth
                db.executescript_in_tx(_SCHEMA)
                db.executemany("INSERT INTO meta VALUES (?, ?)", [
                    ("schema", str(SCHEMA_VERSION)), ("depth", str(depth)), ("governance", bytes(governance).hex()),
                    ("ledger_id", secrets.token_hex(16)), ("max_relayer_fee", str(max_relayer_fee or 0))])
                if isinstance(max_relayer_fee, bool) or not isinstance(max_relayer_fee or 0, int) or \
                        not 0 <= (max_relayer_fee or 0) <= MAX_AMOUNT:
                    raise ValueError(f"the maximum relayer fee must be an amount (0..2^64-1), got {max_relayer_fee!r}")
                db.executemany("INSERT INTO totals VALUES (?, '0')", [(t,) for t in _TOTALS])
                db.execute("INSERT INTO balances VALUES (?, '0')", (NETWORK_FUND,))
                empty = str(zero_hashes(depth)[depth])
                db.executemany("INSERT INTO roots VALUES (?, 0, ?)", [(NOTE_TREE, empty), (ASSIGN_TREE, empty)])
                levels = registry_depth(depth)
                db.execute("INSERT INTO registry_roots VALUES (0, ?, ?, NULL)",
                           (str(zero_hashes(levels)[levels]), int(seconds())))
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if meta.get("schema") == str(SCHEMA_VERSION):
                db.execute("INSERT OR IGNORE INTO totals VALUES ('relayer_fees', '0')")  # ledgers made before fees
        if meta.get("schema") != str(SCHEMA_VERSION):
            raise ValueError(f"the ledger at {self.path} has schema {meta.get('schema')}, this version reads "
                             f"{SCHEMA_VERSION} (protocol 0.3, with the operator registry): create a new ledger")
        self.depth = int(meta["depth"])
        self.governance_key = bytes.fromhex(meta["governance"])
        self.ledger_id = meta["ledger_id"]
        self.max_relayer_fee = int(meta.get("max_relayer_fee", "0"))
        if max_relayer_fee is not None and max_relayer_fee != self.max_relayer_fee:
            raise ValueError(f"the ledger at {self.path} has maximum relayer fee {self.max_relayer_fee}, "
                             f"not {max_relayer_fee}")
        if depth is not None and depth != self.depth:
            raise ValueError(f"the ledger at {self.path} has depth {self.depth}, not {depth}")
        if governance is not None and bytes(governance) != self.governance_key:
            raise ValueError(f"the ledger at {self.path} has another governance key")
        self.zeros = zero_hashes(self.depth)
        self.registry = Registry(self)

    # ------------------------------------------------------------------ plumbing
    def _connect(self) -> "_Db":
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            db = self._local.db = _Db(conn)
        return db

    def _transaction(self) -> "_Tx":
        return _Tx(self._connect())

    def _read(self, sql: str, args=()) -> list[tuple]:
        return self._connect().conn.execute(sql, args).fetchall()

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    # ------------------------------------------------------------------ operations
    def purchase(self, payment: Payment, proof, note_cm: int, amount: int, epoch: int) -> int:
        """Mint a note for a payment (§6); returns the note's leaf index."""
        statement = PurchasePublic(note_cm, amount, epoch)
        _check_publics(statement.as_list())
        if not isinstance(payment.amount, int) or payment.amount <= 0:
            raise PaymentMismatch(f"a purchase needs a payment of a positive amount, got {payment.amount!r}")
        if payment.amount != amount:
            raise PaymentMismatch(f"the payment carries {payment.amount}, the proof claims {amount}")
        self._verify("purchase", statement.as_list(), proof)
        with self._transaction() as db:
            now = self.now()
            if epoch != now:
                raise WrongEpoch(f"purchase for epoch {epoch} submitted in epoch {now}")
            if db.execute("SELECT 1 FROM payments WHERE payment_id = ?", (payment.payment_id,)).fetchone():
                raise PaymentMismatch(f"payment {payment.payment_id!r} already paid for a purchase")
            if db.execute("SELECT 1 FROM leaves WHERE tree = ? AND value = ?", (NOTE_TREE, str(note_cm))).fetchone():
                raise BadPublicInput("this note commitment is already in the note tree")
            db.execute("INSERT INTO payments VALUES (?, ?, ?)", (payment.payment_id, payment.payer, str(amount)))
            index = self._append(db, NOTE_TREE, note_cm)
            self._fault("purchase:appended")
            row = db.execute("SELECT purchased FROM buckets WHERE epoch = ?", (epoch,)).fetchone()
            if row is None:
                db.execute("INSERT INTO buckets VALUES (?, ?, '0', '0', 1)", (epoch, str(amount)))
            else:
                db.execute("UPDATE buckets SET purchased = ? WHERE epoch = ?", (str(int(row[0]) + amount), epoch))
            _add_total(db, "payments", amount)
            self._event(db, "purchase", now, {**statement.to_json(), "payment_id": payment.payment_id,
                                              "payer": payment.payer, "leaf": index})
        return index

    def assign(self, proof, publics: AssignPublic, relayer: int, fee: int) -> tuple[int, int]:
        """Spend notes into an assignment and change (§6); returns (assignment leaf, change leaf)."""
        values = publics.as_list()
        _check_publics(values)
        _check_publics([relayer, fee])
        if publics.external_hash != external_hash(relayer, fee):
            raise BadPublicInput("external_hash does not match H(EXTERNAL, relayer, fee)")
        if fee > self.max_relayer_fee:
            raise RelayerFeeTooHigh(f"relayer fee {fee} is above the ledger's maximum {self.max_relayer_fee}")
        if fee and relayer >> PAYOUT_BITS:
            raise BadPublicInput(f"a paid relayer must be a {PAYOUT_BITS}-bit chain address")
        self._verify("assign", values, proof)
        with self._transaction() as db:
            now = self.now()
            if publics.now != now:
                raise WrongEpoch(f"the proof is for epoch {publics.now}, the ledger is in epoch {now}")
            self._require_recent_root(db, NOTE_TREE, publics.note_root)
            self._spend(db, "note", publics.nf_1)
            self._fault("assign:nullifier")
            self._spend(db, "note", publics.nf_2)
            assign_index = self._append(db, ASSIGN_TREE, publics.assign_cm)
            self._fault("assign:appended")
            change_index = self._append(db, NOTE_TREE, publics.change_cm)
            if fee:
                # Paid by the network fund, never in credits: no credit changes owner (§6.1).
                if fee > self.balance(NETWORK_FUND):
                    raise RelayerFeeTooHigh(f"relayer fee {fee} is above what the network fund holds")
                _add_balance(db, NETWORK_FUND, -fee)
                _add_balance(db, relayer_account(relayer), fee)
                _add_total(db, "relayer_fees", fee)
            self._event(db, "assign", now, {**publics.to_json(), "relayer": str(relayer), "fee": str(fee),
                                            "assign_leaf": assign_index, "change_leaf": change_index})
        return assign_index, change_index

    def redeem(self, proof, publics: RedeemPublic) -> dict:
        """Pay out `amount` credits (§6): operator share to `payout`, the rest to the network fund."""
        values = publics.as_list()
        _check_publics(values)
        if publics.amount <= 0:
            raise BadPublicInput("a redemption must redeem a positive amount")
        if publics.payout >> PAYOUT_BITS:
            raise BadPublicInput(f"payout must be a {PAYOUT_BITS}-bit chain address")
        if publics.payout == 0:
            raise BadPublicInput("payout is the zero address: nobody's, what is paid there is lost")
        if publics.share_bps > MAX_OPERATOR_SHARE_BPS:
            # The registry never holds such a share (§3.1); refused here too, before any arithmetic.
            raise BadPublicInput(f"share_bps {publics.share_bps} is above {MAX_OPERATOR_SHARE_BPS}")
        self._verify("redeem", values, proof)
        with self._transaction() as db:
            now = self.now()
            if publics.now != now:
                raise WrongEpoch(f"the proof is for epoch {publics.now}, the ledger is in epoch {now}")
            self._require_recent_root(db, ASSIGN_TREE, publics.assign_root)
            # The money side reads the registry's roots and nothing else of it.
            self.registry.require_root(db, publics.registry_root)
            self._spend(db, "assign", publics.nf)
            change_index = self._append(db, ASSIGN_TREE, publics.change_cm)
            self._fault("redeem:appended")
            debits = self._debit_fifo(db, publics.amount)
            operator_share = publics.amount * publics.share_bps // 10000
            network_share = publics.amount - operator_share
            _add_balance(db, payout_account(publics.payout), operator_share)
            self._fault("redeem:paid")
            _add_balance(db, NETWORK_FUND, network_share)
            _add_total(db, "operator_payouts", operator_share)
            _add_total(db, "network_from_redemptions", network_share)
            self._event(db, "redeem", now, {**publics.to_json(), "change_leaf": change_index,
                                            "operator_share": str(operator_share),
                                            "network_share": str(network_share),
                                            "debits": {str(e): str(a) for e, a in debits}})
        return {"operator_share": operator_share, "network_share": network_share, "change_leaf": change_index,
                "debits": debits}

    def sweep_expired(self) -> list[tuple[int, int]]:
        """Release expired buckets to the network fund, oldest first (§6); returns (epoch, amount)s."""
        swept = []
        with self._transaction() as db:
            now = self.now()
            for bucket in self._open_buckets(db):
                if bucket.epoch + LIFETIME > now:
                    break  # strictly in epoch order: a younger bucket is never swept before an older one
                amount = bucket.remaining
                db.execute("UPDATE buckets SET swept = ?, open = 0 WHERE epoch = ?", (str(amount), bucket.epoch))
                _add_balance(db, NETWORK_FUND, amount)
                _add_total(db, "network_from_sweeps", amount)
                self._fault("sweep:bucket")
                swept.append((bucket.epoch, amount))
            if swept:
                self._event(db, "sweep", now, {"swept": {str(e): str(a) for e, a in swept}})
        return swept

    # ------------------------------------------------------------------ checks used by operations
    def _verify(self, circuit: str, values: list[int], proof) -> None:
        try:
            ok = self.verifier.verify(circuit, values, proof)
        except (ValueError, TypeError) as exc:
            raise InvalidProof(f"{circuit} proof rejected: {exc}") from None
        if ok is not True:
            raise InvalidProof(f"the {circuit} proof does not verify for these public inputs")

    def _require_recent_root(self, db, tree: str, root: int) -> None:
        last = db.execute("SELECT MAX(seq) FROM roots WHERE tree = ?", (tree,)).fetchone()[0]
        hit = db.execute("SELECT 1 FROM roots WHERE tree = ? AND root = ? AND seq > ?",
                         (tree, str(root), last - ROOT_HISTORY)).fetchone()
        if not hit:
            raise UnknownRoot(f"{tree} root is not among the last {ROOT_HISTORY} roots")

    def _spend(self, db, kind: str, nullifier: int) -> None:
        try:
            db.execute("INSERT INTO nullifiers VALUES (?, ?)", (kind, str(nullifier)))
        except sqlite3.IntegrityError:
            raise NullifierSpent(f"{kind} nullifier already spent") from None

    def _append(self, db, tree: str, leaf: int) -> int:
        index = db.execute("SELECT COUNT(*) FROM leaves WHERE tree = ?", (tree,)).fetchone()[0]
        if index >= 1 << self.depth:
            raise LedgerError(f"the {tree} tree is full")
        node = self._set_leaf(db, tree, self.depth, index, leaf)
        seq = db.execute("SELECT MAX(seq) FROM roots WHERE tree = ?", (tree,)).fetchone()[0] + 1
        db.execute("INSERT INTO roots VALUES (?, ?, ?)", (tree, seq, str(node)))
        return index

    def _set_leaf(self, db, tree: str, depth: int, index: int, leaf: int) -> int:
        """Write one leaf and the nodes above it; returns the new root."""
        db.execute("INSERT OR REPLACE INTO leaves VALUES (?, ?, ?)", (tree, index, str(leaf)))
        node, pos = leaf, index
        for level in range(depth):
            sibling = self._node(db, tree, level, pos ^ 1)
            node = hash_pair(sibling, node) if pos & 1 else hash_pair(node, sibling)
            pos >>= 1
            db.execute("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?)", (tree, level + 1, pos, str(node)))
        return node

    def _node(self, db, tree: str, level: int, pos: int) -> int:
        if level == 0:
            row = db.execute("SELECT value FROM leaves WHERE tree = ? AND idx = ?", (tree, pos)).fetchone()
        else:
            row = db.execute("SELECT value FROM nodes WHERE tree = ? AND level = ? AND pos = ?",
                             (tree, level, pos)).fetchone()
        return int(row[0]) if row else self.zeros[level]

    def _open_buckets(self, db) -> list[Bucket]:
        rows = db.execute("SELECT epoch, purchased, debited, swept, open FROM buckets WHERE open = 1 ORDER BY epoch")
        return [_bucket(row) for row in rows]

    def _debit_fifo(self, db, amount: int) -> list[tuple[int, int]]:
        """Debit the open buckets oldest first (§7)."""
        buckets = self._open_buckets(db)
        if sum(b.remaining for b in buckets) < amount:
            # Invariant J says a valid redemption is always covered; refuse rather than go negative.
            raise InsufficientFunds(f"open buckets hold less than {amount}")
        debits, left = [], amount
        for bucket in buckets:
            if left == 0:
                break
            take = min(left, bucket.remaining)
            if take:
                db.execute("UPDATE buckets SET debited = ? WHERE epoch = ?", (str(bucket.debited + take), bucket.epoch))
                debits.append((bucket.epoch, take))
                left -= take
        return debits

    def _event(self, db, op: str, epoch: int, data: dict) -> None:
        db.execute("INSERT INTO events (op, epoch, data) VALUES (?, ?, ?)", (op, epoch, json.dumps(data, sort_keys=True)))

    # ------------------------------------------------------------------ reading the state
    def root(self, tree: str) -> int:
        return int(self._read("SELECT root FROM roots WHERE tree = ? ORDER BY seq DESC LIMIT 1", (tree,))[0][0])

    def recent_roots(self, tree: str) -> list[int]:
        rows = self._read("SELECT root FROM roots WHERE tree = ? ORDER BY seq DESC LIMIT ?", (tree, ROOT_HISTORY))
        return [int(r[0]) for r in rows]

    def leaves(self, tree: str, start: int = 0) -> list[int]:
        rows = self._read("SELECT value FROM leaves WHERE tree = ? AND idx >= ? ORDER BY idx", (tree, start))
        return [int(r[0]) for r in rows]

    def leaf_count(self, tree: str) -> int:
        return self._read("SELECT COUNT(*) FROM leaves WHERE tree = ?", (tree,))[0][0]

    def is_spent(self, kind: str, nullifier: int) -> bool:
        return bool(self._read("SELECT 1 FROM nullifiers WHERE kind = ? AND value = ?", (kind, str(nullifier))))

    def balance(self, account: str) -> int:
        rows = self._read("SELECT amount FROM balances WHERE account = ?", (account,))
        return int(rows[0][0]) if rows else 0

    def payout_balance(self, payout: int) -> int:
        return self.balance(payout_account(payout))

    def payout_balances(self) -> dict[int, int]:
        """What each payout address received (the operators' shares)."""
        rows = self._read("SELECT account, amount FROM balances WHERE account LIKE 'payout:%' ORDER BY account")
        return {int(account.split(":", 1)[1], 16): int(amount) for account, amount in rows}

    def totals(self) -> dict[str, int]:
        """payments, operator_payouts, network_from_redemptions, network_from_sweeps."""
        return {name: int(amount) for name, amount in self._read("SELECT name, amount FROM totals")}

    @property
    def network_fund(self) -> int:
        return self.balance(NETWORK_FUND)

    def buckets(self) -> list[Bucket]:
        return [_bucket(r) for r in self._read("SELECT epoch, purchased, debited, swept, open FROM buckets ORDER BY epoch")]

    def events(self) -> Iterator[tuple[int, str, int, dict]]:
        for seq, op, epoch, data in self._read("SELECT seq, op, epoch, data FROM events ORDER BY seq"):
            yield seq, op, epoch, json.loads(data)

    def status(self) -> dict:
        return {
            "epoch": self.now(), "depth": self.depth, "operators": len(self.registry.entries()),
            "notes": self.leaf_count(NOTE_TREE), "assignments": self.leaf_count(ASSIGN_TREE),
            "network_fund": self.network_fund,
            "buckets": [(b.epoch, b.purchased, b.debited, b.swept, b.open) for b in self.buckets()],
        }

    def check_invariants(self) -> None:
        """Raise InvariantViolation unless the books balance and the stored trees match their leaves
        (§6). Reads one consistent snapshot."""
        db = self._connect()
        db.conn.execute("BEGIN")
        try:
            self._check_invariants(db)
        finally:
            db.conn.execute("COMMIT")

    def _check_invariants(self, db) -> None:
        def need(ok: bool, what: str):
            if not ok:
                raise InvariantViolation(what)

        totals = {name: int(v) for name, v in db.execute("SELECT name, amount FROM totals")}
        buckets = [_bucket(r) for r in db.execute("SELECT epoch, purchased, debited, swept, open FROM buckets")]
        purchased = sum(b.purchased for b in buckets)
        debited = sum(b.debited for b in buckets)
        swept = sum(b.swept for b in buckets)
        open_remaining = sum(b.remaining for b in buckets if b.open)
        for b in buckets:
            need(min(b.purchased, b.debited, b.swept) >= 0, f"bucket {b.epoch} has a negative amount")
            need(b.debited + b.swept <= b.purchased, f"bucket {b.epoch} debited + swept > purchased")
            need(b.open or b.remaining == 0, f"closed bucket {b.epoch} still holds {b.remaining}")
            need(not b.open or b.swept == 0, f"open bucket {b.epoch} was swept")
        need(purchased == debited + swept + open_remaining, "purchased != debited + swept + open remaining")
        payments = sum(int(a) for (a,) in db.execute("SELECT amount FROM payments"))
        need(payments == purchased == totals["payments"], "payments received != credits purchased")
        need(debited == totals["operator_payouts"] + totals["network_from_redemptions"],
             "debited != operator payouts + network share of redemptions")
        need(swept == totals["network_from_sweeps"], "swept != network fund's sweep income")
        balances = {acct: int(a) for acct, a in db.execute("SELECT account, amount FROM balances")}
        relayer_fees = totals.get("relayer_fees", 0)
        need(balances.get(NETWORK_FUND, 0) == totals["network_from_redemptions"] + totals["network_from_sweeps"]
             - relayer_fees, "network fund != its share of redemptions + sweeps - relayer fees")
        need(sum(a for acct, a in balances.items() if acct.startswith("payout:")) == totals["operator_payouts"],
             "payout balances != operator payouts")
        need(sum(a for acct, a in balances.items() if acct.startswith("relayer:")) == relayer_fees,
             "relayer balances != relayer fees")
        need(all(a >= 0 for a in balances.values()), "a negative balance")
        for tree in (NOTE_TREE, ASSIGN_TREE):
            self._check_tree(db, tree, need)
        self.registry.check(db, need)

    def _check_tree(self, db, tree: str, need) -> None:
        from zk.gadgets import MerkleTree

        leaves = [int(v) for (v,) in db.execute("SELECT value FROM leaves WHERE tree = ? ORDER BY idx", (tree,))]
        idx = [i for (i,) in db.execute("SELECT idx FROM leaves WHERE tree = ? ORDER BY idx", (tree,))]
        need(idx == list(range(len(leaves))), f"{tree} tree leaves are not contiguous")
        rebuilt = MerkleTree(self.depth)
        rebuilt.extend(leaves)
        for level, pos, value in db.execute("SELECT level, pos, value FROM nodes WHERE tree = ?", (tree,)):
            need(rebuilt._node(level, pos) == int(value), f"{tree} tree node ({level}, {pos}) does not match its leaves")
        n_nodes = db.execute("SELECT COUNT(*) FROM nodes WHERE tree = ?", (tree,)).fetchone()[0]
        need(n_nodes == sum(len(rebuilt._levels[h]) for h in range(1, self.depth + 1)),
             f"{tree} tree has missing or extra nodes")
        roots = [(s, int(r)) for s, r in db.execute("SELECT seq, root FROM roots WHERE tree = ? ORDER BY seq", (tree,))]
        need([s for s, _ in roots] == list(range(len(leaves) + 1)), f"{tree} root history is not one root per leaf")
        need(roots[-1][1] == rebuilt.root, f"{tree} tree's latest root does not match its leaves")


class Registry:
    """The operator registry of one ledger (§3.1): entries (operator, payout, share_bps) as leaves
    H(REGISTRY, operator, payout, share_bps) of a Poseidon tree of depth registry_depth(depth),
    changed only by changes the governance key signed, in order. Its roots are what redeem reads:
    the current one, or one replaced less than REGISTRY_ROOT_WINDOW seconds ago."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.depth = registry_depth(ledger.depth)

    # ------------------------------------------------------------------ governed changes
    def apply(self, change: RegistryChange, signature: bytes) -> int:
        """Apply one signed change; returns the new registry root. Refused (state unchanged):
        Unauthorized without the governance key's signature of exactly this change for this
        ledger; RegistryError when it is not the next change (a replay) or breaks a rule."""
        ledger = self.ledger
        if not isinstance(change, RegistryChange):
            raise RegistryError(f"not a registry change: {change!r}")
        if not verify_change(ledger.governance_key, ledger.ledger_id, change, signature):
            raise Unauthorized(f"registry change {change.op} of operator {change.operator:#x} is not signed by "
                               "the governance key")
        with ledger._transaction() as db:
            expected = self._next_seq(db)
            if change.seq != expected:
                raise RegistryError(f"registry change seq {change.seq} is not the next one ({expected}): "
                                    "a replayed or out-of-order change")
            entry = self._entry(db, change.operator)
            if change.op == "add":
                if entry is not None:
                    raise RegistryError(f"operator {change.operator:#x} is already registered")
                entry = RegistryEntry(_operator(change.operator), _payout(change.payout), _share(change.share_bps),
                                      self._free_slot(db))
            elif entry is None:
                raise RegistryError(f"operator {change.operator:#x} is not registered")
            elif change.op == "rotate":
                entry = RegistryEntry(entry.operator, _payout(change.payout), entry.share_bps, entry.index)
            elif change.op == "share":
                entry = RegistryEntry(entry.operator, entry.payout, _share(change.share_bps), entry.index)
            if change.op in ("add", "rotate"):
                holder = db.execute("SELECT operator FROM registry WHERE payout = ?", (str(entry.payout),)).fetchone()
                if holder is not None:
                    # One operator per payout: each redemption is attributable to one operator (§8).
                    raise RegistryError(f"payout {entry.payout:#x} is already registered "
                                        f"{'to this operator' if int(holder[0]) == entry.operator else 'to another operator'}")
            db.execute("DELETE FROM registry WHERE operator = ?", (str(change.operator),))
            if change.op == "remove":
                root = ledger._set_leaf(db, REGISTRY_TREE, self.depth, entry.index, 0)
            else:
                db.execute("INSERT INTO registry VALUES (?, ?, ?, ?)",
                           (str(entry.operator), entry.index, str(entry.payout), entry.share_bps))
                root = ledger._set_leaf(db, REGISTRY_TREE, self.depth, entry.index, entry.leaf)
            at = int(ledger.seconds())
            db.execute("UPDATE registry_roots SET until = ? WHERE until IS NULL", (at,))
            db.execute("INSERT INTO registry_roots VALUES (?, ?, ?, NULL)", (change.seq + 1, str(root), at))
            db.execute("INSERT INTO registry_changes VALUES (?, ?, ?, ?)",
                       (change.seq, json.dumps(change.to_json(), sort_keys=True), bytes(signature).hex(), at))
            ledger._event(db, "registry", ledger.now(), {**change.to_json(), "root": str(root), "slot": entry.index})
        return root

    def _next_seq(self, db) -> int:
        return db.execute("SELECT COUNT(*) FROM registry_changes").fetchone()[0]

    def _free_slot(self, db) -> int:
        used = {i for (i,) in db.execute("SELECT idx FROM registry")}
        slot = next(i for i in range(len(used) + 1) if i not in used)
        if slot >= 1 << self.depth:
            raise RegistryError(f"the registry is full ({1 << self.depth} operators)")
        return slot

    # ------------------------------------------------------------------ what redeem reads
    def require_root(self, db, root: int) -> None:
        """The current root, or one replaced less than REGISTRY_ROOT_WINDOW seconds ago: a removal
        or a rotation stops proofs made before it within that time, however many changes follow."""
        horizon = int(self.ledger.seconds()) - REGISTRY_ROOT_WINDOW
        hit = db.execute("SELECT 1 FROM registry_roots WHERE root = ? AND (until IS NULL OR until > ?)",
                         (str(root), horizon)).fetchone()
        if not hit:
            raise StaleRegistryRoot(f"registry root is neither current nor replaced less than "
                                    f"{REGISTRY_ROOT_WINDOW} s ago")

    # ------------------------------------------------------------------ reading
    def _entry(self, db, operator: int) -> RegistryEntry | None:
        row = db.execute("SELECT operator, payout, share_bps, idx FROM registry WHERE operator = ?",
                         (str(operator),)).fetchone()
        return _entry(row) if row else None

    def entry(self, operator: int) -> RegistryEntry | None:
        return self._entry(self.ledger._connect(), operator)

    def entries(self) -> list[RegistryEntry]:
        rows = self.ledger._read("SELECT operator, payout, share_bps, idx FROM registry ORDER BY idx")
        return [_entry(row) for row in rows]

    def next_seq(self) -> int:
        return self._next_seq(self.ledger._connect())

    def root(self) -> int:
        return int(self.ledger._read("SELECT root FROM registry_roots WHERE until IS NULL")[0][0])

    def leaves(self) -> list[int]:
        """Every slot's leaf (0 for an emptied slot), for a wallet to compute its own path."""
        return self.ledger.leaves(REGISTRY_TREE)

    def tree(self):
        """The registry tree rebuilt from its public leaves: a prover's path to its entry."""
        from zk.gadgets import MerkleTree

        tree = MerkleTree(self.depth)
        tree.extend(self.leaves())
        return tree

    def history(self) -> list[tuple[int, int, int, int | None]]:
        """(seq, root, since, until) of every registry root, oldest first (until: when replaced)."""
        rows = self.ledger._read("SELECT seq, root, since, until FROM registry_roots ORDER BY seq")
        return [(seq, int(root), since, until) for seq, root, since, until in rows]

    def changes(self) -> list[tuple[RegistryChange, bytes, int]]:
        """The signed changes in order: (change, signature, when applied)."""
        out = []
        for change, signature, at in self.ledger._read("SELECT change, signature, at FROM registry_changes ORDER BY seq"):
            out.append((RegistryChange.from_json(json.loads(change)), bytes.fromhex(signature), at))
        return out

    def check(self, db, need) -> None:
        """Invariants: the tree's leaves are exactly the entries' leaves, its nodes match them, the
        current root is the tree's root, every share is at most 7000, every change was signed."""
        from zk.gadgets import MerkleTree

        entries = [_entry(r) for r in db.execute("SELECT operator, payout, share_bps, idx FROM registry")]
        need(all(0 <= e.share_bps <= MAX_OPERATOR_SHARE_BPS for e in entries), "a registry share above 7000")
        leaves = dict((i, int(v)) for i, v in db.execute("SELECT idx, value FROM leaves WHERE tree = ?",
                                                         (REGISTRY_TREE,)))
        by_slot = {e.index: e.leaf for e in entries}
        need(all(leaves.get(i) == leaf for i, leaf in by_slot.items())
             and all(v == 0 for i, v in leaves.items() if i not in by_slot), "registry leaves != registry entries")
        rebuilt = MerkleTree(self.depth)
        rebuilt.extend([leaves.get(i, 0) for i in range(max(leaves, default=-1) + 1)])
        for level, pos, value in db.execute("SELECT level, pos, value FROM nodes WHERE tree = ?", (REGISTRY_TREE,)):
            need(rebuilt._node(level, pos) == int(value), f"registry node ({level}, {pos}) does not match its leaves")
        current = db.execute("SELECT root FROM registry_roots WHERE until IS NULL").fetchall()
        need(len(current) == 1 and int(current[0][0]) == rebuilt.root, "the current registry root != its tree")
        n_changes = db.execute("SELECT COUNT(*) FROM registry_changes").fetchone()[0]
        n_roots = db.execute("SELECT COUNT(*) FROM registry_roots").fetchone()[0]
        need(n_roots == n_changes + 1, "registry root history is not one root per change")
        for change, signature in db.execute("SELECT change, signature FROM registry_changes"):
            signed = RegistryChange.from_json(json.loads(change))
            need(verify_change(self.ledger.governance_key, self.ledger.ledger_id, signed, bytes.fromhex(signature)),
                 f"registry change {signed.seq} is not signed by the governance key")


def _entry(row) -> RegistryEntry:
    operator, payout, share_bps, idx = row
    return RegistryEntry(int(operator), int(payout), int(share_bps), int(idx))


def _operator(value: int) -> int:
    if not 0 <= value < R:
        raise RegistryError(f"operator {value!r} is not a field element")
    return value


def _payout(value: int) -> int:
    try:
        return check_payout(value)
    except ProtocolError as exc:
        raise RegistryError(str(exc)) from None


def _share(value: int) -> int:
    try:
        return check_share(value)
    except ProtocolError as exc:
        raise RegistryError(f"refused at registration: {exc}") from None


def payout_account(payout: int) -> str:
    return f"payout:{payout:#042x}"


def relayer_account(relayer: int) -> str:
    return f"relayer:{relayer:#042x}"


def _bucket(row) -> Bucket:
    epoch, purchased, debited, swept, is_open = row
    return Bucket(int(epoch), int(purchased), int(debited), int(swept), bool(is_open))


def _add_balance(db, account: str, amount: int) -> None:
    row = db.execute("SELECT amount FROM balances WHERE account = ?", (account,)).fetchone()
    db.execute("INSERT OR REPLACE INTO balances VALUES (?, ?)", (account, str((int(row[0]) if row else 0) + amount)))


def _add_total(db, name: str, amount: int) -> None:
    row = db.execute("SELECT amount FROM totals WHERE name = ?", (name,)).fetchone()
    db.execute("UPDATE totals SET amount = ? WHERE name = ?", (str(int(row[0]) + amount), name))


class _Db:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(self, sql, args=()):
        return self.conn.execute(sql, args)

    def executemany(self, sql, rows):
        return self.conn.executemany(sql, rows)

    def executescript_in_tx(self, script: str) -> None:
        # executescript would COMMIT the open transaction first; run the statements one by one.
        for statement in script.split(";"):
            if statement.strip():
                self.conn.execute(statement)


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception: one operation, all or nothing."""

    def __init__(self, db: _Db):
        self.db = db

    def __enter__(self) -> _Db:
        self.db.conn.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.db.conn.execute("COMMIT")
        else:
            self.db.conn.execute("ROLLBACK")
        return False
