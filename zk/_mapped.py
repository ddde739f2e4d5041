"""Pages of a memory-mapped file that a process has finished reading.

A mapped file's pages count in the process's resident set once touched, until the process ends,
although the kernel can reread them from its page cache at any time. ``release_pages`` tells the
kernel this process is done with an array's pages (``madvise(MADV_DONTNEED)``): they leave the
resident set at once, stay in the page cache, and a later read faults them back in from there
(a minor fault, no disk). The prover uses it for a mapped proving key: after the checksum pass
and after each query's MSM, so at most one query of the key is resident at a time.

Only arrays that lie in a ``numpy.memmap`` opened read-only ("r") or copy-on-write ("c") and
never written are released: for a copy-on-write mapping, a page this process had written would
go back to the file's contents. Anything else (arrays in ordinary memory, a mapping opened for
writing) is left alone, so callers need not know where an array came from.
"""
from __future__ import annotations

import mmap

import numpy as np


def _mapping(arr: np.ndarray):
    base = arr
    while base is not None:
        if isinstance(base, np.memmap):
            return base
        base = getattr(base, "base", None)
    return None


def release_pages(arr: np.ndarray) -> int:
    """Drop the whole pages inside ``arr`` from this process's resident set if ``arr`` lies in a
    read-only or copy-on-write file mapping (see the module notes); returns the bytes released
    (0 when ``arr`` is not such a mapping, or holds no whole page)."""
    mapped = _mapping(arr)
    if mapped is None or mapped.mode not in ("r", "c") or not arr.flags.c_contiguous or arr.nbytes == 0:
        return 0
    raw = mapped._mmap
    if raw is None or raw.closed:
        return 0
    origin = np.frombuffer(raw, dtype=np.uint8).ctypes.data
    offset = arr.ctypes.data - origin
    if offset < 0 or offset + arr.nbytes > len(raw):
        return 0
    page = mmap.PAGESIZE
    start = -(-offset // page) * page  # whole pages only: a neighbour's partial page stays
    stop = (offset + arr.nbytes) // page * page
    if stop <= start:
        return 0
    raw.madvise(mmap.MADV_DONTNEED, start, stop - start)
    return stop - start
