"""ffjavascript's ChaCha20 random generator and the ``fromRng`` samplers snarkjs derives keys with.

Every deterministic key in a snarkjs ceremony (a beacon's, the hash-to-G2 point of a proof of
knowledge) is drawn from this generator, so these must consume its output word for word as
ffjavascript does:

- ``ChaCha(seed)``: 8 u32 seed words as the key, a zero 128-bit counter/nonce block; each
  ``update`` runs 20 rounds and then increments word 12 (carrying into 13..15); words are
  returned in order 0..15.
- ``next_u64`` = high word first: ``nextU32() * 2^32 + nextU32()``; ``next_bool`` = low bit.
- ``Fr/Fq.fromRng``: four u64 limbs, least significant first, masked to the modulus' bit length,
  rejected while >= the modulus; the value drawn is a *Montgomery representation*, so the element
  is v * 2^-256 mod p.
- ``G1/G2.fromRng``: x from ``F.fromRng``, one ``next_bool`` ("greatest") per try, until
  x^3 + b is a square; y is the root whose sign (``isNegative``: above (p-1)/2, for Fp2 the sign
  of c1 unless c1 = 0) equals "greatest"; G2 points are then multiplied by the cofactor.
"""
from __future__ import annotations

from zk.curve import G1Point, G2Point
from zk.field import P, R, Fp, Fp2

_MASK32 = 0xFFFFFFFF
_CONSTANTS = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)
_MONTGOMERY_R_BITS = 256
# The cofactor of the twist's group over its order-r subgroup: 2p - r (ffjavascript's cofactorG2).
G2_COFACTOR = 0x30644E72E131A029B85045B68181585E06CEECDA572A2489345F2299C0F9FA8D
_HALF_P = (P - 1) // 2


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK32


def _quarter_round(st: list, a: int, b: int, c: int, d: int) -> None:
    st[a] = (st[a] + st[b]) & _MASK32
    st[d] = _rotl(st[d] ^ st[a], 16)
    st[c] = (st[c] + st[d]) & _MASK32
    st[b] = _rotl(st[b] ^ st[c], 12)
    st[a] = (st[a] + st[b]) & _MASK32
    st[d] = _rotl(st[d] ^ st[a], 8)
    st[c] = (st[c] + st[d]) & _MASK32
    st[b] = _rotl(st[b] ^ st[c], 7)


class ChaCha:
    """ffjavascript's ``ChaCha``: a deterministic stream of u32 words from 8 seed words."""

    def __init__(self, seed):
        seed = list(seed)
        if len(seed) != 8 or not all(0 <= int(w) <= _MASK32 for w in seed):
            raise ValueError("a ChaCha seed is 8 words of 32 bits")
        self.state = list(_CONSTANTS) + [int(w) for w in seed] + [0, 0, 0, 0]
        self.buffer = [0] * 16
        self.index = 16

    @classmethod
    def from_hash(cls, digest: bytes) -> "ChaCha":
        """Seeded with the first 32 bytes of a hash, read as 8 big-endian u32 (snarkjs's use)."""
        if len(digest) < 32:
            raise ValueError("a ChaCha seed hash needs at least 32 bytes")
        return cls([int.from_bytes(digest[4 * i : 4 * i + 4], "big") for i in range(8)])

    def _refill(self) -> None:
        st = list(self.state)
        for _ in range(10):
            _quarter_round(st, 0, 4, 8, 12)
            _quarter_round(st, 1, 5, 9, 13)
            _quarter_round(st, 2, 6, 10, 14)
            _quarter_round(st, 3, 7, 11, 15)
            _quarter_round(st, 0, 5, 10, 15)
            _quarter_round(st, 1, 6, 11, 12)
            _quarter_round(st, 2, 7, 8, 13)
            _quarter_round(st, 3, 4, 9, 14)
        self.buffer = [(st[i] + self.state[i]) & _MASK32 for i in range(16)]
        self.index = 0
        for word in range(12, 16):
            self.state[word] = (self.state[word] + 1) & _MASK32
            if self.state[word]:
                break

    def next_u32(self) -> int:
        if self.index == 16:
            self._refill()
        value = self.buffer[self.index]
        self.index += 1
        return value

    def next_u64(self) -> int:
        high = self.next_u32()
        return (high << 32) + self.next_u32()

    def next_bool(self) -> bool:
        return bool(self.next_u32() & 1)


def _montgomery_value_from_rng(rng: ChaCha, modulus: int) -> int:
    mask = (1 << modulus.bit_length()) - 1
    while True:
        v = 0
        for i in range(4):
            v += rng.next_u64() << (64 * i)
        v &= mask
        if v < modulus:
            return v * pow(1 << _MONTGOMERY_R_BITS, -1, modulus) % modulus


def fr_from_rng(rng: ChaCha) -> int:
    """ffjavascript ``Fr.fromRng``: a scalar in [0, r)."""
    return _montgomery_value_from_rng(rng, R)


def fq_from_rng(rng: ChaCha) -> int:
    """ffjavascript ``F1.fromRng`` (the base field): an element of [0, p)."""
    return _montgomery_value_from_rng(rng, P)


def fp_is_negative(value: int) -> bool:
    """wasmcurves ``f1m_isNegative``: the canonical value is above (p - 1) / 2."""
    return value > _HALF_P


def fp2_is_negative(value: Fp2) -> bool:
    """wasmcurves ``f2m_isNegative``: the sign of c1, or of c0 when c1 is zero."""
    if value.c1.value:
        return fp_is_negative(value.c1.value)
    return fp_is_negative(value.c0.value)


def g1_from_rng(rng: ChaCha) -> G1Point:
    """ffjavascript ``G1.fromRng``."""
    while True:
        x = Fp(fq_from_rng(rng))
        greatest = rng.next_bool()
        y = (x * x * x + 3).sqrt()
        if y is not None:
            break
    if fp_is_negative(y.value) != greatest:
        y = -y
    return G1Point(x, y)


def g2_from_rng(rng: ChaCha) -> G2Point:
    """ffjavascript ``G2.fromRng``: a point of the twist, times the cofactor (so in G2)."""
    while True:
        c0 = fq_from_rng(rng)
        c1 = fq_from_rng(rng)
        x = Fp2(c0, c1)
        greatest = rng.next_bool()
        y = (x * x * x + G2Point.b).sqrt()
        if y is not None:
            break
    if fp2_is_negative(y) != greatest:
        y = -y
    return G2Point(x, y, check=False) * G2_COFACTOR
