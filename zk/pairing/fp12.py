"""Readable Fp12 values (pairing results) in Python integers, and the maps to other representations.

``Fp12`` holds the six Fp2 coefficients g_0..g_5 of 1, w, ..., w^5 (w^6 = xi = 9 + u), which is
the same field as the numba tower Fp2[v]/(v^3 - xi)[w]/(w^2 - v): g_k sits at c[k % 2][k // 2].

py_ecc writes Fp12 as Fp[W]/(W^12 - 18 W^6 + 82). Taking W = w works: W^6 = xi = 9 + u gives
u = W^6 - 9, and (W^6 - 9)^2 = -1 is exactly W^12 - 18 W^6 + 82 = 0. So a + b u = (a - 9 b) + b W^6,
and g_k = a + b u contributes a - 9 b to W^k and b to W^(k+6).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from zk.field import FP, P, Fp2
from zk.field import arrays as field_arrays
from zk.field.bn254 import XI

_XI = Fp2(*XI)


class Fp12:
    """An element of Fp12, e.g. a pairing value: ``==``, ``*``, ``/``, ``**`` (negative too), ``inverse``."""

    __slots__ = ("coeffs",)

    def __init__(self, coeffs: Sequence[Fp2]):
        coeffs = tuple(c if isinstance(c, Fp2) else Fp2(*c) for c in coeffs)
        if len(coeffs) != 6:
            raise ValueError(f"Fp12 takes 6 Fp2 coefficients (of 1, w, ..., w^5), got {len(coeffs)}")
        self.coeffs = coeffs

    @classmethod
    def one(cls) -> "Fp12":
        return cls([Fp2(1)] + [Fp2(0)] * 5)

    def is_one(self) -> bool:
        return self == Fp12.one()

    # -- conversions ---------------------------------------------------------------------------

    def tower_ints(self) -> list[int]:
        """The 12 Fp coordinates in the kernels' order: c0.b0, c0.b1, c0.b2, c1.b0, c1.b1, c1.b2 (re, im each)."""
        out = []
        for half in (0, 1):
            for j in range(3):
                g = self.coeffs[2 * j + half]
                out += [g.c0.value, g.c1.value]
        return out

    @classmethod
    def from_tower_ints(cls, values: Sequence[int]) -> "Fp12":
        coeffs = [None] * 6
        for half in (0, 1):
            for j in range(3):
                idx = 6 * half + 2 * j
                coeffs[2 * j + half] = Fp2(values[idx], values[idx + 1])
        return cls(coeffs)

    def to_array(self) -> np.ndarray:
        """Montgomery limbs, shape (2, 3, 2, 4), as the kernels read them."""
        return field_arrays.to_array(FP, self.tower_ints()).reshape(2, 3, 2, 4)

    @classmethod
    def from_array(cls, arr: np.ndarray) -> "Fp12":
        return cls.from_tower_ints(field_arrays.from_array(FP, np.asarray(arr).reshape(12, 4)))

    def py_ecc_coeffs(self) -> list[int]:
        """Coefficients of 1, W, ..., W^11 in py_ecc's Fp[W]/(W^12 - 18 W^6 + 82)."""
        out = [0] * 12
        for k, g in enumerate(self.coeffs):
            a, b = g.c0.value, g.c1.value
            out[k] = (out[k] + a - 9 * b) % P
            out[k + 6] = (out[k + 6] + b) % P
        return out

    def to_py_ecc(self, field_class=None):
        """As a py_ecc FQ12 (``py_ecc.fields.optimized_bn128_FQ12`` unless another class is given)."""
        if field_class is None:
            from py_ecc.fields import optimized_bn128_FQ12 as field_class
        return field_class(self.py_ecc_coeffs())

    @classmethod
    def from_py_ecc(cls, value) -> "Fp12":
        """From a py_ecc FQ12 (either bn128 flavour) or a list of its 12 coefficients."""
        coeffs = [int(c) % P for c in getattr(value, "coeffs", value)]
        if len(coeffs) != 12:
            raise ValueError(f"expected 12 coefficients, got {len(coeffs)}")
        # Inverse of the map above: b = coefficient of W^(k+6), a = coefficient of W^k + 9 b.
        return cls([Fp2((coeffs[k] + 9 * coeffs[k + 6]) % P, coeffs[k + 6]) for k in range(6)])

    # -- arithmetic ----------------------------------------------------------------------------

    def __mul__(self, other):
        if not isinstance(other, Fp12):
            return NotImplemented
        wide = [Fp2(0)] * 11
        for i, a in enumerate(self.coeffs):
            if not a:
                continue
            for j, b in enumerate(other.coeffs):
                wide[i + j] = wide[i + j] + a * b
        return Fp12([wide[k] + _XI * wide[k + 6] if k < 5 else wide[k] for k in range(6)])

    def conjugate(self) -> "Fp12":
        """x^(p^6) (w -> -w); the inverse for pairing values, which have norm 1."""
        return Fp12([g if k % 2 == 0 else -g for k, g in enumerate(self.coeffs)])

    def inverse(self) -> "Fp12":
        if not any(self.coeffs):
            raise ZeroDivisionError("0 has no inverse in Fp12")
        from .kernels import fp12_inverse_array

        return Fp12.from_array(fp12_inverse_array(self.to_array()))

    def __truediv__(self, other):
        if not isinstance(other, Fp12):
            return NotImplemented
        return self * other.inverse()

    def __pow__(self, exponent: int):
        if exponent < 0:
            return self.inverse() ** (-exponent)
        result, base = Fp12.one(), self
        while exponent:
            if exponent & 1:
                result = result * base
            exponent >>= 1
            if exponent:
                base = base * base
        return result

    def __eq__(self, other):
        if not isinstance(other, Fp12):
            return NotImplemented
        return self.coeffs == other.coeffs

    def __hash__(self):
        return hash(tuple(self.tower_ints()))

    def __repr__(self):
        return "Fp12(" + ", ".join(repr(g) for g in self.coeffs) + ")"

