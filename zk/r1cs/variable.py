"""Symbolic values inside `define`: linear combinations of wires over Fr (wire 0 is the constant 1)."""
from __future__ import annotations

from zk.r1cs.field import R

ONE_WIRE = 0


def _delegated(api_method: str):
    """The operator and its reflected form, both handed to the API that made the variable, which
    knows whether the operation is free (a new linear combination) or allocates a constraint."""

    def forward(self, other):
        return getattr(self.api, api_method)(self, other)

    def reflected(self, other):
        return getattr(self.api, api_method)(other, self)

    return forward, reflected


class Variable:
    """A linear combination sum(coeff * wire). Adding and scaling are free; multiplying two
    non-constant variables allocates a constraint through the API that created them."""

    __slots__ = ("terms", "api")

    def __init__(self, terms: dict[int, int], api):
        self.terms = terms
        self.api = api

    # Comparing symbolic values with == or using them in `if` cannot mean anything at compile time,
    # where no values exist; failing loudly avoids circuits whose shape silently depends on inputs.
    def __eq__(self, other):
        raise TypeError("circuit variables cannot be compared with ==; use api.assert_equal or api.is_equal")

    def __ne__(self, other):
        raise TypeError("circuit variables cannot be compared with !=; use api.is_equal")

    def __bool__(self):
        raise TypeError("circuit variables have no truth value at compile time; use api.select / api.is_zero")

    __hash__ = None  # type: ignore[assignment]

    def __lt__(self, other):
        raise TypeError("circuit variables cannot be compared with <; use api.less_than(a, b, bits)")

    __le__ = __gt__ = __ge__ = __lt__

    def __neg__(self):
        return self.api.neg(self)

    def __pos__(self):
        return self

    __add__, __radd__ = _delegated("add")
    __sub__, __rsub__ = _delegated("sub")
    __mul__, __rmul__ = _delegated("mul")
    __truediv__, __rtruediv__ = _delegated("div")

    def __pow__(self, exponent):
        if not isinstance(exponent, int) or exponent < 1:
            raise TypeError("only positive integer exponents are supported")
        result, base = None, self
        while exponent:
            if exponent & 1:
                result = base if result is None else result * base
            exponent >>= 1
            if exponent:
                base = base * base
        return result

    def is_constant(self) -> bool:
        return all(wire == ONE_WIRE for wire in self.terms)

    def constant_value(self) -> int:
        return self.terms.get(ONE_WIRE, 0)

    def __repr__(self):
        parts = [f"{c}" if w == ONE_WIRE else f"{c}*w{w}" for w, c in sorted(self.terms.items())]
        return "Variable(" + (" + ".join(parts) or "0") + ")"


def scale(terms: dict[int, int], k: int) -> dict[int, int]:
    k %= R
    if k == 0:
        return {}
    if k == 1:
        return dict(terms)
    return {w: c * k % R for w, c in terms.items()}


def combine(left: dict[int, int], right: dict[int, int], k: int = 1) -> dict[int, int]:
    """left + k*right, dropping zero coefficients."""
    out = dict(left)
    for w, c in right.items():
        v = (out.get(w, 0) + k * c) % R
        if v:
            out[w] = v
        else:
            out.pop(w, None)
    return out
