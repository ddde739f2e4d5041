"""Secrets at rest for wallets: a passphrase, a memory-hard KDF, an AEAD, and private files.

- A random 64-byte data key does the work: its first half is a ChaCha20-Poly1305 key that seals
  each secret record (the spending and operator keys, every note and assignment opening with its
  leaf position), its second half an HMAC-SHA256 key that names the records, so the file does not
  show which commitments (and so which ledger leaves) the wallet holds.
- The data key is stored wrapped (ChaCha20-Poly1305) under a key derived from the passphrase by
  scrypt (N = 2^17, r = 8, p = 1: 128 MiB, a few hundred milliseconds). Changing the passphrase
  rewraps the data key; the records stay as they are.
- Each record is sealed with its name and kind as associated data, so records cannot be swapped
  between rows or tables without the AEAD noticing.
- Files are created under umask 077 (the database and SQLite's -wal and -shm side files: 0600;
  directories 0700), and :func:`require_private` refuses to open a wallet that group or others
  can read.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 17, 8, 1
# Tests create many wallets; they may ask for a cheaper (still memory-hard) N. Never below 2^10.
MIN_SCRYPT_N = 1 << 10
SALT_BYTES, NONCE_BYTES, DATA_KEY_BYTES = 16, 12, 64
ENV_PASSPHRASE = "ZK_CREDITS_PASSPHRASE"
DEMO_PASSPHRASE = "community-credits-demo"  # the demo's stated passphrase: not a secret


class VaultError(ValueError):
    """A wallet's secrets cannot be opened: wrong passphrase, tampered records, unsafe files."""


class WrongPassphrase(VaultError):
    pass


def _passphrase_bytes(passphrase) -> bytes:
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    if not isinstance(passphrase, (bytes, bytearray)) or not passphrase:
        raise VaultError("a wallet needs a non-empty passphrase")
    return bytes(passphrase)


def _kek(passphrase, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(_passphrase_bytes(passphrase))


def wrap_new_key(passphrase, scrypt_n: int = SCRYPT_N) -> tuple[dict, bytes]:
    """A fresh data key and its record wrapped under ``passphrase``."""
    data_key = os.urandom(DATA_KEY_BYTES)
    return wrap_key(data_key, passphrase, scrypt_n), data_key


def wrap_key(data_key: bytes, passphrase, scrypt_n: int = SCRYPT_N) -> dict:
    if not MIN_SCRYPT_N <= scrypt_n or scrypt_n & (scrypt_n - 1):
        raise VaultError(f"scrypt N must be a power of two >= {MIN_SCRYPT_N}, got {scrypt_n}")
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    kek = _kek(passphrase, salt, scrypt_n, SCRYPT_R, SCRYPT_P)
    wrapped = ChaCha20Poly1305(kek).encrypt(nonce, data_key, b"zk-credits wallet data key")
    return {"kdf": "scrypt", "n": scrypt_n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": salt.hex(),
            "aead": "chacha20-poly1305", "nonce": nonce.hex(), "wrapped": wrapped.hex()}


def unwrap_key(record: dict, passphrase) -> bytes:
    try:
        if record.get("kdf") != "scrypt" or record.get("aead") != "chacha20-poly1305":
            raise VaultError(f"unsupported wallet key record ({record.get('kdf')}, {record.get('aead')})")
        n, r, p = (int(record[k]) for k in ("n", "r", "p"))
        if not MIN_SCRYPT_N <= n <= 1 << 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
            raise VaultError("the wallet's key record has out-of-range scrypt parameters")
        salt, nonce, wrapped = (bytes.fromhex(record[k]) for k in ("salt", "nonce", "wrapped"))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, VaultError):
            raise
        raise VaultError(f"the wallet's key record is malformed: {exc}") from None
    try:
        data_key = ChaCha20Poly1305(_kek(passphrase, salt, n, r, p)).decrypt(nonce, wrapped, b"zk-credits wallet data key")
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase for this wallet") from None
    if len(data_key) != DATA_KEY_BYTES:
        raise VaultError("the wallet's data key has the wrong length")
    return data_key


@dataclass(frozen=True)
class Sealer:
    """Seals and opens a wallet's records with its data key."""

    data_key: bytes

    def name(self, kind: str, public_id: str) -> str:
        """A record's row name: HMAC of what identifies it, so the file hides which one it is."""
        return hmac.new(self.data_key[32:], f"{kind}:{public_id}".encode(), hashlib.sha256).hexdigest()

    def seal(self, kind: str, name: str, record: dict) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        return nonce + ChaCha20Poly1305(self.data_key[:32]).encrypt(nonce, plain, f"{kind}:{name}".encode())

    def open(self, kind: str, name: str, sealed: bytes) -> dict:
        try:
            plain = ChaCha20Poly1305(self.data_key[:32]).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                                                  f"{kind}:{name}".encode())
        except (InvalidTag, ValueError, TypeError):
            raise VaultError(f"a sealed {kind} record of this wallet was tampered with or moved") from None
        return json.loads(plain)


# ---------------------------------------------------------------------------- private files
@contextlib.contextmanager
def private_umask():
    """Files and directories created inside are 0600 / 0700 (the umask is process-wide: keep the
    block short; SQLite creates -wal and -shm when the database is first used, so open and first
    use it inside)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def make_private_dir(path: Path) -> None:
    with private_umask():
        path.mkdir(parents=True, exist_ok=True)
    require_private(path)


def require_private(path: Path) -> None:
    """Refuse a wallet file (or its directory, or SQLite's side files) that group or others can
    access: whoever reads it gets what only the passphrase should protect, and a world-writable
    directory lets others swap the file."""
    path = Path(path)
    candidates = [path] if path.is_dir() else [path.parent, path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    for candidate in candidates:
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            kind = "directory" if candidate.is_dir() else "file"
            fix = "700" if candidate.is_dir() else "600"
            raise VaultError(f"wallet {kind} {candidate} is accessible to group or others (mode {mode:04o}); "
                             f"refusing to use it: run `chmod {fix} {candidate}`")
