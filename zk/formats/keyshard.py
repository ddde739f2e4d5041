"""A proving key split by rows: an index file plus N shard files, for proving one proof across
machines (:mod:`zk.distributed.sharded`) with no process holding all the key's points.

Both kinds of file use the proving-key file's container (:mod:`zk.formats.keyfile`: magic,
version, JSON header, 64-byte aligned arrays, SHA-256 of header and body), with their own magic:

- the index (``index.zkshards``, magic ``ZKSHIDX``): what the coordinator needs, which is no query
  point at all: [alpha]_1, [beta]_1, [delta]_1, [beta, gamma, delta]_2, IC, the constraint
  matrices; and per part its file name, its wire and H row ranges and the SHA-256 its shard's
  header states, plus the key id (SHA-256 of the source key file).
- a shard (``part-I-of-N.zkshard``, magic ``ZKSHARD``): one part's rows of a_query, b_g1_query,
  b_g2_query (wires [w0, w1)), l_query (the private wires among them) and h_query (rows
  [h0, h1)), with the key id and its position.

A shard is checked against the index when a worker loads it: the key id (a shard of another
key), the part and ranges (a shard put in another's place), its checksum and the digest the index
recorded (a corrupted or substituted shard), then every point (reduced, on its curve).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np

from zk.curve import g1_from_array, g1_to_array, g2_from_array, g2_to_array

from .keyfile import KeyFileError, header_count, pack, read_buffer, unpack
from .atomic import atomic_write

INDEX_MAGIC = b"ZKSHIDX\x00"
SHARD_MAGIC = b"ZKSHARD\x00"
INDEX_NAME = "index.zkshards"
MAX_PARTS = 4096


class ShardError(KeyFileError):
    """A shard set that cannot be used: a missing, corrupted or foreign shard, a bad index."""


@dataclass(frozen=True)
class Part:
    """One shard as the index describes it."""

    number: int  # 1-based
    path: str
    wires: tuple[int, int]
    h_rows: tuple[int, int]
    digest: bytes  # the SHA-256 in the shard's own header


@dataclass
class ShardIndex:
    key_id: str
    matrices: object  # zk.groth16.R1CSMatrices (C is None for a key from a .zkey)
    vk: object
    beta_g1: object
    delta_g1: object
    parts: list[Part]

    @property
    def n_public(self) -> int:
        return self.matrices.n_public


@dataclass
class Shard:
    """One part's rows of the query arrays, checked."""

    part: Part
    a: np.ndarray
    b1: np.ndarray
    b2: np.ndarray
    l: np.ndarray
    h: np.ndarray

    def l_wires(self, n_public: int) -> tuple[int, int]:
        """The wire range whose values scale this shard's l_query rows (private wires only)."""
        lo, hi = self.part.wires
        return max(lo, n_public + 1), max(hi, n_public + 1)


