"""snarkjs powers-of-tau files (``.ptau``, version 1), read and written byte for byte as snarkjs 0.7.6.

Container: :mod:`zk.formats.binio` with magic ``ptau`` (memory-mapped by :mod:`zk.formats.binfile`). Points are affine x || y, each coordinate
32 bytes little-endian in Montgomery form (R = 2^256), G2 coordinates c0 || c1; the point at
infinity is all zero bytes. That is exactly the limb layout of :mod:`zk.curve` arrays, so a
section's bytes are the kernels' arrays: ``(n, 2, 4)`` uint64 for G1, ``(n, 2, 2, 4)`` for G2.

Sections (n = 2^power):
   1 header: u32 n8 (32), n8 bytes q (BN254's base field prime), u32 power, u32 ceremonyPower
   2 tauG1       2n - 1 points tau^i G1
   3 tauG2       n points tau^i G2
   4 alphaTauG1  n points alpha tau^i G1
   5 betaTauG1   n points beta tau^i G1
   6 betaG2      1 point beta G2
   7 contributions: u32 count, then each
        tauG1, tauG2, alphaG1, betaG1, betaG2 (the contribution's first powers),
        public key: tau.g1_s, tau.g1_sx, alpha.g1_s, alpha.g1_sx, beta.g1_s, beta.g1_sx,
                    tau.g2_spx, alpha.g2_spx, beta.g2_spx (Montgomery, like the sections),
        partialHash (216 bytes, :mod:`zk.ceremony.blake2b`), nextChallenge (64 bytes),
        u32 type (0 contribution, 1 beacon), u32 length of the parameters, then parameters
        sorted by tag: 1 name (u8 length, UTF-8), 2 numIterationsExp (u8), 3 beacon hash (u8 length, bytes)
  12-15 (``prepare``): Lagrange bases of sections 2-5 for every domain 2^k, k = 0..power,
        level k at point offset 2^k - 1; section 12 also has level power + 1, the inverse FFT of
        tauG1 padded with the point at infinity.

Every size is checked against the header's power and the bytes present; points are checked
canonical (< p) and on their curve, G2 points in the order-r subgroup, when they are read through
:func:`PtauFile.points` with ``check=True`` (the default).
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

import numpy as np

from zk.curve import G1, G2, G1Point, G2Point, g1_from_array, g2_from_array, g1_to_array, g2_to_array
from zk.curve.subgroup import first_outside_g2
from zk.field import FP, FP2, P
from zk.field.arrays import first_non_canonical

from .binfile import ContainerWriter, map_file
from .binio import BoundedReader, Container, read_container

MAGIC = b"ptau"
VERSION = 1
N8 = 32
MAX_POWER = 28  # Fr's 2-adicity: no larger evaluation domain exists
PARTIAL_HASH_BYTES = 216
HASH_BYTES = 64

HEADER, TAU_G1, TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1, BETA_G2, CONTRIBUTIONS = 1, 2, 3, 4, 5, 6, 7
LAGRANGE_TAU_G1, LAGRANGE_TAU_G2, LAGRANGE_ALPHA_TAU_G1, LAGRANGE_BETA_TAU_G1 = 12, 13, 14, 15
SECTION_NAMES = {
    HEADER: "header", TAU_G1: "tauG1", TAU_G2: "tauG2", ALPHA_TAU_G1: "alphaTauG1",
    BETA_TAU_G1: "betaTauG1", BETA_G2: "betaG2", CONTRIBUTIONS: "contributions",
    LAGRANGE_TAU_G1: "lagrange tauG1", LAGRANGE_TAU_G2: "lagrange tauG2",
    LAGRANGE_ALPHA_TAU_G1: "lagrange alphaTauG1", LAGRANGE_BETA_TAU_G1: "lagrange betaTauG1",
}
# The Lagrange section each powers section becomes under `prepare`.
LAGRANGE_OF = {TAU_G1: LAGRANGE_TAU_G1, TAU_G2: LAGRANGE_TAU_G2, ALPHA_TAU_G1: LAGRANGE_ALPHA_TAU_G1,
               BETA_TAU_G1: LAGRANGE_BETA_TAU_G1}
G1_BYTES, G2_BYTES = 2 * N8, 4 * N8
CONTRIBUTION_TYPE, BEACON_TYPE = 0, 1
MAX_NAME_BYTES = 255


class PtauError(ValueError):
    """A .ptau file that is malformed, truncated, inconsistent or holds invalid points."""


def is_g2_section(section_id: int) -> bool:
    return section_id in (TAU_G2, BETA_G2, LAGRANGE_TAU_G2)


def section_points(section_id: int, power: int) -> int:
    """How many points section ``section_id`` holds in a file of this power."""
    n = 1 << power
    if section_id == TAU_G1:
        return 2 * n - 1
    if section_id in (TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1):
        return n
    if section_id == BETA_G2:
        return 1
    if section_id == LAGRANGE_TAU_G1:
        return 4 * n - 1  # levels 0 .. power + 1
    if section_id in (LAGRANGE_TAU_G2, LAGRANGE_ALPHA_TAU_G1, LAGRANGE_BETA_TAU_G1):
        return 2 * n - 1
    raise ValueError(f"section {section_id} holds no points")


@dataclass
class PublicKey:
    """A contribution's proofs of knowledge (keypair.js): for each of tau, alpha, beta the G1 pair
    (g1_s, g1_sx = x g1_s) and g2_spx = x g2_sp, where g2_sp is hashed from the challenge and the
    G1 pair and so is not stored."""

    tau_g1_s: G1Point
    tau_g1_sx: G1Point
    alpha_g1_s: G1Point
    alpha_g1_sx: G1Point
    beta_g1_s: G1Point
    beta_g1_sx: G1Point
    tau_g2_spx: G2Point
    alpha_g2_spx: G2Point
    beta_g2_spx: G2Point

    G1_FIELDS = ("tau_g1_s", "tau_g1_sx", "alpha_g1_s", "alpha_g1_sx", "beta_g1_s", "beta_g1_sx")
    G2_FIELDS = ("tau_g2_spx", "alpha_g2_spx", "beta_g2_spx")
    BYTES = 6 * G1_BYTES + 3 * G2_BYTES

    def g1_points(self) -> list[G1Point]:
        return [getattr(self, name) for name in self.G1_FIELDS]

    def g2_points(self) -> list[G2Point]:
        return [getattr(self, name) for name in self.G2_FIELDS]

    def to_montgomery(self) -> bytes:
        return g1_to_array(self.g1_points()).tobytes() + g2_to_array(self.g2_points()).tobytes()


@dataclass
class FirstPowers:
    """The points a contribution leaves at the front of the sections: tau G1, tau G2, alpha G1,
    beta G1, beta G2 (each the generator before the first contribution). The next contribution's
    proofs are checked against them."""

    tau_g1: G1Point
    tau_g2: G2Point
    alpha_g1: G1Point
    beta_g1: G1Point
    beta_g2: G2Point

    @classmethod
    def generators(cls) -> "FirstPowers":
        g1, g2 = G1Point.generator(), G2Point.generator()
        return cls(g1, g2, g1, g1, g2)


@dataclass
class Contribution(FirstPowers):
    """One entry of section 7: its first powers, then its public key and hashes."""

    key: PublicKey
    partial_hash: bytes
    next_challenge: bytes
    type: int = CONTRIBUTION_TYPE
    name: str = ""
    num_iterations_exp: int | None = None
    beacon_hash: bytes | None = None


@dataclass
class PtauFile:
    """A parsed .ptau: header values, contributions, and point sections mapped from the file."""

    path: str
    container: Container
    power: int
    ceremony_power: int
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def what(self) -> str:
        return self.container.what

    @property
    def prepared(self) -> bool:
        return all(self.container.has(s) for s in LAGRANGE_OF.values())

    def raw_section(self, section_id: int) -> np.ndarray:
        offset, size = self.container.section(section_id, SECTION_NAMES[section_id])
        return self.container.data[offset : offset + size]

    def points(self, section_id: int, start: int = 0, count: int | None = None, *, check: bool = True) -> np.ndarray:
        """Points [start, start + count) of a section as a limb array, validated
        (canonical, on the curve, G2 in the subgroup) unless ``check=False``."""
        total = section_points(section_id, self.power)
        count = total - start if count is None else count
        if start < 0 or count < 0 or start + count > total:
            raise ValueError(f"points [{start}, {start + count}) outside section {section_id}'s {total}")
        size = G2_BYTES if is_g2_section(section_id) else G1_BYTES
        raw = self.raw_section(section_id)[start * size : (start + count) * size]
        arr = point_array(raw, is_g2_section(section_id))
        if check:
            validate_points(arr, f"{self.what}: {SECTION_NAMES[section_id]} section", start)
        return arr

    def lagrange_level(self, section_id: int, level: int, *, check: bool = True) -> np.ndarray:
        """Level ``level`` (2^level points) of a prepared Lagrange section."""
        top = self.power + 1 if section_id == LAGRANGE_TAU_G1 else self.power
        if not 0 <= level <= top:
            raise ValueError(f"level {level} outside 0..{top}")
        return self.points(section_id, (1 << level) - 1, 1 << level, check=check)


def point_array(raw, g2: bool) -> np.ndarray:
    """Montgomery point bytes (a file's layout) -> an affine limb array, (n, 2, 4) or (n, 2, 2, 4).

    A copy, not a view: sections start at offsets that are not 8-byte aligned, and the kernels are
    compiled for aligned arrays."""
    raw = np.asarray(raw, dtype=np.uint8).reshape(-1)
    size = G2_BYTES if g2 else G1_BYTES
    if raw.shape[0] % size:
        raise PtauError(f"{raw.shape[0]} bytes are not a whole number of {'G2' if g2 else 'G1'} points")
    count = raw.shape[0] // size
    arr = np.empty((count, 2, 2, 4) if g2 else (count, 2, 4), dtype=np.uint64)
    arr.reshape(-1).view(np.uint8)[:] = raw
    return arr


def validate_points(arr: np.ndarray, what: str, first_index: int = 0) -> None:
    """Raise PtauError unless every point of the affine limb array is canonical, on its curve and,
    for G2, in the order-r subgroup (the all-zero point at infinity is accepted)."""
    g2 = arr.ndim == 4
    flat = np.ascontiguousarray(arr).reshape(-1, 4)
    bad = first_non_canonical(FP, flat)
    per_point = 4 if g2 else 2
    if bad >= 0:
        raise PtauError(f"{what}: point {first_index + bad // per_point} has a coordinate >= p")
    contiguous = np.ascontiguousarray(arr)
    bad = (G2 if g2 else G1).first_off_curve(contiguous)
    if bad >= 0:
        raise PtauError(f"{what}: point {first_index + bad} is not on the curve")
    if g2:
        bad = first_outside_g2(FP2, contiguous)
        if bad >= 0:
            raise PtauError(f"{what}: point {first_index + bad} is not in the order-r subgroup of G2")


# ---------------------------------------------------------------------------------------------- reading
def _points_from_bytes(data: bytes, g2: bool, what: str) -> list:
    arr = point_array(np.frombuffer(data, dtype=np.uint8), g2)
    validate_points(arr, what)
    return g2_from_array(arr) if g2 else g1_from_array(arr)


def _read_header(container: Container) -> tuple[int, int]:
    what = container.what
    reader = container.reader(HEADER, "header")
    n8 = reader.u32()
    if n8 != N8:
        raise PtauError(f"{what}: header field size n8 = {n8}, expected {N8} (only BN254 is supported)")
    q = int.from_bytes(reader.take(n8), "little")
    if q != P:
        raise PtauError(f"{what}: header prime {q} is not BN254's base field prime (the only curve supported)")
    power = reader.u32()
    ceremony_power = reader.u32()
    reader.expect_end()
    if not 1 <= power <= MAX_POWER:
        raise PtauError(f"{what}: power {power} outside 1..{MAX_POWER}")
    if not power <= ceremony_power <= MAX_POWER:
        raise PtauError(f"{what}: ceremony power {ceremony_power} outside {power}..{MAX_POWER}")
    return power, ceremony_power


def _read_contribution(reader: BoundedReader, index: int) -> Contribution:
    what = f"{reader.what} contribution {index + 1}"
    g1 = lambda name: _points_from_bytes(reader.take(G1_BYTES), False, f"{what} {name}")[0]
    g2 = lambda name: _points_from_bytes(reader.take(G2_BYTES), True, f"{what} {name}")[0]
    tau_g1, tau_g2, alpha_g1, beta_g1, beta_g2 = g1("tauG1"), g2("tauG2"), g1("alphaG1"), g1("betaG1"), g2("betaG2")
    key_g1 = _points_from_bytes(reader.take(6 * G1_BYTES), False, f"{what} public key")
    key_g2 = _points_from_bytes(reader.take(3 * G2_BYTES), True, f"{what} public key")
    key = PublicKey(*key_g1, *key_g2)
    partial_hash = reader.take(PARTIAL_HASH_BYTES)
    next_challenge = reader.take(HASH_BYTES)
    kind = reader.u32()
    if kind not in (CONTRIBUTION_TYPE, BEACON_TYPE):
        raise PtauError(f"{what}: unknown contribution type {kind}")
    params_len = reader.u32()
    params = BoundedReader(reader.take(params_len), f"{what} parameters", PtauError)
    contribution = Contribution(tau_g1, tau_g2, alpha_g1, beta_g1, beta_g2, key, partial_hash, next_challenge, kind)
    last_tag = 0
    while params.remaining:
        tag = params.take(1)[0]
        if tag <= last_tag:
            raise PtauError(f"{what}: parameters out of order (tag {tag} after {last_tag})")
        last_tag = tag
        if tag == 1:
            raw = params.take(params.take(1)[0])
            try:
                contribution.name = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise PtauError(f"{what}: name is not UTF-8") from None
        elif tag == 2:
            contribution.num_iterations_exp = params.take(1)[0]
        elif tag == 3:
            contribution.beacon_hash = params.take(params.take(1)[0])
        else:
            raise PtauError(f"{what}: unknown parameter tag {tag}")
    if kind == BEACON_TYPE and (contribution.num_iterations_exp is None or contribution.beacon_hash is None):
        raise PtauError(f"{what}: beacon without its hash or iteration count")
    return contribution


def read_ptau(source, what: str | None = None) -> PtauFile:
    """Parse a .ptau file (a path or bytes): header, contributions and the sizes of every section.
    Point sections stay mapped; :meth:`PtauFile.points` validates them as they are used."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, what = np.frombuffer(source, dtype=np.uint8), what or "data"
    else:
        what = what or os.fspath(source)
        data = map_file(source, PtauError, what)
    container = read_container(data, MAGIC, (VERSION,), what, PtauError)
    power, ceremony_power = _read_header(container)
    for section_id in (TAU_G1, TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1, BETA_G2, *LAGRANGE_OF.values()):
        if section_id >= LAGRANGE_TAU_G1 and not container.has(section_id):
            continue
        _, section_size = container.section(section_id, SECTION_NAMES[section_id])
        size = G2_BYTES if is_g2_section(section_id) else G1_BYTES
        expected = section_points(section_id, power) * size
        if section_size != expected:
            raise PtauError(f"{container.what}: {SECTION_NAMES[section_id]} section has {section_size} bytes, "
                            f"expected {expected} for power {power}")
    known = set(SECTION_NAMES)
    unknown = sorted(set(container.sections) - known)
    if unknown:
        raise PtauError(f"{container.what}: unknown section id {unknown[0]}")
    reader = container.reader(CONTRIBUTIONS, "contributions")
    # The smallest contribution is 1504 bytes: refuse counts the section cannot hold before looping.
    count = reader.count(reader.u32(), 1504, "contributions")
    contributions = [_read_contribution(reader, i) for i in range(count)]
    reader.expect_end()
    return PtauFile(what, container, power, ceremony_power, contributions)


# ---------------------------------------------------------------------------------------------- writing
def header_bytes(power: int, ceremony_power: int | None = None) -> bytes:
    return (struct.pack("<I", N8) + P.to_bytes(N8, "little")
            + struct.pack("<II", power, ceremony_power if ceremony_power else power))


def _contribution_bytes(c: Contribution) -> bytes:
    out = [g1_to_array([c.tau_g1]).tobytes(), g2_to_array([c.tau_g2]).tobytes(),
           g1_to_array([c.alpha_g1, c.beta_g1]).tobytes(), g2_to_array([c.beta_g2]).tobytes(),
           c.key.to_montgomery()]
    if len(c.partial_hash) != PARTIAL_HASH_BYTES or len(c.next_challenge) != HASH_BYTES:
        raise ValueError("a contribution needs a 216-byte partial hash and a 64-byte next challenge")
    out += [c.partial_hash, c.next_challenge, struct.pack("<I", c.type)]
    params = bytearray()
    if c.name:
        name = encode_name(c.name)
        params += bytes([1, len(name)]) + name
    if c.type == BEACON_TYPE:
        if c.beacon_hash is None or c.num_iterations_exp is None or not 0 < len(c.beacon_hash) < 256:
            raise ValueError("a beacon contribution needs its hash (1..255 bytes) and iteration exponent")
        params += bytes([2, c.num_iterations_exp, 3, len(c.beacon_hash)]) + c.beacon_hash
    out += [struct.pack("<I", len(params)), bytes(params)]
    return b"".join(out)


def encode_name(name: str) -> bytes:
    """A contribution name as snarkjs stores it: its first 64 characters in UTF-8 (cut further,
    at a character boundary, when that exceeds the 255 bytes a length byte can count)."""
    name = name[:64]
    data = name.encode("utf-8")
    while len(data) > MAX_NAME_BYTES:
        name = name[:-1]
        data = name.encode("utf-8")
    return data


def contributions_bytes(contributions: list[Contribution]) -> bytes:
    return struct.pack("<I", len(contributions)) + b"".join(_contribution_bytes(c) for c in contributions)


def open_writer(path, n_sections: int) -> ContainerWriter:
    """An atomic writer for a .ptau with ``n_sections`` sections (7, or 11 when prepared)."""
    return ContainerWriter(path, MAGIC, VERSION, n_sections)
