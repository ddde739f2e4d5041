"""The operator registry's governance side (docs/PROTOCOL.md §3.1): registry entries, the signed
changes that alone may alter them, and the governance key that signs them.

The ledger (circuits.app.ledger) keeps the registry tree and verifies each change's signature
with the governance public key fixed at its creation; nothing else in the ledger can change the
registry, and the part that holds the money only reads the registry's roots. This module has no
ledger state: a chain backend signs and verifies the same bytes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from circuits.protocol import registry_leaf

CHANGE_DOMAIN = b"zk-credits/registry-change/v1\n"
# add: a new operator with its payout and share; rotate: a new payout; share: a new share;
# remove: the entry is deleted (its slot is emptied and may be reused).
OPERATIONS = {"add": ("payout", "share_bps"), "rotate": ("payout",), "share": ("share_bps",), "remove": ()}


@dataclass(frozen=True)
class RegistryEntry:
    operator: int
    payout: int
    share_bps: int
    index: int  # the entry's slot in the registry tree

    @property
    def leaf(self) -> int:
        return registry_leaf(self.operator, self.payout, self.share_bps)


@dataclass(frozen=True)
class RegistryChange:
    """One registry change as governance signs it. ``seq`` is the ledger's count of applied
    changes (a signed change applies once, in order); the ledger's identifier in the signed
    message keeps a change for one ledger from being replayed on another."""

    op: str
    operator: int
    seq: int
    payout: int | None = None
    share_bps: int | None = None

    def __post_init__(self):
        if self.op not in OPERATIONS:
            raise ValueError(f"a registry change is one of {sorted(OPERATIONS)}, got {self.op!r}")
        for name in ("payout", "share_bps"):
            present = getattr(self, name) is not None
            if present != (name in OPERATIONS[self.op]):
                raise ValueError(f"a registry {self.op!r} change {'needs' if not present else 'has no'} {name}")
        for name in ("operator", "seq", "payout", "share_bps"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"registry change {name} must be a non-negative integer, got {value!r}")

    def message(self, ledger_id: str) -> bytes:
        fields = {"ledger": ledger_id, **self.to_json()}
        return CHANGE_DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> dict:
        return {"op": self.op, "operator": str(self.operator), "seq": self.seq,
                "payout": None if self.payout is None else str(self.payout), "share_bps": self.share_bps}

    @classmethod
    def from_json(cls, data: dict) -> "RegistryChange":
        return cls(data["op"], int(data["operator"]), data["seq"],
                   None if data["payout"] is None else int(data["payout"]), data["share_bps"])


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def verify_change(governance_key: bytes, ledger_id: str, change: RegistryChange, signature: bytes) -> bool:
    """True when ``signature`` is the governance key's Ed25519 signature of this change."""
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(governance_key).verify(bytes(signature), change.message(ledger_id))
    except InvalidSignature:
        return False
    return True


class Governance:
    """The network's governance key (one Ed25519 key here; a multisig on chain). It signs registry
    changes; the ledger verifies them. The demo and tests hold their own."""

    def __init__(self, private_key: Ed25519PrivateKey):
        self._key = private_key

    @classmethod
    def generate(cls) -> "Governance":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Governance":
        if len(raw) != 32:
            raise ValueError(f"a governance key is 32 bytes, got {len(raw)}")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        return self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self._key.public_key())

    def sign(self, change: RegistryChange, ledger_id: str) -> bytes:
        return self._key.sign(change.message(ledger_id))

    # ------------------------------------------------------------ submitting changes to a ledger
    def submit(self, ledger, op: str, operator: int, payout: int | None = None, share_bps: int | None = None) -> int:
        """Sign the change as the ledger's next one and apply it; returns the new registry root."""
        change = RegistryChange(op, operator, ledger.registry.next_seq(), payout, share_bps)
        return ledger.registry.apply(change, self.sign(change, ledger.ledger_id))

    def add(self, ledger, operator: int, payout: int, share_bps: int) -> int:
        return self.submit(ledger, "add", operator, payout=payout, share_bps=share_bps)

    def rotate(self, ledger, operator: int, payout: int) -> int:
        return self.submit(ledger, "rotate", operator, payout=payout)

    def set_share(self, ledger, operator: int, share_bps: int) -> int:
        return self.submit(ledger, "share", operator, share_bps=share_bps)

    def remove(self, ledger, operator: int) -> int:
        return self.submit(ledger, "remove", operator)
