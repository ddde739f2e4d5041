"""snarkjs's Groth16 proving key, ``.zkey`` (snarkjs 0.7.6 ``zkey_utils.js``), read and written
byte for byte.

Container (``@iden3/binfileutils``): magic ``zkey``, u32 version 1, u32 section count, then per
section u32 id, u64 size, data; little-endian. Points are affine x || y, each coordinate in
Montgomery form (R = 2^256), little-endian; G2 coordinates are c0 || c1; infinity is all zeros.
That is exactly the limb layout of :mod:`zk.curve.kernels`, so point sections become uint64
arrays without conversion (memory-mapped when the section is 8-byte aligned in the file).

    1  protocol: u32 1 (Groth16)
    2  header: n8q, q, n8r, r, nVars, nPublic, domainSize, alpha1, beta1, beta2, gamma2, delta1, delta2
    3  IC: nPublic + 1 G1 points
    4  coefficients: u32 count, then {u32 matrix (0 = A, 1 = B), u32 constraint, u32 signal,
       Fr value v*R^2 mod r}; C is not stored (the prover takes C = A*B pointwise); A has one
       extra row per public signal s = 0..nPublic, at constraint nConstraints + s
    5  A: nVars G1     6  B1: nVars G1     7  B2: nVars G2
    8  C (the L query): nVars - nPublic - 1 G1 points, private signals only
    9  H: domainSize G1 points, [L^(2n)_(2i+1)(tau) / delta]_1
    10 MPC parameters: 64-byte BLAKE2b circuit hash, u32 count, contributions

Every size is checked against the header and the bytes present before anything is read; every
coordinate must be below p and every point on its curve (header G2 points also in the subgroup).
"""
from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field

import numpy as np

from zk.curve import G1, G2, G1Point, G2Point, g1_from_array, g1_to_array, g2_from_array, g2_to_array
from zk.field import FP, FR, P, R
from zk.field import arrays as field_arrays
from zk.field.arrays import first_non_canonical
from zk.formats.atomic import atomic_write

MAGIC = b"zkey"
VERSION = 1
GROTH16 = 1
N8 = 32
G1_BYTES = 2 * N8
G2_BYTES = 4 * N8
COEF_BYTES = 12 + N8
HEADER_BYTES = 4 + N8 + 4 + N8 + 12 + 3 * G1_BYTES + 3 * G2_BYTES

SECTION_NAMES = {1: "protocol", 2: "header", 3: "IC", 4: "coefficients", 5: "A", 6: "B1", 7: "B2",
                 8: "C", 9: "H", 10: "contributions"}
# snarkjs's `groth16 setup` writes the sections in this order, `zkey contribute`/`beacon` in id order.
SETUP_ORDER = (1, 2, 4, 3, 9, 8, 5, 6, 7, 10)
ID_ORDER = tuple(range(1, 11))

COEF_DTYPE = np.dtype([("matrix", "<u4"), ("constraint", "<u4"), ("signal", "<u4"), ("value", "<u8", (4,))])
assert COEF_DTYPE.itemsize == COEF_BYTES

CONTRIBUTION = 0
BEACON = 1


class ZkeyFormatError(ValueError):
    """A file that is not a well-formed Groth16 .zkey: wrong magic, truncated, inconsistent sizes,
    values outside their field, points off their curve."""


@dataclass
class Contribution:
    """One phase-2 contribution as section 10 stores it (snarkjs ``readContribution``)."""

    delta_after: G1Point
    g1_s: G1Point
    g1_sx: G1Point
    g2_spx: G2Point
    transcript: bytes
    kind: int = CONTRIBUTION
    name: str | None = None
    num_iterations_exp: int | None = None
    beacon_hash: bytes | None = None


