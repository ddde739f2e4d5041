"""`zk compile`, `zk info`, `zk witness` through click's CliRunner."""
import json
import sys
import textwrap

import pytest
from click.testing import CliRunner

import zk.cli.circuit  # noqa: F401  (attaches the commands)
from zk.cli import cli
from zk.formats.circom import read_r1cs, read_sym, read_wtns
from zk.gadgets.poseidon import poseidon
from zk.r1cs import R

CIRCUIT_SOURCE = textwrap.dedent("""
    from zk.r1cs import Circuit, Output, Private, Public
    from zk.gadgets import poseidon_gadget

    class Commit(Circuit):
        digest = Output()
        salt = Public()
        secret = Private()

        def define(self, api):
            api.assert_range(self.secret, 64)
            api.set_output(self.digest, poseidon_gadget(api, [self.secret, self.salt]))

    class Leaky(Circuit):
        x = Public()
        unused = Private()

        def define(self, api):
            api.assert_boolean(self.x)

    class Broken(Circuit):
        x = Public()

        def define(self, api):
            if self.x == 0:
                pass

    NOT_A_CIRCUIT = 3
""")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "mycircuits.py").write_text(CIRCUIT_SOURCE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("mycircuits", None)


def invoke(*args):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result


def test_compile_writes_r1cs_and_sym(workdir):
    result = invoke("compile", "mycircuits:Commit", "-o", "commit.r1cs")
    assert result.exit_code == 0, result.output
    assert "constraints:     304" in result.output  # 64 bits + Poseidon(2) 240
    cs = read_r1cs(workdir / "commit.r1cs", workdir / "commit.sym")
    assert (cs.n_outputs, cs.n_public_inputs, cs.n_private_inputs, cs.n_constraints) == (1, 1, 1, 304)
    assert [s.name for s in read_sym(workdir / "commit.sym")][:3] == ["main.digest", "main.salt", "main.secret"]


def test_compile_from_file_path_and_info(workdir):
    result = invoke("compile", str(workdir / "mycircuits.py") + ":Commit", "-o", "c.r1cs", "--sym", "names.sym")
    assert result.exit_code == 0, result.output
    assert (workdir / "names.sym").exists()
    info = invoke("info", "c.r1cs")
    assert info.exit_code == 0
    assert "constraints:     304" in info.output and "private inputs:  1" in info.output


def test_witness_command(workdir):
    (workdir / "input.json").write_text(json.dumps({"salt": "12345", "secret": 42}))
    result = invoke("witness", "mycircuits:Commit", "input.json", "-o", "w.wtns")
    assert result.exit_code == 0, result.output
    expected = poseidon([42, 12345])
    assert f"digest = {expected}" in result.output
    witness = read_wtns(workdir / "w.wtns")
    assert witness[:4] == [1, expected, 12345, 42]
    invoke("compile", "mycircuits:Commit", "-o", "commit.r1cs")
    read_r1cs(workdir / "commit.r1cs").check(witness)


def test_linter_warnings_are_printed(workdir):
    result = invoke("compile", "mycircuits:Leaky", "-o", "l.r1cs")
    assert result.exit_code == 0
    assert "warning: private input unused appears in no constraint" in result.output


@pytest.mark.parametrize("args, message", [
    (("compile", "nosuchmodule:X", "-o", "x.r1cs"), "cannot import 'nosuchmodule'"),
    (("compile", "mycircuits:Missing", "-o", "x.r1cs"), "has no attribute 'Missing'"),
    (("compile", "mycircuits:NOT_A_CIRCUIT", "-o", "x.r1cs"), "is not a Circuit subclass"),
    (("compile", "mycircuits", "-o", "x.r1cs"), "expected MODULE:CLASS"),
    (("compile", "missing/file.py:X", "-o", "x.r1cs"), "does not exist"),
    (("compile", "mycircuits:Broken", "-o", "x.r1cs"), "cannot be compared with =="),
    (("info", "mycircuits.py"), "not a r1cs file"),
    (("info", "nothing.r1cs"), "cannot read"),
])
def test_clear_errors(workdir, args, message):
    result = invoke(*args)
    assert result.exit_code != 0
    assert message in result.output


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
    (json.dumps({"salt": str(R), "secret": 1}), "is not below the field modulus"),
    (json.dumps({"salt": 1}), "missing input 'secret'"),
    (json.dumps({"salt": 1, "secret": 2, "extra": 3}), "input 'extra' is not declared"),
    (json.dumps({"salt": 1, "secret": 2**64}), "is not satisfied"),
])
def test_witness_errors(workdir, content, message):
    (workdir / "input.json").write_text(content)
    result = invoke("witness", "mycircuits:Commit", "input.json", "-o", "w.wtns")
    assert result.exit_code != 0
    assert message in result.output
    assert not (workdir / "w.wtns").exists()


def test_unsatisfied_names_constraint(workdir):
    (workdir / "input.json").write_text(json.dumps({"salt": 1, "secret": 2**64}))
    result = invoke("witness", "mycircuits:Commit", "input.json", "-o", "w.wtns")
    assert "constraint 63 (assert_range(64)/to_bits at mycircuits.py:11) is not satisfied" in result.output


def test_missing_input_file(workdir):
    result = invoke("witness", "mycircuits:Commit", "nope.json", "-o", "w.wtns")
    assert result.exit_code != 0 and "cannot read nope.json" in result.output
