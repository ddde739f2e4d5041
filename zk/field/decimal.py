"""The one parser for integers written as text in files users hand us (snarkjs JSON, input.json,
calldata, wallets' hand-over blobs): the length is checked before ``int()`` runs.

``int()`` on a few thousand digits is slow (quadratic) and above 4,300 digits raises a plain
ValueError that callers misreport; every number these files carry is below 2^256 < 10^78, so
longer text is refused with the caller's own format error.
"""
from __future__ import annotations

import re
from typing import Callable

MAX_DECIMAL_DIGITS = 78  # 10^78 > 2^256: any field element, coordinate or EVM word
MAX_HEX_DIGITS = 64

_CANONICAL = re.compile(r"(0|[1-9][0-9]*)\Z")
_LENIENT_DECIMAL = re.compile(r"-?[0-9]+\Z")
_LENIENT_HEX = re.compile(r"-?0[xX][0-9a-fA-F]+\Z")


def parse_decimal(value, what: str, error: Callable[[str], Exception] = ValueError, *,
                  lenient: bool = False) -> int:
    """``value`` (a JSON string or integer) as a Python int, or ``error(message)``.

    Strict (the default, snarkjs's own files): a non-negative int or a canonical decimal string,
    digits only, no sign, no leading zero. ``lenient`` (circom/snarkjs input.json): also a
    sign, leading zeros, surrounding spaces and 0x-hex. Either way at most 78 decimal (64 hex)
    digits. Range checks against a modulus are the caller's, with its own message."""
    kind = "decimal string" if lenient else "canonical decimal string"
    if isinstance(value, bool):
        raise error(f"{what}: expected a {kind}, got a bool")
    if isinstance(value, int):
        if value < 0 and not lenient:
            raise error(f"{what} is negative ({value}): not a canonical non-negative integer")
        return value
    if not isinstance(value, str):
        raise error(f"{what}: expected a {kind}, got {type(value).__name__}")
    text = value.strip() if lenient else value
    digits = len(text.lstrip("-"))
    if lenient and _LENIENT_HEX.match(text):
        if digits - 2 > MAX_HEX_DIGITS:
            raise error(f"{what}: a hex string of {digits - 2} digits is longer than any 256-bit value")
        return int(text, 16)
    if not (_LENIENT_DECIMAL if lenient else _CANONICAL).match(text):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise error(f"{what}: {shown!r} is not a {kind}")
    if digits > MAX_DECIMAL_DIGITS:
        raise error(f"{what}: a decimal string of {digits} digits is longer than any 256-bit value "
                    f"({MAX_DECIMAL_DIGITS} digits at most)")
    return int(text, 10)


def check_json_int(text: str) -> int:
    """``parse_int`` hook for json.loads: bare JSON integers obey the same length limit."""
    if len(text.lstrip("-")) > MAX_DECIMAL_DIGITS:
        raise ValueError(f"a JSON number of {len(text.lstrip('-'))} digits is longer than any 256-bit value "
                         f"({MAX_DECIMAL_DIGITS} digits at most)")
    return int(text)
