"""BLAKE2b-512 whose internal state can be saved and restored: snarkjs's ``partialHash``.

A powers-of-tau contribution stores the state of its response hasher after all the points and
before the contributor's public key (216 bytes), so that anyone can finish the response hash
from the public key alone. ``hashlib`` cannot export that state, so this module carries its own
BLAKE2b (RFC 7693), with the compression function in numba.

To make the 216 saved bytes identical to snarkjs 0.7.6's, the streaming logic copies
``@noble/hashes`` 1.x: a 128-byte buffer that is compressed only when more data arrives, whole
blocks of a long input compressed in place while the input's last block (and any block not
4-byte aligned in its array) goes through the buffer. The buffer's unused tail therefore holds
leftovers of earlier blocks, and those leftovers are part of the saved state; feeding the same byte stream in the same ``update`` chunks reproduces them.

Saved layout (``@noble/hashes`` internals as snarkjs ``misc.toPartialHash`` writes them):
  bytes 0..127   the block buffer
  bytes 128..191 the chaining value h[0..7], each u64 little-endian
  u32 at 192     bytes compressed so far (length - pos), low 32 bits; u32 at 196 the high bits
  u32 at 200     pos, the number of buffered bytes; bytes 204..215 zero (u32 at 204 its high bits)
(snarkjs writes the high word of the count as 0; it is only nonzero past 4 GiB of hashed data.)
"""
from __future__ import annotations

import struct

import numpy as np
from numba import njit

BLOCK = 128
DIGEST_BYTES = 64
PARTIAL_HASH_BYTES = 216

IV = np.array([
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
], dtype=np.uint64)

SIGMA = np.array([
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
], dtype=np.int64)


class PartialHashError(ValueError):
    """A saved BLAKE2b state that no hasher could have produced."""


@njit(cache=True, inline="always")
def _rotr(x, n):
    return (x >> np.uint64(n)) | (x << np.uint64(64 - n))


@njit(cache=True)
def compress_blocks(h, data, offset, n_blocks, counter, last):
    """Compress ``n_blocks`` 128-byte blocks of the uint8 array ``data`` from ``offset`` into the
    chaining value ``h`` (8 uint64, updated in place). ``counter`` is the byte count before the
    first block; the i-th block is compressed with counter + 128 (i + 1), or with ``counter`` itself
    for a final (``last``) block whose count the caller already set. Returns the new count."""
    m = np.empty(16, dtype=np.uint64)
    v = np.empty(16, dtype=np.uint64)
    for b in range(n_blocks):
        base = offset + b * 128
        for i in range(16):
            w = np.uint64(0)
            for k in range(8):
                w |= np.uint64(data[base + 8 * i + k]) << np.uint64(8 * k)
            m[i] = w
        if not last:
            counter += 128
        for i in range(8):
            v[i] = h[i]
            v[i + 8] = IV[i]
        # Counts stay below 2^63 bytes, so the counter's high word (v[13]) is never touched.
        v[12] ^= np.uint64(counter)
        if last:
            v[14] = ~v[14]
        for r in range(12):
            s = SIGMA[r % 10]
            for j in range(8):
                if j < 4:
                    a, bb, c, d = j, j + 4, j + 8, j + 12
                else:
                    a = j - 4
                    bb = 4 + (j - 3) % 4
                    c = 8 + (j - 2) % 4
                    d = 12 + (j - 1) % 4
                x = m[s[2 * j]]
                y = m[s[2 * j + 1]]
                v[a] = v[a] + v[bb] + x
                v[d] = _rotr(v[d] ^ v[a], 32)
                v[c] = v[c] + v[d]
                v[bb] = _rotr(v[bb] ^ v[c], 24)
                v[a] = v[a] + v[bb] + y
                v[d] = _rotr(v[d] ^ v[a], 16)
                v[c] = v[c] + v[d]
                v[bb] = _rotr(v[bb] ^ v[c], 63)
        for i in range(8):
            h[i] ^= v[i] ^ v[i + 8]
    return counter


def _as_uint8(data) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    return np.frombuffer(bytes(data) if not isinstance(data, (bytes, bytearray)) else data, dtype=np.uint8)


