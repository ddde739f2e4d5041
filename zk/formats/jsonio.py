"""Parsing JSON that users hand us (keys, proofs, inputs, wallets' blobs) without ever crashing.

json's C parser recurses once per nesting level and stops at Python's recursion limit. Some
libraries raise that limit far above the default; then "[[[[..." a hundred thousand levels deep
overflows the C stack and kills the process (a segfault, not an exception). Every file we read
nests a few levels, so we parse under a small limit and report deeper input as invalid.
"""
from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

from zk.field.decimal import check_json_int

MAX_NESTING = 200


@contextlib.contextmanager
def _shallow_recursion(headroom: int = MAX_NESTING):
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(min(previous, depth + headroom))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def parse_json(data: bytes | str) -> Any:
    """json.loads that raises ValueError (never RecursionError, never a crash) on bad input;
    integers longer than 78 digits are bad input too (see :mod:`zk.field.decimal`)."""
    try:
        with _shallow_recursion():
            return json.loads(data, parse_int=check_json_int)
    except RecursionError:
        raise ValueError(f"nested more than about {MAX_NESTING} levels deep") from None
