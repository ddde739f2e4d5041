"""Community Credits primitives (docs/PROTOCOL.md §2-§4), natively and in-circuit.

Every hash here is `H(tag, x1, ..., xk)` = circomlib Poseidon over `[tag, x1, ..., xk]`; the
native function and its gadget twin take the same arguments in the same order, so a circuit and
the wallet that feeds it cannot drift apart.
"""
from __future__ import annotations

import datetime as _dt
import secrets
from dataclasses import asdict, dataclass
from enum import IntEnum

from zk.gadgets import poseidon, poseidon_gadget
from zk.field.decimal import parse_decimal
from zk.r1cs.field import R


class Tag(IntEnum):
    OWNER = 1
    NOTE = 2
    NOTE_NF = 3
    OPERATOR = 4
    ASSIGNMENT = 5
    ASSIGN_NF = 6
    EXTERNAL = 7
    REGISTRY = 8


AMOUNT_BITS = 64
EPOCH_BITS = 32
LIFETIME = 12  # epochs: usable while epoch <= now <= epoch + LIFETIME - 1
MAX_AMOUNT = (1 << AMOUNT_BITS) - 1
MAX_EPOCH = (1 << EPOCH_BITS) - 1
PAYOUT_BITS = 160
DEFAULT_DEPTH = 20
ROOT_HISTORY = 32
MAX_OPERATOR_SHARE_BPS = 7000
MAX_DEPTH = 32  # zk.gadgets.merkle's limit: positions fit in 32 bits, far below r
# The operator registry (§3.1): at most 2^10 registered operators at once (slots of removed
# operators are reused); each level costs the redeem proof 242 constraints.
REGISTRY_DEPTH = 10
# A replaced registry root stays acceptable this many seconds (§3.1): long enough for a proof in
# flight (seconds to prove, minutes to relay), short enough that a removal or rotation bites
# within the hour whatever else happens to the registry.
REGISTRY_ROOT_WINDOW = 3600


class ProtocolError(ValueError):
    """A value outside what the protocol allows (an amount over 64 bits, a non-field element...)."""


def H(tag: Tag, *xs: int) -> int:
    return poseidon([int(tag), *xs])


def H_gadget(api, tag: Tag, *xs):
    return poseidon_gadget(api, [int(tag), *xs])


def random_field_element() -> int:
    # Rejection sampling keeps the value uniform in F (a plain 254-bit draw mod r would not be).
    while True:
        x = secrets.randbits(254)
        if x < R:
            return x


def _decimal(value, what: str) -> int:
    """A number from JSON (a wallet's records, a hand-over blob, a ledger event), length-limited."""
    return parse_decimal(value, what, ProtocolError)


def _int_at_most(value, high: int, message: str) -> int:
    """`value` as an int in [0, high] (bools are not numbers here), else ProtocolError(message)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise ProtocolError(f"{message}, got {value!r}")
    return value


def check_field(value: int, what: str) -> int:
    return _int_at_most(value, R - 1, f"{what} must be a field element (an int in [0, r))")


def check_amount(value: int, what: str = "amount") -> int:
    return _int_at_most(value, MAX_AMOUNT, f"{what} must be an integer in [0, 2^64)")


def check_epoch(value: int, what: str = "epoch") -> int:
    return _int_at_most(value, MAX_EPOCH, f"{what} must be an integer in [0, 2^32)")


# ------------------------------------------------------------------------------------ keys §3
def owner_address(sk: int) -> int:
    return H(Tag.OWNER, check_field(sk, "spending key"))


def operator_address(osk: int) -> int:
    return H(Tag.OPERATOR, check_field(osk, "operator key"))


def registry_depth(depth: int) -> int:
    """The registry tree's depth for a ledger whose note and assignment trees have `depth`:
    REGISTRY_DEPTH, or less for the small trees of tests (one parameter sizes the circuits)."""
    return min(depth, REGISTRY_DEPTH)


def registry_leaf(operator: int, payout: int, share_bps: int) -> int:
    """A registry entry: the operator's address, its payout address, its share in basis points."""
    check_field(operator, "operator")
    check_payout(payout)
    check_share(share_bps)
    return H(Tag.REGISTRY, operator, payout, share_bps)


def check_payout(value: int, what: str = "payout") -> int:
    return _int_at_most(value, (1 << PAYOUT_BITS) - 1, f"{what} must be a {PAYOUT_BITS}-bit chain address")


def check_share(value: int, what: str = "operator share") -> int:
    return _int_at_most(value, MAX_OPERATOR_SHARE_BPS, f"{what} must be 0..{MAX_OPERATOR_SHARE_BPS} basis points")


def external_hash(relayer: int, fee: int) -> int:
    return H(Tag.EXTERNAL, check_field(relayer, "relayer"), check_field(fee, "fee"))


# --------------------------------------------------------------------- commitments §4
def note_commitment(owner: int, amount: int, epoch: int, rho: int) -> int:
    return H(Tag.NOTE, owner, amount, epoch, rho)


def note_nullifier(sk: int, rho: int, position: int) -> int:
    """Bound to the note's leaf position (§4.3): two notes never share a nullifier, even when their
    creator reused rho, because no two leaves share a position."""
    return H(Tag.NOTE_NF, sk, rho, check_position(position))


def assignment_commitment(group: int, operator: int, amount: int, epoch: int, rho: int) -> int:
    return H(Tag.ASSIGNMENT, group, operator, amount, epoch, rho)


def assignment_nullifier(osk: int, rho: int, position: int) -> int:
    return H(Tag.ASSIGN_NF, osk, rho, check_position(position))