@dataclass
class Zkey:
    """The contents of a Groth16 .zkey. Point arrays are affine Montgomery limbs (infinity = zero
    row); ``coeffs`` keeps the on-disk records (value = v*R^2 mod r as plain limbs)."""

    n_vars: int
    n_public: int
    domain_size: int
    alpha_g1: G1Point
    beta_g1: G1Point
    beta_g2: G2Point
    gamma_g2: G2Point
    delta_g1: G1Point
    delta_g2: G2Point
    ic: np.ndarray
    coeffs: np.ndarray
    a: np.ndarray
    b1: np.ndarray
    b2: np.ndarray
    c: np.ndarray
    h: np.ndarray
    cs_hash: bytes = bytes(64)
    contributions: list = field(default_factory=list)

    @property
    def power(self) -> int:
        return self.domain_size.bit_length() - 1

    @property
    def has_contribution(self) -> bool:
        """False for a key straight from `groth16 setup`: there gamma = delta = the generator and
        anyone can forge proofs."""
        return self.gamma_g2 != self.delta_g2


# ---------------------------------------------------------------------------------------------
# Container


def _map(path) -> np.ndarray:
    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                return np.zeros(0, dtype=np.uint8)
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise ZkeyFormatError(f"cannot read {name!r}: {exc.strerror or exc}") from None
    return np.frombuffer(mapped, dtype=np.uint8)


def read_sections(data: np.ndarray, magic: bytes, what: str) -> dict[int, tuple[int, int]]:
    """{section id: (offset, size)} of the container, every size checked against the bytes present."""
    from zk.formats.binio import read_container

    return read_container(data, magic, (VERSION,), what, ZkeyFormatError).sections


def _section(data, sections, kind: int, expected: int | None, what: str) -> np.ndarray:
    name = f"section {kind} ({SECTION_NAMES.get(kind, '?')})"
    if kind not in sections:
        raise ZkeyFormatError(f"{what}: missing {name}")
    start, length = sections[kind]
    if expected is not None and length != expected:
        raise ZkeyFormatError(f"{what}: {name} has {length} bytes, the header implies {expected}")
    return data[start:start + length]


def _first_not_below(limbs: np.ndarray, field) -> int:
    return first_non_canonical(field, np.ascontiguousarray(limbs).reshape(-1, 4))


def _limbs(raw: np.ndarray, shape: tuple) -> np.ndarray:
    """uint64 view of a byte section (zero-copy when 8-byte aligned, else one copy)."""
    if raw.ctypes.data % 8 == 0:
        arr = raw.view("<u8")
    else:
        arr = np.frombuffer(raw.tobytes(), dtype="<u8")
    return arr.reshape(shape)


def _points(raw: np.ndarray, g2: bool, what: str, name: str) -> np.ndarray:
    n = raw.shape[0] // (G2_BYTES if g2 else G1_BYTES)
    arr = _limbs(raw, (n, 2, 2, 4) if g2 else (n, 2, 4))
    bad = _first_not_below(arr, FP)
    if bad >= 0:
        per = 4 if g2 else 2
        raise ZkeyFormatError(f"{what}: {name} point {bad // per} has a coordinate that is not below p")
    bad = (G2 if g2 else G1).first_off_curve(arr)
    if bad >= 0:
        raise ZkeyFormatError(f"{what}: {name} point {bad} is not on the {'G2 twist' if g2 else 'G1'} curve")
    return arr


def _g1(raw, what, name) -> G1Point:
    return g1_from_array(_points(raw, False, what, name))[0]


def _g2(raw, what, name) -> G2Point:
    point = g2_from_array(_points(raw, True, what, name))[0]
    if not point.is_in_subgroup():
        raise ZkeyFormatError(f"{what}: {name} is on the twist but not in the order-r subgroup G2")
    return point


# ---------------------------------------------------------------------------------------------
# Reading


def read_zkey(path, *, points: bool = True) -> Zkey:
    """Read and check a Groth16 .zkey. ``points=False`` skips the point sections 5-9 (their sizes
    are still checked) for commands that only need the header, IC and contributions."""
    what = os.fspath(path)
    return parse_zkey(_map(path), what, points=points)


