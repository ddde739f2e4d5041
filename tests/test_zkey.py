"""snarkjs .zkey files and the phase-2 ceremony, against the real snarkjs 0.7.6 (npm peer), both ways.

One snarkjs pipeline per session (power-8 powers of tau with one contribution, prepared; groth16
setup; one contribution; a beacon) on tests/data/snarkjs/mul.circom's compiled .r1cs/.wtns.
"""
from __future__ import annotations

import json
import pathlib
import re
import shutil
import struct

import numpy as np
import pytest
from click.testing import CliRunner

import zk.cli.groth16  # noqa: F401  (attaches the commands)
import zk.cli.zkey  # noqa: F401
from zk.cli import cli
from zk.formats import zkey as Z
from zk.formats.circom import read_r1cs, read_wtns
from zk.formats.snarkjs import read_vkey
from zk.groth16 import InvalidKey, prove, setup, verify

from snarkjs_peer import BEACON, ceremony_zkey, needs_snarkjs, snarkjs  # noqa: E402

DATA = pathlib.Path(__file__).parent / "data" / "snarkjs"
pytestmark = [pytest.mark.npm, needs_snarkjs]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def snarkjs_hashes(output: str) -> list[str]:
    """Contribution hashes from `snarkjs zkey verify`'s log, oldest first."""
    found = re.findall(r"contribution #(\d+)[^\n]*\n((?:\s*[0-9a-f]{8}(?: [0-9a-f]{8}){3}\n?){4})", output)
    return [h for _, h in sorted(((int(i), "".join(block.split())) for i, block in found))]


@pytest.fixture(scope="session")
def ceremony(tmp_path_factory):
    d = tmp_path_factory.mktemp("zkey")
    for name in ("mul.r1cs", "mul.wtns"):
        shutil.copy(DATA / name, d / name)
    ceremony_zkey(d, "mul.r1cs", "mul2.zkey", "vk.json", name="first", entropy="entropy")
    return d


# ---------------------------------------------------------------------------------------------
# The file format


@pytest.mark.parametrize("name", ["mul0.zkey", "mul1.zkey", "mul2.zkey"])
def test_snarkjs_zkeys_round_trip_byte_for_byte(ceremony, name):
    data = (ceremony / name).read_bytes()
    z = Z.read_zkey(ceremony / name)
    order = Z.SETUP_ORDER if name == "mul0.zkey" else Z.ID_ORDER
    assert Z.zkey_bytes(z, order=order) == data
    assert (z.n_vars, z.n_public, z.domain_size) == (6, 2, 8)
    assert len(z.contributions) == int(name[3])
    assert z.has_contribution == (name != "mul0.zkey")


def test_header_points_match_snarkjs_vkey(ceremony):
    z = Z.read_zkey(ceremony / "mul2.zkey")
    vk = read_vkey(ceremony / "vk.json")
    assert (z.alpha_g1, z.beta_g2, z.gamma_g2, z.delta_g2) == (vk.alpha_g1, vk.beta_g2, vk.gamma_g2, vk.delta_g2)
    assert Z.verifying_key(z).ic == vk.ic


