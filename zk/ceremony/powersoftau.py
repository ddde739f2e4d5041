"""Powers of tau (phase 1), byte-compatible with snarkjs 0.7.6 ``powersoftau new | contribute |
beacon | verify | preparephase2``.

Transcript of one contribution (powersoftau_contribute.js), with n = 2^power:
  challenge      = the previous contribution's next challenge, or for the first one
                   BLAKE2b-512(BLAKE2b-512("") || the initial sections uncompressed)
  key            = three secrets (tau, alpha, beta) and their proofs of knowledge bound to the
                   challenge (:func:`zk.ceremony.keypair.create_ptau_key`)
  new sections   = tauG1[i] * tau^i, tauG2[i] * tau^i, alphaTauG1[i] * alpha tau^i,
                   betaTauG1[i] * beta tau^i, betaG2 * beta
  response hash  = BLAKE2b-512(challenge || new sections compressed || public key uncompressed);
                   the state before the public key is stored (``partialHash``)
  next challenge = BLAKE2b-512(response hash || new sections uncompressed)
A beacon contribution draws its key from ChaCha seeded by SHA-256 iterated 2^exp times over a
public beacon value, so anyone can recompute it.

Secrets live only in this process's memory, drawn from the OS CSPRNG (plus optional user
entropy); they are dropped when the step ends. Every output is written to a temporary file and
renamed into place when complete.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from zk.curve import G1Point, G2Point, g1_from_array, g1_to_array, g2_from_array, g2_to_array
from zk.curve.glv import glv_halves
from zk.field import FP, FP2, FR, R
from zk.field import arrays as A
from zk.formats import ptau as F
from zk.msm import msm_g1, msm_g2, scalars_from_ints
from zk.msm.scalars import scalars_from_montgomery
from zk.poly import ntt, root_of_unity

from . import kernels as K
from . import points as E
from .blake2b import Blake2b, blake2b512
from .chacha import ChaCha
from .keypair import (
    PtauKey,
    beacon_rng,
    create_ptau_key,
    g1_uncompressed,
    g2_uncompressed,
    ptau_g2_sp,
    random_rng,
    same_ratio,
    TAU,
    ALPHA,
    BETA,
)

# snarkjs's update chunks, which fix the bytes of the saved response-hash state.
_CONTRIBUTE_CHUNK_BYTES = 1 << 20
_EMPTY_HASH = hashlib.blake2b(b"", digest_size=64).digest()
_VERIFY_SCALAR_BITS = 128


class CeremonyError(ValueError):
    """A ceremony step refused: a file that fails verification or cannot be contributed to."""


# ---------------------------------------------------------------------------------------------- progress
class _NoProgress:
    def update(self, n: int) -> None:
        pass


@contextmanager
def _no_progress(label: str, total: int) -> Iterator[_NoProgress]:
    yield _NoProgress()


Progress = Callable[[str, int], object]  # (label, total) -> context manager with .update(n)


# ---------------------------------------------------------------------------------------------- helpers
def _is_g2(section_id: int) -> bool:
    return F.is_g2_section(section_id)


def _scalar_forms(values: list[int], g2: bool):
    """The kernels take both forms; only the group's own one is computed (the other is a stub)."""
    if g2:
        return A.ints_to_raw(values), np.zeros((1, 2, 3), dtype=np.uint64)
    return np.zeros((1, 4), dtype=np.uint64), glv_halves(values)


def _scale(points: np.ndarray, values: list[int]) -> np.ndarray:
    g2 = points.ndim == 4
    raw, halves = _scalar_forms(values, g2)
    out = np.empty_like(points)
    if points.shape[0]:
        K.scale_points(FP2 if g2 else FP, np.ascontiguousarray(points), raw, halves, out)
    return out


def _powers(first: int, inc: int, start: int, count: int) -> list[int]:
    t = first * pow(inc, start, R) % R
    out = []
    for _ in range(count):
        out.append(t)
        t = t * inc % R
    return out


def _hash_repeated(hasher, block: bytes, count: int) -> None:
    chunk = block * min(count, 4096)
    full, rest = divmod(count, 4096)
    for _ in range(full):
        hasher.update(chunk)
    hasher.update(block * rest)


