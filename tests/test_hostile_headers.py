"""Hostile binary headers: sizes the file claims but does not hold.

Each case is a small file whose header declares something huge (2^31 labels, 2^64 - 1 bytes,
2^32 - 1 constraints, ...). The readers compare every declared size with the bytes present
before allocating (zk.formats.binio), so each case must end with the format's own error, one
line and exit 2 from the CLI, in well under a second and 100 MB. The one-second bound is a
denial-of-service property, not a speed claim: before the fix these cases ran 48-99 s or used
16.9 GB.
"""
from __future__ import annotations

import io
import struct
import time
import tracemalloc

import pytest
from click.testing import CliRunner

import zk.cli.circuit  # noqa: F401  (attaches the commands)
import zk.cli.groth16  # noqa: F401
from zk.cli import cli
from zk.field import R
from zk.formats.binio import write_container
from zk.formats.circom import CircomFormatError, parse_r1cs, parse_wtns

U32_MAX, U64_MAX = (1 << 32) - 1, (1 << 64) - 1
MAX_EXTRA_BYTES = 100 << 20


def field_header(n8=32, prime=R):
    return struct.pack("<I", n8) + prime.to_bytes(max(n8, 32), "little")[:n8]


def r1cs(*, n_wires=3, n_out=1, n_pub=1, n_prv=0, n_labels=None, n_constraints=1, constraints=None,
         wire2label=None, header=None, extra_sections=()):
    """A valid one-constraint file (w1 * w1 = w2... over 3 wires) unless a field is overridden."""
    n_labels = n_wires if n_labels is None else n_labels
    if header is None:
        header = field_header() + struct.pack("<IIIIQI", n_wires, n_out, n_pub, n_prv, n_labels, n_constraints)
    if constraints is None:
        one = (1).to_bytes(32, "little")
        constraints = (struct.pack("<II", 1, 1) + one) * 2 + struct.pack("<II", 1, 2) + one
    if wire2label is None:
        wire2label = struct.pack(f"<{n_wires}Q", *range(n_wires)) if n_wires < 1000 else b""
    out = io.BytesIO()
    write_container(out, b"r1cs", 1, [(1, header), (2, constraints), (3, wire2label), *extra_sections])
    return out.getvalue()


def wtns(*, n8=32, count=2, values=None, header=None):
    if header is None:
        header = field_header(n8) + struct.pack("<I", count)
    if values is None:
        values = b"".join(v.to_bytes(32, "little") for v in (1, 5))
    out = io.BytesIO()
    write_container(out, b"wtns", 2, [(1, header), (2, values)])
    return out.getvalue()


def raw_container(magic, version, n_sections, rest=b""):
    return magic + struct.pack("<II", version, n_sections) + rest


R1CS_CASES = {
    "labels 2^31": (r1cs(n_labels=1 << 31), None),  # accepted: the count is kept as a number
    "labels 2^64-1": (r1cs(n_labels=U64_MAX), "labels is more than"),
    "wires 2^26": (r1cs(n_wires=1 << 26, n_labels=1 << 26), "wire2label section has 0 bytes"),
    "wires 2^32-1": (r1cs(n_wires=U32_MAX, n_labels=U32_MAX), "wire2label section has 0 bytes"),
    "constraints 2^32-1": (r1cs(n_constraints=U32_MAX), "declares 4294967295 constraints"),
    "terms 2^32-1": (r1cs(constraints=struct.pack("<I", U32_MAX) + bytes(8)), "declares 4294967295 terms"),
    "n8 2^32-8": (r1cs(header=struct.pack("<I", U32_MAX - 7) + bytes(40)), "truncated"),
    "n8 0": (r1cs(header=field_header(0) + bytes(28)), "invalid field element size 0"),
    "sections 2^32-1": (raw_container(b"r1cs", 1, U32_MAX), "declares 4294967295 sections"),
    "section size 2^64-1": (raw_container(b"r1cs", 1, 1, struct.pack("<IQ", 1, U64_MAX)), "claims 18446744073709551615 bytes"),
    "label beyond n_labels": (r1cs(wire2label=struct.pack("<3Q", 0, 1, 3)), "beyond the 3 labels"),
    "label 2^64-1": (r1cs(n_labels=4, wire2label=struct.pack("<3Q", 0, 1, U64_MAX)), "beyond the 4 labels"),
    "two wires one label": (r1cs(wire2label=struct.pack("<3Q", 0, 1, 1)), "label 1 to two wires"),
    "constant wire relabelled": (r1cs(wire2label=struct.pack("<3Q", 1, 0, 2)), "wire 0 (the constant 1) has label 1"),
    "fewer labels than wires": (r1cs(n_labels=2), "2 labels for 3 wires"),
    "public beyond wires": (r1cs(n_pub=U32_MAX), "inconsistent header"),
    "no sections": (raw_container(b"r1cs", 1, 0), "missing header"),
    "bytes after the constraints": (r1cs(constraints=(struct.pack("<II", 1, 1) + (1).to_bytes(32, "little")) * 2
                                         + struct.pack("<II", 1, 2) + (1).to_bytes(32, "little") + bytes(4)),
                                    "4 bytes more than its 1 constraints"),
    "a section twice": (r1cs(extra_sections=[(2, b"")]), "section 2 appears twice"),
    "no wire2label": (r1cs(wire2label=b"")[:-12].replace(struct.pack("<I", 3), struct.pack("<I", 2), 1),
                      "missing wire2label"),
}