def parse_zkey(data, what: str = "zkey", *, points: bool = True) -> Zkey:
    if not isinstance(data, np.ndarray):
        data = np.frombuffer(bytes(data), dtype=np.uint8)
    sections = read_sections(data, MAGIC, what)
    protocol = _section(data, sections, 1, 4, what)
    if int(protocol.view("<u4")[0] if protocol.ctypes.data % 4 == 0 else struct.unpack("<I", bytes(protocol))[0]) != GROTH16:
        raise ZkeyFormatError(f"{what}: protocol {struct.unpack('<I', bytes(protocol))[0]} is not Groth16 (1)")
    head = bytes(_section(data, sections, 2, None, what))
    if len(head) < 4 or struct.unpack("<I", head[:4])[0] != N8:
        raise ZkeyFormatError(f"{what}: the header is not for BN254 (n8q must be {N8})")
    if len(head) != HEADER_BYTES:
        raise ZkeyFormatError(f"{what}: section 2 (header) has {len(head)} bytes, expected {HEADER_BYTES}")
    q = int.from_bytes(head[4:36], "little")
    n8r = struct.unpack("<I", head[36:40])[0]
    r = int.from_bytes(head[40:72], "little")
    if q != P or n8r != N8 or r != R:
        raise ZkeyFormatError(f"{what}: the header's primes are not BN254's (only bn128 is supported)")
    n_vars, n_public, domain_size = struct.unpack("<III", head[72:84])
    if n_vars < 1 or n_public + 1 > n_vars:
        raise ZkeyFormatError(f"{what}: inconsistent header: {n_vars} signals, {n_public} public")
    if domain_size < 2 or domain_size & (domain_size - 1) or domain_size > 1 << 28:
        raise ZkeyFormatError(f"{what}: domain size {domain_size} is not a power of two in [2, 2^28]")
    if n_public + 1 > domain_size:
        raise ZkeyFormatError(f"{what}: domain size {domain_size} cannot hold {n_public + 1} public rows")
    hv = np.frombuffer(head, dtype=np.uint8)
    off = 84
    alpha_g1 = _g1(hv[off:off + 64], what, "alpha_1")
    beta_g1 = _g1(hv[off + 64:off + 128], what, "beta_1")
    beta_g2 = _g2(hv[off + 128:off + 256], what, "beta_2")
    gamma_g2 = _g2(hv[off + 256:off + 384], what, "gamma_2")
    delta_g1 = _g1(hv[off + 384:off + 448], what, "delta_1")
    delta_g2 = _g2(hv[off + 448:off + 576], what, "delta_2")
    for point, name in ((alpha_g1, "alpha_1"), (beta_g1, "beta_1"), (beta_g2, "beta_2"), (gamma_g2, "gamma_2"),
                        (delta_g1, "delta_1"), (delta_g2, "delta_2")):
        if point.is_infinity():
            raise ZkeyFormatError(f"{what}: {name} is the point at infinity")

    ic = _points(_section(data, sections, 3, (n_public + 1) * G1_BYTES, what), False, what, "IC")
    coef_raw = _section(data, sections, 4, None, what)
    if coef_raw.shape[0] < 4:
        raise ZkeyFormatError(f"{what}: section 4 (coefficients) is truncated")
    count = struct.unpack("<I", bytes(coef_raw[:4]))[0]
    if coef_raw.shape[0] != 4 + count * COEF_BYTES:
        raise ZkeyFormatError(f"{what}: section 4 (coefficients) has {coef_raw.shape[0]} bytes, "
                              f"its count {count} implies {4 + count * COEF_BYTES}")
    coeffs = np.frombuffer(coef_raw[4:].tobytes(), dtype=COEF_DTYPE)
    _check_coeffs(coeffs, n_vars, domain_size, what)

    sizes = {5: n_vars * G1_BYTES, 6: n_vars * G1_BYTES, 7: n_vars * G2_BYTES,
             8: (n_vars - n_public - 1) * G1_BYTES, 9: domain_size * G1_BYTES}
    arrays = {}
    for kind, expected in sizes.items():
        raw = _section(data, sections, kind, expected, what)
        if points:
            arrays[kind] = _points(raw, kind == 7, what, f"section {kind} ({SECTION_NAMES[kind]})")
        else:
            arrays[kind] = None
    cs_hash, contributions = bytes(64), []
    if 10 in sections:
        cs_hash, contributions = _parse_mpc(bytes(_section(data, sections, 10, None, what)), what)
    return Zkey(n_vars, n_public, domain_size, alpha_g1, beta_g1, beta_g2, gamma_g2, delta_g1, delta_g2,
                ic, coeffs, arrays[5], arrays[6], arrays[7], arrays[8], arrays[9], cs_hash, contributions)


