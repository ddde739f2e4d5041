"""The proving-key file: round trip, and every way a file can be broken gives a clear error."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from zk._mapped import HashedMapping
from zk.formats import keyfile
from zk.groth16 import prove, setup, verify
from zk.formats.keyfile import KeyFileError
from zk.r1cs import Circuit, Private, Public, compile


class Sum3(Circuit):
    x = Public()
    a = Private(3)

    def define(self, api):
        api.assert_equal(api.mul(api.add(*self.a), self.a[0]), self.x)


@pytest.fixture(scope="module")
def keys():
    cs = compile(Sum3)
    pk, vk = setup(cs)
    return cs, pk, vk, keyfile.key_bytes(pk)


def _load_hashed_in_background(path, **kwargs):
    """As `zk prove` loads: mapped, the checksum computed by a thread started beforehand."""
    return keyfile.load(path, mapped=HashedMapping(path, keyfile.CHECKSUM_START), **kwargs)


LOADERS = {"read": keyfile.load, "mapped": lambda path, **kw: keyfile.load(path, mmap=True, **kw),
           "hashed in background": _load_hashed_in_background}


@pytest.fixture(params=sorted(LOADERS))
def load_key(request):
    return LOADERS[request.param]


def test_round_trip(keys, tmp_path):
    cs, pk, vk, data = keys
    path = tmp_path / "k.pk"
    keyfile.save(pk, path)
    assert path.read_bytes() == data
    loaded = keyfile.load(path)
    for name in ("a_query", "b_g1_query", "b_g2_query", "l_query", "h_query"):
        assert np.array_equal(getattr(loaded, name), getattr(pk, name))
        assert getattr(loaded, name).flags.writeable and getattr(loaded, name).flags.aligned
    assert loaded.vk == vk and loaded.beta_g1 == pk.beta_g1 and loaded.delta_g1 == pk.delta_g1
    for m in "abc":
        got, want = getattr(loaded.matrices, m), getattr(pk.matrices, m)
        assert np.array_equal(got.rows, want.rows) and np.array_equal(got.coeffs, want.coeffs)
    witness = cs.solve({"a": [1, 2, 3], "x": 6})
    proof, public = prove(loaded, witness)
    assert verify(vk, public, proof)
    assert keyfile.key_bytes(loaded) == data


def test_layout(keys):
    data = keys[3]
    magic, version, header_len, body_len, _ = struct.unpack("<8sIIQ32s", data[:56])
    assert magic == b"ZKG16PK\x00" and version == 1
    assert (56 + header_len) % 64 == 0
    assert len(data) == 56 + header_len + body_len


def _concatenated(magic: bytes, fields: dict, arrays: dict) -> bytes:
    """The layout built the plain way (each array copied by tobytes, the body joined, hashed, then
    prefixed): what keyfile wrote before it streamed the arrays from memory."""
    import hashlib
    import json

    entries, chunks, offset = [], [], 0
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        chunks.append(bytes(-offset % 64))
        offset += -offset % 64
        entries.append({"name": name, "dtype": {"uint64": "u8", "int64": "i8"}[arr.dtype.name],
                        "shape": list(arr.shape), "offset": offset})
        chunks.append(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
        offset += len(chunks[-1])
    body = b"".join(chunks)
    header = json.dumps({**fields, "arrays": entries}, separators=(",", ":")).encode()
    header += b" " * (-(56 + len(header)) % 64)
    return struct.pack("<8sIIQ32s", magic, 1, len(header), len(body), hashlib.sha256(header + body).digest()) + header + body


def test_streamed_save_writes_the_concatenated_layout(keys, tmp_path):
    _, pk, _, data = keys
    m = pk.matrices
    fields = {"n_wires": m.n_wires, "n_public": m.n_public, "n_constraints": m.n_constraints, "domain_size": m.domain_size}
    assert data == _concatenated(keyfile.MAGIC, fields, keyfile._arrays(pk))
    keyfile.save(pk, tmp_path / "k.pk")
    assert (tmp_path / "k.pk").read_bytes() == data
    # Arrays the key's own never are: strided, big-endian, empty, odd lengths that need padding.
    base = np.arange(60, dtype=np.uint64).reshape(6, 10)
    arrays = {"strided": base[::2, 1::3], "big_endian": np.arange(7, dtype=">i8") - 3,
              "empty": np.zeros((0, 4), dtype=np.uint64), "odd": np.arange(3, dtype=np.int64)}
    assert keyfile.pack(b"TESTPK\x00\x00", {"k": 1}, arrays) == _concatenated(b"TESTPK\x00\x00", {"k": 1}, arrays)


@pytest.mark.parametrize("cut", [0, 4, 30, 55, 56, 100, -1000, -1])
def test_truncated_file(keys, tmp_path, cut, load_key):
    data = keys[3]
    path = tmp_path / "t.pk"
    path.write_bytes(data[:cut] if cut else b"")
    with pytest.raises(KeyFileError, match="truncated|not a zk proving key"):
        load_key(path)


@pytest.mark.parametrize("where", ["header", "body_start", "body_middle", "last_byte", "checksum"])
def test_corrupted_file(keys, tmp_path, where, load_key):
    data = bytearray(keys[3])
    header_len = struct.unpack("<I", data[12:16])[0]
    index = {
        "header": 60,
        "body_start": 56 + header_len,
        "body_middle": 56 + header_len + (len(data) - 56 - header_len) // 2,
        "last_byte": len(data) - 1,
        "checksum": 30,
    }[where]
    data[index] ^= 0x40
    path = tmp_path / "c.pk"
    path.write_bytes(bytes(data))
    with pytest.raises(KeyFileError, match="corrupted"):
        load_key(path)


def test_wrong_magic_version_and_trailing_bytes(keys, tmp_path, load_key):
    data = keys[3]
    path = tmp_path / "m.pk"
    path.write_bytes(b"ZKEY" + data[4:])
    with pytest.raises(KeyFileError, match="not a zk proving key"):
        load_key(path)
    path.write_bytes(data[:8] + struct.pack("<I", 2) + data[12:])
    with pytest.raises(KeyFileError, match="version 2"):
        load_key(path)
    path.write_bytes(data + b"\0")
    with pytest.raises(KeyFileError, match="unexpected bytes"):
        load_key(path)
    path.write_text('{"protocol": "groth16"}')
    with pytest.raises(KeyFileError, match="not a zk proving key"):
        load_key(path)


def test_missing_file(tmp_path):
    with pytest.raises(KeyFileError, match="cannot read"):
        keyfile.load(tmp_path / "absent.pk")
    with pytest.raises(KeyFileError, match="cannot read"):
        keyfile.load(tmp_path)


def test_malformed_header_with_valid_checksum(keys, tmp_path):
    import hashlib

    data = bytearray(keys[3])
    header_len = struct.unpack("<I", data[12:16])[0]
    header = bytes(data[56 : 56 + header_len])
    for bad in (header.replace(b'"n_wires"', b'"n_wirez"'), b"{" + header[1:].replace(b"{", b"[", 1),
                header.replace(b'"offset":0', b'"offset":3')):
        patched = bytearray(data[:56] + bad.ljust(header_len)[:header_len] + data[56 + header_len :])
        patched[24:56] = hashlib.sha256(bytes(patched[56:])).digest()
        path = tmp_path / "h.pk"
        path.write_bytes(bytes(patched))
        with pytest.raises(KeyFileError, match="malformed header|lacks"):
            keyfile.load(path)


def test_save_is_atomic(keys, tmp_path, monkeypatch):
    _, pk, _, data = keys
    path = tmp_path / "k.pk"
    path.write_bytes(b"old")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(keyfile.os, "replace", boom)
    with pytest.raises(OSError):
        keyfile.save(pk, path)
    assert path.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [path]


def _resealed(data: bytearray) -> bytes:
    import hashlib

    data[24:56] = hashlib.sha256(bytes(data[56:])).digest()
    return bytes(data)


def _entry_offset(data: bytes, name: str) -> int:
    import json

    header_len = struct.unpack("<I", data[12:16])[0]
    header = json.loads(bytes(data[56 : 56 + header_len]))
    return 56 + header_len + next(e for e in header["arrays"] if e["name"] == name)["offset"]


@pytest.mark.parametrize("array, value, message", [
    ("a_rows", 10**6, "row index outside"),
    ("b_cols", 10**6, "wire index outside"),
    ("c_cols", -1, "wire index outside"),
])
def test_matrix_indices_out_of_range_are_refused(keys, tmp_path, array, value, message):
    """numba does not bounds-check: an index past the end must never reach the kernels."""
    from zk.groth16 import InvalidKey

    data = bytearray(keys[3])
    at = _entry_offset(data, array)
    data[at : at + 8] = struct.pack("<q", value)
    path = tmp_path / "i.pk"
    path.write_bytes(_resealed(data))
    with pytest.raises(InvalidKey, match=message):
        keyfile.load(path)


def test_unreduced_coefficient_is_refused(keys, tmp_path):
    from zk.groth16 import InvalidKey

    data = bytearray(keys[3])
    at = _entry_offset(data, "a_coeffs")
    data[at : at + 32] = b"\xff" * 32
    path = tmp_path / "u.pk"
    path.write_bytes(_resealed(data))
    with pytest.raises(InvalidKey, match="not reduced"):
        keyfile.load(path)


# --- validated once: the per-user record of fully validated key contents -------------------


@pytest.fixture
def records(tmp_path, monkeypatch):
    directory = tmp_path / "validated"
    monkeypatch.setenv("ZK_VALIDATED_KEYS", str(directory))
    return directory


@pytest.fixture
def point_checks(monkeypatch):
    """Counts the full validation's per-point passes over the query arrays."""
    from zk.groth16 import keys as keys_module

    calls = []
    original = keys_module.check_query_points
    monkeypatch.setattr(keys_module, "check_query_points", lambda *a, **k: (calls.append(a[1]), original(*a, **k))[1])
    return calls


