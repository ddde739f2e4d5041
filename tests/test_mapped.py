"""zk._mapped.release_pages: a mapped file's pages leave the resident set, reads still see the file."""
from __future__ import annotations

import mmap
import struct

import numpy as np
import pytest

import hashlib

from zk._mapped import HashedMapping, release_pages
from zk.formats import keyfile
from zk.groth16 import prove, setup, verify
from zk.r1cs import Circuit, Private, Public, compile

PAGE = mmap.PAGESIZE


def resident_pages(arr: np.ndarray) -> int:
    """How many of the pages arr spans are mapped into this process now (/proc/self/pagemap's
    'present' bit, readable by the process itself)."""
    first = arr.ctypes.data // PAGE
    last = (arr.ctypes.data + arr.nbytes - 1) // PAGE
    with open("/proc/self/pagemap", "rb") as fh:
        fh.seek(first * 8)
        entries = fh.read((last - first + 1) * 8)
    return sum(1 for (entry,) in struct.iter_unpack("<Q", entries) if entry >> 63)


@pytest.fixture
def mapped_file(tmp_path):
    data = np.random.default_rng(5).integers(0, 256, 16 * PAGE, dtype=np.uint8)
    path = tmp_path / "data.bin"
    path.write_bytes(data.tobytes())
    return path, data


def test_released_pages_leave_the_resident_set_and_read_back_the_file(mapped_file):
    path, data = mapped_file
    mapped = np.memmap(path, dtype=np.uint8, mode="c").view(np.ndarray)  # as keyfile.read_buffer maps
    assert int(mapped.sum()) == int(data.sum())
    assert resident_pages(mapped) == 16
    view = mapped[100:]  # not page aligned: the partial first page stays
    assert release_pages(view) == 15 * PAGE
    assert resident_pages(mapped) == 1
    assert np.array_equal(mapped, data)  # faulted back in from the file
    assert release_pages(mapped[10:PAGE + 10]) == 0  # no whole page inside


def test_arrays_that_are_not_a_read_only_mapping_are_left_alone(mapped_file, tmp_path):
    path, data = mapped_file
    in_memory = data.copy()
    assert release_pages(in_memory) == 0
    assert np.array_equal(in_memory, data)
    writable = np.memmap(path, dtype=np.uint8, mode="r+")
    writable[:] = 7
    assert release_pages(writable) == 0
    assert resident_pages(writable) == 16
    del writable


class Chain(Circuit):
    x = Public()
    a = Private(400)

    def define(self, api):
        acc = self.a[0]
        for v in self.a[1:]:
            acc = api.mul(acc, v)
        api.assert_equal(acc, self.x)


def test_proving_from_a_mapped_key_releases_each_query_after_its_msm(tmp_path, monkeypatch):
    import importlib

    from zk.field import R

    prove_module = importlib.import_module("zk.groth16.prove")
    cs = compile(Chain)
    pk, vk = setup(cs)
    path = tmp_path / "chain.pk"
    keyfile.save(pk, path)
    mapped = keyfile.load(path, mmap=True, deep=False)
    released = {}

    def spy(arr):
        done = release_pages(arr)
        # Checked at once: reading the next array can map a few neighbouring pages again (the
        # kernel's fault-around), which is harmless.
        released[arr.ctypes.data] = (done, resident_pages(arr))
        return done

    monkeypatch.setattr(prove_module, "release_pages", spy)
    proof, public = prove(mapped, cs.solve({"x": pow(3, 400, R), "a": [3] * 400}))
    assert verify(vk, public, proof)
    for name in ("a_query", "b_g1_query", "b_g2_query", "l_query", "h_query"):
        query = getattr(mapped, name)
        assert query.nbytes >= 4 * PAGE, name
        done, resident = released[query.ctypes.data]
        assert done >= query.nbytes - 2 * PAGE and resident <= 2, name  # the partial end pages stay
    in_memory = keyfile.load(path, deep=False)
    released.clear()
    prove(in_memory, cs.solve({"x": pow(3, 400, R), "a": [3] * 400}))
    assert released and all(done == 0 for done, _ in released.values())  # a key read into memory: nothing


@pytest.mark.parametrize("start", [0, 56, 5 * PAGE + 3, 16 * PAGE, 16 * PAGE + 1])
def test_hashed_mapping_digests_from_start_and_releases_what_it_hashed(mapped_file, start, monkeypatch):
    import zk._mapped

    monkeypatch.setattr(zk._mapped, "CHECKSUM_CHUNK", 4 * PAGE)  # several chunks
    path, data = mapped_file
    hashed = HashedMapping(path, start)
    assert hashed.digest() == hashlib.sha256(data.tobytes()[start:]).digest()
    view = np.frombuffer(hashed.buffer, dtype=np.uint8)
    first_whole = -(-start // PAGE) * PAGE
    if first_whole < view.size:  # the hashed whole pages left the resident set
        assert resident_pages(view[first_whole:]) == 0
    assert np.array_equal(view, data)  # read back from the file
    assert release_pages(view) == 16 * PAGE and resident_pages(view) == 0  # a mapping release_pages knows


def test_hashed_mapping_of_an_empty_or_missing_file(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    hashed = HashedMapping(empty, 56)
    assert hashed.size == 0 and hashed.buffer is None and hashed.digest() == hashlib.sha256().digest()
    with pytest.raises(OSError):
        HashedMapping(tmp_path / "absent", 0)
    with pytest.raises(OSError):
        HashedMapping(tmp_path, 0)


def test_other_mmaps_are_left_alone(mapped_file):
    path, data = mapped_file
    with open(path, "r+b") as fh:
        shared = mmap.mmap(fh.fileno(), 0)  # MAP_SHARED, writable: not one of ours
    view = np.frombuffer(shared, dtype=np.uint8)
    assert int(view.sum()) == int(data.sum())
    assert release_pages(view) == 0 and resident_pages(view) == 16
    del view
    shared.close()