def _check_coeffs(coeffs: np.ndarray, n_vars: int, domain_size: int, what: str) -> None:
    if not coeffs.shape[0]:
        return
    bad = np.flatnonzero(coeffs["matrix"] > 1)
    if bad.size:
        raise ZkeyFormatError(f"{what}: coefficient {bad[0]} names matrix {coeffs['matrix'][bad[0]]} (only 0 = A, 1 = B)")
    bad = np.flatnonzero(coeffs["constraint"] >= domain_size)
    if bad.size:
        raise ZkeyFormatError(f"{what}: coefficient {bad[0]} is in row {coeffs['constraint'][bad[0]]}, "
                              f"outside the domain of {domain_size}")
    bad = np.flatnonzero(coeffs["signal"] >= n_vars)
    if bad.size:
        raise ZkeyFormatError(f"{what}: coefficient {bad[0]} names signal {coeffs['signal'][bad[0]]} of {n_vars}")
    bad = _first_not_below(coeffs["value"], FR)
    if bad >= 0:
        raise ZkeyFormatError(f"{what}: coefficient {bad} is not below r")


def _parse_mpc(raw: bytes, what: str):
    view = np.frombuffer(raw, dtype=np.uint8)
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(raw):
            raise ZkeyFormatError(f"{what}: section 10 (contributions) is truncated")
        pos += n
        return raw[pos - n:pos]

    cs_hash = take(64)
    count = struct.unpack("<I", take(4))[0]
    out = []
    for i in range(count):
        label = f"contribution {i + 1}"
        start = pos
        take(3 * G1_BYTES + G2_BYTES)
        delta_after = _g1(view[start:start + 64], what, f"{label} deltaAfter")
        g1_s = _g1(view[start + 64:start + 128], what, f"{label} g1_s")
        g1_sx = _g1(view[start + 128:start + 192], what, f"{label} g1_sx")
        g2_spx = _g2(view[start + 192:start + 320], what, f"{label} g2_spx")
        transcript = take(64)
        kind, length = struct.unpack("<II", take(8))
        params = take(length)
        c = Contribution(delta_after, g1_s, g1_sx, g2_spx, transcript, kind)
        _parse_params(c, params, what, label)
        out.append(c)
    if pos != len(raw):
        raise ZkeyFormatError(f"{what}: section 10 (contributions) has {len(raw) - pos} unexpected bytes")
    return cs_hash, out


