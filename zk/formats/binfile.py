"""The iden3 binary container (``@iden3/binfileutils``) shared by ``.ptau``, ``.zkey``, ``.r1cs``, ``.wtns``.

Layout, little-endian: 4-byte magic, u32 version, u32 section count, then each section as
u32 id, u64 byte size, payload. An id may repeat in the container format; the readers of each file
kind decide whether it may (``unique_section``).

Reading maps the file (``numpy.memmap``) instead of loading it: a power-20 ``.ptau`` is 1.2 GB, and
verify/prepare only stream over it. Every size a header claims is checked against the bytes present
before anything is allocated or sliced, so a hostile header cannot make a reader allocate or loop
on data that is not there.

Writing goes to a temporary file beside the target, renamed over it only when complete, so an
interrupted step never leaves a half-written file under the final name.
"""
from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np


class BinFileError(ValueError):
    """A container file that is malformed, truncated, of the wrong kind or version."""


@dataclass
class Section:
    id: int
    offset: int  # of the payload, from the start of the file
    size: int


@dataclass
class Container:
    """A parsed container: ``data`` is the whole file as a read-only uint8 array (memory-mapped when
    read from disk); ``sections[id]`` lists that id's sections in file order."""

    what: str
    magic: bytes
    version: int
    data: np.ndarray
    sections: dict[int, list[Section]] = field(default_factory=dict)

    def unique_section(self, section_id: int, name: str) -> Section:
        found = self.sections.get(section_id)
        if not found:
            raise BinFileError(f"{self.what}: missing {name} section (id {section_id})")
        if len(found) > 1:
            raise BinFileError(f"{self.what}: {name} section (id {section_id}) appears {len(found)} times")
        return found[0]

    def has(self, section_id: int) -> bool:
        return bool(self.sections.get(section_id))

    def payload(self, section: Section) -> np.ndarray:
        """The section's bytes as a uint8 view (no copy)."""
        return self.data[section.offset : section.offset + section.size]

    def reader(self, section: Section, name: str) -> "BoundedReader":
        return BoundedReader(self.data, f"{self.what}: {name} section", section.offset, section.offset + section.size)


class BoundedReader:
    """Sequential reads inside [start, end) of a byte array; reading past ``end`` raises
    :class:`BinFileError` naming what was being read."""

    def __init__(self, data, what: str, start: int = 0, end: int | None = None):
        self.data, self.what = data, what
        self.pos = start
        self.end = len(data) if end is None else end

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def take(self, n: int, name: str = "data") -> np.ndarray:
        if n < 0 or self.pos + n > self.end:
            raise BinFileError(f"{self.what}: truncated ({name} needs {n} bytes at offset {self.pos}, "
                               f"{self.end - self.pos} left)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def take_bytes(self, n: int, name: str = "data") -> bytes:
        return bytes(self.take(n, name))

    def u8(self, name: str = "byte") -> int:
        return int(self.take(1, name)[0])

    def u32(self, name: str = "u32") -> int:
        return struct.unpack("<I", self.take_bytes(4, name))[0]

    def u64(self, name: str = "u64") -> int:
        return struct.unpack("<Q", self.take_bytes(8, name))[0]

    def expect_end(self) -> None:
        if self.pos != self.end:
            raise BinFileError(f"{self.what}: {self.end - self.pos} unexpected bytes at the end")


def _as_array(source) -> tuple[np.ndarray, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return np.frombuffer(source, dtype=np.uint8), "data"
    path = os.fspath(source)
    try:
        size = os.path.getsize(path)
        if size == 0:
            return np.zeros(0, dtype=np.uint8), path
        return np.memmap(path, dtype=np.uint8, mode="r"), path
    except OSError as exc:
        raise BinFileError(f"{path}: cannot read ({exc.strerror})") from None


def read_container(source, magic: bytes, versions: Sequence[int], what: str | None = None) -> Container:
    """Parse the container header and section table of a file path or bytes; payloads stay mapped."""
    data, default_what = _as_array(source)
    what = what or default_what
    kind = magic.decode()
    if len(data) < 4 or bytes(data[:4]) != magic:
        found = bytes(data[:4])
        raise BinFileError(f"{what}: not a .{kind} file (magic {found!r}, expected {magic!r})")
    reader = BoundedReader(data, what, 4)
    version = reader.u32("version")
    if version not in versions:
        raise BinFileError(f"{what}: unsupported .{kind} version {version} (supported: {list(versions)})")
    count = reader.u32("section count")
    # Each section header takes 12 bytes: a count the file cannot hold is refused before looping.
    if count * 12 > reader.remaining:
        raise BinFileError(f"{what}: header claims {count} sections but only {reader.remaining} bytes follow")
    sections: dict[int, list[Section]] = {}
    for index in range(count):
        section_id = reader.u32(f"section {index} id")
        size = reader.u64(f"section {index} size")
        if size > reader.remaining:
            raise BinFileError(f"{what}: truncated (section {section_id} claims {size} bytes, "
                               f"{reader.remaining} remain)")
        sections.setdefault(section_id, []).append(Section(section_id, reader.pos, size))
        reader.pos += size
    if reader.remaining:
        raise BinFileError(f"{what}: {reader.remaining} unexpected bytes after the last section")
    return Container(what, magic, version, data, sections)


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

    def begin_section(self, section_id: int) -> None:
        if self._size_pos is not None:
            raise RuntimeError("previous section not ended")
        self.fh.write(struct.pack("<I", section_id))
        self._size_pos = self.fh.tell()
        self.fh.write(b"\0" * 8)

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
