"""iden3 / circom file formats: binary .r1cs (version 1), binary .wtns (version 2) and text .sym.

Both binary formats are little-endian: a 4-byte magic, u32 version, u32 section count, then sections
of (u32 type, u64 byte size, payload). Field elements are n8 = 32 bytes, in standard (non-Montgomery) form.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from zk.formats.binio import BoundedReader, read_container, read_file, write_container
from zk.msm.scalars import ScalarError, Scalars

from zk.r1cs.field import R

if TYPE_CHECKING:  # built by parse_r1cs only: reading a .wtns (`zk prove`) needs no R1CS layer
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
# Labels a header may declare: far beyond any circuit this toolkit can prove, and small enough that
# len() of the label map never overflows.
MAX_LABELS = 1 << 40


class _SparseSequence(Sequence):
    """A read-only sequence of ``n`` items of which only ``present`` ({index: item}) is stored;
    every other index reads as ``self.missing(index)``. For the label counts a header may claim
    without the file holding a byte per label."""

    def __init__(self, n: int, present: dict):
        self.n, self.present = n, present

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.present[i] if i in self.present else self.missing(i)


class LabelMap(_SparseSequence):
    """label -> wire (-1 for a signal the compiler eliminated), for the ``n_labels`` labels a
    .r1cs header declares. The header's count is not backed by bytes in the file, so only the
    wire -> label map (8 bytes per wire) is stored; this reads like the dense list it replaces."""

    def __init__(self, wire_to_label: Sequence[int], n_labels: int):
        super().__init__(n_labels, {label: wire for wire, label in enumerate(wire_to_label)})
        self.n_labels = n_labels
        self.wire_of = self.present

    def missing(self, label: int) -> int:
        return -1

    def __eq__(self, other):
        return isinstance(other, Sequence) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    __hash__ = None


class _RawLabels(_SparseSequence):
    """Names of all ``n`` labels, from the .sym file where it has one (``label<i>`` otherwise)."""

    def missing(self, label: int) -> str:
        return f"label{label}"


def _field_header(reader: BoundedReader) -> tuple[int, int]:
    n8 = reader.u32()
    if n8 == 0 or n8 % 8:
        raise CircomFormatError(f"{reader.what}: invalid field element size {n8}")
    prime = int.from_bytes(reader.take(n8), "little")
    if prime != R:
        raise CircomFormatError(f"{reader.what}: field prime {prime} is not BN254's scalar field (the only one supported)")
    return n8, prime


def _read_bytes(path) -> bytes:
    return read_file(path, CircomFormatError)


def _element_bytes(value: int) -> bytes:
    return value.to_bytes(N8, "little")


# ---------------------------------------------------------------------------------------- .r1cs
def read_r1cs(path, sym_path=None) -> ConstraintSystem:
    """Load a circom .r1cs as a ConstraintSystem (check works; solving does not, there is no circuit).
    With `sym_path`, wire labels come from the .sym file."""
    what = os.fspath(path)
    return parse_r1cs(_read_bytes(path), what, read_sym(sym_path) if sym_path else None)


def _r1cs_header(container, what: str):
    """The checked header and wire2label sections of a .r1cs: (n8, prime, n_wires, n_pub_out,
    n_pub_in, n_prv_in, n_labels, n_constraints, wire_to_label)."""
    for kind in _CUSTOM_GATES:
        if container.has(kind):
            raise CircomFormatError(f"{what}: uses custom gates (section {kind}), which R1CS/Groth16 cannot express")
    header = container.reader(_HEADER, "header")
    n8, prime = _field_header(header)
    n_wires, n_pub_out, n_pub_in, n_prv_in = (header.u32() for _ in range(4))
    n_labels, n_constraints = header.u64(), header.u32()
    header.expect_end(f"{what}: header section")
    if n_wires < 1 or 1 + n_pub_out + n_pub_in + n_prv_in > n_wires:
        raise CircomFormatError(f"{what}: inconsistent header ({n_wires} wires, {n_pub_out} outputs, "
                                f"{n_pub_in} public and {n_prv_in} private inputs)")
    if n_labels < n_wires:
        raise CircomFormatError(f"{what}: {n_labels} labels for {n_wires} wires")
    if n_labels > MAX_LABELS:
        raise CircomFormatError(f"{what}: {n_labels} labels is more than the {MAX_LABELS} supported")

    labels_reader = container.reader(_WIRE2LABEL, "wire2label")
    if labels_reader.remaining != 8 * n_wires:
        raise CircomFormatError(f"{what}: wire2label section has {labels_reader.remaining} bytes, "
                                f"expected {8 * n_wires} for {n_wires} wires")
    wire_to_label = [labels_reader.u64() for _ in range(n_wires)]
    if wire_to_label[0] != 0:
        raise CircomFormatError(f"{what}: wire 0 (the constant 1) has label {wire_to_label[0]}, expected 0")
    seen: set[int] = set()
    for wire, label in enumerate(wire_to_label):
        if label >= n_labels:
            raise CircomFormatError(f"{what}: wire2label gives wire {wire} label {label}, beyond the {n_labels} labels")
        if label in seen:
            raise CircomFormatError(f"{what}: wire2label gives label {label} to two wires")
        seen.add(label)
    return n8, prime, n_wires, n_pub_out, n_pub_in, n_prv_in, n_labels, n_constraints, wire_to_label


def parse_r1cs(data: bytes, what: str = "r1cs", symbols: Sequence[Symbol] | None = None) -> ConstraintSystem:
    """Every count in the header is checked against the bytes that back it before anything is
    built from it: constraints (at least 12 bytes each), terms (4 + n8 bytes each), wires (the
    wire2label section, 8 bytes each). The label count has no bytes behind it and is kept as a
    number (see :class:`LabelMap`)."""
    container = read_container(data, R1CS_MAGIC, (R1CS_VERSION,), what, CircomFormatError)
    n8, prime, n_wires, n_pub_out, n_pub_in, n_prv_in, n_labels, n_constraints, wire_to_label = \
        _r1cs_header(container, what)

    body = container.reader(_CONSTRAINTS, "constraints")
    body.count(n_constraints, 12, "constraints")
    term_bytes = 4 + n8
    constraints = []
    for _ in range(n_constraints):
        lcs = []
        for _ in range(3):
            terms = []
            for _ in range(body.count(body.u32(), term_bytes, "terms")):
                wire = body.u32()
                if wire >= n_wires:
                    raise CircomFormatError(f"{what}: constraint {len(constraints)} uses wire {wire} of {n_wires}")
                coeff = body.element(n8, prime)
                if coeff:
                    terms.append((wire, coeff))
            lcs.append(sorted(terms))
        constraints.append(tuple(lcs))
    if body.remaining:
        raise CircomFormatError(f"{what}: constraints section has {body.remaining} bytes more than "
                                f"its {n_constraints} constraints")

    names = {}
    for s in symbols or ():
        if s.label >= n_labels:
            raise CircomFormatError(f"{what}: the symbol file names label {s.label}, beyond the {n_labels} labels")
        names[s.label] = s.name
    labels = ["one"] + [names.get(wire_to_label[w], f"wire{w}") for w in range(1, n_wires)]
    base = os.path.basename(what)
    from zk.r1cs.system import ConstraintSystem

    return ConstraintSystem(
        n_wires=n_wires, n_outputs=n_pub_out, n_public_inputs=n_pub_in, n_private_inputs=n_prv_in,
        constraints=constraints, origins=[f"{base} constraint {k}" for k in range(n_constraints)],
        labels=labels, prime=prime, raw_to_wire=LabelMap(wire_to_label, n_labels),
        raw_labels=_RawLabels(n_labels, names) if symbols else [],
    )


@dataclass
class R1csTerms:
    """The constraint terms of a .r1cs exactly as stored (file order, zero coefficients kept),
    which is what snarkjs's `groth16 setup` walks: matrix (0 = A, 1 = B, 2 = C), constraint,
    signal, coefficient (plain little-endian limbs). Same checks as :func:`parse_r1cs`."""

    n_wires: int
    n_public: int
    n_constraints: int
    matrix: "np.ndarray"
    constraint: "np.ndarray"
    signal: "np.ndarray"
    coeffs: "np.ndarray"


def read_r1cs_terms(path) -> R1csTerms:
    """The terms as numpy arrays, in one pass over the constraints section: per linear
    combination a count is read and its records (u32 wire, 32-byte coefficient) are taken as one
    slice, so no Python object is made per term."""
    import numpy as np

    what = os.fspath(path)
    data = read_file(path, CircomFormatError, what)
    container = read_container(data, R1CS_MAGIC, (R1CS_VERSION,), what, CircomFormatError)
    n8, _, n_wires, n_pub_out, n_pub_in, _, _, n_constraints, _ = _r1cs_header(container, what)
    if n8 != N8:
        raise CircomFormatError(f"{what}: field elements of {n8} bytes; BN254's take {N8}")
    body = container.reader(_CONSTRAINTS, "constraints")
    body.count(n_constraints, 12, "constraints")
    view = memoryview(data)
    record = 4 + N8
    pos, end = body.pos, body.end
    counts = np.empty(3 * n_constraints, dtype=np.int64)
    pieces = []
    for i in range(3 * n_constraints):
        if end - pos < 4:
            raise CircomFormatError(f"{what}: constraints section truncated in constraint {i // 3}")
        count = int.from_bytes(view[pos:pos + 4], "little")
        pos += 4
        if count * record > end - pos:
            raise CircomFormatError(f"{what}: constraint {i // 3} announces {count} terms, more than the "
                                    f"{(end - pos) // record} the section holds")
        counts[i] = count
        pieces.append(view[pos:pos + count * record])
        pos += count * record
    if pos != end:
        raise CircomFormatError(f"{what}: constraints section has {end - pos} bytes more than its {n_constraints} "
                                "constraints")
    terms = np.frombuffer(b"".join(pieces), dtype=np.dtype([("wire", "<u4"), ("coeff", "<u8", (4,))]))
    lc = np.repeat(np.arange(3 * n_constraints, dtype=np.int64), counts)
    signal = terms["wire"].astype(np.int64)
    coeffs = np.ascontiguousarray(terms["coeff"], dtype=np.uint64)
    bad = np.flatnonzero(signal >= n_wires)
    if bad.size:
        raise CircomFormatError(f"{what}: constraint {lc[bad[0]] // 3} uses wire {signal[bad[0]]} of {n_wires}")
    below = np.zeros(coeffs.shape[0], dtype=bool)
    equal = np.ones(coeffs.shape[0], dtype=bool)
    for limb in (3, 2, 1, 0):
        r_limb = np.uint64((R >> (64 * limb)) & ((1 << 64) - 1))
        below |= equal & (coeffs[:, limb] < r_limb)
        equal &= coeffs[:, limb] == r_limb
    if not below.all():
        first = int(np.flatnonzero(~below)[0])
        raise CircomFormatError(f"{what}: constraint {lc[first] // 3} has a coefficient not below the prime")
    return R1csTerms(n_wires, n_pub_out + n_pub_in, n_constraints, lc % 3, lc // 3, signal, coeffs)


def _wire_to_label(cs: ConstraintSystem) -> tuple[list[int], int]:
    if not cs.raw_to_wire:
        return list(range(cs.n_wires)), cs.n_wires
    if isinstance(cs.raw_to_wire, LabelMap):
        out = [0] * cs.n_wires
        for label, wire in cs.raw_to_wire.wire_of.items():
            out[wire] = label
        return out, len(cs.raw_to_wire)
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
    write_container(out, R1CS_MAGIC, R1CS_VERSION, [(_HEADER, header), (_CONSTRAINTS, bytes(body)), (_WIRE2LABEL, labels)])
    return out.getvalue()


def write_r1cs(cs: ConstraintSystem, path) -> None:
    with open(path, "wb") as fh:
        fh.write(r1cs_bytes(cs))


# ---------------------------------------------------------------------------------------- .wtns
def read_wtns(path) -> list[int]:
    return parse_wtns(_read_bytes(path), os.fspath(path))


def read_wtns_scalars(path) -> Scalars:
    """The witness as the prover takes it: limbs straight from the file's bytes, range-checked
    once (no Python int per value)."""
    return parse_wtns_scalars(_read_bytes(path), os.fspath(path))


def parse_wtns(data: bytes, what: str = "wtns") -> list[int]:
    return parse_wtns_scalars(data, what).to_ints()


def parse_wtns_scalars(data: bytes, what: str = "wtns") -> Scalars:
    container = read_container(data, WTNS_MAGIC, (WTNS_VERSION,), what, CircomFormatError)
    header = container.reader(1, "header")
    n8, prime = _field_header(header)
    count = header.u32()
    header.expect_end(f"{what}: header section")
    body = container.reader(2, "witness")
    if body.remaining != count * n8:
        raise CircomFormatError(f"{what}: witness section has {body.remaining} bytes, expected {count} values of {n8} bytes")
    start = body.pos
    if n8 != N8:  # wider elements than BN254 needs: one value at a time
        return Scalars.from_ints([body.element(n8, prime) for _ in range(count)])
    # A copy: frombuffer's read-only view would make every kernel compile a second time.
    limbs = np.frombuffer(body.data, dtype="<u8", count=4 * count, offset=start).reshape(count, 4).astype(np.uint64)
    try:
        return Scalars.from_limbs(limbs)
    except ScalarError as exc:
        raise CircomFormatError(f"{what}: field element at offset {start + exc.index * N8} is not below the prime") from None


def wtns_bytes(witness: Sequence[int]) -> bytes:
    import io

    for i, value in enumerate(witness):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < R:
            raise CircomFormatError(f"witness[{i}] = {value!r} is not a field element")
    header = struct.pack("<I", N8) + R.to_bytes(N8, "little") + struct.pack("<I", len(witness))
    out = io.BytesIO()
    write_container(out, WTNS_MAGIC, WTNS_VERSION, [(1, header), (2, b"".join(_element_bytes(v) for v in witness))])
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
