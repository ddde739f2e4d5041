"""iden3 / circom file formats: binary .r1cs (version 1), binary .wtns (version 2) and text .sym.

Both binary formats are little-endian: a 4-byte magic, u32 version, u32 section count, then sections
of (u32 type, u64 byte size, payload). Field elements are n8 = 32 bytes, in standard (non-Montgomery) form.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, Sequence

from zk.r1cs.field import R
from zk.r1cs.system import ConstraintSystem

R1CS_MAGIC, R1CS_VERSION = b"r1cs", 1
WTNS_MAGIC, WTNS_VERSION = b"wtns", 2
N8 = 32
_HEADER, _CONSTRAINTS, _WIRE2LABEL = 1, 2, 3
_CUSTOM_GATES = (4, 5)


class CircomFormatError(ValueError):
    """A .r1cs, .wtns or .sym file is malformed, truncated or uses something this toolkit does not support."""


@dataclass(frozen=True)
class Symbol:
    label: int  # index among all signals, including those the compiler optimized away
    wire: int  # index in the witness, or -1 if the signal was optimized away
    component: int
    name: str


# ---------------------------------------------------------------------------------------- binary helpers
class _Reader:
    def __init__(self, data: bytes, what: str, start: int = 0, end: int | None = None):
        self.data, self.what = data, what
        self.pos = start
        self.end = len(data) if end is None else end

    def take(self, n: int) -> bytes:
        if self.pos + n > self.end:
            raise CircomFormatError(f"{self.what}: truncated (needed {n} bytes at offset {self.pos}, "
                                    f"only {self.end - self.pos} left)")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def element(self, n8: int, prime: int) -> int:
        value = int.from_bytes(self.take(n8), "little")
        if value >= prime:
            raise CircomFormatError(f"{self.what}: field element at offset {self.pos - n8} is not below the prime")
        return value


def _read_sections(data: bytes, magic: bytes, versions: Sequence[int], what: str) -> dict[int, tuple[int, int]]:
    reader = _Reader(data, what)
    found = reader.take(4) if len(data) >= 4 else data
    if found != magic:
        raise CircomFormatError(f"{what}: not a {magic.decode()} file (magic {found!r}, expected {magic!r})")
    version = reader.u32()
    if version not in versions:
        raise CircomFormatError(f"{what}: unsupported {magic.decode()} version {version} (supported: {list(versions)})")
    sections: dict[int, tuple[int, int]] = {}
    for _ in range(reader.u32()):
        kind, size = reader.u32(), reader.u64()
        if reader.pos + size > len(data):
            raise CircomFormatError(f"{what}: truncated (section {kind} claims {size} bytes, "
                                    f"{len(data) - reader.pos} remain)")
        if kind in sections:
            raise CircomFormatError(f"{what}: section {kind} appears twice")
        sections[kind] = (reader.pos, size)
        reader.pos += size
    if reader.pos != len(data):
        raise CircomFormatError(f"{what}: {len(data) - reader.pos} unexpected bytes after the last section")
    return sections


def _section(sections: dict, kind: int, name: str, what: str) -> tuple[int, int]:
    if kind not in sections:
        raise CircomFormatError(f"{what}: missing {name} section (type {kind})")
    return sections[kind]


def _field_header(reader: _Reader) -> tuple[int, int]:
    n8 = reader.u32()
    if n8 == 0 or n8 % 8:
        raise CircomFormatError(f"{reader.what}: invalid field element size {n8}")
    prime = int.from_bytes(reader.take(n8), "little")
    if prime != R:
        raise CircomFormatError(f"{reader.what}: field prime {prime} is not BN254's scalar field (the only one supported)")
    return n8, prime


def _read_bytes(path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise CircomFormatError(f"{path}: cannot read ({exc.strerror})") from None


def _element_bytes(value: int) -> bytes:
    return value.to_bytes(N8, "little")


def _write_sections(fh: BinaryIO, magic: bytes, version: int, sections: Sequence[tuple[int, bytes]]) -> None:
    fh.write(magic + struct.pack("<II", version, len(sections)))
    for kind, payload in sections:
        fh.write(struct.pack("<IQ", kind, len(payload)))
        fh.write(payload)


# ---------------------------------------------------------------------------------------- .r1cs
def read_r1cs(path, sym_path=None) -> ConstraintSystem:
    """Load a circom .r1cs as a ConstraintSystem (check works; solving does not, there is no circuit).
    With `sym_path`, wire labels come from the .sym file."""
    what = os.fspath(path)
    return parse_r1cs(_read_bytes(path), what, read_sym(sym_path) if sym_path else None)


def parse_r1cs(data: bytes, what: str = "r1cs", symbols: Sequence[Symbol] | None = None) -> ConstraintSystem:
    sections = _read_sections(data, R1CS_MAGIC, (R1CS_VERSION,), what)
    for kind in _CUSTOM_GATES:
        if kind in sections:
            raise CircomFormatError(f"{what}: uses custom gates (section {kind}), which R1CS/Groth16 cannot express")
    start, size = _section(sections, _HEADER, "header", what)
    header = _Reader(data, what + " header", start, start + size)
    n8, prime = _field_header(header)
    n_wires, n_pub_out, n_pub_in, n_prv_in = (header.u32() for _ in range(4))
    n_labels, n_constraints = header.u64(), header.u32()
    if header.pos != header.end:
        raise CircomFormatError(f"{what}: header section has {header.end - header.pos} unexpected bytes")
    if n_wires < 1 or 1 + n_pub_out + n_pub_in + n_prv_in > n_wires:
        raise CircomFormatError(f"{what}: inconsistent header ({n_wires} wires, {n_pub_out} outputs, "
                                f"{n_pub_in} public and {n_prv_in} private inputs)")
    if n_labels < n_wires:
        raise CircomFormatError(f"{what}: {n_labels} labels for {n_wires} wires")

    start, size = _section(sections, _CONSTRAINTS, "constraints", what)
    body = _Reader(data, what + " constraints", start, start + size)
    constraints = []
    for _ in range(n_constraints):
        lcs = []
        for _ in range(3):
            terms = []
            for _ in range(body.u32()):
                wire = body.u32()
                if wire >= n_wires:
                    raise CircomFormatError(f"{what}: constraint {len(constraints)} uses wire {wire} of {n_wires}")
                coeff = body.element(n8, prime)
                if coeff:
                    terms.append((wire, coeff))
            lcs.append(sorted(terms))
        constraints.append(tuple(lcs))
    if body.pos != body.end:
        raise CircomFormatError(f"{what}: constraints section has {body.end - body.pos} bytes more than "
                                f"its {n_constraints} constraints")

    wire_to_label = list(range(n_wires))
    if _WIRE2LABEL in sections:
        start, size = sections[_WIRE2LABEL]
        if size != 8 * n_wires:
            raise CircomFormatError(f"{what}: wire2label section has {size} bytes, expected {8 * n_wires}")
        labels_reader = _Reader(data, what + " wire2label", start, start + size)
        wire_to_label = [labels_reader.u64() for _ in range(n_wires)]
        if any(label >= n_labels for label in wire_to_label):
            raise CircomFormatError(f"{what}: wire2label refers to a label beyond {n_labels}")
    raw_to_wire = [-1] * n_labels
    for wire, label in enumerate(wire_to_label):
        raw_to_wire[label] = wire

    names = {s.label: s.name for s in symbols or ()}
    labels = ["one"] + [names.get(wire_to_label[w], f"wire{w}") for w in range(1, n_wires)]
    base = os.path.basename(what)
    return ConstraintSystem(
        n_wires=n_wires, n_outputs=n_pub_out, n_public_inputs=n_pub_in, n_private_inputs=n_prv_in,
        constraints=constraints, origins=[f"{base} constraint {k}" for k in range(n_constraints)],
        labels=labels, prime=prime, raw_to_wire=raw_to_wire,
        raw_labels=[names.get(i, f"label{i}") for i in range(n_labels)] if symbols else [],
    )


def _wire_to_label(cs: ConstraintSystem) -> tuple[list[int], int]:
    if not cs.raw_to_wire:
        return list(range(cs.n_wires)), cs.n_wires
    out = [0] * cs.n_wires
    for label, wire in enumerate(cs.raw_to_wire):
        if wire >= 0:
            out[wire] = label
    return out, len(cs.raw_to_wire)


def r1cs_bytes(cs: ConstraintSystem) -> bytes:
    wire_to_label, n_labels = _wire_to_label(cs)
    header = struct.pack("<I", N8) + R.to_bytes(N8, "little") + struct.pack(
        "<IIIIQI", cs.n_wires, cs.n_outputs, cs.n_public_inputs, cs.n_private_inputs, n_labels, cs.n_constraints)
    body = bytearray()
    for constraint in cs.constraints:
        for lc in constraint:
            body += struct.pack("<I", len(lc))
            for wire, coeff in lc:
                body += struct.pack("<I", wire) + _element_bytes(coeff)
    labels = struct.pack(f"<{cs.n_wires}Q", *wire_to_label)
    import io

    out = io.BytesIO()
    _write_sections(out, R1CS_MAGIC, R1CS_VERSION, [(_HEADER, header), (_CONSTRAINTS, bytes(body)), (_WIRE2LABEL, labels)])
    return out.getvalue()


def write_r1cs(cs: ConstraintSystem, path) -> None:
    with open(path, "wb") as fh:
        fh.write(r1cs_bytes(cs))


# ---------------------------------------------------------------------------------------- .wtns
def read_wtns(path) -> list[int]:
    return parse_wtns(_read_bytes(path), os.fspath(path))


def parse_wtns(data: bytes, what: str = "wtns") -> list[int]:
    sections = _read_sections(data, WTNS_MAGIC, (WTNS_VERSION,), what)
    start, size = _section(sections, 1, "header", what)
    header = _Reader(data, what + " header", start, start + size)
    n8, prime = _field_header(header)
    count = header.u32()
    if header.pos != header.end:
        raise CircomFormatError(f"{what}: header section has {header.end - header.pos} unexpected bytes")
    start, size = _section(sections, 2, "witness", what)
    if size != count * n8:
        raise CircomFormatError(f"{what}: witness section has {size} bytes, expected {count} values of {n8} bytes")
    body = _Reader(data, what + " witness", start, start + size)
    return [body.element(n8, prime) for _ in range(count)]


def wtns_bytes(witness: Sequence[int]) -> bytes:
    import io

    for i, value in enumerate(witness):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < R:
            raise CircomFormatError(f"witness[{i}] = {value!r} is not a field element")
    header = struct.pack("<I", N8) + R.to_bytes(N8, "little") + struct.pack("<I", len(witness))
    out = io.BytesIO()
    _write_sections(out, WTNS_MAGIC, WTNS_VERSION, [(1, header), (2, b"".join(_element_bytes(v) for v in witness))])
    return out.getvalue()


def write_wtns(witness: Sequence[int], path) -> None:
    data = wtns_bytes(witness)
    with open(path, "wb") as fh:
        fh.write(data)


# ---------------------------------------------------------------------------------------- .sym
def read_sym(path) -> list[Symbol]:
    """Parse circom's symbol file: one `label,wire,component,name` line per signal."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise CircomFormatError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CircomFormatError(f"{path}: not a text .sym file") from None
    return parse_sym(text, os.fspath(path))