def _parse_params(c: Contribution, params: bytes, what: str, label: str) -> None:
    pos, last = 0, 0
    while pos < len(params):
        kind = params[pos]
        if kind <= last:
            raise ZkeyFormatError(f"{what}: {label} parameters are not sorted")
        last = kind
        if kind in (1, 3):
            if pos + 2 > len(params) or pos + 2 + params[pos + 1] > len(params):
                raise ZkeyFormatError(f"{what}: {label} parameters are truncated")
            value = params[pos + 2:pos + 2 + params[pos + 1]]
            pos += 2 + params[pos + 1]
            if kind == 1:
                c.name = value.decode("utf-8", errors="replace")
            else:
                c.beacon_hash = value
        elif kind == 2:
            if pos + 2 > len(params):
                raise ZkeyFormatError(f"{what}: {label} parameters are truncated")
            c.num_iterations_exp = params[pos + 1]
            pos += 2
        else:
            raise ZkeyFormatError(f"{what}: {label} has an unknown parameter {kind}")
    if c.kind not in (CONTRIBUTION, BEACON):
        raise ZkeyFormatError(f"{what}: {label} has unknown type {c.kind}")
    if c.kind == BEACON and (c.beacon_hash is None or c.num_iterations_exp is None):
        raise ZkeyFormatError(f"{what}: {label} is a beacon without its hash or iteration count")


# ---------------------------------------------------------------------------------------------
# Writing


def g1_bytes_lem(points) -> bytes:
    return np.ascontiguousarray(g1_to_array(points), dtype="<u8").tobytes()


def g2_bytes_lem(points) -> bytes:
    return np.ascontiguousarray(g2_to_array(points), dtype="<u8").tobytes()


def header_bytes(z: Zkey) -> bytes:
    return b"".join([
        struct.pack("<I", N8), P.to_bytes(N8, "little"), struct.pack("<I", N8), R.to_bytes(N8, "little"),
        struct.pack("<III", z.n_vars, z.n_public, z.domain_size),
        g1_bytes_lem([z.alpha_g1, z.beta_g1]), g2_bytes_lem([z.beta_g2, z.gamma_g2]),
        g1_bytes_lem([z.delta_g1]), g2_bytes_lem([z.delta_g2]),
    ])


def contribution_bytes(c: Contribution) -> bytes:
    params = b""
    if c.name:
        name = c.name[:64].encode("utf-8")  # snarkjs truncates to 64 UTF-16 units, then encodes
        params += bytes([1, len(name)]) + name
    if c.kind == BEACON:
        params += bytes([2, c.num_iterations_exp, 3, len(c.beacon_hash)]) + c.beacon_hash
    return b"".join([g1_bytes_lem([c.delta_after, c.g1_s, c.g1_sx]), g2_bytes_lem([c.g2_spx]), c.transcript,
                     struct.pack("<II", c.kind, len(params)), params])


def mpc_bytes(z: Zkey) -> bytes:
    return z.cs_hash + struct.pack("<I", len(z.contributions)) + b"".join(map(contribution_bytes, z.contributions))


def _section_payloads(z: Zkey) -> dict:
    return {
        1: struct.pack("<I", GROTH16),
        2: header_bytes(z),
        3: z.ic,
        4: (struct.pack("<I", z.coeffs.shape[0]), z.coeffs),
        5: z.a, 6: z.b1, 7: z.b2, 8: z.c, 9: z.h,
        10: mpc_bytes(z),
    }


def _chunks(payload):
    if isinstance(payload, tuple):
        for part in payload:
            yield from _chunks(part)
    elif isinstance(payload, np.ndarray):
        yield memoryview(np.ascontiguousarray(payload)).cast("B")
    else:
        yield payload


def write_zkey(z: Zkey, path, *, order=ID_ORDER, mode: int = 0o644) -> None:
    """Write atomically (temporary file in the same directory + rename), sections in ``order``
    (``SETUP_ORDER`` for a key fresh from setup, as snarkjs writes it)."""
    payloads = _section_payloads(z)
    atomic_write(path, _container(MAGIC, [(k, payloads[k]) for k in order]), mode=mode)


def _container(magic: bytes, sections):
    yield magic + struct.pack("<II", VERSION, len(sections))
    for kind, payload in sections:
        parts = list(_chunks(payload))
        yield struct.pack("<IQ", kind, sum(len(p) if isinstance(p, bytes) else p.nbytes for p in parts))
        yield from parts