def _digest(data: bytes) -> bytes:
    return bytes(data[24:56])


def test_first_load_validates_fully_and_records(keys, tmp_path, records, point_checks):
    _, pk, _, data = keys
    path = tmp_path / "k.pk"
    path.write_bytes(data)
    assert not keyfile.was_validated(_digest(data))
    keyfile.load(path, mmap=True)
    assert len(point_checks) == 5
    assert keyfile.was_validated(_digest(data))
    entry = records / f"{keyfile.VALIDATION_RULES}-{_digest(data).hex()}"
    assert entry.is_file() and entry.stat().st_mode & 0o777 == 0o600 and records.stat().st_mode & 0o777 == 0o700
    point_checks.clear()
    loaded = keyfile.load(path, mmap=True)
    assert point_checks == []  # recorded: checksum and structure only
    assert loaded.vk == pk.vk and np.array_equal(loaded.h_query, pk.h_query)
    keyfile.load(path, deep=True)  # --check: everything again, whatever the records say
    assert len(point_checks) == 5


def test_recorded_key_with_a_flipped_byte_is_refused(keys, tmp_path, records, load_key):
    data = bytearray(keys[3])
    path = tmp_path / "k.pk"
    path.write_bytes(bytes(data))
    keyfile.load(path, mmap=True)
    data[_entry_offset(data, "b_g2_query") + 8] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(KeyFileError, match="corrupted"):
        load_key(path)