def _hash_section(hasher, data: np.ndarray, offset: int, section_id: int, power: int, step: int = 1 << 16) -> None:
    """Feed a section's points, uncompressed, to ``hasher``."""
    g2 = _is_g2(section_id)
    size = F.G2_BYTES if g2 else F.G1_BYTES
    count = F.section_points(section_id, power)
    for start in range(0, count, step):
        end = min(count, start + step)
        points = F.point_array(data[offset + start * size : offset + end * size], g2)
        hasher.update(E.uncompressed(points).tobytes())


def first_challenge_hash(power: int) -> bytes:
    """The challenge of the first contribution: BLAKE2b-512 over the hash of nothing and the
    initial (all-generator) sections, uncompressed (powersoftau_utils.js)."""
    n = 1 << power
    g1 = g1_uncompressed(G1Point.generator())
    g2 = g2_uncompressed(G2Point.generator())
    h = hashlib.blake2b(digest_size=64)
    h.update(_EMPTY_HASH)
    _hash_repeated(h, g1, 2 * n - 1)
    _hash_repeated(h, g2, n)
    _hash_repeated(h, g1, n)
    _hash_repeated(h, g1, n)
    h.update(g2)
    return h.digest()


def response_hash(contribution: F.Contribution) -> bytes:
    """The contribution hash participants publish: the saved hasher state finished with the
    uncompressed public key."""
    hasher = Blake2b.from_state(contribution.partial_hash)
    hasher.update(public_key_uncompressed(contribution.key))
    return hasher.digest()


def public_key_uncompressed(key: F.PublicKey) -> bytes:
    return b"".join(g1_uncompressed(p) for p in key.g1_points()) + b"".join(g2_uncompressed(p) for p in key.g2_points())


def _open(path) -> F.PtauFile:
    return F.read_ptau(path)


# ---------------------------------------------------------------------------------------------- new
def new(power: int, path, progress: Progress = _no_progress) -> bytes:
    """A fresh accumulator (every point the generator, no contribution); returns the first
    challenge hash."""
    if not 1 <= power <= F.MAX_POWER:
        raise CeremonyError(f"power {power} outside 1..{F.MAX_POWER}")
    n = 1 << power
    g1 = g1_to_array([G1Point.generator()]).tobytes()
    g2 = g2_to_array([G2Point.generator()]).tobytes()
    with F.open_writer(path, 7) as w, progress("new", 5 * n) as bar:
        w.section(F.HEADER, [F.header_bytes(power)])
        for section_id, block, count in ((F.TAU_G1, g1, 2 * n - 1), (F.TAU_G2, g2, n), (F.ALPHA_TAU_G1, g1, n),
                                         (F.BETA_TAU_G1, g1, n), (F.BETA_G2, g2, 1)):
            w.begin_section(section_id)
            done = 0
            while done < count:
                step = min(count - done, 1 << 16)
                w.write(block * step)
                done += step
            w.end_section()
            bar.update(count)
        w.section(F.CONTRIBUTIONS, [F.contributions_bytes([])])
    return first_challenge_hash(power)


# ---------------------------------------------------------------------------------------------- contribute
@dataclass
class ContributionResult:
    response_hash: bytes
    next_challenge: bytes


# (section, first factor, whose first point the contribution records)
_APPLY = ((F.TAU_G1, None, 1), (F.TAU_G2, None, 1), (F.ALPHA_TAU_G1, "alpha", 0), (F.BETA_TAU_G1, "beta", 0),
          (F.BETA_G2, "beta", 0))


def _last_challenge(ptau: F.PtauFile) -> bytes:
    if ptau.contributions:
        return ptau.contributions[-1].next_challenge
    return first_challenge_hash(ptau.power)


