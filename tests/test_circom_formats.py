"""iden3 .r1cs / .wtns / .sym: round trips, committed circom2 output, malformed files."""
import pathlib
import struct

import pytest

from zk.formats.circom import (
    CircomFormatError, parse_r1cs, parse_sym, parse_wtns, r1cs_bytes, read_r1cs, read_sym, read_wtns,
    sym_text, wtns_bytes, write_r1cs, write_sym, write_wtns,
)
from zk.gadgets.merkle import MerkleTree, merkle_inclusion_circuit
from zk.r1cs import R, Circuit, Output, Private, Public, UnsatisfiedConstraint, WitnessError, compile

DATA = pathlib.Path(__file__).parent / "data" / "circom"


class Mixed(Circuit):
    out = Output()
    bound = Public()
    a = Private()
    b = Private(shape=2)

    def define(self, api):
        small = api.less_than(self.a, self.bound, 16)
        api.set_output(self.out, api.select(small, self.b[0] * self.b[1], api.is_zero(self.a)))


def test_committed_circom_files_load_and_satisfy():
    cs = read_r1cs(DATA / "small.r1cs", DATA / "small.sym")
    witness = read_wtns(DATA / "small.wtns")
    assert (cs.n_outputs, cs.n_public_inputs, cs.n_private_inputs) == (3, 1, 1)
    assert cs.labels[:6] == ["one", "main.zero", "main.less", "main.prod", "main.y", "main.x"]
    # input.json is {"x": 7, "y": 200}
    assert witness[:6] == [1, 0, 1, 7 * 200, 200, 7]
    cs.check(witness)
    forged = list(witness)
    forged[3] += 1
    with pytest.raises(UnsatisfiedConstraint, match=r"small.r1cs constraint \d+"):
        cs.check(forged)
    with pytest.raises(WitnessError, match="loaded from a file"):
        cs.solve({"x": 1, "y": 2})


def test_read_sym():
    symbols = read_sym(DATA / "small.sym")
    by_name = {s.name: s for s in symbols}
    assert by_name["main.x"].wire == 5 and by_name["main.prod"].label == 3
    assert any(s.wire == -1 for s in symbols)  # circom lists signals it optimized away with wire -1


def test_r1cs_round_trip_of_circom_file():
    data = (DATA / "small.r1cs").read_bytes()
    cs = parse_r1cs(data)
    again = parse_r1cs(r1cs_bytes(cs))
    assert again.constraints == cs.constraints and again.raw_to_wire == cs.raw_to_wire
    assert (again.n_wires, again.n_outputs, again.n_public_inputs, again.n_private_inputs) == \
        (cs.n_wires, cs.n_outputs, cs.n_public_inputs, cs.n_private_inputs)


def test_wtns_round_trip_is_byte_exact():
    data = (DATA / "small.wtns").read_bytes()
    assert wtns_bytes(parse_wtns(data)) == data


def test_our_circuit_round_trips(tmp_path):
    cs = compile(Mixed)
    witness = cs.solve({"bound": 100, "a": 5, "b": [3, 4]})
    assert cs.outputs(witness) == {"out": 12}
    write_r1cs(cs, tmp_path / "m.r1cs")
    write_wtns(witness, tmp_path / "m.wtns")
    write_sym(cs, tmp_path / "m.sym")
    loaded = read_r1cs(tmp_path / "m.r1cs", tmp_path / "m.sym")
    assert loaded.constraints == cs.constraints
    assert (loaded.n_outputs, loaded.n_public_inputs, loaded.n_private_inputs) == (1, 1, 3)
    assert loaded.labels[:6] == ["one", "main.out", "main.bound", "main.a", "main.b[0]", "main.b[1]"]
    assert read_wtns(tmp_path / "m.wtns") == witness
    loaded.check(read_wtns(tmp_path / "m.wtns"))
    symbols = parse_sym(sym_text(cs))
    assert len(symbols) == len(cs.raw_labels) - 1
    assert all(s.wire == cs.raw_to_wire[s.label] for s in symbols)


GOOD = r1cs_bytes(compile(Mixed))


@pytest.mark.parametrize("cut", [0, 3, 4, 11, 12, 20, 100, len(GOOD) // 2, len(GOOD) - 1])
def test_truncated_r1cs_is_rejected(cut):
    with pytest.raises(CircomFormatError):
        parse_r1cs(GOOD[:cut])


def test_malformed_r1cs_messages():
    with pytest.raises(CircomFormatError, match="not a r1cs file"):
        parse_r1cs(b"wtns" + GOOD[4:])
    with pytest.raises(CircomFormatError, match="unsupported r1cs version 2"):
        parse_r1cs(GOOD[:4] + struct.pack("<I", 2) + GOOD[8:])
    with pytest.raises(CircomFormatError, match="unexpected bytes after the last section"):
        parse_r1cs(GOOD + b"\0")
    # header section starts after magic, version, count and its own type/size (12 + 12 bytes)
    wrong_prime = bytearray(GOOD)
    wrong_prime[28] ^= 1
    with pytest.raises(CircomFormatError, match="not BN254"):
        parse_r1cs(bytes(wrong_prime))
    no_header = GOOD[:8] + struct.pack("<I", 0)
    with pytest.raises(CircomFormatError, match="missing header"):
        parse_r1cs(no_header)


def test_r1cs_wire_out_of_range_is_rejected():
    cs = compile(Mixed)
    data = bytearray(r1cs_bytes(cs))
    header_size = struct.unpack("<Q", data[16:24])[0]
    first_wire = 12 + 12 + header_size + 12 + 4  # first term of constraint 0's A
    data[first_wire:first_wire + 4] = struct.pack("<I", 10_000)
    with pytest.raises(CircomFormatError, match="uses wire 10000"):
        parse_r1cs(bytes(data))


def test_malformed_wtns():
    good = wtns_bytes([1, 2, 3])
    for cut in (0, 5, 12, 30, len(good) - 1):
        with pytest.raises(CircomFormatError):
            parse_wtns(good[:cut])
    too_big = good[:-32] + R.to_bytes(32, "little")
    with pytest.raises(CircomFormatError, match="not below the prime"):
        parse_wtns(too_big)
    with pytest.raises(CircomFormatError, match="not a field element"):
        wtns_bytes([1, R])


def test_malformed_sym(tmp_path):
    with pytest.raises(CircomFormatError, match=r"sym:2: expected"):
        parse_sym("1,1,0,main.x\n2,2\n")
    with pytest.raises(CircomFormatError, match="must be integers"):
        parse_sym("a,1,0,main.x\n")
    (tmp_path / "bin.sym").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CircomFormatError, match="not a text"):
        read_sym(tmp_path / "bin.sym")
    with pytest.raises(CircomFormatError, match="cannot read"):
        read_r1cs(tmp_path / "missing.r1cs")


def test_merkle_circuit_exports(tmp_path):
    cs = compile(merkle_inclusion_circuit(3))
    tree = MerkleTree(3)
    tree.extend([4, 5, 6])
    witness = cs.solve({"root": tree.root, **tree.proof(2).as_inputs()})
    write_r1cs(cs, tmp_path / "merkle.r1cs")
    loaded = read_r1cs(tmp_path / "merkle.r1cs")
    loaded.check(witness)
    assert loaded.n_constraints == 3 * 242
