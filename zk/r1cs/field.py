"""Scalar field of BN254 (the field circuits are written over), with plain Python ints."""
from __future__ import annotations

from zk.field.bn254 import R
FIELD_BITS = R.bit_length()  # 254


def inverse(value: int) -> int:
    if value % R == 0:
        raise ZeroDivisionError("zero has no inverse in the field")
    return pow(value, -1, R)


def parse_element(raw, what: str) -> int:
    """Turn a user value (int, decimal string, 0x-hex string, as in snarkjs input.json) into a field element.

    Negative values in (-r, 0) are accepted and reduced, as circom and snarkjs do; anything >= r is
    rejected rather than silently reduced, because it almost always means a wrong value was passed.
    """
    from zk.r1cs.errors import InputError

    from zk.field.decimal import parse_decimal

    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise InputError(f"{what}: expected an integer or a decimal string, got {type(raw).__name__} {raw!r}")
    value = parse_decimal(raw, what, InputError, lenient=True)
    if value >= R:
        raise InputError(f"{what} = {value} is not below the field modulus r = {R}")
    if value <= -R:
        raise InputError(f"{what} = {value} is not above -r (r = {R})")
    return value % R
