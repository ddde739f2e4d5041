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
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from zk.curve import G1Point, G2Point, g1_from_array, g1_to_array, g2_from_array, g2_to_array
from zk.field import FP, FP2, FR, R
from zk.field import arrays as A
from zk.formats import ptau as F
from zk.msm import msm_g1, msm_g2, scalars_from_ints
from zk.msm.scalars import scalars_from_montgomery
from zk.poly import ntt, root_of_unity

from . import kernels as K
from . import points as E
from .blake2b import Blake2b
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
def no_progress(label: str, total: int) -> Iterator[_NoProgress]:
    yield _NoProgress()


Progress = Callable[[str, int], object]  # (label, total) -> context manager with .update(n)


# ---------------------------------------------------------------------------------------------- helpers
def _is_g2(section_id: int) -> bool:
    return F.is_g2_section(section_id)


def _scale(points: np.ndarray, values: list[int]) -> np.ndarray:
    g2 = points.ndim == 4
    out = np.empty_like(points)
    if points.shape[0]:
        K.scale_points(FP2 if g2 else FP, np.ascontiguousarray(points), A.ints_to_raw(values), out)
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
def new(power: int, path, progress: Progress = no_progress) -> bytes:
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
               progress: Progress = no_progress) -> ContributionResult:
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
           progress: Progress = no_progress) -> ContributionResult:
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


# ---------------------------------------------------------------------------------------------- verify
@dataclass
class ContributionReport:
    """A verified contribution: its number in the chain (from 1), its record (name, next
    challenge, beacon parameters) and the hash its contributor published."""

    index: int
    record: F.Contribution
    response_hash: bytes


@dataclass
class VerifyReport:
    power: int
    ceremony_power: int
    contributions: list[ContributionReport]
    next_challenge: bytes
    prepared: bool


def _fail(ptau: F.PtauFile, message: str) -> CeremonyError:
    return CeremonyError(f"{ptau.what}: {message}")


def _predecessor(ptau: F.PtauFile, index: int) -> tuple[F.FirstPowers, bytes]:
    """The first powers and next challenge contribution ``index`` (from 0) was made on: the
    previous contribution's, or the generators and the first challenge."""
    if index > 0:
        prev = ptau.contributions[index - 1]
        return prev, prev.next_challenge
    return F.FirstPowers.generators(), first_challenge_hash(ptau.ceremony_power)


def _check_contribution(ptau: F.PtauFile, index: int) -> None:
    """powersoftau_verify.js ``verifyContribution`` of contribution ``index`` (from 0): beacon keys
    recomputed, the three proofs of knowledge, and each first power following the previous
    contribution's by the same secret."""
    cur = ptau.contributions[index]
    prev, challenge = _predecessor(ptau, index)
    label = f"contribution #{index + 1}{' (' + cur.name + ')' if cur.name else ''}"
    key = cur.key
    if cur.type == F.BEACON_TYPE:
        expected = create_ptau_key(challenge, beacon_rng(cur.beacon_hash, cur.num_iterations_exp)).public()
        for field_name in F.PublicKey.G1_FIELDS + F.PublicKey.G2_FIELDS:
            if getattr(key, field_name) != getattr(expected, field_name):
                raise _fail(ptau, f"{label}: beacon key ({field_name}) is not the one the beacon parameters give")
    sp = {}
    for name, personalization in (("tau", TAU), ("alpha", ALPHA), ("beta", BETA)):
        g1_s, g1_sx = getattr(key, f"{name}_g1_s"), getattr(key, f"{name}_g1_sx")
        sp[name] = ptau_g2_sp(personalization, challenge, g1_s, g1_sx)
        if not same_ratio(g1_s, g1_sx, sp[name], getattr(key, f"{name}_g2_spx")):
            raise _fail(ptau, f"{label}: invalid proof of knowledge of {name}")
    checks = (
        (prev.tau_g1, cur.tau_g1, sp["tau"], key.tau_g2_spx, "tau*G1 does not follow the previous contribution"),
        (key.tau_g1_s, key.tau_g1_sx, prev.tau_g2, cur.tau_g2, "tau*G2 does not follow the previous contribution"),
        (prev.alpha_g1, cur.alpha_g1, sp["alpha"], key.alpha_g2_spx, "alpha*G1 does not follow the previous contribution"),
        (prev.beta_g1, cur.beta_g1, sp["beta"], key.beta_g2_spx, "beta*G1 does not follow the previous contribution"),
        (key.beta_g1_s, key.beta_g1_sx, prev.beta_g2, cur.beta_g2, "beta*G2 does not follow the previous contribution"),
    )
    for a, b, c, d, message in checks:
        if not same_ratio(a, b, c, d):
            raise _fail(ptau, f"{label}: {message}")


def _random_scalars(n: int) -> np.ndarray:
    return scalars_from_ints([secrets.randbits(_VERIFY_SCALAR_BITS) for _ in range(n)])