def zkey_bytes(z: Zkey, *, order=ID_ORDER) -> bytes:
    payloads = _section_payloads(z)
    return b"".join(bytes(c) for c in _container(MAGIC, [(k, payloads[k]) for k in order]))


# ---------------------------------------------------------------------------------------------
# Proving keys: a .zkey as zk's ProvingKey and back


def _one_twice_montgomery() -> np.ndarray:
    return field_arrays.ints_to_raw([pow(2, 512, R)])[0]


def matrices(z: Zkey):
    """The A and B matrices of a .zkey as :class:`zk.groth16.qap.R1CSMatrices` (C = None), the
    public-input rows that snarkjs appends to A split off again so that the key works with the
    prover's own ``a_with_public_rows``. A key whose A lacks those rows would let public inputs
    be combined freely: it is refused."""
    from zk.groth16.qap import Matrix, R1CSMatrices

    co = z.coeffs
    is_a = co["matrix"] == 0
    rows = co["constraint"].astype(np.int64)
    n_public = z.n_public
    a_rows = rows[is_a]
    first = (int(a_rows.max()) if a_rows.size else -1) - n_public
    public = rows >= first
    tail = co[public]
    expected_signals = np.arange(n_public + 1)
    ok = (first >= 0 and tail.shape[0] == n_public + 1 and bool((tail["matrix"] == 0).all())
          and bool((np.sort(tail["constraint"].astype(np.int64)) - first == expected_signals).all())
          and bool((tail["constraint"].astype(np.int64) - first == tail["signal"]).all())
          and bool((tail["value"] == _one_twice_montgomery()).all()))
    if not ok:
        raise ZkeyFormatError("the zkey's A matrix lacks the public-input rows snarkjs's setup adds "
                              "(without them public inputs are not independent)")
    values = np.empty((co.shape[0], 4), dtype=np.uint64)
    field_arrays.from_montgomery_rows(FR, np.ascontiguousarray(co["value"]), values)  # v*R^2 -> v*R
    keep = ~public
    mats = []
    for m in (0, 1):
        sel = keep & (co["matrix"] == m)
        mats.append(Matrix(rows[sel], co["signal"][sel].astype(np.int64), np.ascontiguousarray(values[sel])))
    out = R1CSMatrices(z.n_vars, n_public, first, mats[0], mats[1], None)
    out.validate()
    if out.domain_size != z.domain_size:
        raise ZkeyFormatError(f"the zkey's domain size {z.domain_size} does not fit its {first} constraints "
                              f"and {n_public} public signals (expected {out.domain_size})")
    return out


def verifying_key(z: Zkey, *, insecure_dev_key: bool = False):
    from zk.groth16.keys import VerifyingKey

    return VerifyingKey(z.alpha_g1, z.beta_g2, z.gamma_g2, z.delta_g2, tuple(g1_from_array(z.ic)),
                        allow_degenerate=insecure_dev_key)


def to_proving_key(z: Zkey, *, insecure_dev_key: bool = False):
    """A :class:`zk.groth16.ProvingKey` proving straight from the .zkey's arrays. It has no C
    matrix, so the prover cannot check the witness: verify the proof (or check the witness
    against the circuit's .r1cs) before trusting it. Refuses a key without a phase-2
    contribution (gamma = delta: anyone can forge proofs) unless ``insecure_dev_key``."""
    from zk.groth16.data import InvalidKey
    from zk.groth16.keys import ProvingKey

    if not z.has_contribution and not insecure_dev_key:
        raise InvalidKey("the zkey has no phase-2 contribution (delta = gamma): proofs made with it can be forged "
                         "by anyone; contribute first (zk zkey contribute), or pass --insecure-dev-key for tests")
    if z.a is None:
        raise ValueError("the zkey was read without its point sections")
    pk = ProvingKey(verifying_key(z, insecure_dev_key=insecure_dev_key), z.beta_g1, z.delta_g1,
                    z.a, z.b1, z.b2, z.c, z.h, matrices(z))
    pk.validate(deep=False)
    return pk


