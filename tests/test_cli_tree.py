"""The command tree: snarkjs-shaped groups made by the library, older names kept as aliases, and
application commands (zk credits) reaching `zk` only through the `zk.commands` entry point."""
from __future__ import annotations

from importlib.metadata import entry_points

from click.testing import CliRunner

from zk.cli import ENTRY_POINT_GROUP, _register_commands, cli, groth16_group

_register_commands()


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_groth16_group_and_the_older_names_are_the_same_commands():
    assert groth16_group.commands["prove"] is cli.commands["prove"]
    assert groth16_group.commands["verify"] is cli.commands["verify"]
    help_text = invoke("groth16", "--help").output
    assert "prove" in help_text and "verify" in help_text


def test_single_party_setup_is_labelled_for_development():
    assert "Development setup" in invoke("setup", "--help").output
    # `zk groth16 setup` is the ceremony's (snarkjs's arguments: circuit, powers of tau, zkey),
    # a different command from the single-party development setup.
    ceremony_setup = groth16_group.commands["setup"]
    assert ceremony_setup is not cli.commands["setup"]
    arguments = [p.name for p in ceremony_setup.params if p.param_type_name == "argument"]
    assert arguments == ["r1cs", "ptau", "zkey"]


def test_groups_without_commands_stay_out_of_the_help():
    listed = invoke("--help").output
    for name, command in cli.commands.items():
        assert name in listed
        if hasattr(command, "commands"):
            assert command.commands, f"empty group {name} was registered"


def test_credits_arrives_through_the_entry_point():
    registered = {entry.name: entry.value for entry in entry_points(group=ENTRY_POINT_GROUP)}
    assert registered.get("credits") == "circuits.app.cli:credits"
    assert cli.commands["credits"] is entry_points(group=ENTRY_POINT_GROUP)["credits"].load()


def test_a_bad_command_is_one_line_and_exit_2():
    result = invoke("wtns-nonsense")
    assert result.exit_code == 2 and "No such command" in result.output


def _tree(command) -> dict:
    return {name: _tree(sub) for name, sub in getattr(command, "commands", {}).items()}


_FAST_TREE = r"""
import json, sys
import zk.cli as c
c.register_for([sys.argv[1]])
def tree(command):
    return {name: tree(sub) for name, sub in getattr(command, "commands", {}).items()}
print(json.dumps(tree(c.cli.commands[sys.argv[1]])))
"""


def test_fast_registration_reaches_the_same_commands():
    """`zk prove` and the other FAST_HOMES commands import only their own modules: each must
    reach the very command tree the full registration gives under that name."""
    import json
    import subprocess
    import sys

    from zk.cli import FAST_HOMES

    for name in FAST_HOMES:
        done = subprocess.run([sys.executable, "-c", _FAST_TREE, name], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == _tree(cli.commands[name]), name
