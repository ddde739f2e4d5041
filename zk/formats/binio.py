"""Bounded binary reading: every size a file declares is compared with the bytes present before
anything is allocated for it. Every binary reader (.r1cs, .wtns, .pk key files, .zkey, .ptau)
goes through this module, so a 100-byte file whose header claims 2^31 labels or 2^64 - 1 bytes
costs microseconds and one error line, not gigabytes and a traceback.

Two tools:

- :class:`BoundedReader`: a cursor over a buffer (bytes, memoryview, mmap, numpy uint8 array)
  confined to ``[start, end)``. ``u32``/``u64``/``take``/``element`` never read past ``end``;
  :meth:`BoundedReader.count` checks "n items of k bytes each" against what remains *before* a
  caller builds a list of n things.
- :func:`read_container`: the iden3 container shared by circom and snarkjs files (little-endian):
  4-byte magic, u32 version, u32 section count, then sections of (u32 type, u64 byte size,
  payload). Every section must lie inside the file, none may repeat, nothing may follow the last.

Errors are raised as the caller's own format error class (``error=``), a ValueError subclass, so
``zk`` commands report them as bad input (one line, exit 2).
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Callable, Sequence

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class BinaryFormatError(ValueError):
    """Default error of this module when a caller does not name its own format's error."""


ErrorType = Callable[[str], Exception]


def read_file(path, error: ErrorType = BinaryFormatError, what: str | None = None) -> bytes:
    """The whole file, or ``error`` with the OS's reason (missing, a directory, unreadable)."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise error(f"{what or os.fspath(path)}: cannot read ({exc.strerror or exc})") from None


class BoundedReader:
    """Little-endian reads from ``data[start:end]`` that raise ``error`` instead of running past
    ``end``. ``what`` names the file and part in messages (``"circuit.r1cs header"``)."""

    def __init__(self, data, what: str, error: ErrorType = BinaryFormatError, start: int = 0,
                 end: int | None = None):
        self.data, self.what, self.error = data, what, error
        self.pos = start
        self.end = len(data) if end is None else end
        if not 0 <= start <= self.end <= len(data):
            raise error(f"{what}: region [{start}, {self.end}) lies outside the {len(data)} bytes present")

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or n > self.remaining:
            raise self.error(f"{self.what}: truncated (needed {n} bytes at offset {self.pos}, "
                             f"only {self.remaining} left)")
        chunk = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return chunk

    def skip(self, n: int) -> None:
        self.take_view(n)

    def take_view(self, n: int):
        """Like :meth:`take` but without copying (a slice of the underlying buffer)."""
        if n < 0 or n > self.remaining:
            raise self.error(f"{self.what}: truncated (needed {n} bytes at offset {self.pos}, "
                             f"only {self.remaining} left)")
        view = self.data[self.pos:self.pos + n]
        self.pos += n
        return view

    def u32(self) -> int:
        return _U32.unpack(self.take(4))[0]

    def u64(self) -> int:
        return _U64.unpack(self.take(8))[0]

    def element(self, n8: int, prime: int) -> int:
        """An ``n8``-byte little-endian integer, which must be below ``prime``."""
        value = int.from_bytes(self.take(n8), "little")
        if value >= prime:
            raise self.error(f"{self.what}: field element at offset {self.pos - n8} is not below the prime")
        return value

    def count(self, n: int, item_bytes: int, items: str) -> int:
        """``n``, after checking that ``n`` items of at least ``item_bytes`` bytes each fit in what
        remains: call it before allocating anything sized by ``n``."""
        if n < 0 or n * item_bytes > self.remaining:
            raise self.error(f"{self.what}: declares {n} {items} of at least {item_bytes} bytes each, "
                             f"but only {self.remaining} bytes remain")
        return n

    def expect_end(self, part: str | None = None) -> None:
        if self.pos != self.end:
            raise self.error(f"{part or self.what}: {self.end - self.pos} unexpected bytes at the end")


@dataclass(frozen=True)
class Container:
    """An iden3 container's directory: ``sections[type] = (offset, size)``, all inside ``data``."""

    data: object
    what: str
    error: ErrorType
    version: int
    sections: dict

    def has(self, kind: int) -> bool:
        return kind in self.sections

    def section(self, kind: int, name: str) -> tuple[int, int]:
        if kind not in self.sections:
            raise self.error(f"{self.what}: missing {name} section (type {kind})")
        return self.sections[kind]

    def reader(self, kind: int, name: str) -> BoundedReader:
        """A reader confined to one section; missing sections raise the format's error."""
        start, size = self.section(kind, name)
        return BoundedReader(self.data, f"{self.what} {name}", self.error, start, start + size)


def read_container(data, magic: bytes, versions: Sequence[int], what: str,
                   error: ErrorType = BinaryFormatError) -> Container:
    """Parse and check the section directory of an iden3 binary file (``.r1cs``, ``.wtns``,
    ``.zkey``, ``.ptau``): magic, a supported version, every section within the file, no
    section type twice, no bytes after the last section. Payloads are not read."""
    reader = BoundedReader(data, what, error)
    found = bytes(data[:len(magic)])
    if found != magic:
        raise error(f"{what}: not a {magic.decode(errors='replace')} file "
                    f"(magic {found!r}, expected {magic!r})")
    reader.skip(len(magic))
    version = reader.u32()
    if version not in versions:
        raise error(f"{what}: unsupported {magic.decode(errors='replace')} version {version} "
                    f"(supported: {list(versions)})")
    n_sections = reader.count(reader.u32(), 12, "sections")
    sections: dict[int, tuple[int, int]] = {}
    for _ in range(n_sections):
        kind, size = reader.u32(), reader.u64()
        if size > reader.remaining:
            raise error(f"{what}: truncated (section {kind} claims {size} bytes, {reader.remaining} remain)")
        if kind in sections:
            raise error(f"{what}: section {kind} appears twice")
        sections[kind] = (reader.pos, size)
        reader.pos += size
    if reader.remaining:
        raise error(f"{what}: {reader.remaining} unexpected bytes after the last section")
    return Container(data, what, error, version, sections)


def write_container(fh, magic: bytes, version: int, sections: Sequence[tuple[int, bytes]]) -> None:
    """The inverse of :func:`read_container` (sections written in the order given)."""
    fh.write(magic + struct.pack("<II", version, len(sections)))
    for kind, payload in sections:
        fh.write(struct.pack("<IQ", kind, len(payload)))
        fh.write(payload)
