"""Deeply nested JSON is refused with a clear error by every reader, even when something in the
process has raised Python's recursion limit (then json's C parser would overflow the C stack)."""
import sys

import pytest
from click.testing import CliRunner

from circuits.app.wallet import BlobError, import_assignment
from zk.cli import _register_commands, cli
from zk.formats.jsonio import parse_json

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def raised_recursion_limit():
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    yield
    sys.setrecursionlimit(previous)


def test_parse_json_refuses_deep_nesting(raised_recursion_limit):
    with pytest.raises(ValueError, match="nested"):
        parse_json(DEEP)
    assert sys.getrecursionlimit() == 1_000_000  # restored
    assert parse_json(b'{"a": [[1, 2], {"b": "c"}]}') == {"a": [[1, 2], {"b": "c"}]}


def test_wallet_blob_refuses_deep_nesting(raised_recursion_limit):
    with pytest.raises(BlobError):
        import_assignment(DEEP)


@pytest.mark.parametrize("command", [["verify", "{deep}", "{ok}", "{ok}"], ["witness", "x:Y", "{deep}", "-o", "{out}"]])
def test_cli_refuses_deep_json(tmp_path, raised_recursion_limit, command):
    _register_commands()
    deep, ok = tmp_path / "deep.json", tmp_path / "ok.json"
    deep.write_text(DEEP)
    ok.write_text("[]")
    args = [a.format(deep=deep, ok=ok, out=tmp_path / "w.wtns") for a in command]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "JSON" in result.output and "deep.json" in result.output