def _apply_key(ptau: F.PtauFile, out_path, key: PtauKey, challenge: bytes, contribution: dict,
               progress: Progress) -> ContributionResult:
    response = Blake2b()
    response.update(challenge)
    next_hasher = hashlib.blake2b(digest_size=64)
    firsts = {}
    total = sum(F.section_points(s, ptau.power) for s, _, _ in _APPLY)
    with F.open_writer(out_path, 7) as w, progress("contribute", total) as bar:
        w.section(F.HEADER, [F.header_bytes(ptau.power)])
        offsets = {}
        for section_id, factor, record in _APPLY:
            count = F.section_points(section_id, ptau.power)
            first = 1 if factor is None else getattr(key, factor).secret
            g2 = _is_g2(section_id)
            chunk = _CONTRIBUTE_CHUNK_BYTES // (F.G2_BYTES if g2 else F.G1_BYTES)
            offsets[section_id] = w.begin_section(section_id)
            for start in range(0, count, chunk):
                size = min(chunk, count - start)
                points = ptau.points(section_id, start, size)
                scaled = _scale(points, _powers(first, key.tau.secret, start, size))
                w.write(scaled)
                response.update(E.compressed(scaled))
                if start == 0:
                    firsts[section_id] = scaled[record : record + 1].copy()
                bar.update(size)
            w.end_section()
        contribution_entry = F.Contribution(
            tau_g1=g1_from_array(firsts[F.TAU_G1])[0], tau_g2=g2_from_array(firsts[F.TAU_G2])[0],
            alpha_g1=g1_from_array(firsts[F.ALPHA_TAU_G1])[0], beta_g1=g1_from_array(firsts[F.BETA_TAU_G1])[0],
            beta_g2=g2_from_array(firsts[F.BETA_G2])[0], key=key.public(), partial_hash=response.state(),
            next_challenge=b"", **contribution)
        response.update(public_key_uncompressed(contribution_entry.key))
        response_digest = response.digest()
        # The next challenge hashes the new sections as written, read back from the file.
        next_hasher.update(response_digest)
        written = w.written()
        for section_id, _, _ in _APPLY:
            _hash_section(next_hasher, written, offsets[section_id], section_id, ptau.power)
        contribution_entry.next_challenge = next_hasher.digest()
        w.section(F.CONTRIBUTIONS, [F.contributions_bytes(ptau.contributions + [contribution_entry])])
    return ContributionResult(response_digest, contribution_entry.next_challenge)


def _contributable(ptau: F.PtauFile) -> None:
    if ptau.power != ptau.ceremony_power:
        raise CeremonyError(f"{ptau.what}: reduced file (power {ptau.power} of a power-{ptau.ceremony_power} "
                            "ceremony): contributions go into the full file")


def contribute(in_path, out_path, name: str = "", entropy: str | bytes = b"",
               progress: Progress = _no_progress) -> ContributionResult:
    """Add a contribution with secrets from the OS CSPRNG (mixed with ``entropy``)."""
    ptau = _open(in_path)
    _contributable(ptau)
    challenge = _last_challenge(ptau)
    key = create_ptau_key(challenge, random_rng(entropy))
    try:
        return _apply_key(ptau, out_path, key, challenge, {"name": name, "type": F.CONTRIBUTION_TYPE}, progress)
    finally:
        key.wipe()


def parse_beacon_hash(text: str) -> bytes:
    text = text[2:] if text.startswith("0x") else text
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise CeremonyError("beacon hash must be hexadecimal") from None
    if not 0 < len(value) < 256 or len(value) * 2 != len(text):
        raise CeremonyError("beacon hash must be 1 to 255 bytes of hexadecimal")
    return value


def beacon(in_path, out_path, beacon_hash: bytes, num_iterations_exp: int, name: str = "",
           progress: Progress = _no_progress) -> ContributionResult:
    """Add the final, publicly reproducible contribution of a random beacon."""
    if not 0 < len(beacon_hash) < 256:
        raise CeremonyError("beacon hash must be 1 to 255 bytes")
    if not 10 <= num_iterations_exp <= 63:
        raise CeremonyError(f"beacon iteration exponent {num_iterations_exp} outside 10..63")
    ptau = _open(in_path)
    _contributable(ptau)
    challenge = _last_challenge(ptau)
    key = create_ptau_key(challenge, beacon_rng(beacon_hash, num_iterations_exp))
    meta = {"name": name, "type": F.BEACON_TYPE, "num_iterations_exp": num_iterations_exp, "beacon_hash": bytes(beacon_hash)}
    return _apply_key(ptau, out_path, key, challenge, meta, progress)
