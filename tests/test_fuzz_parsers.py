"""Every parser of user files, fuzzed with hypothesis mutations of a valid file (bit flips,
truncation, extension, header fields at 0 and at their maximum; for JSON also hostile values and
removed or duplicated entries): the only allowed outcomes are a valid parse or the format's own
error, within a second. ZK_FUZZ_EXAMPLES sets the budget (`make fuzz` runs a long one)."""
from __future__ import annotations

import json
import pathlib

from fuzzing import FUZZ, mutated_bytes, mutated_json, survives
from hypothesis import given

from circuits.app.wallet import BlobError, _checksum, export_assignment, import_assignment
from circuits.protocol import Assignment
from zk.formats import snarkjs as S
from zk.formats.circom import CircomFormatError, parse_r1cs, parse_wtns
from zk.formats.jsonio import parse_json
from zk.formats.solidity import SolidityExportError, calldata_words, parse_verification_key
from zk.groth16 import InvalidKey

DATA = pathlib.Path(__file__).parent / "data"
R1CS = (DATA / "snarkjs" / "mul.r1cs").read_bytes()
WTNS = (DATA / "snarkjs" / "mul.wtns").read_bytes()
VKEY = json.loads((DATA / "snarkjs" / "verification_key.json").read_text())
PROOF = json.loads((DATA / "snarkjs" / "proof.json").read_text())
PUBLIC = json.loads((DATA / "snarkjs" / "public.json").read_text())


def _container_fields(data: bytes, header_fields: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(offset, width) of the section count, every section's type and size, and the given
    offsets inside the header section (type 1)."""
    fields = [(4, 4), (8, 4)]
    pos, header_start = 12, None
    while pos + 12 <= len(data):
        kind = int.from_bytes(data[pos:pos + 4], "little")
        size = int.from_bytes(data[pos + 4:pos + 12], "little")
        fields += [(pos, 4), (pos + 4, 8)]
        if kind == 1:
            header_start = pos + 12
        pos += 12 + size
    return fields + [(header_start + off, width) for off, width in header_fields]


# r1cs header: n8 (u32), prime (32), nWires, nPubOut, nPubIn, nPrvIn (u32), nLabels (u64), nConstraints (u32)
R1CS_FIELDS = _container_fields(R1CS, [(0, 4), (36, 4), (40, 4), (44, 4), (48, 4), (52, 8), (60, 4)])
WTNS_FIELDS = _container_fields(WTNS, [(0, 4), (36, 4)])


def test_templates_are_valid():
    assert parse_r1cs(R1CS).n_constraints > 0 and len(parse_wtns(WTNS)) > 0
    S.vkey_from_json(VKEY), S.proof_from_json(PROOF), S.public_from_json(PUBLIC)
    assert calldata_words(PUBLIC, PROOF)


@FUZZ
@given(mutated_bytes(R1CS, R1CS_FIELDS))
def test_fuzz_r1cs(data):
    survives(parse_r1cs, data, (CircomFormatError,))


@FUZZ
@given(mutated_bytes(WTNS, WTNS_FIELDS))
def test_fuzz_wtns(data):
    survives(parse_wtns, data, (CircomFormatError,))


def _json(parse):
    def run(text):
        try:
            obj = parse_json(text)
        except ValueError as exc:  # what read_json turns into the format's error
            raise S.SnarkjsFormatError(str(exc)) from None
        return parse(obj)
    return run


@FUZZ
@given(mutated_json(VKEY))
def test_fuzz_snarkjs_vkey(text):
    survives(_json(S.vkey_from_json), text, (S.SnarkjsFormatError, InvalidKey))


@FUZZ
@given(mutated_json(PROOF))
def test_fuzz_snarkjs_proof(text):
    survives(_json(S.proof_from_json), text, (S.SnarkjsFormatError,))


@FUZZ
@given(mutated_json(PUBLIC))
def test_fuzz_snarkjs_public(text):
    survives(_json(S.public_from_json), text, (S.SnarkjsFormatError,))


@FUZZ
@given(mutated_json({"public": PUBLIC, "proof": PROOF}))
def test_fuzz_calldata_inputs(text):
    def parse(obj):
        if not isinstance(obj, dict) or set(obj) != {"public", "proof"}:
            raise SolidityExportError("not a (public, proof) pair")
        return calldata_words(obj["public"], obj["proof"])

    survives(_json(parse), text, (S.SnarkjsFormatError, SolidityExportError))


@FUZZ
@given(mutated_json(VKEY))
def test_fuzz_solidity_vkey(text):
    survives(_json(parse_verification_key), text, (S.SnarkjsFormatError, SolidityExportError))


BLOB = json.loads(export_assignment(Assignment(5, 6, 100, 24322, 7)))


@FUZZ
@given(mutated_json(BLOB))
def test_fuzz_assignment_blob(text):
    """The hand-over blob from group owner to operator (checksum recomputed half the time, so
    that mutations also reach the assignment's fields)."""
    def parse(data):
        try:
            obj = parse_json(data)
        except ValueError as exc:
            raise BlobError(str(exc)) from None
        if isinstance(obj, dict) and len(data) % 2:
            obj["checksum"] = _checksum({k: obj.get(k) for k in ("format", "version", "assignment")})
        return import_assignment(json.dumps(obj))

    survives(parse, text, (BlobError,))
