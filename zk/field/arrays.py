"""Bulk operations on arrays of field elements: shape (n, 4) uint64 (prime fields) or (n, 2, 4)
(Fp2), little-endian limbs in Montgomery form. Conversion from and to Python ints goes through
bytes so that it costs one pass of C code plus one numba kernel, not a Python loop of big-int
arithmetic per limb.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from ._llvm import limbs_less_than, prime_modulus
from .jit import entry_kernel
from .ops import fadd, feq, finv, fis_zero, fload, fmul, fone, fstore, fsub, fzero, from_montgomery, to_montgomery
from .spec import FieldSpec


def _modulus(F: FieldSpec) -> int:
    return F.numba_type.modulus


@entry_kernel
def first_non_canonical(F, rows):
    """Index of the first (n, 4) row that is not below F's modulus, or -1: the one range check
    for limb arrays (plain or Montgomery: both must be reduced) that arrive from outside."""
    modulus = prime_modulus(F)
    for i in range(rows.shape[0]):
        if not limbs_less_than(fload(F, rows, i), modulus):
            return i
    return -1


@entry_kernel
def to_montgomery_rows(F, raw, out):
    """out[i] = raw[i] in Montgomery form (raw: plain limbs below the modulus)."""
    for i in range(raw.shape[0]):
        x = (raw[i, 0], raw[i, 1], raw[i, 2], raw[i, 3])
        fstore(F, out, i, to_montgomery(F, x))


@entry_kernel
def from_montgomery_rows(F, mont, out):
    """out[i] = mont[i] as plain limbs (the canonical integer)."""
    for i in range(mont.shape[0]):
        fstore(F, out, i, from_montgomery(F, fload(F, mont, i)))


def ints_to_raw(values: Sequence[int]) -> np.ndarray:
    """Plain (non-Montgomery) limbs of non-negative integers below 2^256."""
    n = len(values)
    if n == 0:
        return np.zeros((0, 4), dtype=np.uint64)
    data = b"".join(int(v).to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(n, 4)


def raw_to_ints(raw: np.ndarray) -> list[int]:
    flat = np.ascontiguousarray(raw, dtype="<u8").reshape(-1, 4)
    data = flat.tobytes()
    return [int.from_bytes(data[32 * i : 32 * i + 32], "little") for i in range(flat.shape[0])]


def to_array(F: FieldSpec, values: Iterable[int], *, reduce: bool = True) -> np.ndarray:
    """Python ints -> (n, 4) Montgomery limbs of the prime field F.

    With reduce=True values are taken mod p (negative ints allowed); with reduce=False a value
    outside [0, p) raises ValueError.
    """
    p = _modulus(F)
    values = list(values)
    if reduce:
        values = [int(v) % p for v in values]
    else:
        for v in values:
            if not 0 <= int(v) < p:
                raise ValueError(f"value {v} is not a canonical element of {F.numba_type.label} (must be in [0, p))")
    raw = ints_to_raw(values)
    out = np.empty_like(raw)
    to_montgomery_rows(F, raw, out)
    return out


def from_array(F: FieldSpec, arr: np.ndarray) -> list[int]:
    """(n, 4) Montgomery limbs of a prime field -> Python ints in [0, p)."""
    arr = np.ascontiguousarray(arr, dtype=np.uint64).reshape(-1, 4)
    out = np.empty_like(arr)
    from_montgomery_rows(F, arr, out)
    return raw_to_ints(out)


def _elementwise(op, name: str, doc: str):
    """The array kernel ``name(F, x, y, out)``: out[i] = op(x[i], y[i]) (out may be x or y).

    numba's disk cache names its files after the function's qualified name and keys them on the
    closure's contents, so each kernel made here gets its own name and loads from the cache in a
    fresh process like a kernel written out by hand."""

    def kernel(F, x, y, out):
        for i in range(x.shape[0]):
            fstore(F, out, i, op(F, fload(F, x, i), fload(F, y, i)))

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = doc
    return entry_kernel(kernel)


mul = _elementwise(fmul, "mul", "out[i] = x[i] * y[i]")
add = _elementwise(fadd, "add", "out[i] = x[i] + y[i]")
sub = _elementwise(fsub, "sub", "out[i] = x[i] - y[i]")


@entry_kernel
def scale(F, x, c, out):
    """out[i] = c * x[i] for one element c (a tuple in Montgomery form; use fload on a 1-row array)."""
    for i in range(x.shape[0]):
        fstore(F, out, i, fmul(F, fload(F, x, i), c))


@entry_kernel
def total(F, x):
    acc = fzero(F)
    for i in range(x.shape[0]):
        acc = fadd(F, acc, fload(F, x, i))
    return acc


@entry_kernel
def batch_inverse(F, x, out):
    """out[i] = 1/x[i] with one field inversion (Montgomery's trick); zeros map to zero.

    ``out`` may be ``x`` itself. Zeros are skipped rather than poisoning the running product.
    """
    n = x.shape[0]
    prefix = np.empty_like(x)
    acc = fone(F)
    for i in range(n):
        fstore(F, prefix, i, acc)
        xi = fload(F, x, i)
        if not fis_zero(F, xi):
            acc = fmul(F, acc, xi)
    inv = finv(F, acc)
    for i in range(n - 1, -1, -1):
        xi = fload(F, x, i)
        if fis_zero(F, xi):
            fstore(F, out, i, xi)
        else:
            fstore(F, out, i, fmul(F, inv, fload(F, prefix, i)))
            inv = fmul(F, inv, xi)


@entry_kernel
def equal(F, x, y):
    if x.shape[0] != y.shape[0]:
        return False
    for i in range(x.shape[0]):
        if not feq(F, fload(F, x, i), fload(F, y, i)):
            return False
    return True
