"""Multiplexers over circuit values."""
from __future__ import annotations

from typing import Sequence


def mux(api, selector_bits: Sequence, values: Sequence):
    """values[sum(bit_i * 2^i)] for 2^len(selector_bits) values: a tree of 2:1 selections, one
    constraint per inner node (2^k - 1), plus boolean checks on selector bits not already known boolean."""
    if len(values) != 1 << len(selector_bits):
        raise ValueError(f"mux needs 2^{len(selector_bits)} = {1 << len(selector_bits)} values, got {len(values)}")
    layer = list(values)
    with api.gadget(f"mux{len(selector_bits)}"):
        for bit in selector_bits:
            layer = [api.select(bit, layer[i + 1], layer[i]) for i in range(0, len(layer), 2)]
    return layer[0]