def parse_sym(text: str, what: str = "sym") -> list[Symbol]:
    symbols = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(",", 3)
        if len(parts) != 4:
            raise CircomFormatError(f"{what}:{number}: expected 'label,wire,component,name', got {line!r}")
        try:
            label, wire, component = (int(p) for p in parts[:3])
        except ValueError:
            raise CircomFormatError(f"{what}:{number}: label, wire and component must be integers: {line!r}") from None
        if label < 0 or wire < -1 or not parts[3]:
            raise CircomFormatError(f"{what}:{number}: invalid entry {line!r}")
        symbols.append(Symbol(label, wire, component, parts[3]))
    return symbols


def sym_text(cs: ConstraintSystem) -> str:
    """Symbol lines for every signal except the constant, naming them `main.<label>` like circom."""
    if cs.raw_labels and cs.raw_to_wire:
        entries = [(label, cs.raw_to_wire[label], name) for label, name in enumerate(cs.raw_labels)]
    else:
        entries = [(w, w, name) for w, name in enumerate(cs.labels)]
    lines = []
    for label, wire, name in entries[1:]:
        full = name if name.startswith("main.") else f"main.{name}"
        lines.append(f"{label},{wire},0,{full}")
    return "\n".join(lines) + "\n"


def write_sym(cs: ConstraintSystem, path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(sym_text(cs))
