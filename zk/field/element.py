"""Readable field element types for user code and tests: ``Fr(3) * Fr(5)``, ``int(x)``, ``x ** -1``.

A single element is cheaper in Python integers than through a numba call (dispatch costs more than
one multiplication), so these wrap ints; bulk work goes through :mod:`zk.field.arrays`, and the
tests check that both agree.
"""
from __future__ import annotations

from .bn254 import P, R


class FieldError(ValueError):
    """A value that is not a valid encoding of a field element."""


class PrimeFieldElement:
    __slots__ = ("value",)
    modulus: int = 0
    byte_length = 32

    def __init__(self, value: int = 0):
        if isinstance(value, PrimeFieldElement):
            if type(value) is not type(self):
                raise TypeError(f"cannot convert {type(value).__name__} to {type(self).__name__}")
            value = value.value
        if not isinstance(value, int):
            raise TypeError(f"{type(self).__name__} takes an int, got {type(value).__name__}")
        self.value = value % self.modulus

    @classmethod
    def canonical(cls, value: int):
        """The element whose representative is ``value``; rejects values outside [0, modulus)."""
        if not 0 <= value < cls.modulus:
            raise FieldError(f"{value} is not a canonical {cls.__name__} element (must be in [0, {cls.__name__}.modulus))")
        return cls(value)

    def _coerce(self, other):
        if isinstance(other, type(self)):
            return other.value
        if isinstance(other, int) and not isinstance(other, bool):
            return other % self.modulus
        return None

    def __add__(self, other):
        o = self._coerce(other)
        return NotImplemented if o is None else type(self)(self.value + o)

    __radd__ = __add__

    def __sub__(self, other):
        o = self._coerce(other)
        return NotImplemented if o is None else type(self)(self.value - o)

    def __rsub__(self, other):
        o = self._coerce(other)
        return NotImplemented if o is None else type(self)(o - self.value)

    def __mul__(self, other):
        o = self._coerce(other)
        return NotImplemented if o is None else type(self)(self.value * o)

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = self._coerce(other)
        if o is None:
            return NotImplemented
        if o == 0:
            raise ZeroDivisionError(f"division by zero in {type(self).__name__}")
        return type(self)(self.value * pow(o, -1, self.modulus))

    def __rtruediv__(self, other):
        o = self._coerce(other)
        return NotImplemented if o is None else type(self)(o) / self

    def __neg__(self):
        return type(self)(-self.value)

    def __pow__(self, exponent: int):
        if exponent < 0:
            return self.inverse() ** (-exponent)
        return type(self)(pow(self.value, exponent, self.modulus))

    def inverse(self):
        if self.value == 0:
            raise ZeroDivisionError(f"0 has no inverse in {type(self).__name__}")
        return type(self)(pow(self.value, -1, self.modulus))

    def __eq__(self, other):
        o = self._coerce(other)
        return NotImplemented if o is None else self.value == o

    def __hash__(self):
        return hash((type(self).__name__, self.value))

    def __int__(self):
        return self.value

    __index__ = __int__

    def __bool__(self):
        return self.value != 0

    def __repr__(self):
        return f"{type(self).__name__}({self.value})"

    def to_bytes(self) -> bytes:
        """Canonical 32-byte big-endian encoding."""
        return self.value.to_bytes(self.byte_length, "big")

    @classmethod
    def from_bytes(cls, data: bytes):
        if len(data) != cls.byte_length:
            raise FieldError(f"{cls.__name__} encoding must be {cls.byte_length} bytes, got {len(data)}")
        return cls.canonical(int.from_bytes(data, "big"))

    def is_square(self) -> bool:
        return self.value == 0 or pow(self.value, (self.modulus - 1) // 2, self.modulus) == 1


class Fr(PrimeFieldElement):
    """The BN254 scalar field: circuit values, witnesses, exponents."""

    __slots__ = ()
    modulus = R


class Fp(PrimeFieldElement):
    """The BN254 base field: curve coordinates."""

    __slots__ = ()
    modulus = P

    def sqrt(self) -> "Fp | None":
        """A square root (p = 3 mod 4, so a^((p+1)/4)), or None for a non-residue."""
        root = pow(self.value, (P + 1) // 4, P)
        return Fp(root) if root * root % P == self.value else None


class Fp2:
    """Fp[u]/(u^2 + 1); c0 + c1*u."""

    __slots__ = ("c0", "c1")

    def __init__(self, c0=0, c1=0):
        self.c0 = Fp(c0) if not isinstance(c0, Fp) else c0
        self.c1 = Fp(c1) if not isinstance(c1, Fp) else c1

    @staticmethod
    def _lift(other):
        if isinstance(other, Fp2):
            return other
        if isinstance(other, (int, Fp)) and not isinstance(other, bool):
            return Fp2(other, 0)
        return None

    def __add__(self, other):
        o = self._lift(other)
        return NotImplemented if o is None else Fp2(self.c0 + o.c0, self.c1 + o.c1)

    __radd__ = __add__

    def __sub__(self, other):
        o = self._lift(other)
        return NotImplemented if o is None else Fp2(self.c0 - o.c0, self.c1 - o.c1)

    def __rsub__(self, other):
        o = self._lift(other)
        return NotImplemented if o is None else o - self

    def __mul__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return Fp2(self.c0 * o.c0 - self.c1 * o.c1, self.c0 * o.c1 + self.c1 * o.c0)

    __rmul__ = __mul__

    def __neg__(self):
        return Fp2(-self.c0, -self.c1)

    def conjugate(self) -> "Fp2":
        return Fp2(self.c0, -self.c1)

    def norm(self) -> Fp:
        return self.c0 * self.c0 + self.c1 * self.c1

    def inverse(self) -> "Fp2":
        n = self.norm()
        if n.value == 0:
            raise ZeroDivisionError("0 has no inverse in Fp2")
        inv = n.inverse()
        return Fp2(self.c0 * inv, -self.c1 * inv)

    def __truediv__(self, other):
        o = self._lift(other)
        return NotImplemented if o is None else self * o.inverse()

    def __rtruediv__(self, other):
        o = self._lift(other)
        return NotImplemented if o is None else o * self.inverse()

    def __pow__(self, exponent: int):
        if exponent < 0:
            return self.inverse() ** (-exponent)
        result, base = Fp2(1, 0), self
        while exponent:
            if exponent & 1:
                result = result * base
            base = base * base
            exponent >>= 1
        return result

    def __eq__(self, other):
        o = self._lift(other)
        return NotImplemented if o is None else (self.c0 == o.c0 and self.c1 == o.c1)

    def __hash__(self):
        return hash(("Fp2", self.c0.value, self.c1.value))

    def __bool__(self):
        return bool(self.c0) or bool(self.c1)

    def __repr__(self):
        return f"Fp2({self.c0.value}, {self.c1.value})"

    def sqrt(self) -> "Fp2 | None":
        """A square root, or None (Adj and Rodriguez-Henriquez, Algorithm 9, p = 3 mod 4)."""
        a1 = self ** ((P - 3) // 4)
        alpha = a1 * (a1 * self)
        if alpha.conjugate() * alpha == Fp2(-1):
            return None
        x0 = a1 * self
        if alpha == Fp2(-1):
            root = Fp2(-x0.c1, x0.c0)
        else:
            root = ((alpha + 1) ** ((P - 1) // 2)) * x0
        return root if root * root == self else None