def check_position(position: int) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < (1 << MAX_DEPTH):
        raise ProtocolError(f"a leaf position must be an integer in [0, 2^{MAX_DEPTH}), got {position!r}")
    return position


@dataclass(frozen=True)
class Note:
    """Credits held by a user: the opening of a note commitment."""

    owner: int
    amount: int
    epoch: int
    rho: int

    def __post_init__(self):
        check_field(self.owner, "owner")
        check_amount(self.amount)
        check_epoch(self.epoch)
        check_field(self.rho, "rho")

    @classmethod
    def new(cls, owner: int, amount: int, epoch: int) -> "Note":
        return cls(owner, amount, epoch, random_field_element())

    @property
    def commitment(self) -> int:
        return note_commitment(self.owner, self.amount, self.epoch, self.rho)

    def nullifier(self, sk: int, position: int) -> int:
        """The nullifier of this note at leaf ``position`` of the note tree."""
        return note_nullifier(sk, self.rho, position)

    def to_json(self) -> dict:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "Note":
        return cls(**{k: _decimal(data[k], f"note {k}") for k in ("owner", "amount", "epoch", "rho")})


@dataclass(frozen=True)
class Assignment:
    """Credits given to a group and its operator: the opening of an assignment commitment."""

    group: int
    operator: int
    amount: int
    epoch: int
    rho: int

    def __post_init__(self):
        check_field(self.group, "group")
        check_field(self.operator, "operator")
        check_amount(self.amount)
        check_epoch(self.epoch)
        check_field(self.rho, "rho")

    @classmethod
    def new(cls, group: int, operator: int, amount: int, epoch: int) -> "Assignment":
        return cls(group, operator, amount, epoch, random_field_element())

    @property
    def commitment(self) -> int:
        return assignment_commitment(self.group, self.operator, self.amount, self.epoch, self.rho)

    def nullifier(self, osk: int, position: int) -> int:
        """The nullifier of this assignment at leaf ``position`` of the assignment tree."""
        return assignment_nullifier(osk, self.rho, position)

    def to_json(self) -> dict:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "Assignment":
        return cls(**{k: _decimal(data[k], f"assignment {k}") for k in ("group", "operator", "amount", "epoch", "rho")})


# ----------------------------------------------------------------------------- epochs §2
def epoch_of(year: int, month: int) -> int:
    """The epoch of a calendar month: 12 * year + (month - 1) (2026-11 is 24322)."""
    if not 1 <= month <= 12:
        raise ProtocolError(f"month must be 1..12, got {month}")
    return check_epoch(12 * year + month - 1)


def epoch_to_month(epoch: int) -> tuple[int, int]:
    return divmod(check_epoch(epoch), 12)[0], epoch % 12 + 1


def current_epoch(today: _dt.date | None = None) -> int:
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    return epoch_of(today.year, today.month)


def is_usable(epoch: int, now: int) -> bool:
    """Credits bought in `epoch` can be assigned and redeemed at `now` (not expired, not future)."""
    return epoch <= now <= epoch + LIFETIME - 1


# ------------------------------------------------------------------------ circuit helpers
def assert_usable(api, epoch, now) -> None:
    """epoch <= now <= epoch + 11 with both range-checked to 32 bits (§5.2 rule 5, §5.3 rule 4)."""
    with api.gadget("unexpired"):
        api.assert_range(epoch, EPOCH_BITS)
        api.assert_range(now, EPOCH_BITS)
        api.assert_equal(api.less_or_equal(epoch, now, EPOCH_BITS), 1)
        # epoch + 11 may reach 2^32 + 10, so this comparison needs one bit more.
        api.assert_equal(api.less_or_equal(now, api.add(epoch, LIFETIME - 1), EPOCH_BITS + 1), 1)


def leaf_position(api, path_indices):
    """The leaf's position in its tree, sum_i bit_i 2^i: a linear combination of the path's bits,
    which the Merkle gadget constrains to be boolean (no constraint of its own)."""
    return api.add(*(api.mul(bit, 1 << level) for level, bit in enumerate(path_indices)))


def bind_public(api, x) -> None:
    """Constrain a public input that no other constraint uses (x * x = x^2), so the linter and
    readers see it is part of the statement. Groth16 binds every public input through the
    verifier's equation anyway; this constraint just makes that explicit in the R1CS."""
    api.mul(x, x)


# --------------------------------------------------------------- public statements §5
class _Statement:
    """The public inputs of one circuit, in the circuit's order (the verifier's order)."""

    def as_list(self) -> list[int]:
        return [getattr(self, f) for f in self.__dataclass_fields__]

    @classmethod
    def from_list(cls, values):
        values = list(values)
        if len(values) != len(cls.__dataclass_fields__):
            raise ProtocolError(f"{cls.__name__} has {len(cls.__dataclass_fields__)} public inputs, got {len(values)}")
        return cls(*(int(v) for v in values))

    def to_json(self) -> dict:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict):
        return cls(**{k: _decimal(data[k], f"{cls.__name__} {k}") for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class PurchasePublic(_Statement):
    note_cm: int
    amount: int
    epoch: int


@dataclass(frozen=True)
class AssignPublic(_Statement):
    note_root: int
    nf_1: int
    nf_2: int
    assign_cm: int
    change_cm: int
    now: int
    external_hash: int


@dataclass(frozen=True)
class RedeemPublic(_Statement):
    assign_root: int
    registry_root: int
    nf: int
    change_cm: int
    amount: int
    payout: int
    share_bps: int
    now: int
