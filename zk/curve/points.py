"""Readable BN254 point types: ``G1Point`` (coordinates in Fp) and ``G2Point`` (in Fp2).

Points are affine and immutable. Construction checks the curve equation (and, for G2, the
prime-order subgroup) unless told otherwise, so a ``G1Point``/``G2Point`` in user code is a group
element. Addition is done in Python integers (one addition is cheaper there than a numba call);
scalar multiplication goes through the numba kernel. Bulk work uses limb arrays:
``g1_to_array`` / ``g1_from_array`` and the G2 twins, in the layout of :mod:`zk.curve.kernels`.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from zk.field import FP, FP2, R, Fp, Fp2, Fr
from zk.field import arrays as field_arrays
from zk.field.spec import FieldSpec

from . import kernels as curve_kernels
from .constants import B_G1, B_G2, G1_GENERATOR, G2_GENERATOR
from .errors import CurveError
from .glv import batch_glv_scalar_mul, glv_halves
from .subgroup import batch_g2_subgroup_check

_SCALAR_CHUNK_BITS = 255  # the kernel takes scalars below 2^256


class _AffinePoint:
    """An affine point of the group a subclass names in its class keywords: ``name``, the
    coordinate ``field`` (an element type), the curve's ``b`` and the kernels' field
    ``descriptor``."""

    __slots__ = ("x", "y", "_infinity")
    name: str
    field: type
    b: Fp | Fp2
    descriptor: FieldSpec

    def __init_subclass__(cls, *, name: str, field: type, b, descriptor, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name, cls.field, cls.b, cls.descriptor = name, field, b, descriptor

    def __init__(self, x, y, *, check: bool = True):
        self.x = self._coerce(x)
        self.y = self._coerce(y)
        self._infinity = False
        if check:
            self._validate()

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def _coerce(cls, value):
        """A coordinate: an element of the field, or an int or Fp element (the prime subfield of
        both groups' fields) lifted into it; never a bool."""
        if isinstance(value, cls.field):
            return value
        if isinstance(value, (int, Fp)) and not isinstance(value, bool):
            return cls.field(value)
        raise TypeError(f"{cls.name} coordinates are {cls.field.__name__}, Fp or int, got {type(value).__name__}")

    @classmethod
    def infinity(cls):
        point = cls.__new__(cls)
        point.x = cls.field(0)
        point.y = cls.field(0)
        point._infinity = True
        return point

    @classmethod
    def _unchecked(cls, x, y):
        return cls(x, y, check=False)

    def _validate(self):
        if not self.is_on_curve():
            raise CurveError(f"({self.x}, {self.y}) is not on the {self.name} curve y^2 = x^3 + {self.b}")

    # -- predicates ------------------------------------------------------------------------

    def is_infinity(self) -> bool:
        return self._infinity

    def is_on_curve(self) -> bool:
        if self._infinity:
            return True
        return self.y * self.y == self.x * self.x * self.x + self.b

    # -- group law -------------------------------------------------------------------------

    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        if self._infinity:
            return other
        if other._infinity:
            return self
        x1, y1, x2, y2 = self.x, self.y, other.x, other.y
        if x1 == x2:
            if y1 != y2 or not y1:
                return self.infinity()
            slope = (3 * x1 * x1) / (2 * y1)
        else:
            slope = (y2 - y1) / (x2 - x1)
        x3 = slope * slope - x1 - x2
        return self._unchecked(x3, slope * (x1 - x3) - y1)

    def __neg__(self):
        if self._infinity:
            return self
        return self._unchecked(self.x, -self.y)

    def __sub__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self + (-other)

    def __mul__(self, scalar):
        if isinstance(scalar, Fr):
            scalar = scalar.value
        elif isinstance(scalar, np.integer):
            scalar = int(scalar)
        # Fp elements are refused on purpose: a coordinate-field value is not a scalar (p != r).
        if isinstance(scalar, bool) or not isinstance(scalar, int):
            return NotImplemented
        if scalar < 0:
            return (-self) * (-scalar)
        if isinstance(self, G1Point):
            # The cofactor is 1: every G1 point has order dividing r, so reducing is exact.
            scalar %= R
        if scalar >> 256:
            # Split instead of reducing mod r: that would be wrong for points outside the subgroup.
            low = scalar & ((1 << _SCALAR_CHUNK_BITS) - 1)
            high_base = self * (1 << _SCALAR_CHUNK_BITS)
            return self * low + high_base * (scalar >> _SCALAR_CHUNK_BITS)
        return multi_scalar_mul_each([self], [scalar])[0]

    __rmul__ = __mul__

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        if self._infinity or other._infinity:
            return self._infinity and other._infinity
        return self.x == other.x and self.y == other.y

    def __hash__(self):
        return hash((self.name, self._infinity, self.x, self.y))

    def __repr__(self):
        if self._infinity:
            return f"{type(self).__name__}.infinity()"
        return f"{type(self).__name__}({self.x!r}, {self.y!r})"


class G1Point(_AffinePoint, name="G1", field=Fp, b=B_G1, descriptor=FP):
    """A point of G1 = E(Fp), y^2 = x^3 + 3 (cofactor 1: every curve point is in the group)."""

    __slots__ = ()

    @classmethod
    def generator(cls) -> "G1Point":
        """(1, 2), the generator used by py_ecc and the Ethereum precompiles (EIP-196/197)."""
        return cls._unchecked(*G1_GENERATOR)


class G2Point(_AffinePoint, name="G2", field=Fp2, b=B_G2, descriptor=FP2):
    """A point of G2, the order-r subgroup of the twist E'(Fp2): y^2 = x^3 + 3/(9+u).

    ``G2Point(x, y)`` checks the curve and the subgroup; pass ``check=False`` only for points you
    know are valid (or, in tests, to build invalid ones on purpose). A coordinate may also be
    given as its pair (c0, c1).
    """

    __slots__ = ()

    @classmethod
    def _coerce(cls, value):
        if isinstance(value, tuple) and len(value) == 2:
            return Fp2(*value)
        return super()._coerce(value)

    def _validate(self):
        super()._validate()
        if not self.is_in_subgroup():
            raise CurveError(f"({self.x}, {self.y}) is on the twist but not in the order-r subgroup G2")

    @classmethod
    def generator(cls) -> "G2Point":
        """The G2 generator of py_ecc and the Ethereum pairing precompile (EIP-197)."""
        (x0, x1), (y0, y1) = G2_GENERATOR
        return cls._unchecked(Fp2(x0, x1), Fp2(y0, y1))

    def is_in_subgroup(self) -> bool:
        """Fast psi-based test (see :mod:`zk.curve.subgroup`); ``is_in_subgroup_slow`` is r*Q == 0."""
        if self._infinity:
            return True
        return batch_g2_subgroup_check(FP2, g2_to_array([self])) < 0

    def is_in_subgroup_slow(self) -> bool:
        return (self * R).is_infinity()


# ---------------------------------------------------------------------------------------------
# Limb arrays (the kernels' layout); infinity is the all-zero row.


def _coordinates(points: Sequence[_AffinePoint], cls: type) -> list[int]:
    values: list[int] = []
    for point in points:
        if not isinstance(point, cls):
            raise TypeError(f"expected {cls.__name__}, got {type(point).__name__}")
        if point._infinity:
            values.extend([0, 0] if cls is G1Point else [0, 0, 0, 0])
        elif cls is G1Point:
            values.extend([point.x.value, point.y.value])
        else:
            values.extend([point.x.c0.value, point.x.c1.value, point.y.c0.value, point.y.c1.value])
    return values


def g1_to_array(points: Iterable[G1Point]) -> np.ndarray:
    """G1 points -> affine array (n, 2, 4), Montgomery limbs."""
    points = list(points)
    return field_arrays.to_array(FP, _coordinates(points, G1Point)).reshape(len(points), 2, 4)


def g2_to_array(points: Iterable[G2Point]) -> np.ndarray:
    """G2 points -> affine array (n, 2, 2, 4), Montgomery limbs."""
    points = list(points)
    return field_arrays.to_array(FP, _coordinates(points, G2Point)).reshape(len(points), 2, 2, 4)


def g1_from_array(arr: np.ndarray, *, check: bool = False) -> list[G1Point]:
    """Affine (n, 2, 4) or Jacobian (n, 3, 4) array -> G1 points. With check=True, each point
    must be on the curve (arrays from outside; kernel outputs need no check)."""
    return _points_from_array(G1Point, FP, arr, 2, check)


def g2_from_array(arr: np.ndarray, *, check: bool = False) -> list[G2Point]:
    """Affine (n, 2, 2, 4) or Jacobian (n, 3, 2, 4) array -> G2 points (see ``g1_from_array``)."""
    return _points_from_array(G2Point, FP2, arr, 3, check)


def _points_from_array(cls, F, arr: np.ndarray, element_dims: int, check: bool) -> list:
    arr = np.ascontiguousarray(arr, dtype=np.uint64)
    if arr.ndim != element_dims + 1 or arr.shape[-1] != 4 or arr.shape[1] not in (2, 3):
        raise ValueError(f"expected an affine or Jacobian point array of {element_dims + 1} dims, got shape {arr.shape}")
    n, coords = arr.shape[0], arr.shape[1]
    if coords == 3:
        # One kernel call (one inversion for all rows); Python's pow(z, -1, p) per point was
        # measured slower even for a single point.
        affine = np.empty((n, 2) + arr.shape[2:], dtype=np.uint64)
        curve_kernels.batch_to_affine(F, arr, affine)
        arr, coords = affine, 2
    values = field_arrays.from_array(FP, arr.reshape(-1, 4))
    if cls is G2Point:
        values = [Fp2(values[j], values[j + 1]) for j in range(0, len(values), 2)]
    else:
        values = [Fp(v) for v in values]
    points = []
    for i in range(n):
        x, y = values[2 * i : 2 * i + 2]
        if not x and not y:
            points.append(cls.infinity())
            continue
        points.append(cls(x, y, check=check))
    return points


def multi_scalar_mul_each(points: Sequence[_AffinePoint], scalars: Sequence[int]) -> list:
    """[k_i * P_i] (not their sum), each scalar in [0, 2^256), through one kernel call (GLV for G1,
    where scalars act mod r; 4-bit windows for G2, exact for points outside the subgroup too)."""
    if not points:
        return []
    cls = type(points[0])
    to_array, from_array = (g1_to_array, g1_from_array) if cls is G1Point else (g2_to_array, g2_from_array)
    for k in scalars:
        if not 0 <= k < 1 << 256:
            raise ValueError(f"scalar {k} is outside [0, 2^256)")
    affine = to_array(points)
    jac = np.empty((affine.shape[0], 3) + affine.shape[2:], dtype=np.uint64)
    if cls is G1Point:
        batch_glv_scalar_mul(FP, affine, glv_halves(scalars), jac)
    else:
        curve_kernels.batch_scalar_mul(cls.descriptor, affine, field_arrays.ints_to_raw(list(scalars)), jac)
    return from_array(jac)


# ---------------------------------------------------------------------------------------------
# py_ecc interop (optimized_bn128 points are homogeneous projective (x, y, z) of FQ / FQ2).


def to_py_ecc(point: _AffinePoint):
    from py_ecc import optimized_bn128 as bn

    if isinstance(point, G1Point):
        if point._infinity:
            return (bn.FQ.one(), bn.FQ.one(), bn.FQ.zero())
        return (bn.FQ(point.x.value), bn.FQ(point.y.value), bn.FQ.one())
    if isinstance(point, G2Point):
        if point._infinity:
            return (bn.FQ2.one(), bn.FQ2.one(), bn.FQ2.zero())
        x, y = point.x, point.y
        return (bn.FQ2([x.c0.value, x.c1.value]), bn.FQ2([y.c0.value, y.c1.value]), bn.FQ2.one())
    raise TypeError(f"expected G1Point or G2Point, got {type(point).__name__}")


def from_py_ecc(point, *, check: bool = True):
    """py_ecc optimized_bn128 (or bn128 affine) point -> G1Point / G2Point."""
    from py_ecc import optimized_bn128 as bn

    if point is None:
        raise ValueError("py_ecc bn128 encodes infinity as None; say which group with G1Point/G2Point.infinity()")
    if len(point) == 3:
        is_g2 = isinstance(point[0], bn.FQ2)
        if bn.is_inf(point):
            return G2Point.infinity() if is_g2 else G1Point.infinity()
        point = bn.normalize(point)
    x, y = point
    if hasattr(x, "coeffs"):
        return G2Point(Fp2(*(int(c) for c in x.coeffs)), Fp2(*(int(c) for c in y.coeffs)), check=check)
    return G1Point(int(x), int(y), check=check)


__all__ = [
    "G1Point",
    "G2Point",
    "g1_to_array",
    "g2_to_array",
    "g1_from_array",
    "g2_from_array",
    "multi_scalar_mul_each",
    "to_py_ecc",
    "from_py_ecc",
]
