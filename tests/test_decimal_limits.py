"""Over-long decimal strings and JSON integers, everywhere JSON numbers are read.

Before the limit, a 5,000-digit string in public.json made `zk verify` die with Python's
"Exceeds the limit (4300 digits)" ValueError traceback and exit 1, which means "invalid proof".
Now every reader refuses more than 78 digits (10^78 > 2^256) with its own format error, and the
CLI says so in one line with exit 2.
"""
from __future__ import annotations

import json
import pathlib

import click
import pytest
from click.testing import CliRunner

import zk.cli.circuit  # noqa: F401  (attaches the commands)
import zk.cli.export  # noqa: F401
import zk.cli.groth16  # noqa: F401
from zk.cli import cli
from zk.curve import PointEncodingError
from zk.formats.snarkjs import g1_from_snarkjs
from zk.field.decimal import MAX_DECIMAL_DIGITS, parse_decimal
from zk.formats import snarkjs as S
from zk.formats.jsonio import parse_json
from zk.formats.solidity import SolidityExportError, parse_public_signals
from zk.r1cs import InputError
from zk.r1cs.field import parse_element

DATA = pathlib.Path(__file__).parent / "data" / "snarkjs"
LONG = ["1" * 79, "9" * 5000]


def test_parser_limit_is_78_digits():
    assert parse_decimal("9" * MAX_DECIMAL_DIGITS, "x") == int("9" * 78)
    with pytest.raises(ValueError, match="79 digits"):
        parse_decimal("9" * 79, "x")
    assert parse_decimal("0x" + "f" * 64, "x", lenient=True) == (1 << 256) - 1
    with pytest.raises(ValueError, match="65 digits"):
        parse_decimal("0x" + "f" * 65, "x", lenient=True)
    with pytest.raises(ValueError, match="79 digits"):
        parse_decimal(" -" + "1" * 79, "x", lenient=True)


def test_bare_json_integers_are_limited():
    assert parse_json("[" + "9" * 78 + "]") == [int("9" * 78)]
    with pytest.raises(ValueError, match="79 digits"):
        parse_json("[" + "9" * 79 + "]")


@pytest.mark.parametrize("text", LONG)
def test_each_reader_raises_its_own_error(text):
    with pytest.raises(S.SnarkjsFormatError, match=f"{len(text)} digits"):
        S.public_from_json([text])
    with pytest.raises(PointEncodingError, match=f"{len(text)} digits"):
        g1_from_snarkjs([text, "2", "1"])
    with pytest.raises(SolidityExportError, match=f"{len(text)} digits"):
        parse_public_signals([text])
    with pytest.raises(InputError, match=f"{len(text)} digits"):
        parse_element(text, "input x")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_error_line(result, needle):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], result.output


@pytest.mark.parametrize("text", LONG)
def test_verify_public_json(tmp_path, text):
    (tmp_path / "public.json").write_text(json.dumps([text, "3"]))
    one_error_line(run("verify", DATA / "verification_key.json", tmp_path / "public.json", DATA / "proof.json"),
                   f"{len(text)} digits")


@pytest.mark.parametrize("text", LONG)
def test_verify_proof_json(tmp_path, text):
    proof = json.loads((DATA / "proof.json").read_text())
    proof["pi_a"][0] = text
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    one_error_line(run("verify", DATA / "verification_key.json", DATA / "public.json", tmp_path / "proof.json"),
                   f"{len(text)} digits")


@pytest.mark.parametrize("text", LONG)
def test_verify_vkey_json(tmp_path, text):
    vkey = json.loads((DATA / "verification_key.json").read_text())
    vkey["IC"][1][1] = text
    (tmp_path / "vk.json").write_text(json.dumps(vkey))
    one_error_line(run("verify", tmp_path / "vk.json", DATA / "public.json", DATA / "proof.json"),
                   f"{len(text)} digits")


def test_bare_integer_in_public_json(tmp_path):
    (tmp_path / "public.json").write_text("[" + "7" * 5000 + ", 3]")
    one_error_line(run("verify", DATA / "verification_key.json", tmp_path / "public.json", DATA / "proof.json"),
                   "not valid JSON")


@pytest.mark.parametrize("text", LONG)
def test_calldata_public_json(tmp_path, text):
    (tmp_path / "public.json").write_text(json.dumps([text, "3"]))
    one_error_line(run("export", "calldata", tmp_path / "public.json", DATA / "proof.json"), f"{len(text)} digits")


@pytest.mark.parametrize("text", LONG)
def test_witness_json(tmp_path, text):
    from zk.cli import UserError
    from zk.cli.groth16 import _read_witness

    (tmp_path / "witness.json").write_text(json.dumps(["1", text]))
    with pytest.raises(UserError, match=f"witness value 1: a decimal string of {len(text)} digits"):
        _read_witness(str(tmp_path / "witness.json"))