def test_export_verificationkey_equals_snarkjs(ceremony, tmp_path):
    result = run("zkey", "export", "verificationkey", ceremony / "mul2.zkey", tmp_path / "vk.json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "vk.json").read_bytes() == (ceremony / "vk.json").read_bytes()


# ---------------------------------------------------------------------------------------------
# Proving from a zkey


def test_prove_with_snarkjs_zkey_verified_by_snarkjs(ceremony, tmp_path):
    result = run("prove", ceremony / "mul2.zkey", ceremony / "mul.wtns", tmp_path / "proof.json", tmp_path / "public.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "public.json").read_text()) == ["168", "3"]
    out = snarkjs("groth16", "verify", ceremony / "vk.json", tmp_path / "public.json", tmp_path / "proof.json",
                  cwd=tmp_path)
    assert "OK" in out.stdout


def test_prove_refuses_a_key_without_contribution(ceremony, tmp_path):
    args = [ceremony / "mul0.zkey", ceremony / "mul.wtns", tmp_path / "p.json", tmp_path / "q.json"]
    result = run("prove", *args)
    assert result.exit_code == 2 and "no phase-2 contribution" in result.output
    assert not (tmp_path / "p.json").exists()
    result = run("prove", *args, "--insecure-dev-key")
    assert result.exit_code == 0, result.output
    # readers still load it (for contributions), the library refuses it the same way
    z = Z.read_zkey(ceremony / "mul0.zkey")
    with pytest.raises(InvalidKey, match="phase-2"):
        Z.to_proving_key(z)


def test_prove_checks_the_witness_before_writing(ceremony, tmp_path):
    from zk.formats.circom import write_wtns

    witness = read_wtns(ceremony / "mul.wtns")
    witness[3] = (witness[3] + 1)  # a private signal off the circuit
    write_wtns(witness, tmp_path / "bad.wtns")
    result = run("prove", ceremony / "mul2.zkey", tmp_path / "bad.wtns", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 2 and "does not satisfy" in result.output
    assert not (tmp_path / "p.json").exists()
    result = run("prove", ceremony / "mul2.zkey", tmp_path / "bad.wtns", tmp_path / "p.json", tmp_path / "q.json",
                 "--r1cs", ceremony / "mul.r1cs")
    assert result.exit_code == 2 and "constraint 0" in result.output
    assert sum(line.startswith("Error") for line in result.output.splitlines()) == 1


def test_coefficient_records_order_rows_given_in_any_order():
    """snarkjs's section-4 order (by constraint, A before B, each matrix's own order within one,
    then the public rows) also for matrices whose rows are not sorted (a .zkey's own order)."""
    from zk.field import R
    from zk.field import arrays as field_arrays
    from zk.groth16.qap import Matrix, R1CSMatrices

    rng = np.random.default_rng(7)

    def matrix(k):
        return Matrix(rng.integers(0, 6, k).astype(np.int64), rng.integers(0, 5, k).astype(np.int64),
                      field_arrays.ints_to_raw([int(x) for x in rng.integers(1, 1 << 62, k)]))

    mats = R1CSMatrices(5, 1, 6, matrix(17), matrix(11), None)
    records = Z.coefficient_records(mats)
    body, extra = records[:-2], records[-2:]
    want = sorted([(int(r), 0, i) for i, r in enumerate(mats.a.rows)] + [(int(r), 1, i) for i, r in enumerate(mats.b.rows)])
    assert [(int(r["constraint"]), int(r["matrix"])) for r in body] == [(r, m) for r, m, _ in want]
    for (_, m, i), rec in zip(want, body):
        mat = mats.a if m == 0 else mats.b
        assert int(rec["signal"]) == mat.cols[i]
        assert field_arrays.raw_to_ints(rec["value"][None])[0] == (field_arrays.raw_to_ints(mat.coeffs[i][None])[0] * 2**256) % R
    assert [(int(r["matrix"]), int(r["constraint"]), int(r["signal"])) for r in extra] == [(0, 6, 0), (0, 7, 1)]


def test_zkey_from_our_key_proves_in_snarkjs(ceremony, tmp_path):
    cs = read_r1cs(ceremony / "mul.r1cs")
    pk, vk = setup(cs)
    Z.write_zkey(Z.from_proving_key(pk), tmp_path / "ours.zkey")
    snarkjs("groth16", "prove", tmp_path / "ours.zkey", ceremony / "mul.wtns", "proof.json", "public.json", cwd=tmp_path)
    snarkjs("zkey", "export", "verificationkey", tmp_path / "ours.zkey", "vk.json", cwd=tmp_path)
    from zk.formats.snarkjs import read_proof, read_public

    assert verify(vk, read_public(tmp_path / "public.json"), read_proof(tmp_path / "proof.json"))
    assert read_vkey(tmp_path / "vk.json").ic == vk.ic
    # and back: the zkey proves with zk, with the C matrix from the .r1cs
    back = Z.to_proving_key_with_r1cs(Z.read_zkey(tmp_path / "ours.zkey"), cs)
    proof, public = prove(back, read_wtns(ceremony / "mul.wtns"))
    assert verify(vk, public, proof)


def test_to_pk_refuses_another_circuit(ceremony, tmp_path):
    from zk.r1cs import Circuit, Private, Public, compile
    from zk.formats.circom import write_r1cs

    class Other(Circuit):
        x = Public()
        y = Public()
        w = Private()

        def define(self, api):
            api.assert_equal(self.w * self.w, self.x + self.y)

    write_r1cs(compile(Other), tmp_path / "other.r1cs")
    result = run("zkey", "to-pk", ceremony / "mul2.zkey", tmp_path / "other.r1cs", tmp_path / "x.pk")
    assert result.exit_code == 2
    result = run("zkey", "to-pk", ceremony / "mul2.zkey", ceremony / "mul.r1cs", tmp_path / "x.pk")
    assert result.exit_code == 0, result.output
    result = run("prove", tmp_path / "x.pk", ceremony / "mul.wtns", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 0, result.output


def test_to_pk_refuses_a_key_without_contribution(ceremony, tmp_path):
    # A key file never holds a gamma = delta key (its loader refuses one), so to-pk must not write it.
    result = run("zkey", "to-pk", ceremony / "mul0.zkey", ceremony / "mul.r1cs", tmp_path / "x.pk")
    assert result.exit_code == 2 and "no phase-2 contribution" in result.output
    assert not (tmp_path / "x.pk").exists()


# ---------------------------------------------------------------------------------------------
# Setup and the ceremony


def test_groth16_setup_is_byte_identical_to_snarkjs(ceremony, tmp_path):
    result = run("groth16", "setup", ceremony / "mul.r1cs", ceremony / "pot.ptau", tmp_path / "ours0.zkey")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ours0.zkey").read_bytes() == (ceremony / "mul0.zkey").read_bytes()


def test_beacon_is_byte_identical_to_snarkjs(ceremony, tmp_path):
    result = run("zkey", "beacon", ceremony / "mul1.zkey", tmp_path / "b.zkey", BEACON, 10)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.zkey").read_bytes() == (ceremony / "mul2.zkey").read_bytes()


@pytest.fixture(scope="session")
def mixed_chain(ceremony):
    """snarkjs setup -> zk contribution -> snarkjs contribution -> zk contribution -> zk beacon."""
    d = ceremony
    result = run("zkey", "contribute", d / "mul0.zkey", d / "m1.zkey", "--name", "zk one", "-e", "abc")
    assert result.exit_code == 0, result.output
    snarkjs("zkey", "contribute", "m1.zkey", "m2.zkey", "--name=snarkjs two", "-e=def", cwd=d)
    result = run("zkey", "contribute", d / "m2.zkey", d / "m3.zkey", "--name", "zk three")
    assert result.exit_code == 0, result.output
    result = run("zkey", "beacon", d / "m3.zkey", d / "m4.zkey", BEACON, 10)
    assert result.exit_code == 0, result.output
    return d / "m4.zkey"


def test_mixed_chain_verifies_in_both_tools_with_the_same_hashes(ceremony, mixed_chain):
    out = snarkjs("zkey", "verify", "mul.r1cs", "pot.ptau", mixed_chain, cwd=ceremony)
    assert "ZKey Ok!" in out.stdout + out.stderr
    theirs = snarkjs_hashes(out.stdout + out.stderr)
    assert len(theirs) == 4
    result = run("zkey", "verify", ceremony / "mul.r1cs", ceremony / "pot.ptau", mixed_chain)
    assert result.exit_code == 0, result.output
    ours = [m for m in snarkjs_hashes(result.output.replace("(beacon)", ""))]
    assert ours == theirs
    result = run("zkey", "verify", ceremony / "mul.r1cs", ceremony / "pot.ptau", mixed_chain, "--expect", ",".join(theirs))
    assert result.exit_code == 0 and "exactly the published" in result.output
    wrong = theirs[:1] + theirs[2:]
    result = run("zkey", "verify", ceremony / "mul.r1cs", ceremony / "pot.ptau", mixed_chain, "--expect", ",".join(wrong))
    assert result.exit_code == 1 and "published" in result.output
    swapped = [theirs[1], theirs[0]] + theirs[2:]
    result = run("zkey", "verify", ceremony / "mul.r1cs", ceremony / "pot.ptau", mixed_chain, "--expect", ",".join(swapped))
    assert result.exit_code == 1 and "contribution 1" in result.output


def test_proof_with_the_mixed_chain_key(ceremony, mixed_chain, tmp_path):
    result = run("prove", mixed_chain, ceremony / "mul.wtns", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 0, result.output
    snarkjs("zkey", "export", "verificationkey", mixed_chain, tmp_path / "vk.json", cwd=tmp_path)
    out = snarkjs("groth16", "verify", tmp_path / "vk.json", tmp_path / "q.json", tmp_path / "p.json", cwd=tmp_path)
    assert "OK" in out.stdout


# ---------------------------------------------------------------------------------------------
# Tampering: one line, the right exit status


def _sections(data: bytes) -> dict[int, tuple[int, int]]:
    return {k: v for k, v in Z.read_sections(np.frombuffer(data, dtype=np.uint8), Z.MAGIC, "t").items()}


def _problem_lines(output: str) -> int:
    return sum(line.startswith(("Error", "INVALID")) for line in output.splitlines())


def _flip(data: bytes, offset: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= 0x01
    return bytes(out)


@pytest.mark.parametrize("section", [2, 3, 4, 5, 6, 7, 8, 9, 10])
def test_a_flipped_byte_in_any_section_is_caught(ceremony, mixed_chain, tmp_path, section):
    data = mixed_chain.read_bytes()
    start, size = _sections(data)[section]
    # a byte inside the first point's x coordinate (or the first coefficient's value, the hash...)
    offset = {2: 84 + 5, 4: 4 + 12 + 3, 10: 64 + 4 + 5}.get(section, 5)
    bad = tmp_path / "bad.zkey"
    bad.write_bytes(_flip(data, start + offset))
    result = run("zkey", "verify", ceremony / "mul.r1cs", ceremony / "pot.ptau", bad)
    assert result.exit_code in (1, 2), result.output
    assert _problem_lines(result.output) == 1, result.output


def test_spliced_chain_is_refused(ceremony, mixed_chain, tmp_path):
    """Contribution 2 replaced by another party's contribution on the same predecessor."""
    d = ceremony
    snarkjs("zkey", "contribute", "m1.zkey", "other.zkey", "--name=mallory", "-e=xyz", cwd=d)
    z = Z.read_zkey(mixed_chain)
    other = Z.read_zkey(d / "other.zkey")
    z.contributions[1] = other.contributions[1]
    Z.write_zkey(z, tmp_path / "spliced.zkey")
    result = run("zkey", "verify", d / "mul.r1cs", d / "pot.ptau", tmp_path / "spliced.zkey")
    assert result.exit_code == 1 and "contribution" in result.output


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d[:-1], "truncated"),
    (lambda d: d[:100], "declares 10 sections"),
    (lambda d: b"zkex" + d[4:], "not a zkey file"),
    (lambda d: d[:4] + struct.pack("<I", 2) + d[8:], "version 2"),
])
def test_malformed_files(ceremony, tmp_path, mutate, message):
    bad = tmp_path / "bad.zkey"
    bad.write_bytes(mutate((ceremony / "mul2.zkey").read_bytes()))
    for args in (("zkey", "export", "verificationkey", bad, tmp_path / "vk.json"),
                 ("prove", bad, ceremony / "mul.wtns", tmp_path / "p.json", tmp_path / "q.json")):
        result = run(*args)
        assert result.exit_code == 2 and _problem_lines(result.output) == 1, result.output
    assert re.search(message, run(*args[:0], "zkey", "export", "verificationkey", bad, tmp_path / "v").output)


def test_hostile_header_sizes(ceremony, tmp_path):
    """nVars claims far more points than the sections hold: refused before anything is read."""
    data = bytearray((ceremony / "mul2.zkey").read_bytes())
    start, _ = _sections(bytes(data))[2]
    struct.pack_into("<I", data, start + 72, 1 << 30)
    bad = tmp_path / "bad.zkey"
    bad.write_bytes(bytes(data))
    result = run("zkey", "export", "verificationkey", bad, tmp_path / "vk.json")
    assert result.exit_code == 2 and "section" in result.output


def test_writes_are_atomic(ceremony, tmp_path, monkeypatch):
    target = tmp_path / "out.zkey"
    z = Z.read_zkey(ceremony / "mul2.zkey")

    def broken(*_args, **_kwargs):
        yield b"zkey"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Z, "_container", broken)
    with pytest.raises(OSError):
        Z.write_zkey(z, target)
    assert list(tmp_path.iterdir()) == []