def split_rows(count: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` consecutive ranges covering [0, count), sizes differing by at most one."""
    bounds = [count * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def file_digest(path) -> str:
    """SHA-256 of a whole file (the key id), read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def write_shards(pk, key_id: str, out_dir, parts: int) -> str:
    """Split ``pk`` (a zk.groth16.ProvingKey, its arrays possibly memory-mapped) into ``parts``
    shard files and an index in ``out_dir``; returns the index path. The index is written last:
    a directory with an index holds a complete set."""
    if not 1 <= parts <= MAX_PARTS:
        raise ValueError(f"the number of parts must be between 1 and {MAX_PARTS}")
    m = pk.matrices
    if parts > m.n_wires:
        raise ValueError(f"{parts} parts for a key of {m.n_wires} wires: at most one part per wire")
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    n_public = m.n_public
    records = []
    for number, ((w0, w1), (h0, h1)) in enumerate(zip(split_rows(m.n_wires, parts), split_rows(m.domain_size, parts)), 1):
        l0, l1 = max(w0, n_public + 1) - n_public - 1, max(w1, n_public + 1) - n_public - 1
        name = f"part-{number}-of-{parts}.zkshard"
        data = pack(SHARD_MAGIC, {"key_id": key_id, "part": number, "parts": parts, "n_public": n_public,
                                  "wires": [w0, w1], "h_rows": [h0, h1]},
                    {"a_query": pk.a_query[w0:w1], "b_g1_query": pk.b_g1_query[w0:w1],
                     "b_g2_query": pk.b_g2_query[w0:w1], "l_query": pk.l_query[l0:l1], "h_query": pk.h_query[h0:h1]})
        atomic_write(os.path.join(out_dir, name), [data])
        records.append({"file": name, "wires": [w0, w1], "h_rows": [h0, h1], "sha256": data[24:56].hex()})
    vk = pk.vk
    arrays = {"g1_fixed": g1_to_array([vk.alpha_g1, pk.beta_g1, pk.delta_g1]),
              "g2_fixed": g2_to_array([vk.beta_g2, vk.gamma_g2, vk.delta_g2]), "ic": g1_to_array(vk.ic)}
    for name in "abc":
        mat = getattr(m, name)
        if mat is not None:
            arrays.update({f"{name}_rows": mat.rows, f"{name}_cols": mat.cols, f"{name}_coeffs": mat.coeffs})
    index = os.path.join(out_dir, INDEX_NAME)
    atomic_write(index, [pack(INDEX_MAGIC, {"key_id": key_id, "n_wires": m.n_wires, "n_public": n_public,
                                            "n_constraints": m.n_constraints, "domain_size": m.domain_size,
                                            "parts": records}, arrays)])
    return index


def _range(value, what: str) -> tuple[int, int]:
    lo, hi = (header_count(v, f"{what} bound") for v in value)
    if not lo <= hi:
        raise ValueError(f"{what} range {value!r} is not an interval")
    return lo, hi


def read_index(path) -> ShardIndex:
    """The index of a shard set, checked: its own checksum, a sound verifying key, [beta]_1 and
    [delta]_1 matching it, valid matrices, and parts that tile the wires and H rows exactly."""
    from zk.groth16 import InvalidKey, QAPError
    from zk.groth16.keys import VerifyingKey, check_g1_side
    from zk.groth16.qap import Matrix, R1CSMatrices

    what = f"shard index {os.fspath(path)!r}"
    header, arrays, _digest = unpack(read_buffer(path, "shard index"), what, INDEX_MAGIC, "zk shard index")
    base = os.path.dirname(os.path.abspath(os.fspath(path)))
    try:
        key_id = str(header["key_id"])
        n_wires, n_public, n_constraints = (header_count(header[k], k) for k in ("n_wires", "n_public", "n_constraints"))
        parts = []
        for number, rec in enumerate(header["parts"], 1):
            name = str(rec["file"])
            if os.path.basename(name) != name or name.startswith("."):
                raise ValueError(f"part {number} names {name!r}, not a file beside the index")
            digest = bytes.fromhex(rec["sha256"])
            if len(digest) != 32:
                raise ValueError(f"part {number} has a bad digest")
            parts.append(Part(number, os.path.join(base, name), _range(rec["wires"], "wire"),
                              _range(rec["h_rows"], "H row"), digest))
        g1 = g1_from_array(arrays["g1_fixed"], check=True)
        g2 = g2_from_array(arrays["g2_fixed"], check=True)
        vk = VerifyingKey(g1[0], g2[0], g2[1], g2[2], tuple(g1_from_array(arrays["ic"], check=True)))
        mats = R1CSMatrices(n_wires, n_public, n_constraints,
                            *(Matrix(arrays[f"{m}_rows"], arrays[f"{m}_cols"], arrays[f"{m}_coeffs"])
                              if f"{m}_rows" in arrays else None for m in "abc"))
        if mats.a is None or mats.b is None:
            raise ValueError("the A and B matrices are missing")
        mats.validate()
        if header_count(header["domain_size"], "domain_size") != mats.domain_size:
            raise ValueError(f"domain size {header['domain_size']} does not fit {n_constraints} constraints")
        if vk.n_public != n_public:
            raise ValueError(f"the verifying key has {vk.n_public} public inputs, the circuit {n_public}")
        check_g1_side(vk, g1[1], g1[2])
    except (InvalidKey, QAPError) as exc:
        raise ShardError(f"{what}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:  # CurveError is a ValueError
        raise ShardError(f"{what} is malformed: {exc}") from None
    for (covers, size, name) in (([p.wires for p in parts], n_wires, "wires"),
                                 ([p.h_rows for p in parts], mats.domain_size, "H rows")):
        ends = [0] + [hi for _, hi in covers]
        if not parts or [lo for lo, _ in covers] != ends[:-1] or ends[-1] != size:
            raise ShardError(f"{what}: its parts do not cover the {size} {name} exactly once")
    return ShardIndex(key_id, mats, vk, g1[1], g1[2], parts)


def peek_shard(part: Part, key_id: str) -> None:
    """Cheap checks a coordinator can make on a shard it can see (prefix and header only): the
    file exists, is a shard of this key, in this place. Its points are the worker's to check."""
    what = f"shard {part.number} ({part.path})"
    try:
        with open(part.path, "rb") as fh:
            head = fh.read(1 << 16)
    except FileNotFoundError:
        raise ShardError(f"{what} is missing") from None
    except OSError as exc:
        raise ShardError(f"cannot read {what}: {exc.strerror or exc}") from None
    import json
    import struct

    if len(head) < 56 or head[:8] != SHARD_MAGIC:
        raise ShardError(f"{what} is not a zk key shard")
    (header_len,) = struct.unpack_from("<I", head, 12)
    if head[24:56] != part.digest:
        try:
            header = json.loads(head[56 : 56 + header_len])
            other = header.get("key_id")
        except (ValueError, AttributeError):
            other = None
        if other is not None and other != key_id:
            raise ShardError(f"{what} belongs to another key (key id {str(other)[:16]}..., the index's is {key_id[:16]}...)")
        raise ShardError(f"{what} is not the shard the index recorded (its SHA-256 differs): replaced or corrupted")


def read_shard(part: Part, key_id: str, *, mmap: bool = True) -> Shard:
    """A shard, memory-mapped, checked against its index entry and key id, every point checked."""
    from zk.groth16 import InvalidKey
    from zk.groth16.keys import check_query_points

    what = f"shard {part.number} ({part.path})"
    if not os.path.exists(part.path):
        raise ShardError(f"{what} is missing")
    try:
        header, arrays, digest = unpack(read_buffer(part.path, "shard", mmap=mmap), what, SHARD_MAGIC, "zk key shard")
    except KeyFileError as exc:
        raise ShardError(str(exc)) from None
    if header.get("key_id") != key_id:
        raise ShardError(f"{what} belongs to another key (key id {str(header.get('key_id'))[:16]}..., "
                         f"the index's is {key_id[:16]}...)")
    if digest != part.digest:
        raise ShardError(f"{what} is not the shard the index recorded (its SHA-256 differs)")
    try:
        if (header_count(header["part"], "part"), _range(header["wires"], "wire"), _range(header["h_rows"], "H row")) != \
                (part.number, part.wires, part.h_rows):
            raise ShardError(f"{what} holds another part's rows")
        n_public = header_count(header["n_public"], "n_public")
        w0, w1 = part.wires
        h0, h1 = part.h_rows
        l0, l1 = max(w0, n_public + 1) - n_public - 1, max(w1, n_public + 1) - n_public - 1
        shapes = {"a_query": (w1 - w0, 2, 4), "b_g1_query": (w1 - w0, 2, 4), "b_g2_query": (w1 - w0, 2, 2, 4),
                  "l_query": (l1 - l0, 2, 4), "h_query": (h1 - h0, 2, 4)}
        for name, shape in shapes.items():
            arr = arrays[name]
            if arr.dtype != np.uint64 or arr.shape != shape:
                raise ShardError(f"{what}: {name} has shape {arr.shape}, expected {shape}")
            check_query_points(arr, f"{what} {name}", g2=name == "b_g2_query", finite=name == "h_query")
    except InvalidKey as exc:
        raise ShardError(str(exc)) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ShardError(f"{what} has a malformed header: {exc}") from None
    return Shard(part, arrays["a_query"], arrays["b_g1_query"], arrays["b_g2_query"], arrays["l_query"], arrays["h_query"])
