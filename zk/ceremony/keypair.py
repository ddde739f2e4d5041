"""Contribution keys, proofs of knowledge and the hashes around them (snarkjs keypair.js, misc.js).

A contributor with secret x proves knowledge of it by publishing g1_s (a random G1 point),
g1_sx = x g1_s and g2_spx = x g2_sp, where g2_sp = hash-to-G2 of a transcript that fixes g1_s and
g1_sx; a verifier checks e(g1_s, g2_spx) = e(g1_sx, g2_sp) (:func:`same_ratio`).

Inside every hash, points are *uncompressed big-endian* (``G1: x || y``, ``G2: x.c1 || x.c0 ||
y.c1 || y.c0``, 32 bytes each, infinity all zero), not the Montgomery form stored in files.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from zk.curve import G1Point, G2Point
from zk.curve.encoding import g1_to_bytes, g2_to_bytes

from .blake2b import blake2b512
from .chacha import ChaCha, fr_from_rng, g1_from_rng, g2_from_rng

# snarkjs's personalisation byte of each ptau secret in the hash-to-G2 transcript.
TAU, ALPHA, BETA = 0, 1, 2
MIN_BEACON_EXP, MAX_BEACON_EXP = 10, 63


def g1_uncompressed(point: G1Point) -> bytes:
    """64-byte big-endian x || y, as snarkjs hashes a G1 point (``G1.toUncompressed``)."""
    return g1_to_bytes(point)


def g2_uncompressed(point: G2Point) -> bytes:
    """128-byte x.c1 || x.c0 || y.c1 || y.c0 big-endian, as snarkjs hashes a G2 point."""
    return g2_to_bytes(point)


def hash_to_g2(digest: bytes) -> G2Point:
    """misc.js ``hashToG2``: the G2 point ``G2.fromRng`` draws from ChaCha seeded with the
    digest's first 32 bytes (8 big-endian words)."""
    return g2_from_rng(ChaCha.from_hash(digest))


def ptau_g2_sp(personalization: int, challenge: bytes, g1_s: G1Point, g1_sx: G1Point) -> G2Point:
    """keypair.js ``getG2sp``: hash-to-G2 of BLAKE2b-512(personalization byte || challenge ||
    g1_s || g1_sx)."""
    digest = blake2b512(bytes([personalization]), challenge, g1_uncompressed(g1_s), g1_uncompressed(g1_sx))
    return hash_to_g2(digest)


def same_ratio(g1_s: G1Point, g1_sx: G1Point, g2_s: G2Point, g2_sx: G2Point) -> bool:
    """misc.js ``sameRatio``: e(g1_s, g2_sx) == e(g1_sx, g2_s), and no point at infinity (which
    would make the check hold for any ratio)."""
    from zk.pairing import pairing_check  # here: contributing needs no pairing, only verifying

    if any(p.is_infinity() for p in (g1_s, g1_sx, g2_s, g2_sx)):
        return False
    return pairing_check([(g1_s, g2_sx), (-g1_sx, g2_s)])


@dataclass
class KeyPart:
    """One secret (tau, alpha or beta) and its proof of knowledge."""

    secret: int
    g1_s: G1Point
    g1_sx: G1Point
    g2_sp: G2Point
    g2_spx: G2Point


@dataclass
class PtauKey:
    """keypair.js ``createPTauKey``'s result: the three secrets of a powers-of-tau contribution."""

    tau: KeyPart
    alpha: KeyPart
    beta: KeyPart

    def public(self):
        from zk.formats.ptau import PublicKey

        return PublicKey(self.tau.g1_s, self.tau.g1_sx, self.alpha.g1_s, self.alpha.g1_sx, self.beta.g1_s,
                         self.beta.g1_sx, self.tau.g2_spx, self.alpha.g2_spx, self.beta.g2_spx)

    def wipe(self) -> None:
        """Forget the secrets (Python cannot overwrite an int in place; this drops the references)."""
        for part in (self.tau, self.alpha, self.beta):
            part.secret = 0