WTNS_CASES = {
    "count 2^32-1": (wtns(count=U32_MAX), "expected 4294967295 values"),
    "n8 2^32-8": (wtns(header=struct.pack("<I", U32_MAX - 7) + bytes(36)), "truncated"),
    "n8 0": (wtns(header=field_header(0) + struct.pack("<I", 2)), "invalid field element size 0"),
    "sections 2^32-1": (raw_container(b"wtns", 2, U32_MAX), "declares 4294967295 sections"),
    "section size 2^64-1": (raw_container(b"wtns", 2, 1, struct.pack("<IQ", 2, U64_MAX)), "claims 18446744073709551615 bytes"),
    "value >= r": (wtns(values=(1).to_bytes(32, "little") + R.to_bytes(32, "little")), "not below the prime"),
}


def bounded(fn, *args):
    """Run fn, returning (outcome, seconds, peak extra bytes); outcome is the result or the error."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        outcome = fn(*args)
    except CircomFormatError as exc:
        outcome = exc
    finally:
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return outcome, seconds, peak


@pytest.mark.parametrize("name", R1CS_CASES)
def test_hostile_r1cs_header(name):
    data, message = R1CS_CASES[name]
    outcome, seconds, peak = bounded(parse_r1cs, data)
    assert seconds < 1 and peak < MAX_EXTRA_BYTES, (seconds, peak)
    if message is None:
        assert not isinstance(outcome, Exception) and len(outcome.raw_to_wire) == 1 << 31
    else:
        assert isinstance(outcome, CircomFormatError) and message in str(outcome), outcome


@pytest.mark.parametrize("name", WTNS_CASES)
def test_hostile_wtns_header(name):
    data, message = WTNS_CASES[name]
    outcome, seconds, peak = bounded(parse_wtns, data)
    assert seconds < 1 and peak < MAX_EXTRA_BYTES, (seconds, peak)
    assert isinstance(outcome, CircomFormatError) and message in str(outcome), outcome


def test_valid_templates_parse():
    """The corpus mutates files that are valid when no field is overridden."""
    cs = parse_r1cs(r1cs())
    assert (cs.n_wires, cs.n_constraints) == (3, 1)
    assert parse_wtns(wtns()) == [1, 5]


@pytest.mark.parametrize("name", [n for n, (_, m) in R1CS_CASES.items() if m])
def test_hostile_r1cs_through_cli(name, tmp_path):
    path = tmp_path / "hostile.r1cs"
    path.write_bytes(R1CS_CASES[name][0])
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and R1CS_CASES[name][1] in lines[0]


def _term(wire, coeff=1):
    return struct.pack("<II", 1, wire) + coeff.to_bytes(32, "little")


# Defects in the constraints themselves, which read_r1cs_terms words its own way.
SETUP_BODY_CASES = {
    "coefficient r": r1cs(constraints=_term(1, R) + _term(1) + _term(2)),
    "wire beyond the wires": r1cs(constraints=_term(3) + _term(1) + _term(2)),
    "constraints truncated": r1cs(constraints=(_term(1) + _term(1) + _term(2))[:-10]),
    "terms beyond the section": r1cs(constraints=_term(1) + _term(1) + struct.pack("<I", 2) + _term(2)[4:]),
}


@pytest.mark.parametrize("name", [n for n, (_, m) in R1CS_CASES.items() if m] + list(SETUP_BODY_CASES))
def test_hostile_r1cs_through_setup_gives_read_r1cs_line(name, tmp_path):
    """`zk setup` reads the circuit as arrays of terms, but a malformed file still gets exactly
    the line read_r1cs gives (which `zk setup` gave before), and no key."""
    data = SETUP_BODY_CASES[name] if name in SETUP_BODY_CASES else R1CS_CASES[name][0]
    path = tmp_path / "hostile.r1cs"
    path.write_bytes(data)
    with pytest.raises(CircomFormatError) as refused:
        parse_r1cs(data, str(path))
    result = CliRunner().invoke(cli, ["setup", str(path), str(tmp_path / "k.pk"), "--vkey", str(tmp_path / "vk.json")])
    assert result.exit_code == 2 and result.output.strip() == f"Error: {refused.value}", result.output
    assert not (tmp_path / "k.pk").exists()


def test_labels_beyond_a_symbol_file_are_refused():
    from zk.formats.circom import parse_sym

    symbols = parse_sym("1,1,0,main.x\n7,-1,0,main.gone\n")
    with pytest.raises(CircomFormatError, match="names label 7, beyond the 3 labels"):
        parse_r1cs(r1cs(), symbols=symbols)