def _shifted_sums(points: np.ndarray, g2: bool):
    """(sum r_i P_i, sum r_i P_(i+1)) over i < n - 1 for random r: equal ratios for every
    consecutive pair imply it, except with probability about 2^-128."""
    scalars = _random_scalars(points.shape[0] - 1)
    msm = msm_g2 if g2 else msm_g1
    return msm(points[:-1], scalars, check=False), msm(points[1:], scalars, check=False)


def verify(path, progress: Progress = no_progress) -> VerifyReport:
    """Everything snarkjs's ``powersoftau verify`` checks, raising CeremonyError at the first
    failure: each contribution's proofs of knowledge and chaining, beacons recomputed, the last
    contribution's sections consistent powers of one tau (random linear combinations and
    pairings), its next-challenge hash, and the prepared Lagrange sections when present. Every
    point is also checked to be on its curve and in its subgroup."""
    ptau = _open(path)
    if not ptau.contributions:
        raise _fail(ptau, "no contributions: this file cannot be used (run contribute first)")
    contributions = ptau.contributions
    last = contributions[-1]
    _check_contribution(ptau, len(contributions) - 1)

    g1, g2 = G1Point.generator(), G2Point.generator()
    hasher = hashlib.blake2b(digest_size=64)
    hasher.update(response_hash(last))
    total = sum(F.section_points(s, ptau.power) for s in (F.TAU_G1, F.TAU_G2, F.ALPHA_TAU_G1, F.BETA_TAU_G1, F.BETA_G2))
    with progress("verify powers", total) as bar:
        sections = {}
        for section_id in (F.TAU_G1, F.TAU_G2, F.ALPHA_TAU_G1, F.BETA_TAU_G1, F.BETA_G2):
            points = ptau.points(section_id)
            hasher.update(E.uncompressed(points).tobytes())
            sections[section_id] = points
            bar.update(points.shape[0])
    first = lambda s, i: (g2_from_array if _is_g2(s) else g1_from_array)(sections[s][i : i + 1])[0]
    name = F.SECTION_NAMES
    r1, r2 = _shifted_sums(sections[F.TAU_G1], False)
    if not same_ratio(r1, r2, g2, last.tau_g2):
        raise _fail(ptau, "tauG1 section: the points are not successive powers of tau")
    if first(F.TAU_G1, 0) != g1:
        raise _fail(ptau, "tauG1 section: the first point is not the generator")
    if first(F.TAU_G1, 1) != last.tau_g1:
        raise _fail(ptau, "tauG1 section: the second point differs from the last contribution's tauG1")
    r1, r2 = _shifted_sums(sections[F.TAU_G2], True)
    if not same_ratio(g1, last.tau_g1, r1, r2):
        raise _fail(ptau, "tauG2 section: the points are not successive powers of tau")
    if first(F.TAU_G2, 0) != g2:
        raise _fail(ptau, "tauG2 section: the first point is not the generator")
    if first(F.TAU_G2, 1) != last.tau_g2:
        raise _fail(ptau, "tauG2 section: the second point differs from the last contribution's tauG2")
    for section_id, recorded in ((F.ALPHA_TAU_G1, last.alpha_g1), (F.BETA_TAU_G1, last.beta_g1)):
        r1, r2 = _shifted_sums(sections[section_id], False)
        if not same_ratio(r1, r2, g2, last.tau_g2):
            raise _fail(ptau, f"{name[section_id]} section: the points are not successive powers of tau")
        if first(section_id, 0) != recorded:
            raise _fail(ptau, f"{name[section_id]} section: the first point differs from the last contribution's")
    if first(F.BETA_G2, 0) != last.beta_g2:
        raise _fail(ptau, "betaG2 section: the point differs from the last contribution's betaG2")
    next_challenge = hasher.digest()
    if ptau.power == ptau.ceremony_power and next_challenge != last.next_challenge:
        raise _fail(ptau, "the sections' hash is not the next challenge the last contribution recorded")

    for i in range(len(contributions) - 2, -1, -1):
        _check_contribution(ptau, i)

    prepared = any(ptau.container.has(s) for s in F.LAGRANGE_OF.values())
    if prepared:
        if not ptau.prepared:
            raise _fail(ptau, "only some of the prepared (Lagrange) sections 12-15 are present")
        _verify_lagrange(ptau, sections, progress)
    reports = []
    for i, c in enumerate(contributions):
        reports.append(ContributionReport(i + 1, c, response_hash(c)))
    return VerifyReport(ptau.power, ptau.ceremony_power, reports, next_challenge, prepared)


