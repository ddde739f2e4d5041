"""The `zk` command line. Each area of the toolkit adds its commands in its own module here."""
from __future__ import annotations

import sys

import click


class UserError(click.ClickException):
    """A problem with the user's input: printed as one clear line, exit status 2, no traceback."""

    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zk")
def cli() -> None:
    """zk: R1CS circuits and Groth16 proofs on BN254, compatible with circom and snarkjs."""


def _register_commands() -> None:
    # Imported for their side effect of attaching commands to `cli`.
    import importlib

    for name in ("circuit", "groth16", "export", "credits"):
        try:
            importlib.import_module(f"zk.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"zk.cli.{name}":
                raise


def main() -> None:
    _register_commands()
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
