"""zk's own ptau chain (new, two contributions, a beacon, prepare at power 4) and what verify
and the reader refuse: a tampered point or key in every section, hostile headers, truncation.
Each case breaks exactly one thing and must be named in the one-line error."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from click.testing import CliRunner

from zk.ceremony import powersoftau as T
from zk.ceremony.blake2b import PartialHashError
from zk.cli import cli
from zk.curve import g1_from_array, g1_to_array, g2_from_array, g2_to_array
from zk.field import P
from zk.formats import ptau as F

POWER = 4
BEACON = bytes(range(1, 33))
CONTRIBUTION_FIXED = 448 + 768 + 216 + 64 + 4  # bytes before a contribution's parameter length


@pytest.fixture(scope="session")
def final(tmp_path_factory):
    d = tmp_path_factory.mktemp("ptau_files")
    T.new(POWER, d / "0.ptau")
    T.contribute(d / "0.ptau", d / "1.ptau", name="one")
    T.contribute(d / "1.ptau", d / "2.ptau", name="two", entropy="abc")
    T.beacon(d / "2.ptau", d / "3.ptau", BEACON, 10, name="beacon")
    T.prepare(d / "3.ptau", d / "final.ptau")
    return (d / "final.ptau").read_bytes()


def zk(*args):
    import zk.cli.ptau  # noqa: F401

    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _write(tmp_path, data: bytes, name="t.ptau"):
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def _section(data: bytes, section_id: int) -> tuple[int, int]:
    return F.read_ptau(data).container.sections[section_id]


def test_chain_verifies_and_reports(final, tmp_path):
    report = T.verify(_write(tmp_path, final))
    assert [c.record.name for c in report.contributions] == ["one", "two", "beacon"]
    assert report.prepared and report.contributions[-1].record.beacon_hash == BEACON
    assert len({c.response_hash for c in report.contributions}) == 3


def test_verify_cli_exit_codes(final, tmp_path):
    ok = zk("ptau", "verify", _write(tmp_path, final))
    assert ok.exit_code == 0 and "powers of tau OK" in ok.output
    missing = zk("ptau", "verify", tmp_path / "absent.ptau")
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1


POINT_SECTIONS = [F.TAU_G1, F.TAU_G2, F.ALPHA_TAU_G1, F.BETA_TAU_G1, F.BETA_G2, F.LAGRANGE_TAU_G1, F.LAGRANGE_TAU_G2,
                  F.LAGRANGE_ALPHA_TAU_G1, F.LAGRANGE_BETA_TAU_G1]


@pytest.mark.parametrize("section_id", POINT_SECTIONS)
def test_flipped_byte_in_each_point_section(final, tmp_path, section_id):
    offset, size = _section(final, section_id)
    data = bytearray(final)
    data[offset + size - 40] ^= 0x01  # inside the last point's y (or x for G2)
    result = zk("ptau", "verify", _write(tmp_path, data))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and F.SECTION_NAMES[section_id] in lines[0], lines


@pytest.mark.parametrize("section_id", POINT_SECTIONS)
def test_valid_but_wrong_point_in_each_point_section(final, tmp_path, section_id):
    """A point replaced by another point of the group: only the ceremony checks can see it."""
    offset, size = _section(final, section_id)
    g2 = F.is_g2_section(section_id)
    width = F.G2_BYTES if g2 else F.G1_BYTES
    index = size // width - 1
    start = offset + index * width
    raw = F.point_array(np.frombuffer(final[start : start + width], dtype=np.uint8), g2)
    point = (g2_from_array if g2 else g1_from_array)(raw)[0]
    replacement = (g2_to_array if g2 else g1_to_array)([point * 2]).tobytes()
    data = bytearray(final)
    data[start : start + width] = replacement
    with pytest.raises(T.CeremonyError) as info:
        T.verify(_write(tmp_path, data))
    assert F.SECTION_NAMES[section_id] in str(info.value) or (
        section_id == F.BETA_G2 and "betaG2" in str(info.value))


def _twist_point_outside_g2() -> bytes:
    """The file bytes of a point on the twist E'(Fp2) (y^2 = x^3 + b') that is not in G2: the
    first x = (i, 1) with a square right-hand side (the cofactor is about 2^254, so such a point
    is in G2 with probability about 2^-254; the subgroup check confirms it is not)."""
    from zk.curve import G2Point
    from zk.field import Fp2

    i = 1
    while True:
        x = Fp2(i, 1)
        y = (x * x * x + G2Point.b).sqrt()
        if y is not None:
            point = G2Point(x, y, check=False)
            assert not point.is_in_subgroup()
            return g2_to_array([point]).tobytes()
        i += 1


@pytest.mark.parametrize("where", ["tauG2", "betaG2", "lagrange tauG2", "contribution tauG2"])
def test_twist_point_outside_g2_is_refused(final, tmp_path, where):
    """A G2 point on the curve but outside the order-r subgroup, in each kind of place: only the
    subgroup check sees it (it is on the curve and canonical); contribute refuses the input too."""
    data = bytearray(final)
    if where == "contribution tauG2":
        start = _contribution_offsets(final)[-1] + F.G1_BYTES
    else:
        section_id = {v: k for k, v in F.SECTION_NAMES.items()}[where]
        offset, size = _section(final, section_id)
        start = offset + size - F.G2_BYTES
    data[start : start + F.G2_BYTES] = _twist_point_outside_g2()
    path = _write(tmp_path, data)
    result = zk("ptau", "verify", path)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "not in the order-r subgroup" in lines[0] and where.split()[-1] in lines[0], lines
    if where != "lagrange tauG2":  # contribute reads the powers and the records, not the Lagrange levels
        result = zk("ptau", "contribute", path, tmp_path / "next.ptau", "-e", "x")
        assert result.exit_code == 2 and "not in the order-r subgroup" in result.output, result.output
        assert not (tmp_path / "next.ptau").exists()


def _contribution_offsets(data: bytes) -> list[int]:
    offset, _ = _section(data, F.CONTRIBUTIONS)
    count = struct.unpack_from("<I", data, offset)[0]
    pos, out = offset + 4, []
    for _ in range(count):
        out.append(pos)
        params = struct.unpack_from("<I", data, pos + CONTRIBUTION_FIXED)[0]
        pos += CONTRIBUTION_FIXED + 4 + params
    return out


def _replace_g1(data: bytearray, start: int, factor: int) -> None:
    raw = F.point_array(np.frombuffer(bytes(data[start : start + 64]), dtype=np.uint8), False)
    data[start : start + 64] = g1_to_array([g1_from_array(raw)[0] * factor]).tobytes()


def test_wrong_proof_of_knowledge(final, tmp_path):
    data = bytearray(final)
    last = _contribution_offsets(final)[1]  # contribution #2
    _replace_g1(data, last + 448 + 64, 3)  # tau.g1_sx
    with pytest.raises(T.CeremonyError, match=r"contribution #2 \(two\): invalid proof of knowledge of tau"):
        T.verify(_write(tmp_path, data))


def test_spliced_challenge_breaks_the_next_contribution(final, tmp_path):
    data = bytearray(final)
    first = _contribution_offsets(final)[0]
    data[first + 448 + 768 + 216] ^= 0xFF  # contribution #1's next challenge
    with pytest.raises(T.CeremonyError, match=r"contribution #2 \(two\): invalid proof of knowledge"):
        T.verify(_write(tmp_path, data))


def test_last_next_challenge_must_match_the_sections(final, tmp_path):
    data = bytearray(final)
    last = _contribution_offsets(final)[2]
    data[last + 448 + 768 + 216 + 5] ^= 0x01
    with pytest.raises(T.CeremonyError, match="next challenge"):
        T.verify(_write(tmp_path, data))


def test_beacon_parameters_must_give_the_key(final, tmp_path):
    data = bytearray(final)
    beacon = _contribution_offsets(final)[2]
    params = beacon + CONTRIBUTION_FIXED + 4
    # tag 1 (name), tag 2 (exp), tag 3 (hash): flip the hash's first byte
    name_len = data[params + 1]
    hash_start = params + 2 + name_len + 2 + 2
    data[hash_start] ^= 0x01
    with pytest.raises(T.CeremonyError, match="beacon key"):
        T.verify(_write(tmp_path, data))


def test_impossible_partial_hash(final, tmp_path):
    data = bytearray(final)
    last = _contribution_offsets(final)[2]
    struct.pack_into("<I", data, last + 448 + 768 + 200, 999)  # buffer position
    with pytest.raises(PartialHashError):
        T.verify(_write(tmp_path, data))
    assert zk("ptau", "verify", _write(tmp_path, data, "b.ptau")).exit_code == 2


def _header_file(power=POWER, ceremony=POWER, n8=32, prime=P, extra_sections=b"", count=None) -> bytes:
    header = struct.pack("<I", n8) + prime.to_bytes(n8, "little") + struct.pack("<II", power, ceremony)
    body = struct.pack("<IQ", 1, len(header)) + header + extra_sections
    n = count if count is not None else 1 + (1 if extra_sections else 0)
    return b"ptau" + struct.pack("<II", 1, n) + body


@pytest.mark.parametrize("data, message", [
    (b"", "not a ptau file"),
    (b"zkey" + bytes(20), "not a ptau file"),
    (b"ptau" + struct.pack("<II", 2, 0), "version 2"),
    (b"ptau" + struct.pack("<II", 1, 0xFFFFFFFF), "sections"),
    (b"ptau" + struct.pack("<II", 1, 1) + struct.pack("<IQ", 2, 1 << 62), "truncated"),
    (_header_file(power=0), "power 0"),
    (_header_file(power=40), "power 40"),
    (_header_file(ceremony=3), "ceremony power 3"),
    (_header_file(n8=48, prime=P), "n8 = 48"),
    (_header_file(prime=P - 2), "prime"),
    (_header_file(extra_sections=struct.pack("<IQ", 2, 64) + bytes(64)), "tauG1 section has 64 bytes"),
])
def test_hostile_headers(data, message, tmp_path):
    with pytest.raises(F.PtauError, match=message):
        F.read_ptau(_write(tmp_path, data))


def test_duplicate_and_unknown_sections(final, tmp_path):
    offset, size = _section(final, F.BETA_G2)
    dup = bytearray(final)
    struct.pack_into("<I", dup, 8, struct.unpack_from("<I", final, 8)[0] + 1)
    dup += struct.pack("<IQ", F.BETA_G2, size) + final[offset : offset + size]
    with pytest.raises(F.PtauError, match="twice"):
        F.read_ptau(bytes(dup))
    unknown = bytearray(final)
    struct.pack_into("<I", unknown, 8, struct.unpack_from("<I", final, 8)[0] + 1)
    unknown += struct.pack("<IQ", 9, 0)
    with pytest.raises(F.PtauError, match="unknown section id 9"):
        F.read_ptau(bytes(unknown))


def test_contribution_count_beyond_the_section(final):
    offset, _ = _section(final, F.CONTRIBUTIONS)
    data = bytearray(final)
    struct.pack_into("<I", data, offset, 1 << 30)
    with pytest.raises(F.PtauError, match="contributions"):
        F.read_ptau(bytes(data))


@pytest.mark.parametrize("fraction", [0.0005, 0.01, 0.2, 0.5, 0.8, 0.99, 0.9999])
def test_truncated_files(final, tmp_path, fraction):
    cut = final[: int(len(final) * fraction)]
    with pytest.raises(F.PtauError):
        F.read_ptau(cut)
    result = zk("ptau", "verify", _write(tmp_path, cut))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


def test_failed_write_leaves_no_file(final, tmp_path):
    src = _write(tmp_path, final)
    out = tmp_path / "missing_dir" / "out.ptau"
    result = zk("ptau", "contribute", src, out)
    assert result.exit_code == 2 and not out.exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_contributions_roundtrip_names(tmp_path):
    T.new(2, tmp_path / "a.ptau")
    long_name = "é" * 100  # cut to 64 characters like snarkjs
    T.contribute(tmp_path / "a.ptau", tmp_path / "b.ptau", name=long_name)
    ptau = F.read_ptau(tmp_path / "b.ptau")
    assert ptau.contributions[0].name == "é" * 64
    assert T.verify(tmp_path / "b.ptau").contributions[0].record.name == "é" * 64