def _verify_lagrange(ptau: F.PtauFile, sections: dict, progress: Progress) -> None:
    """Each level k of each Lagrange section: sum_i f(w^i) L_i == sum_j r_j tau^j for random
    coefficients r (f = sum_j r_j X^j), i.e. MSM(level, NTT(r)) == MSM(powers, r)."""
    levels = [(s, k) for s, l in F.LAGRANGE_OF.items()
              for k in range(ptau.power + (2 if s == F.TAU_G1 else 1))]
    with progress("verify lagrange", len(levels)) as bar:
        for section_id, k in levels:
            lagrange_id = F.LAGRANGE_OF[section_id]
            g2 = _is_g2(section_id)
            size = 1 << k
            powers = sections[section_id][:size]
            coefficients = [secrets.randbits(_VERIFY_SCALAR_BITS) for _ in range(size)]
            if powers.shape[0] < size:  # level power + 1 of tauG1: the top point is infinity
                coefficients[-1] = 0
                powers = np.concatenate([powers, np.zeros((1,) + powers.shape[1:], dtype=np.uint64)])
            evaluations = ntt(A.to_array(FR, coefficients))
            msm = msm_g2 if g2 else msm_g1
            lhs = msm(ptau.lagrange_level(lagrange_id, k), scalars_from_montgomery(evaluations), check=False)
            rhs = msm(powers, scalars_from_ints(coefficients), check=False)
            if lhs != rhs:
                raise _fail(ptau, f"{F.SECTION_NAMES[lagrange_id]} section: level {k} is not the Lagrange basis "
                                  f"of the {F.SECTION_NAMES[section_id]} powers")
            bar.update(1)


# ---------------------------------------------------------------------------------------------- prepare
class Twiddles:
    """Per-level scalars of the inverse FFT: stage s of size 2^k uses w^-(2^(k-1-s) j), j < 2^s,
    with 1/n folded into the last stage. Built once per level and shared by all four sections."""

    def __init__(self, level: int):
        n = 1 << level
        self.level = level
        values, offsets = [], []
        if level:
            w_inv = pow(root_of_unity(n), -1, R)
            inv_n = pow(n, -1, R)
            for s in range(level):
                half = 1 << s
                step = pow(w_inv, n // (2 * half), R)
                offsets.append(len(values))
                t = inv_n if s == level - 1 else 1
                for _ in range(half):
                    values.append(t)
                    t = t * step % R
            self.inv_n = [inv_n]
        else:
            self.inv_n = [1]
        self.values = values or [1]
        self.offsets = np.array(offsets or [0], dtype=np.int64)
        self.raw = A.ints_to_raw(self.values)
        self.inv_raw = A.ints_to_raw(self.inv_n)


def lagrange_level(points: np.ndarray, twiddles: Twiddles) -> np.ndarray:
    """The affine Lagrange basis (inverse FFT in the exponent) of 2^level affine points."""
    g2 = points.ndim == 4
    Fd = FP2 if g2 else FP
    jac = np.empty((points.shape[0], 3) + points.shape[2:], dtype=np.uint64)
    K.affine_rows_to_jac(Fd, np.ascontiguousarray(points), jac)
    K.run_ifft(Fd, jac, twiddles.raw, twiddles.offsets, twiddles.inv_raw)
    out = np.empty_like(points)
    K.batch_to_affine(Fd, jac, out)
    return out


def prepare(in_path, out_path, progress: Progress = no_progress) -> None:
    """snarkjs ``powersoftau preparephase2``: sections 2-7 copied, 12-15 computed (the Lagrange
    bases of tauG1, tauG2, alphaTauG1, betaTauG1 at every size 2^k, k = 0..power, and for tauG1
    also k = power + 1 with the missing top power taken as the point at infinity)."""
    ptau = _open(in_path)
    if ptau.power + 1 > F.MAX_POWER:
        raise CeremonyError(f"{ptau.what}: power {ptau.power} is too large to prepare (level {ptau.power + 1} "
                            f"would need a 2^{ptau.power + 1} domain; Fr has 2^{F.MAX_POWER})")
    twiddles = {}
    work = sum((1 << k) * max(k, 1) for k in range(ptau.power + 2)) + 3 * sum((1 << k) * max(k, 1) for k in range(ptau.power + 1))
    with F.open_writer(out_path, 11) as w, progress("prepare", work) as bar:
        w.section(F.HEADER, [F.header_bytes(ptau.power)])
        for section_id in (F.TAU_G1, F.TAU_G2, F.ALPHA_TAU_G1, F.BETA_TAU_G1, F.BETA_G2, F.CONTRIBUTIONS):
            w.section(section_id, [ptau.raw_section(section_id)])
        for section_id, lagrange_id in F.LAGRANGE_OF.items():
            points = ptau.points(section_id)
            top = ptau.power + 1 if section_id == F.TAU_G1 else ptau.power
            w.begin_section(lagrange_id)
            for k in range(top + 1):
                size = 1 << k
                level_points = points[:size]
                if level_points.shape[0] < size:
                    level_points = np.concatenate([level_points, np.zeros((1,) + points.shape[1:], dtype=np.uint64)])
                if k not in twiddles:
                    twiddles[k] = Twiddles(k)
                w.write(lagrange_level(level_points, twiddles[k]))
                bar.update(size * max(k, 1))
            w.end_section()
