"""Pages of a memory-mapped file that a process has finished reading, and a mapped file's
checksum computed while the process does other things.

A mapped file's pages count in the process's resident set once touched, until the process ends,
although the kernel can reread them from its page cache at any time. ``release_pages`` tells the
kernel this process is done with an array's pages (``madvise(MADV_DONTNEED)``): they leave the
resident set at once, stay in the page cache, and a later read faults them back in from there
(a minor fault, no disk). The prover uses it for a mapped proving key: after the checksum pass
and after each query's MSM, so at most one query of the key is resident at a time.

Only arrays that lie in a ``numpy.memmap`` opened read-only ("r") or copy-on-write ("c"), or in a
:class:`HashedMapping`, and never written are released: for a copy-on-write mapping, a page this
process had written would go back to the file's contents. Anything else (arrays in ordinary
memory, a mapping opened for writing) is left alone, so callers need not know where an array
came from.

:class:`HashedMapping` maps a file copy-on-write and hashes it (SHA-256) in a thread of its own:
``hashlib`` releases the GIL on large buffers, so a `zk prove` process checks its key's
integrity on the second core while the first imports numpy, numba and zk. This module imports
nothing heavy (numpy only inside the functions that take arrays) so that the thread can start
before those imports.
"""
from __future__ import annotations

import hashlib
import mmap
import os
import threading
import weakref

# Mappings made by HashedMapping (copy-on-write, never written): their pages may be released.
_COPY_ON_WRITE = weakref.WeakSet()


def _mapping(arr):
    """The mmap under ``arr`` if it is a mapping whose pages may be released, else None."""
    import numpy as np

    base = arr
    while base is not None:
        if isinstance(base, np.memmap):
            return base._mmap if base.mode in ("r", "c") else None
        if isinstance(base, memoryview):
            return base.obj if isinstance(base.obj, mmap.mmap) and base.obj in _COPY_ON_WRITE else None
        base = getattr(base, "base", None)
    return None


def release_pages(arr) -> int:
    """Drop the whole pages inside ``arr`` from this process's resident set if ``arr`` lies in a
    read-only or copy-on-write file mapping (see the module notes); returns the bytes released
    (0 when ``arr`` is not such a mapping, or holds no whole page)."""
    import numpy as np

    raw = _mapping(arr)
    if raw is None or not arr.flags.c_contiguous or arr.nbytes == 0 or raw.closed:
        return 0
    origin = np.frombuffer(raw, dtype=np.uint8).ctypes.data
    offset = arr.ctypes.data - origin
    if offset < 0 or offset + arr.nbytes > len(raw):
        return 0
    return _release_range(raw, offset, offset + arr.nbytes)


def _release_range(raw: mmap.mmap, lo: int, hi: int) -> int:
    page = mmap.PAGESIZE
    start = -(-lo // page) * page  # whole pages only: a neighbour's partial page stays
    stop = hi // page * page
    if stop <= start:
        return 0
    raw.madvise(mmap.MADV_DONTNEED, start, stop - start)
    return stop - start


CHECKSUM_CHUNK = 1 << 22


def checksum_chunks(start: int, stop: int):
    """(lo, hi) pieces of [start, stop) for hashing a mapped file a chunk at a time, borders at
    multiples of the chunk: whole pages, each released once hashed."""
    bounds = [start, *range(-(-(start + 1) // CHECKSUM_CHUNK) * CHECKSUM_CHUNK, stop, CHECKSUM_CHUNK), stop]
    return zip(bounds, bounds[1:])


class HashedMapping:
    """A whole file mapped copy-on-write (never written, as ``numpy.memmap(mode="c")``) and the
    SHA-256 of its bytes from offset ``start`` on, computed in a background thread that starts
    at once; each chunk leaves the resident set once hashed. :meth:`digest` waits for it.
    ``buffer`` is the mapping (None for an empty file). Raises OSError if the file cannot be
    opened or mapped."""

    def __init__(self, path, start: int):
        self.path, self.start = os.fspath(path), start
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            self.buffer = mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY) if size else None
        if self.buffer is not None:
            _COPY_ON_WRITE.add(self.buffer)
        self._digest: bytes | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._hash, name="zk-key-checksum", daemon=True)
        self._thread.start()

    @property
    def size(self) -> int:
        return 0 if self.buffer is None else len(self.buffer)

    def _hash(self) -> None:
        try:
            checksum = hashlib.sha256()
            if self.buffer is not None and self.start < len(self.buffer):
                size = len(self.buffer)
                with memoryview(self.buffer) as view:
                    for lo, hi in checksum_chunks(self.start, size):
                        checksum.update(view[lo:hi])
                        _release_range(self.buffer, lo, hi)
            self._digest = checksum.digest()
        except BaseException as exc:  # handed to the caller of digest()
            self._error = exc

    def wait(self) -> None:
        """Until the thread is done with the mapping (a caller that gives up on the file early
        still waits: hashing must not go on over a file the program may then change)."""
        self._thread.join()

    def digest(self) -> bytes:
        """SHA-256 of the bytes from ``start`` to the end of the file as mapped."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._digest