def create_ptau_key(challenge: bytes, rng: ChaCha) -> PtauKey:
    """keypair.js ``createPTauKey``: three secrets from ``rng``, then for tau, alpha, beta in turn a
    random g1_s from ``rng`` and the proof of knowledge bound to ``challenge``."""
    secrets = [fr_from_rng(rng) for _ in range(3)]
    parts = []
    for personalization, secret in zip((TAU, ALPHA, BETA), secrets):
        if secret == 0:
            raise ValueError("degenerate contribution key (a secret is zero)")
        g1_s = g1_from_rng(rng)
        g1_sx = g1_s * secret
        g2_sp = ptau_g2_sp(personalization, challenge, g1_s, g1_sx)
        parts.append(KeyPart(secret, g1_s, g1_sx, g2_sp, g2_sp * secret))
    return PtauKey(*parts)


@dataclass
class DeltaKey:
    """A phase-2 (.zkey) contribution's secret delta, its proof of knowledge and its transcript."""

    secret: int
    g1_s: G1Point
    g1_sx: G1Point
    transcript: bytes
    g2_sp: G2Point
    g2_spx: G2Point


def create_delta_key(transcript_prefix: bytes, rng: ChaCha) -> DeltaKey:
    """The phase-2 key of snarkjs ``zkey contribute`` (zkey_contribute.js): delta from
    ``Fr.fromRng``, then g1_s from ``G1.fromRng``, g1_sx = delta g1_s (a field-element product,
    ``timesFr``); transcript = BLAKE2b-512(transcript_prefix || g1_s || g1_sx), where the caller's
    prefix is the circuit hash followed by each earlier contribution's public key (deltaAfter,
    g1_s, g1_sx, g2_spx uncompressed, then its transcript); g2_sp = hash-to-G2(transcript),
    g2_spx = delta g2_sp.

    (keypair.js's own ``createDeltaKey``, which multiplies by the Montgomery bytes of delta with
    ``timesScalar``, is not what the zkey commands use.)"""
    delta = fr_from_rng(rng)
    if delta == 0:
        raise ValueError("degenerate contribution key (delta is zero)")
    g1_s = g1_from_rng(rng)
    g1_sx = g1_s * delta
    transcript = blake2b512(transcript_prefix, g1_uncompressed(g1_s), g1_uncompressed(g1_sx))
    g2_sp = hash_to_g2(transcript)
    return DeltaKey(delta, g1_s, g1_sx, transcript, g2_sp, g2_sp * delta)


def random_rng(entropy: str | bytes = b"") -> ChaCha:
    """misc.js ``getRandomRng``: ChaCha seeded from BLAKE2b-512(64 bytes of the OS CSPRNG ||
    the user's entropy text). The OS bytes alone suffice; the user's text can only add to them."""
    if isinstance(entropy, str):
        entropy = entropy.encode("utf-8")
    return ChaCha.from_hash(blake2b512(os.urandom(64), entropy))


def beacon_rng(beacon_hash: bytes, num_iterations_exp: int) -> ChaCha:
    """misc.js ``rngFromBeaconParams``: SHA-256 iterated 2^exp times over the beacon hash seeds ChaCha."""
    if not MIN_BEACON_EXP <= num_iterations_exp <= MAX_BEACON_EXP:
        raise ValueError(f"beacon iteration exponent {num_iterations_exp} outside {MIN_BEACON_EXP}..{MAX_BEACON_EXP}")
    digest = bytes(beacon_hash)
    sha256 = hashlib.sha256
    for _ in range(1 << num_iterations_exp):
        digest = sha256(digest).digest()
    return ChaCha.from_hash(digest)


def format_hash(digest: bytes, title: str | None = None) -> str:
    """misc.js ``formatHash``: 4 lines of 4 big-endian u32 words in hex, tab-indented."""
    lines = []
    for i in range(4):
        words = [digest[16 * i + 4 * j : 16 * i + 4 * j + 4].hex() for j in range(4)]
        lines.append("\t\t" + " ".join(words))
    text = "\n".join(lines)
    return f"{title}\n{text}" if title else text
