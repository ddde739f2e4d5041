"""Python entry points: validated inputs in, :class:`Fp12` values or booleans out.

Points may be given as
- zk.curve ``G1Point`` / ``G2Point`` (anything with ``is_infinity()``, ``.x`` and ``.y``),
- py_ecc points: ``py_ecc.optimized_bn128`` (projective triples) or ``py_ecc.bn128`` (affine pairs,
  ``None`` for infinity),
- plain integers: ``(x, y)`` for G1, ``((x0, x1), (y0, y1))`` for G2 (x = x0 + x1 u), ``(0, 0)`` or
  ``None`` for infinity (the EIP-197 convention).
Every coordinate must be canonical (in [0, p)), every point on its curve, and G2 points in the
order-r subgroup; anything else raises :class:`PairingInputError` (a ``ValueError``).
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from zk.field import FP, FP2, P, Fp, Fp2
from zk.field.bn254 import CURVE_B, TWIST_B
from zk.field import arrays as field_arrays
from zk.field.element import PrimeFieldElement
from zk.curve.subgroup import batch_g2_subgroup_check

from . import kernels as pairing_kernels
from .fp12 import Fp12

_TWIST_B = Fp2(*TWIST_B)


class PairingInputError(ValueError):
    """A pairing input that is not a valid G1 or G2 point."""


# ------------------------------------------------------------------------------------------------
# Coordinates


def _fp_int(value, what: str) -> int:
    if isinstance(value, bool):
        raise PairingInputError(f"{what}: expected a field element, got a bool")
    if isinstance(value, int):
        v = value
    elif isinstance(value, PrimeFieldElement):
        if not isinstance(value, Fp):
            raise PairingInputError(f"{what}: expected an Fp element, got {type(value).__name__}")
        v = value.value
    elif hasattr(value, "n") and isinstance(getattr(value, "n"), int):  # py_ecc FQ
        v = value.n
    else:
        raise PairingInputError(f"{what}: expected an Fp coordinate, got {type(value).__name__}")
    if not 0 <= v < P:
        raise PairingInputError(f"{what}: coordinate {v} is not canonical (must be in [0, p))")
    return v


def _fp2_ints(value, what: str) -> tuple[int, int]:
    if isinstance(value, Fp2):
        return value.c0.value, value.c1.value
    coeffs = getattr(value, "coeffs", value)  # py_ecc FQ2 or a pair
    if isinstance(coeffs, (tuple, list)) and len(coeffs) == 2:
        return _fp_int(coeffs[0], what + ".c0"), _fp_int(coeffs[1], what + ".c1")
    raise PairingInputError(f"{what}: expected an Fp2 coordinate (c0, c1), got {type(value).__name__}")


def _is_zero_coordinate(value) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value == 0
    coeffs = getattr(value, "coeffs", None)
    if coeffs is not None:
        return all(int(getattr(c, "n", c)) == 0 for c in coeffs)
    if isinstance(value, (Fp, Fp2)):
        return not value
    if isinstance(value, (tuple, list)):
        return all(_is_zero_coordinate(c) for c in value)
    n = getattr(value, "n", None)
    return n == 0


def _affine_parts(point, what: str):
    """(x, y, z) raw coordinates of a point in any accepted form (z None when affine), or None for infinity."""
    if point is None:
        return None
    if hasattr(point, "is_infinity") and callable(point.is_infinity):
        return None if point.is_infinity() else (point.x, point.y, None)
    if not isinstance(point, (tuple, list)):
        raise PairingInputError(f"{what}: expected a point, got {type(point).__name__}")
    if len(point) == 3:  # py_ecc optimized_bn128: homogeneous projective (X, Y, Z), Z = 0 is infinity
        x, y, z = point
        if _is_zero_coordinate(z):
            return None
        return (x, y, z)
    if len(point) != 2:
        raise PairingInputError(f"{what}: expected (x, y), got a sequence of length {len(point)}")
    x, y = point
    if _is_zero_coordinate(x) and _is_zero_coordinate(y):
        return None
    return (x, y, None)


def g1_affine_ints(point, what: str = "G1 point") -> tuple[int, int] | None:
    """Validated affine integer coordinates of a G1 point (None for infinity)."""
    parts = _affine_parts(point, what)
    if parts is None:
        return None
    x, y, z = parts
    x, y = _fp_int(x, what + ".x"), _fp_int(y, what + ".y")
    if z is not None:
        zi = pow(_fp_int(z, what + ".z"), -1, P)
        x, y = x * zi % P, y * zi % P
    if (y * y - x * x * x - CURVE_B) % P:
        raise PairingInputError(f"{what}: ({x}, {y}) is not on the curve y^2 = x^3 + {CURVE_B}")
    # G1 has cofactor 1: on the curve means in the group.
    return x, y


def _g2_on_curve_ints(point, what: str):
    parts = _affine_parts(point, what)
    if parts is None:
        return None
    x, y, z = parts
    x, y = Fp2(*_fp2_ints(x, what + ".x")), Fp2(*_fp2_ints(y, what + ".y"))
    if z is not None:
        zi = Fp2(*_fp2_ints(z, what + ".z")).inverse()
        x, y = x * zi, y * zi
    if y * y != x * x * x + _TWIST_B:
        raise PairingInputError(f"{what}: not on the twist y^2 = x^3 + 3/(9+u)")
    return (x.c0.value, x.c1.value), (y.c0.value, y.c1.value)


def g2_affine_ints(point, what: str = "G2 point"):
    """Validated affine integer coordinates ((x0, x1), (y0, y1)) of a G2 point (None for infinity)."""
    coords = _g2_on_curve_ints(point, what)
    if coords is not None:
        _check_g2_subgroup([coords], [what])
    return coords


def _check_g2_subgroup(coords: Sequence, names: Sequence[str]) -> None:
    if not coords:
        return
    bad = batch_g2_subgroup_check(FP2, _g2_array(coords))
    if bad >= 0:
        raise PairingInputError(f"{names[bad]}: on the twist but not in the order-r subgroup G2")


def _g1_array(coords) -> np.ndarray:
    return field_arrays.to_array(FP, [v for c in coords for v in (c if c is not None else (0, 0))]).reshape(-1, 2, 4)


def _g2_array(coords) -> np.ndarray:
    flat = []
    for c in coords:
        flat += [0, 0, 0, 0] if c is None else [c[0][0], c[0][1], c[1][0], c[1][1]]
    return field_arrays.to_array(FP, flat).reshape(-1, 2, 2, 4)


# ------------------------------------------------------------------------------------------------
# Public API


def prepare_pairs(pairs: Iterable) -> tuple[np.ndarray, np.ndarray]:
    """Validate (P_i, Q_i) pairs and return the affine Montgomery arrays (n, 2, 4) and (n, 2, 2, 4)
    that :func:`pairing_check_arrays` takes (infinity rows are zeros)."""
    g1_coords, g2_coords, g2_names = [], [], []
    for i, pair in enumerate(pairs):
        try:
            p_point, q_point = pair
        except (TypeError, ValueError):
            raise PairingInputError(f"pair {i}: expected (G1 point, G2 point)") from None
        g1_coords.append(g1_affine_ints(p_point, f"pair {i} G1 point"))
        g2_coords.append(_g2_on_curve_ints(q_point, f"pair {i} G2 point"))
        g2_names.append(f"pair {i} G2 point")
    finite = [k for k, c in enumerate(g2_coords) if c is not None]
    _check_g2_subgroup([g2_coords[k] for k in finite], [g2_names[k] for k in finite])
    return _g1_array(g1_coords), _g2_array(g2_coords)


def pairing(p_point, q_point) -> Fp12:
    """e(P, Q) for P in G1 and Q in G2 (note: py_ecc's ``pairing`` takes Q first)."""
    return multi_pairing([(p_point, q_point)])


def multi_pairing(pairs: Iterable) -> Fp12:
    """prod_i e(P_i, Q_i), with one shared Miller loop and one final exponentiation."""
    g1, g2 = prepare_pairs(pairs)
    return Fp12.from_array(pairing_kernels.pairing_product_array(g1, g2))


def pairing_check(pairs: Iterable) -> bool:
    """Whether prod_i e(P_i, Q_i) == 1 (what a Groth16 verifier and the EIP-197 precompile compute)."""
    g1, g2 = prepare_pairs(pairs)
    return pairing_kernels.pairing_check_arrays(g1, g2)


def miller_loop(pairs: Iterable) -> Fp12:
    """The product of the Miller loop values, before the final exponentiation (defined up to
    factors the final exponentiation removes, so only its final exponentiation is meaningful)."""
    g1, g2 = prepare_pairs(pairs)
    return Fp12.from_array(pairing_kernels.miller_loop_array(g1, g2))


def final_exponentiation(f: Fp12) -> Fp12:
    """f^((p^12 - 1) / r)."""
    return Fp12.from_array(pairing_kernels.final_exponentiation_array(f.to_array()))


pairing_check_arrays = pairing_kernels.pairing_check_arrays
