"""Large iden3 container files (``.ptau``, ``.zkey``): memory-mapped reading and streamed, atomic writing.

The container layout and its bounded parsing live in :mod:`zk.formats.binio` (magic, u32
version, u32 section count, sections of u32 id + u64 size + payload). This module adds what files
of gigabytes need on top:

- :func:`map_file`: the file as a read-only ``numpy.memmap`` (uint8) to hand to
  ``binio.read_container``; a power-20 ``.ptau`` is 1.2 GB, and verify/prepare only stream over it.
- :class:`ContainerWriter`: sections streamed to a temporary file beside the target, renamed over
  it only when complete, so an interrupted step never leaves a half-written file under the final
  name; a section's size is patched in when the section ends.
"""
from __future__ import annotations

import os
import struct
import tempfile
from typing import Callable, Iterable

import numpy as np


def map_file(path, error: Callable[[str], Exception], what: str | None = None) -> np.ndarray:
    """The file's bytes as a read-only uint8 array (memory-mapped), or ``error`` with the reason."""
    path = os.fspath(path)
    try:
        if os.path.getsize(path) == 0:
            return np.zeros(0, dtype=np.uint8)
        return np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise error(f"{what or path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None


class ContainerWriter:
    """Writes a container atomically: sections are streamed to a temporary file beside ``path``,
    which replaces ``path`` only on ``commit`` (or leaving the ``with`` block without an error).

    ``mode`` sets the permission bits of the new file (0o600 for secrets)."""

    def __init__(self, path, magic: bytes, version: int, n_sections: int, *, mode: int = 0o644):
        self.path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, self.tmp_path = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(self.path), dir=directory)
        os.fchmod(fd, mode)
        self.fh = os.fdopen(fd, "wb")
        self.fh.write(magic + struct.pack("<II", version, n_sections))
        self._size_pos: int | None = None
        self._done = False

    def begin_section(self, section_id: int) -> int:
        """Start a section; returns the file offset where its payload begins."""
        if self._size_pos is not None:
            raise RuntimeError("previous section not ended")
        self.fh.write(struct.pack("<I", section_id))
        self._size_pos = self.fh.tell()
        self.fh.write(b"\0" * 8)
        return self._size_pos + 8

    def written(self) -> np.ndarray:
        """What has been written so far, memory-mapped read-only (to hash it back)."""
        self.fh.flush()
        return np.memmap(self.tmp_path, dtype=np.uint8, mode="r")

    def write(self, payload) -> None:
        if isinstance(payload, np.ndarray):
            payload = np.ascontiguousarray(payload)
            self.fh.write(memoryview(payload).cast("B"))
        else:
            self.fh.write(payload)

    def end_section(self) -> None:
        end = self.fh.tell()
        size = end - self._size_pos - 8
        self.fh.seek(self._size_pos)
        self.fh.write(struct.pack("<Q", size))
        self.fh.seek(end)
        self._size_pos = None

    def section(self, section_id: int, parts: Iterable) -> None:
        self.begin_section(section_id)
        for part in parts:
            self.write(part)
        self.end_section()

    def commit(self) -> None:
        if self._size_pos is not None:
            raise RuntimeError("section not ended")
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp_path, self.path)
        self._done = True

    def abort(self) -> None:
        if not self._done:
            self.fh.close()
            try:
                os.unlink(self.tmp_path)
            except FileNotFoundError:
                pass
            self._done = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.abort()
        return False
