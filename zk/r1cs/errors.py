"""Exceptions and warnings raised while defining, compiling and solving circuits."""
from __future__ import annotations


class CircuitError(Exception):
    """The circuit definition itself is wrong (independent of input values)."""


class InputError(ValueError):
    """User-supplied inputs do not match the circuit's declared inputs."""


class WitnessError(Exception):
    """The witness could not be computed (for example a division by zero in a hint)."""


class UnsatisfiedConstraint(WitnessError):
    """A witness violates a constraint; carries the constraint's index, origin and the evaluated values."""

    def __init__(self, index: int | None, origin: str, a: int, b: int, c: int):
        self.index, self.origin, self.a, self.b, self.c = index, origin, a, b, c
        where = (f"constraint {index} ({origin})" if index is not None
                 else f"{origin} (a linear constraint merged into others by simplification)")
        super().__init__(
            f"{where} is not satisfied: A·w = {_show(a)}, B·w = {_show(b)}, C·w = {_show(c)}, "
            f"but (A·w)·(B·w) = {_show(a * b % _r())}"
        )


class UnderConstrainedWarning(UserWarning):
    """The linter found a private input or hint output that no constraint mentions."""


def _show(value: int) -> str:
    """Field elements near r are small negatives in practice; print them that way."""
    r = _r()
    return f"-{r - value}" if value > r // 2 else str(value)


def _r() -> int:
    from zk.r1cs.field import R

    return R
