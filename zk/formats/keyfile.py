"""The proving-key file (``.pk``): numpy limb arrays behind one checked header, so that loading a
key costs one read, one SHA-256 and no parsing of points.

Layout (little-endian):

    offset  size  field
    0       8     magic b"ZKG16PK\\0"
    8       4     format version (u32, currently 1)
    12      4     header length H (u32)
    16      8     body length N (u64)
    24      32    SHA-256 of header || body
    56      H     header: UTF-8 JSON {sizes, arrays: [{name, dtype, shape, offset}]}, space-padded
                  so that the body starts on a 64-byte boundary
    56 + H  N     body: the arrays, each at a 64-byte aligned offset from the body start

Points are affine, coordinates in Montgomery form (R = 2^256) exactly as the kernels use them,
infinity as an all-zero row; matrices are COO (int64 rows, int64 cols, Montgomery Fr
coefficients). The checksum catches truncation and corruption on every load; the key is then
checked like any other (:meth:`ProvingKey.validate`: sizes, canonical coordinates, curve
membership, delta != gamma, no degenerate points, [beta]_1/[delta]_1 consistent with the G2
side).

Validated once. The point checks cost far more than the proof at small sizes (every point,
several kernels, a pairing), so :func:`load` runs them the first time this user loads a given
content and records its SHA-256 (the one in the file, recomputed over the bytes on every load)
in a per-user directory (:func:`validated_keys_dir`). A later load of a file with a recorded
digest checks the checksum and the structure (sizes, shapes, matrix indices in range, the
degenerate-key rule) and skips the point checks. What each part defends against:

- a flipped byte, a truncated or half-copied file: the SHA-256 of the whole content, every load
  (about 28 ms for the 40 MB key of 2^16 constraints with the CPU's SHA instructions);
- a key someone else made or changed (off-curve points, a twist point outside G2, beta/delta
  that do not match), even with a recomputed checksum: its digest was never recorded, so it gets
  the full validation; a collision with a recorded digest would need a SHA-256 collision;
- the record directory: ignored unless it is a directory owned by this user and not writable by
  group or others (whoever can write there could also replace zk itself).

``deep=True`` (``zk prove --check``) validates fully whatever the records say.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
from pathlib import Path

import numpy as np

from zk._mapped import HashedMapping, checksum_chunks, release_pages
from zk._paths import user_cache_dir
from zk.curve import g1_from_array, g1_to_array, g2_from_array, g2_to_array

from zk.formats.atomic import atomic_write
from zk.formats.binio import BoundedReader
from zk.formats.jsonio import parse_json
from zk.groth16 import Groth16Error, InvalidKey, Matrix, ProvingKey, QAPError, R1CSMatrices, VerifyingKey

MAGIC = b"ZKG16PK\x00"
VERSION = 1
_PREFIX = struct.Struct("<8sIIQ32s")
ALIGN = 64
_DTYPES = {"u8": np.uint64, "i8": np.int64}


class KeyFileError(Groth16Error):
    """A proving-key file that cannot be loaded: not a key, another version, truncated, corrupted."""


def _arrays(pk: ProvingKey) -> dict[str, np.ndarray]:
    vk = pk.vk
    m = pk.matrices
    out = {
        "g1_fixed": g1_to_array([vk.alpha_g1, pk.beta_g1, pk.delta_g1]),
        "g2_fixed": g2_to_array([vk.beta_g2, vk.gamma_g2, vk.delta_g2]),
        "ic": g1_to_array(vk.ic),
        "a_query": pk.a_query,
        "b_g1_query": pk.b_g1_query,
        "b_g2_query": pk.b_g2_query,
        "l_query": pk.l_query,
        "h_query": pk.h_query,
    }
    for name, mat in (("a", m.a), ("b", m.b), ("c", m.c)):
        out[f"{name}_rows"] = mat.rows
        out[f"{name}_cols"] = mat.cols
        out[f"{name}_coeffs"] = mat.coeffs
    return out


def _dtype_code(arr: np.ndarray) -> str:
    if arr.dtype == np.uint64:
        return "u8"
    if arr.dtype == np.int64:
        return "i8"
    raise TypeError(f"unexpected array dtype {arr.dtype}")


def pieces(magic: bytes, fields: dict, arrays: dict[str, np.ndarray]) -> list:
    """The container of this module's layout, in order: the prefix, the JSON header (``fields``
    and the array directory), then the body's padding and arrays, each array a byte view of its
    own memory. The SHA-256 is taken over those views in place: the file is never built as one
    object (that copy, 2.3 times the key, was `zk setup`'s peak memory; docs/bench.md)."""
    entries, body, offset = [], [], 0
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        pad = -offset % ALIGN
        if pad:
            body.append(bytes(pad))
            offset += pad
        entries.append({"name": name, "dtype": _dtype_code(arr), "shape": list(arr.shape), "offset": offset})
        data = memoryview(arr.reshape(-1).view(np.uint8))
        body.append(data)
        offset += data.nbytes
    header = json.dumps({**fields, "arrays": entries}, separators=(",", ":")).encode()
    header += b" " * (-(_PREFIX.size + len(header)) % ALIGN)
    digest = hashlib.sha256(header)
    for piece in body:
        digest.update(piece)
    return [_PREFIX.pack(magic, VERSION, len(header), offset, digest.digest()), header, *body]


def pack(magic: bytes, fields: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """:func:`pieces` as one ``bytes``. Shared with the key-shard files (:mod:`zk.formats.keyshard`)."""
    return b"".join(pieces(magic, fields, arrays))


def _key_pieces(pk: ProvingKey) -> list:
    m = pk.matrices
    return pieces(MAGIC, {"n_wires": m.n_wires, "n_public": m.n_public, "n_constraints": m.n_constraints,
                          "domain_size": m.domain_size}, _arrays(pk))


def key_bytes(pk: ProvingKey) -> bytes:
    return b"".join(_key_pieces(pk))


def save(pk: ProvingKey, path) -> None:
    """Write atomically (temporary file + rename): an interrupted save leaves no half key. The
    arrays go to the file straight from the key's memory (:func:`pieces`)."""
    atomic_write(path, _key_pieces(pk))


def _aligned_buffer(size: int) -> np.ndarray:
    raw = np.empty(size + ALIGN, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGN
    return raw[start : start + size]


def read_buffer(path, what: str, *, mmap: bool = False) -> np.ndarray:
    """A file's bytes as a uint8 array, 64-byte aligned: read into memory, or memory-mapped
    (copy-on-write and never written, so processes on one machine share the pages of one file)."""
    name = os.fspath(path)
    try:
        if mmap:
            if os.path.getsize(path) == 0:
                return np.zeros(0, dtype=np.uint8)
            # A plain ndarray view: numba and the rest treat np.memmap like any array then.
            return np.memmap(path, dtype=np.uint8, mode="c").view(np.ndarray)
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            buf = _aligned_buffer(size)
            got = fh.readinto(memoryview(buf))
    except OSError as exc:
        raise KeyFileError(f"cannot read {what} {name!r}: {exc.strerror or exc}") from None
    if got != size:
        raise KeyFileError(f"{what} {name!r}: short read ({got} of {size} bytes)")
    return buf


def load(path, *, deep: bool | None = None, mmap: bool = False, mapped: HashedMapping | None = None) -> ProvingKey:
    """Read and check a key written by :func:`save`. Every problem is a :class:`KeyFileError`
    (file level) or :class:`InvalidKey` (a well-formed file holding an unusable key).

    ``deep``: True validates every point; False only the checksum and the structure (a caller
    that validated this key itself); None (the default) validates every point unless this
    content was fully validated before (see the module's notes), and records it when it passes.
    ``mmap``: map the file instead of reading it (no copy; a short-lived prover, or workers
    sharing one key's pages). A long-lived process should read: a mapped file overwritten in
    place under it would change (or, truncated, fault) under the process.
    ``mapped``: the file already mapped, its checksum under way in a thread (`zk prove` starts it
    before its imports); the key is read from that mapping and checked against that checksum
    (one it did not start at this layout's offset is recomputed here)."""
    if mapped is not None:
        data = np.frombuffer(mapped.buffer, dtype=np.uint8) if mapped.size else np.zeros(0, dtype=np.uint8)
        try:
            return parse(data, os.fspath(path), deep=deep, hashed=mapped)
        finally:
            mapped.wait()  # also when the key is refused before its checksum was needed
    return parse(read_buffer(path, "proving key", mmap=mmap), os.fspath(path), deep=deep)


CHECKSUM_START = _PREFIX.size  # the SHA-256 covers everything after the fixed prefix


# Bump when ProvingKey.validate checks more: records made under older rules stop counting.
VALIDATION_RULES = "pk1"


def validated_keys_dir() -> Path:
    """Where digests of fully validated keys are recorded: $ZK_VALIDATED_KEYS, else
    $XDG_CACHE_HOME/zk/validated-keys (~/.cache/zk/validated-keys)."""
    return user_cache_dir("validated-keys", "ZK_VALIDATED_KEYS")


def _private_dir(directory: Path) -> bool:
    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def was_validated(digest: bytes) -> bool:
    """Whether a key with this SHA-256 passed the full validation for this user before."""
    directory = validated_keys_dir()
    if not _private_dir(directory):
        return False
    try:
        info = os.lstat(directory / f"{VALIDATION_RULES}-{digest.hex()}")
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid()


def record_validated(digest: bytes) -> None:
    """Record that a key with this SHA-256 passed the full validation. Best effort: a home that
    cannot be written only costs the next load a full validation again."""
    directory = validated_keys_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private_dir(directory):
            return
        name = directory / f"{VALIDATION_RULES}-{digest.hex()}"
        tmp = directory / f".{name.name}.tmp-{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        os.replace(tmp, name)
    except OSError:
        pass


def _checksum(data: np.ndarray, start: int, hashed: HashedMapping | None = None) -> bytes:
    """SHA-256 of data[start:], a chunk at a time; a mapped file's chunks leave the resident set
    once hashed (zk._mapped), so checking a key does not leave all of it resident. ``hashed``:
    the mapping ``data`` views, whose thread computes the same digest (used when it hashes from
    ``start`` over all of ``data``)."""
    if hashed is not None and hashed.start == start and hashed.size == data.shape[0] \
            and (hashed.size == 0 or data.ctypes.data == np.frombuffer(hashed.buffer, dtype=np.uint8).ctypes.data):
        return hashed.digest()
    checksum = hashlib.sha256()
    for lo, hi in checksum_chunks(start, data.shape[0]):
        chunk = data[lo:hi]
        checksum.update(memoryview(chunk))
        release_pages(chunk)
    return checksum.digest()


def unpack(data, what: str, magic: bytes, noun: str, *, hashed: HashedMapping | None = None
           ) -> tuple[dict, dict[str, np.ndarray], bytes]:
    """(header, arrays, SHA-256 digest) of a container written by :func:`pack`, checked: magic,
    version, sizes, checksum, array bounds. ``noun`` names the kind of file in errors;
    ``hashed`` as in :func:`_checksum`."""
    if not isinstance(data, np.ndarray):
        raw = bytes(data)
        data = _aligned_buffer(len(raw))
        data[:] = np.frombuffer(raw, dtype=np.uint8)
    size = data.shape[0]
    if size < _PREFIX.size:
        if bytes(data[: len(magic)]) != magic[:size] or size == 0:
            raise KeyFileError(f"{what} is not a {noun} (bad magic)")
        raise KeyFileError(f"{what} is truncated: {size} bytes, the fixed header alone is {_PREFIX.size}")
    reader = BoundedReader(data, what, KeyFileError)
    got_magic, version, header_len, body_len, digest = _PREFIX.unpack(reader.take(_PREFIX.size))
    if got_magic != magic:
        raise KeyFileError(f"{what} is not a {noun} (bad magic {got_magic!r})")
    if version != VERSION:
        raise KeyFileError(f"{what} has format version {version}; this zk reads version {VERSION}")
    expected = _PREFIX.size + header_len + body_len
    if size < expected:
        raise KeyFileError(f"{what} is truncated: {size} bytes, its header announces {expected}")
    reader.count(header_len + body_len, 1, "bytes of header and body")
    if size > expected:
        raise KeyFileError(f"{what} has {size - expected} unexpected bytes after the {noun}")
    if _checksum(data, _PREFIX.size, hashed) != digest:
        raise KeyFileError(f"{what} is corrupted: its SHA-256 checksum does not match")
    body_start = _PREFIX.size + header_len
    try:
        header = parse_json(bytes(data[_PREFIX.size : body_start]))
        arrays = _read_arrays(header, data[body_start:], body_len, what)
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(f"{what} has a malformed header: {exc}") from None
    return header, arrays, digest


def header_count(value, name: str) -> int:
    """A count or offset from a container header: a JSON integer >= 0, nothing else. ``int()``
    would also take a decimal string, a float (silently truncated) or a bool."""
    if type(value) is not int or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r:.40}")
    return value


def parse(data, what: str = "proving key", *, deep: bool | None = True, hashed: HashedMapping | None = None) -> ProvingKey:
    """A key from a file's bytes; ``deep`` as in :func:`load` (here True by default)."""
    header, arrays, digest = unpack(data, what, MAGIC, "zk proving key", hashed=hashed)
    try:
        n_wires, n_public, n_constraints = (header_count(header[k], k) for k in ("n_wires", "n_public", "n_constraints"))
        domain_size = header_count(header["domain_size"], "domain_size") if "domain_size" in header else None
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(f"{what} has a malformed header: {exc}") from None
    trusted = deep is None and was_validated(digest)
    pk = _build(arrays, n_wires, n_public, n_constraints, domain_size, what,
                deep is not False and not trusted, trusted)
    if deep is not False and not trusted:
        record_validated(digest)
    return pk


def _read_arrays(header: dict, body: np.ndarray, body_len: int, what: str) -> dict[str, np.ndarray]:
    out = {}
    for entry in header["arrays"]:
        dtype = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
        shape = tuple(header_count(d, f"array {entry['name']!r} dimension") for d in entry["shape"])
        offset = header_count(entry["offset"], f"array {entry['name']!r} offset")
        if not offset <= body_len or offset % ALIGN:
            raise ValueError(f"array {entry['name']!r} has a bad shape or offset")
        # Python ints: a product of declared dimensions never wraps around as int64 would.
        items = 1
        for d in shape:
            items *= d
        region = BoundedReader(body, f"{what} array {entry['name']!r}", KeyFileError, offset, body_len)
        nbytes = region.count(items, dtype.itemsize, "values") * dtype.itemsize
        arr = body[offset : offset + nbytes].view(dtype).reshape(shape)
        out[entry["name"]] = arr if dtype.isnative else arr.astype(dtype.newbyteorder("="))
    return out


def _build(arrays, n_wires, n_public, n_constraints, domain_size, what, deep, trusted=False) -> ProvingKey:
    """``trusted``: this content passed the full validation before (its digest is recorded), so
    the points are not checked again; the structure and the degenerate-key rule are."""
    try:
        g1_fixed = arrays["g1_fixed"]
        g2_fixed = arrays["g2_fixed"]
        if g1_fixed.shape != (3, 2, 4) or g2_fixed.shape != (3, 2, 2, 4) or arrays["ic"].ndim != 3:
            raise InvalidKey(f"{what}: fixed point arrays have the wrong shape")
        alpha_g1, beta_g1, delta_g1 = g1_from_array(g1_fixed, check=not trusted)
        beta_g2, gamma_g2, delta_g2 = g2_from_array(g2_fixed, check=not trusted)
        ic = g1_from_array(arrays["ic"], check=not trusted)
        vk = VerifyingKey(alpha_g1, beta_g2, gamma_g2, delta_g2, tuple(ic), points_checked=trusted)
        mats = R1CSMatrices(n_wires, n_public, n_constraints,
                            *(Matrix(arrays[f"{m}_rows"], arrays[f"{m}_cols"], arrays[f"{m}_coeffs"]) for m in "abc"))
        if domain_size != mats.domain_size:
            raise InvalidKey(f"{what}: domain size {domain_size} does not fit {n_constraints} constraints and {n_public} public signals")
        pk = ProvingKey(vk, beta_g1, delta_g1, arrays["a_query"], arrays["b_g1_query"], arrays["b_g2_query"],
                        arrays["l_query"], arrays["h_query"], mats)
        pk.validate(deep=deep)
        return pk
    except KeyError as exc:
        raise KeyFileError(f"{what} lacks the array {exc}") from None
    except (InvalidKey, QAPError) as exc:
        raise InvalidKey(f"{what}: {exc}") from None
    except ValueError as exc:  # CurveError and shape errors from the array helpers
        raise InvalidKey(f"{what}: {exc}") from None
