"""The `zk` command line, shaped like snarkjs's: `zk groth16 prove|verify`, `zk zkey ...`,
`zk ptau ...`, `zk wtns ...`.

The groups are made here so that each area attaches its commands from its own module
(`from zk.cli import zkey_group` ... `@zkey_group.command("verify")` in zk/cli/zkey.py); every
module of this package is imported when the command line starts. Applications built on zk (the
Community Credits commands in circuits/app/cli.py) are not named here: they register a click
command under the entry-point group `zk.commands` in their pyproject.toml.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from contextlib import contextmanager
from importlib.metadata import entry_points

import click

ENTRY_POINT_GROUP = "zk.commands"


class UserError(click.ClickException):
    """A problem with the user's input: printed as one clear line, exit status 2, no traceback."""

    exit_code = 2


class _Silent:
    def update(self, n: int) -> None:
        pass


@contextmanager
def progress_bar(label: str, total: int):
    """The ``progress`` argument of long library steps (ceremonies, setup): a bar on stderr when
    it is a terminal; nothing otherwise (logs and pipes stay clean)."""
    if not sys.stderr.isatty():
        yield _Silent()
        return
    with click.progressbar(length=max(total, 1), label=label, file=sys.stderr, show_eta=True) as bar:
        yield bar


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zk")
def cli() -> None:
    """zk: R1CS circuits and Groth16 proofs on BN254, compatible with circom and snarkjs."""


@cli.group("groth16")
def groth16_group() -> None:
    """Groth16 proofs (like `snarkjs groth16`): prove, verify."""


@cli.group("zkey")
def zkey_group() -> None:
    """Proving keys in snarkjs's .zkey format (like `snarkjs zkey`)."""


@cli.group("ptau")
def ptau_group() -> None:
    """Powers-of-tau ceremony files (like `snarkjs powersoftau`)."""


@cli.group("wtns")
def wtns_group() -> None:
    """Witness files in circom's .wtns format (like `snarkjs wtns`)."""


_registered = False


def _register_commands() -> None:
    """Import every module of this package (each attaches its commands) and add the commands that
    installed applications declare under the `zk.commands` entry-point group. Idempotent."""
    global _registered
    if _registered:
        return
    _registered = True
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in cli.commands:
            cli.add_command(entry.load(), entry.name)
    # A group no module has filled yet (`zk wtns` before its commands exist) stays out of the help.
    for name, command in list(cli.commands.items()):
        if isinstance(command, click.Group) and not command.commands:
            del cli.commands[name]


def main() -> None:
    _register_commands()
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
