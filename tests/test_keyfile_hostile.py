"""Hostile proving-key files (.pk): sizes the header declares but the file does not hold, and
header fields at 0 and at their maximum, each with a valid checksum (anyone can recompute a
SHA-256). Each ends with KeyFileError or InvalidKey naming the problem, in well under a second
and 100 MB, and as one line with exit 2 from `zk prove`. Plus the fuzz run over the key file."""
from __future__ import annotations

import hashlib
import json
import pathlib
import struct
import time
import tracemalloc

import pytest
from click.testing import CliRunner
from fuzzing import FUZZ, mutated_bytes, survives
from hypothesis import given

from zk import groth16
from zk.cli import _register_commands, cli
from zk.formats import keyfile
from zk.formats.circom import read_r1cs
from zk.groth16 import Groth16Error, InvalidKey

_register_commands()
DATA = pathlib.Path(__file__).parent / "data" / "snarkjs"
PREFIX = struct.Struct("<8sIIQ32s")
U32_MAX, U64_MAX = (1 << 32) - 1, (1 << 64) - 1


@pytest.fixture(scope="module")
def key_bytes():
    pk, _ = groth16.setup(read_r1cs(DATA / "mul.r1cs"))
    data = keyfile.key_bytes(pk)
    keyfile.parse(data)  # the template is valid
    return data


def split(data: bytes):
    magic, version, header_len, body_len, _ = PREFIX.unpack(data[:PREFIX.size])
    header = json.loads(data[PREFIX.size:PREFIX.size + header_len])
    return version, header, data[PREFIX.size + header_len:]


def sealed(header: dict, body: bytes, *, version=1, header_len=None, body_len=None) -> bytes:
    """A key file with a correct checksum around this header and body (lengths overridable)."""
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(PREFIX.size + len(text)) % keyfile.ALIGN)
    digest = hashlib.sha256(text + body).digest()
    prefix = PREFIX.pack(keyfile.MAGIC, version, len(text) if header_len is None else header_len,
                         len(body) if body_len is None else body_len, digest)
    return prefix + text + body


def with_header(data: bytes, change) -> bytes:
    _, header, body = split(data)
    change(header)
    return sealed(header, body)


def set_array(name, **fields):
    def change(header):
        for entry in header["arrays"]:
            if entry["name"] == name:
                entry.update(fields)
    return change


def set_field(key, value):
    return lambda header: header.__setitem__(key, value)