def test_hashed_in_background_loads_the_same_key_and_mismatched_checksums_are_redone(keys, tmp_path, records):
    _, pk, _, data = keys
    path = tmp_path / "k.pk"
    path.write_bytes(data)
    loaded = _load_hashed_in_background(path)
    assert loaded.vk == pk.vk and keyfile.key_bytes(loaded) == data
    assert loaded.a_query.flags.writeable  # as a copy-on-write memmap: the kernels' array types
    # A checksum from another offset is not this layout's: keyfile hashes the mapping itself.
    corrupted = bytearray(data)
    corrupted[-1] ^= 0x01
    path.write_bytes(bytes(corrupted))
    with pytest.raises(KeyFileError, match="corrupted"):
        keyfile.load(path, mapped=HashedMapping(path, 0))
    path.write_bytes(data)
    assert keyfile.key_bytes(keyfile.load(path, mapped=HashedMapping(path, 0))) == data


def test_resealed_change_to_a_recorded_key_is_validated_again(keys, tmp_path, records):
    """Changing a point and recomputing the checksum gives a digest nobody recorded."""
    from zk.groth16 import InvalidKey

    data = bytearray(keys[3])
    path = tmp_path / "k.pk"
    path.write_bytes(bytes(data))
    keyfile.load(path)
    at = _entry_offset(data, "a_query") + 64  # row 1: x of a finite point
    data[at] ^= 0x01
    path.write_bytes(_resealed(data))
    with pytest.raises(InvalidKey, match="a_query.*not on the G1 curve"):
        keyfile.load(path, mmap=True)
    assert not keyfile.was_validated(_digest(_resealed(data)))


def test_records_in_a_directory_others_can_write_are_ignored(keys, tmp_path, records, point_checks):
    data = keys[3]
    path = tmp_path / "k.pk"
    path.write_bytes(data)
    keyfile.load(path)
    records.chmod(0o777)
    try:
        point_checks.clear()
        assert not keyfile.was_validated(_digest(data))
        keyfile.load(path)
        assert len(point_checks) == 5
    finally:
        records.chmod(0o700)


def test_unwritable_records_only_cost_validation(keys, tmp_path, monkeypatch, point_checks):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ZK_VALIDATED_KEYS", str(blocker / "validated"))
    path = tmp_path / "k.pk"
    path.write_bytes(keys[3])
    keyfile.load(path)
    keyfile.load(path)
    assert len(point_checks) == 10


def test_structure_is_checked_even_for_a_recorded_digest(keys, tmp_path, records, monkeypatch):
    """A record vouches for points only: the matrix bounds (memory safety of the kernels) and
    the degenerate-key rule run on every load."""
    from zk.groth16 import InvalidKey

    data = bytearray(keys[3])
    at = _entry_offset(data, "a_rows")
    data[at : at + 8] = struct.pack("<q", 10**6)
    sealed = _resealed(data)
    keyfile.record_validated(_digest(sealed))  # as if someone had recorded it
    path = tmp_path / "k.pk"
    path.write_bytes(sealed)
    with pytest.raises(InvalidKey, match="row index outside"):
        keyfile.load(path, mmap=True)
