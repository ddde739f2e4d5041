"""`zk ptau` against snarkjs 0.7.6 in both directions, at power 5.

The files are made once per test session: two mixed chains (snarkjs new -> zk contribute ->
snarkjs contribute -> zk beacon, and zk new -> snarkjs contribute -> zk contribute -> snarkjs
beacon), each verified by both tools, and each tool's prepare of the same file.
"""
from __future__ import annotations

import pathlib
import subprocess

import pytest
from click.testing import CliRunner

from zk.ceremony import powersoftau as T
from zk.cli import cli
from zk.formats.ptau import read_ptau

ROOT = pathlib.Path(__file__).resolve().parent.parent
SNARKJS = ROOT / "node_modules" / ".bin" / "snarkjs"
POWER = 5
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

pytestmark = [
    pytest.mark.npm,
    pytest.mark.skipif(not SNARKJS.exists(), reason="npm peers not installed (run `make npm`)"),
]


def snarkjs(*args, check=True):
    result = subprocess.run([str(SNARKJS), *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"snarkjs {' '.join(map(str, args))}:\n{result.stdout}\n{result.stderr}"
    return result


def snarkjs_verifies(path) -> bool:
    result = snarkjs("powersoftau", "verify", path, check=False)
    ok = "Powers of Tau Ok!" in result.stdout + result.stderr
    return ok and result.returncode == 0


def zk(*args):
    import zk.cli.ptau  # noqa: F401  (attaches the group)

    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def chains(tmp_path_factory):
    d = tmp_path_factory.mktemp("ptau")
    files = {}
    # snarkjs starts, the tools alternate, zk closes with the beacon.
    snarkjs("powersoftau", "new", "bn128", POWER, d / "s0.ptau")
    T.contribute(d / "s0.ptau", d / "s1.ptau", name="zk alice", entropy="some text")
    snarkjs("powersoftau", "contribute", d / "s1.ptau", d / "s2.ptau", "--name=snarkjs bob", "-e=more text")
    T.beacon(d / "s2.ptau", d / "s3.ptau", bytes.fromhex(BEACON), 10, name="zk beacon")
    snarkjs("powersoftau", "beacon", d / "s2.ptau", d / "s3_snarkjs.ptau", BEACON, 10, "-n=zk beacon")
    # zk starts, snarkjs closes.
    T.new(POWER, d / "z0.ptau")
    snarkjs("powersoftau", "new", "bn128", POWER, d / "z0_snarkjs.ptau")
    snarkjs("powersoftau", "contribute", d / "z0.ptau", d / "z1.ptau", "--name=snarkjs carol", "-e=entropy")
    T.contribute(d / "z1.ptau", d / "z2.ptau", name="zk dave")
    snarkjs("powersoftau", "beacon", d / "z2.ptau", d / "z3.ptau", BEACON, 10, "-n=snarkjs beacon")
    # Both tools prepare the same file.
    T.prepare(d / "s3.ptau", d / "s_final.ptau")
    snarkjs("powersoftau", "prepare", "phase2", d / "s3.ptau", d / "s_final_snarkjs.ptau")
    for path in d.iterdir():
        files[path.stem] = path
    return files


def test_new_is_byte_identical(chains):
    assert chains["z0"].read_bytes() == chains["z0_snarkjs"].read_bytes()


def test_beacon_is_byte_identical(chains):
    assert chains["s3"].read_bytes() == chains["s3_snarkjs"].read_bytes()


def test_prepare_is_byte_identical(chains):
    assert chains["s_final"].read_bytes() == chains["s_final_snarkjs"].read_bytes()


@pytest.mark.parametrize("name", ["s1", "s3", "z2", "s_final"])
def test_snarkjs_verifies_zk_files(chains, name):
    assert snarkjs_verifies(chains[name])


@pytest.mark.parametrize("name", ["s2", "z1", "z3", "s_final_snarkjs"])
def test_zk_verifies_snarkjs_files(chains, name):
    report = T.verify(chains[name])
    assert report.power == POWER
    assert [c.index for c in report.contributions] == list(range(1, len(report.contributions) + 1))


def test_verify_prints_each_contribution_hash(chains):
    result = zk("ptau", "verify", chains["s_final"])
    assert result.exit_code == 0, result.output
    report = T.verify(chains["s_final"])
    assert [c.record.name for c in report.contributions] == ["zk alice", "snarkjs bob", "zk beacon"]
    for c in report.contributions:
        first_line = c.response_hash[:16].hex()
        assert " ".join(first_line[i : i + 8] for i in range(0, 32, 8)) in result.output
    # snarkjs prints the same contribution (response) hashes.
    theirs = snarkjs("powersoftau", "verify", chains["s_final"]).stdout
    for c in report.contributions:
        first_line = c.response_hash[:16].hex()
        assert " ".join(first_line[i : i + 8] for i in range(0, 32, 8)) in theirs


def test_contribution_hash_matches_what_snarkjs_prints(chains, tmp_path):
    result = snarkjs("powersoftau", "contribute", chains["z2"], tmp_path / "next.ptau", "--name=x", "-e=y")
    report = T.verify(tmp_path / "next.ptau")
    first_line = report.contributions[-1].response_hash[:16].hex()
    assert " ".join(first_line[i : i + 8] for i in range(0, 32, 8)) in result.stdout + result.stderr


def test_reduced_and_unknown_inputs_refused(chains, tmp_path):
    empty = T.new(POWER, tmp_path / "fresh.ptau")
    assert len(empty) == 64
    with pytest.raises(T.CeremonyError, match="no contributions"):
        T.verify(tmp_path / "fresh.ptau")
    result = zk("ptau", "verify", tmp_path / "fresh.ptau")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


def test_contributing_to_a_prepared_file_drops_the_lagrange_sections(chains, tmp_path):
    T.contribute(chains["s_final"], tmp_path / "again.ptau", name="after prepare")
    ptau = read_ptau(tmp_path / "again.ptau")
    assert not ptau.prepared and len(ptau.contributions) == 4
    assert snarkjs_verifies(tmp_path / "again.ptau")