CASES = {
    "header length 2^32-1": (lambda d: sealed(*split(d)[1:], header_len=U32_MAX), "truncated"),
    "body length 2^64-1": (lambda d: sealed(*split(d)[1:], body_len=U64_MAX), "truncated"),
    "h_query 2^40 points": (lambda d: with_header(d, set_array("h_query", shape=[1 << 40, 2, 4])),
                            "declares 8796093022208 values"),
    "shape product wraps int64": (lambda d: with_header(d, set_array("a_query", shape=[1 << 62, 1 << 2, 4])),
                                  "values of at least 8 bytes"),
    "offset past the body": (lambda d: with_header(d, set_array("ic", offset=1 << 40)), "bad shape or offset"),
    "offset misaligned": (lambda d: with_header(d, set_array("ic", offset=8)), "bad shape or offset"),
    "negative dimension": (lambda d: with_header(d, set_array("ic", shape=[-1, 2, 4])),
                           "array 'ic' dimension must be a non-negative integer, got -1"),
    "dimension as a string": (lambda d: with_header(d, set_array("ic", shape=["3", 2, 4])),
                              "array 'ic' dimension must be a non-negative integer, got '3'"),
    "offset as a float": (lambda d: with_header(d, set_array("ic", offset=0.0)),
                          "array 'ic' offset must be a non-negative integer, got 0.0"),
    "n_wires 2^40": (lambda d: with_header(d, set_field("n_wires", 1 << 40)),
                     "a_query must be a uint64 array of shape (1099511627776, 2, 4), got (6, 2, 4)"),
    "n_wires 0": (lambda d: with_header(d, set_field("n_wires", 0)), "inconsistent sizes"),
    "n_constraints 2^32-1": (lambda d: with_header(d, set_field("n_constraints", U32_MAX)), "domain size"),
    "domain too small": (lambda d: with_header(d, lambda h: h.__setitem__("domain_size", h["domain_size"] // 2)),
                         "domain size"),
    "domain 0": (lambda d: with_header(d, set_field("domain_size", 0)), "domain size"),
    "n_public 2^32-1": (lambda d: with_header(d, set_field("n_public", U32_MAX)),
                        "domain size 8 does not fit 2 constraints and 4294967295 public signals"),
    # Counts are JSON integers: int() would read a decimal string, truncate a float, take a bool.
    "79-digit string field": (lambda d: with_header(d, set_field("n_wires", "1" * 79)),
                              "n_wires must be a non-negative integer, got '1111"),
    "n_wires as a float": (lambda d: with_header(d, lambda h: h.__setitem__("n_wires", h["n_wires"] + 0.5)),
                           "n_wires must be a non-negative integer, got "),
    "n_public as a bool": (lambda d: with_header(d, set_field("n_public", True)),
                           "n_public must be a non-negative integer, got True"),
    "domain_size as a string": (lambda d: with_header(d, lambda h: h.__setitem__("domain_size", str(h["domain_size"]))),
                                "domain_size must be a non-negative integer, got '"),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_key_file(key_bytes, name):
    make, message = CASES[name]
    data = make(key_bytes)
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(Groth16Error) as caught:
        keyfile.parse(data)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1 and peak < 100 << 20, (seconds, peak)
    assert isinstance(caught.value, (keyfile.KeyFileError, InvalidKey))
    assert message and message in str(caught.value), caught.value


def test_domain_too_small_is_what_refuses(key_bytes):
    """The domain check alone: every other field of the file is the valid key's."""
    data = CASES["domain too small"][0](key_bytes)
    with pytest.raises(InvalidKey, match=r"domain size \d+ does not fit"):
        keyfile.parse(data)


@pytest.mark.parametrize("name", ["body length 2^64-1", "h_query 2^40 points", "domain too small"])
def test_hostile_key_file_through_cli(key_bytes, name, tmp_path):
    (tmp_path / "bad.pk").write_bytes(CASES[name][0](key_bytes))
    result = CliRunner().invoke(cli, ["prove", str(tmp_path / "bad.pk"), str(DATA / "mul.wtns"),
                                      str(tmp_path / "proof.json"), str(tmp_path / "public.json")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and CASES[name][1] in lines[0], result.output


def _header_fields(data: bytes):
    return [(8, 4), (12, 4), (16, 8)]


def test_fuzz_key_file(key_bytes):
    @FUZZ
    @given(mutated_bytes(key_bytes, _header_fields(key_bytes)))
    def run(data):
        survives(keyfile.parse, data, (keyfile.KeyFileError, InvalidKey))

    run()


def test_fuzz_key_file_resealed(key_bytes):
    """Mutations behind a recomputed checksum, so that they reach the header and array checks."""
    version, _, _ = split(key_bytes)
    header_len = PREFIX.unpack(key_bytes[:PREFIX.size])[2]

    @FUZZ
    @given(mutated_bytes(key_bytes[PREFIX.size:], [(i, 1) for i in range(0, header_len, 7)]))
    def run(payload):
        digest = hashlib.sha256(payload).digest()
        body_len = max(len(payload) - header_len, 0)
        data = PREFIX.pack(keyfile.MAGIC, version, min(header_len, len(payload)), body_len, digest) + payload
        survives(lambda d: keyfile.parse(d, deep=False), data, (keyfile.KeyFileError, InvalidKey))

    run()
