"""Wallet secrets at rest (issue 11, finding 1): private files, sealed keys and openings, the
passphrase (wrong -> one line, exit 2; change-passphrase), and nullifier collisions refused."""
from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from click.testing import CliRunner

from circuits.app.vault import VaultError, WrongPassphrase
from circuits.app.wallet import Wallet, public_addresses
from circuits.protocol import Note
from wallet_options import TEST_WALLET
from zk.cli import _register_commands, cli

_register_commands()
EPOCH = 24322


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    previous = os.umask(0o022)  # what made wallets world-readable before
    yield
    os.umask(previous)


def file_bytes(path) -> bytes:
    return b"".join(open(p, "rb").read() for p in (path, f"{path}-wal") if os.path.exists(p))


def test_files_are_private_whatever_the_umask(tmp_path, loose_umask):
    wallet = Wallet(tmp_path / "w.db", **TEST_WALLET)
    wallet._insert_note(Note.new(wallet.owner, 100, EPOCH), "pending")
    for suffix in ("", "-wal", "-shm"):
        assert os.path.exists(f"{tmp_path / 'w.db'}{suffix}")
        assert mode(f"{tmp_path / 'w.db'}{suffix}") == 0o600, suffix
    wallet.close()


def test_home_wallet_directory_is_private(tmp_path, loose_umask, monkeypatch):
    from circuits.app.home import Home

    monkeypatch.setenv("ZK_CREDITS_PASSPHRASE", "pw")
    monkeypatch.setenv("ZK_CREDITS_SCRYPT_N", "1024")
    home = Home.create(tmp_path / "home", depth=4, epoch=EPOCH)
    home.wallet("alice", create=True).close()
    assert mode(home.wallet_dir) == 0o700
    assert mode(home.wallet_path("alice")) == 0o600


@pytest.mark.parametrize("target, loose", [("w.db", 0o644), ("w.db", 0o640), ("w.db-wal", 0o604), (".", 0o755)])
def test_readable_by_others_is_refused(tmp_path, target, loose):
    path = tmp_path / "w.db"
    Wallet(path, **TEST_WALLET).close()
    (tmp_path / "w.db-wal").touch(mode=0o600)
    os.chmod(tmp_path / target, loose)
    with pytest.raises(VaultError, match="accessible to group or others"):
        Wallet(path, **TEST_WALLET)
    os.chmod(tmp_path / target, 0o700 if target == "." else 0o600)
    Wallet(path, **TEST_WALLET).close()


def test_secrets_and_openings_are_sealed(tmp_path):
    path = tmp_path / "w.db"
    wallet = Wallet(path, **TEST_WALLET)
    note = Note.new(wallet.owner, 12345, EPOCH)
    wallet._insert_note(note, "pending")
    sk, osk = wallet.sk, wallet.osk
    wallet.close()
    raw = file_bytes(path)
    for secret in (sk, osk, note.rho, note.commitment):
        assert str(secret).encode() not in raw and secret.to_bytes(32, "big") not in raw
    conn = sqlite3.connect(path)
    assert [c[1] for c in conn.execute("PRAGMA table_info(notes)")] == ["id", "state", "sealed"]
    conn.close()
    again = Wallet(path, **TEST_WALLET)
    assert (again.sk, again.osk) == (sk, osk)
    assert again.notes("pending")[0].note == note
    again.close()


def test_wrong_passphrase_and_change(tmp_path):
    path = tmp_path / "w.db"
    wallet = Wallet(path, **TEST_WALLET)
    sk = wallet.sk
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        Wallet(path, "not it")
    wallet.change_passphrase("new one", scrypt_n=1 << 10)
    wallet.close()
    with pytest.raises(WrongPassphrase):
        Wallet(path, **TEST_WALLET)
    assert Wallet(path, "new one").sk == sk
    assert public_addresses(path)[1] == Wallet(path, "new one").operator


def test_tampered_record_is_refused(tmp_path):
    path = tmp_path / "w.db"
    wallet = Wallet(path, **TEST_WALLET)
    wallet._insert_note(Note.new(wallet.owner, 7, EPOCH), "pending")
    wallet._insert_note(Note.new(wallet.owner, 8, EPOCH), "pending")
    first, second = wallet.conn.execute("SELECT id, sealed FROM notes").fetchall()
    wallet.conn.execute("UPDATE notes SET sealed = ? WHERE id = ?", (second[1], first[0]))  # swap bodies
    with pytest.raises(VaultError, match="tampered with or moved"):
        wallet.notes("pending")
    wallet.close()


class _Ledger:
    """The two calls Wallet.sync makes, over fixed leaves."""

    def __init__(self, leaves):
        self._leaves = leaves

    def leaves(self, tree, start=0):
        return self._leaves.get(tree, [])[start:]

    def is_spent(self, kind, nullifier):
        return False


def test_colliding_nullifier_is_refused(tmp_path, monkeypatch):
    """Position-bound nullifiers make a collision impossible; a wallet that meets one anyway (here
    forced by a constant nullifier) keeps the second note out of use instead of losing it later."""
    from circuits.app.ledger import NOTE_TREE

    wallet = Wallet(tmp_path / "w.db", **TEST_WALLET)
    a, b = Note.new(wallet.owner, 90, EPOCH), Note.new(wallet.owner, 1, EPOCH)
    for note in (a, b):
        wallet._insert_note(note, "pending")
    monkeypatch.setattr(Note, "nullifier", lambda self, sk, position: 42)
    wallet.sync(_Ledger({NOTE_TREE: [a.commitment, b.commitment]}))
    assert [n.note.amount for n in wallet.notes()] == [90]
    assert [n.note.amount for n in wallet.notes("collision")] == [1]
    wallet.close()


def test_cli_wrong_passphrase_is_one_line(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("ZK_CREDITS_SCRYPT_N", "1024")
    monkeypatch.setenv("ZK_CREDITS_PASSPHRASE", "right")

    def run(*args, **env):
        return CliRunner().invoke(cli, ["credits", "--home", str(home), "-q", *args], env=env)

    assert run("init", "--depth", "4", "--now", "2026-11").exit_code == 0
    assert run("wallet", "create", "alice").exit_code == 0
    result = run("wallet", "change-passphrase", "alice", ZK_CREDITS_PASSPHRASE="wrong")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0] == "Error: wrong passphrase for this wallet", result.output
    result = run("wallet", "change-passphrase", "alice", ZK_CREDITS_NEW_PASSPHRASE="newer")
    assert result.exit_code == 0 and "passphrase changed" in result.output
    assert run("wallet", "change-passphrase", "alice").exit_code == 2  # "right" no longer opens it
    assert "alice" in run("wallet", "list").output  # public addresses need no passphrase
