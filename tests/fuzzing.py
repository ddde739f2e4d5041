"""Hypothesis strategies that mutate valid files, shared by the parser fuzz tests.

A parser passes when every mutation ends in a valid parse or the format's own error, within a
second. The budget (examples per parser) is ZK_FUZZ_EXAMPLES: small in `make test`, large in
`make fuzz`.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Callable, Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("ZK_FUZZ_EXAMPLES", "30"))
# Deadline off: the one-second bound is asserted in `survives` around the parser call alone, so
# hypothesis's own bookkeeping and a first numba compile do not count.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SECOND = 1.0


def survives(parse: Callable[[Any], Any], data, allowed: tuple[type[BaseException], ...]):
    """Run ``parse(data)``: a result or an ``allowed`` error are fine; anything else propagates."""
    start = time.perf_counter()
    try:
        result = parse(data)
    except allowed as exc:
        result = exc
    elapsed = time.perf_counter() - start
    assert elapsed < SECOND, f"parser took {elapsed:.2f} s"
    return result


@st.composite
def mutated_bytes(draw, original: bytes, fields: Sequence[tuple[int, int]] = ()):
    """``original`` after one to three mutations: a bit flip, a truncation, an extension, or one
    of the integer header ``fields`` ((offset, width) pairs) set to 0, 1, its maximum or a random
    value."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        choices = ["flip", "truncate", "extend"] + (["field"] * 2 if fields else [])
        kind = draw(st.sampled_from(choices))
        if kind == "flip" and data:
            bit = draw(st.integers(0, 8 * len(data) - 1))
            data[bit // 8] ^= 1 << (bit % 8)
        elif kind == "truncate" and data:
            del data[draw(st.integers(0, len(data) - 1)):]
        elif kind == "extend":
            data += draw(st.binary(min_size=1, max_size=64))
        elif kind == "field":
            offset, width = draw(st.sampled_from(list(fields)))
            if offset + width <= len(data):
                top = (1 << (8 * width)) - 1
                value = draw(st.sampled_from([0, 1, top, top >> 1]) | st.integers(0, top))
                data[offset:offset + width] = value.to_bytes(width, "little")
    return bytes(data)


_HOSTILE_VALUES = [0, -1, 1, 2 ** 64, 2 ** 256, "0", "-1", "1" * 79, "9" * 5000, "0x10", "007", "", " 1",
                   None, True, 1.5, [], {}, [[[]]], "1e3", "\u0000"]


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _paths(value, prefix + (i,))


def _replace(obj, path, value):
    if not path:
        return value
    copy = dict(obj) if isinstance(obj, dict) else list(obj)
    copy[path[0]] = _replace(obj[path[0]], path[1:], value)
    return copy


def _delete(obj, path):
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    copy = _replace(obj, path[:-1], dict(parent) if isinstance(parent, dict) else list(parent))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


@st.composite
def mutated_json(draw, original: Any):
    """``original`` (a parsed JSON value) with one to three structural mutations: a value replaced
    by a hostile one (0, -1, 2^256, 79 and 5,000 digits, wrong types, ...), a key or element
    removed, an element duplicated; or its text with a bit flipped, truncated or extended.
    Returns JSON text (bytes)."""
    obj = original
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(obj))
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "replace", "delete", "duplicate"]))
        if kind == "replace":
            obj = _replace(obj, path, draw(st.sampled_from(_HOSTILE_VALUES) | st.integers() | st.text(max_size=8)))
        elif kind == "delete" and path:
            obj = _delete(obj, path)
        elif kind == "duplicate" and path and isinstance(path[-1], int):
            parent = obj
            for key in path[:-1]:
                parent = parent[key]
            obj = _replace(obj, path[:-1], list(parent) + [parent[path[-1]]])
    text = json.dumps(obj).encode()
    if draw(st.booleans()):
        text = draw(mutated_bytes(text))
    return text