class Blake2b:
    """Unkeyed BLAKE2b-512 with ``state()`` / ``from_state()`` in snarkjs's 216-byte layout.

    ``update`` follows @noble/hashes' buffering exactly (see the module docstring), so the same
    stream fed in the same chunks yields the same saved bytes as snarkjs."""

    def __init__(self):
        self.h = IV.copy()
        self.h[0] ^= np.uint64(0x01010000 ^ DIGEST_BYTES)
        self.buffer = np.zeros(BLOCK, dtype=np.uint8)
        self.pos = 0  # bytes in the buffer
        self.length = 0  # bytes fed so far (buffered ones included)

    def update(self, data) -> "Blake2b":
        arr = _as_uint8(data)
        n = arr.shape[0]
        pos = 0
        while pos < n:
            if self.pos == BLOCK:
                # The counter of a buffered block is the total so far, which already includes it.
                compress_blocks(self.h, self.buffer, 0, 1, self.length - BLOCK, False)
                self.pos = 0
            take = min(BLOCK - self.pos, n - pos)
            # noble takes this in-place path only for 4-byte-aligned input (a fresh JS array starts
            # aligned, so that is pos % 4 == 0); otherwise the block goes through the buffer.
            if take == BLOCK and pos % 4 == 0 and pos + take < n:
                blocks = (n - pos - 1) // BLOCK
                compress_blocks(self.h, arr, pos, blocks, self.length, False)
                self.length += blocks * BLOCK
                pos += blocks * BLOCK
                continue
            self.buffer[self.pos : self.pos + take] = arr[pos : pos + take]
            self.pos += take
            self.length += take
            pos += take
        return self

    def copy(self) -> "Blake2b":
        other = Blake2b.__new__(Blake2b)
        other.h, other.buffer = self.h.copy(), self.buffer.copy()
        other.pos, other.length = self.pos, self.length
        return other

    def digest(self) -> bytes:
        """The 64-byte digest (the hasher itself is left unchanged)."""
        h = self.h.copy()
        block = self.buffer.copy()
        block[self.pos :] = 0
        compress_blocks(h, block, 0, 1, self.length, True)
        return h.astype("<u8").tobytes()

    def hexdigest(self) -> str:
        return self.digest().hex()

    def state(self) -> bytes:
        """The 216-byte ``partialHash`` snarkjs stores in a contribution."""
        compressed = self.length - self.pos
        return (self.buffer.tobytes() + self.h.astype("<u8").tobytes()
                + struct.pack("<IIII", compressed & 0xFFFFFFFF, compressed >> 32, self.pos, 0) + bytes(8))

    @classmethod
    def from_state(cls, state: bytes) -> "Blake2b":
        """A hasher restored from a 216-byte ``partialHash`` (snarkjs ``misc.fromPartialHash``)."""
        state = bytes(state)
        if len(state) != PARTIAL_HASH_BYTES:
            raise PartialHashError(f"a partial hash has {PARTIAL_HASH_BYTES} bytes, got {len(state)}")
        low, high, pos, pos_high = struct.unpack("<IIII", state[192:208])
        if pos_high or pos > BLOCK:
            raise PartialHashError(f"partial hash buffer position {pos + (pos_high << 32)} is beyond the 128-byte block")
        compressed = low + (high << 32)
        if compressed % BLOCK:
            raise PartialHashError(f"partial hash claims {compressed} compressed bytes, not a whole number of blocks")
        hasher = cls.__new__(cls)
        hasher.buffer = np.frombuffer(state[:128], dtype=np.uint8).copy()
        hasher.h = np.frombuffer(state[128:192], dtype="<u8").astype(np.uint64)
        hasher.pos = pos
        hasher.length = compressed + pos
        return hasher


def blake2b512(*parts) -> bytes:
    """BLAKE2b-512 of the concatenated parts (hashlib's, for hashes whose state is never saved)."""
    import hashlib

    h = hashlib.blake2b(digest_size=64)
    for part in parts:
        h.update(part if isinstance(part, (bytes, bytearray, memoryview)) else _as_uint8(part).tobytes())
    return h.digest()