def coefficient_records(mats) -> np.ndarray:
    """The section-4 records of A and B (with A's public-input rows), in snarkjs's order: by
    constraint, A before B within one (each matrix's own order kept), then the public rows.
    Written once into their final places: at 2^20 the records are 176 MiB, and sorting a
    concatenation would hold three copies of them."""
    n_extra = mats.n_public + 1
    keys = np.concatenate([mats.a.rows * 2, mats.b.rows * 2 + 1])
    place = np.empty_like(keys)
    place[np.argsort(keys, kind="stable")] = np.arange(keys.shape[0])
    del keys
    out = np.empty(place.shape[0] + n_extra, dtype=COEF_DTYPE)
    start = 0
    for m, mat in ((0, mats.a), (1, mats.b)):
        at = place[start:start + mat.nnz]
        start += mat.nnz
        out["matrix"][at] = m
        out["constraint"][at] = mat.rows
        out["signal"][at] = mat.cols
        twice = np.empty_like(mat.coeffs)
        field_arrays.to_montgomery_rows(FR, np.ascontiguousarray(mat.coeffs), twice)  # v*R -> v*R^2
        out["value"][at] = twice
        del twice
    extra = out[place.shape[0]:]
    extra["matrix"] = 0
    extra["constraint"] = mats.n_constraints + np.arange(n_extra)
    extra["signal"] = np.arange(n_extra)
    extra["value"] = _one_twice_montgomery()
    return out


def from_proving_key(pk) -> Zkey:
    """A .zkey holding one of zk's proving keys (a single-party setup: no contributions; the
    circuit hash is BLAKE2b over the key's sections, since the powers of tau it would cover in a
    snarkjs setup do not exist here)."""
    import hashlib

    vk = pk.vk
    z = Zkey(pk.n_wires, pk.n_public, pk.domain_size, vk.alpha_g1, pk.beta_g1, vk.beta_g2, vk.gamma_g2,
             pk.delta_g1, vk.delta_g2, g1_to_array(vk.ic), coefficient_records(pk.matrices),
             pk.a_query, pk.b_g1_query, pk.b_g2_query, pk.l_query, pk.h_query)
    h = hashlib.blake2b(digest_size=64)
    for chunk in _container(MAGIC, [(k, v) for k, v in _section_payloads(z).items() if k != 10]):
        h.update(chunk)
    z.cs_hash = h.digest()
    return z


def _sorted_nonzero(records: np.ndarray) -> np.ndarray:
    keep = records["value"].any(axis=1)
    records = records[keep]
    key = np.lexsort((records["signal"], records["matrix"], records["constraint"]))
    return records[key]


def to_proving_key_with_r1cs(z: Zkey, cs, *, insecure_dev_key: bool = False):
    """Like :func:`to_proving_key`, with the C matrix from the circuit (so the prover checks the
    witness and zk's key file can hold it). The circuit's A and B must be the zkey's."""
    from dataclasses import replace

    from zk.groth16.qap import from_constraint_system

    pk = to_proving_key(z, insecure_dev_key=insecure_dev_key)
    mats = from_constraint_system(cs)
    if (mats.n_wires, mats.n_public) != (z.n_vars, z.n_public):
        raise ZkeyFormatError(f"the circuit has {mats.n_wires} signals and {mats.n_public} public, the zkey "
                              f"{z.n_vars} and {z.n_public}")
    if _sorted_nonzero(coefficient_records(mats)).tobytes() != _sorted_nonzero(z.coeffs).tobytes():
        raise ZkeyFormatError("the circuit's A and B matrices are not the zkey's: the zkey was made for another circuit")
    return replace(pk, matrices=mats)
