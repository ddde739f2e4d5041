"""Errors and the proof type."""
from __future__ import annotations

from dataclasses import dataclass

from zk.curve import CurveError, G1Point, G2Point


class Groth16Error(ValueError):
    """Base class of the Groth16 errors (all ValueErrors: they describe bad input, not bugs)."""


class InvalidKey(Groth16Error):
    """A key that must not be used: degenerate (delta = gamma, a point at infinity where the
    protocol needs a real one), inconsistent sizes, or points outside their groups."""


class InvalidInput(Groth16Error):
    """Verifier input that is malformed rather than merely wrong: the wrong number of public
    inputs, a public input outside [0, r), proof points off the curve or outside the subgroup."""


def require_g1(point, what: str) -> G1Point:
    if not isinstance(point, G1Point):
        raise InvalidInput(f"{what} must be a G1Point, got {type(point).__name__}")
    if not point.is_on_curve():
        raise InvalidInput(f"{what} is not on the G1 curve")
    return point


def require_g2(point, what: str) -> G2Point:
    if not isinstance(point, G2Point):
        raise InvalidInput(f"{what} must be a G2Point, got {type(point).__name__}")
    if not point.is_on_curve():
        raise InvalidInput(f"{what} is not on the G2 twist curve")
    if not point.is_in_subgroup():
        raise InvalidInput(f"{what} is on the twist but not in the order-r subgroup G2")
    return point


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof (A in G1, B in G2, C in G1)."""

    a: G1Point
    b: G2Point
    c: G1Point

    def validate(self) -> "Proof":
        """Raise :class:`InvalidInput` unless every point is in its group (points built with
        ``check=False`` or decoded elsewhere may not be)."""
        try:
            require_g1(self.a, "proof point A")
            require_g2(self.b, "proof point B")
            require_g1(self.c, "proof point C")
        except CurveError as exc:  # pragma: no cover - defensive: predicates do not raise
            raise InvalidInput(str(exc)) from None
        return self
