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
import os
import pkgutil
import sys
from contextlib import contextmanager

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
    """Proving keys (like `snarkjs zkey`): .zkey ceremonies, zk .pk conversions, shards."""


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
    from importlib.metadata import entry_points

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in cli.commands:
            cli.add_command(entry.load(), entry.name)
    # A group no module has filled yet (`zk wtns` before its commands exist) stays out of the help.
    for name, command in list(cli.commands.items()):
        if isinstance(command, click.Group) and not command.commands:
            del cli.commands[name]


# The commands a user runs most, and the modules of this package that define them (for a group,
# every module that adds to it). `main` imports only these when the command line names one:
# importing every module and loading the installed applications' entry points costs about
# 0.05 s of CPU that `zk prove` and `zk verify` need not pay. Any other name, or none (`zk
# --help`), registers everything. tests/test_cli_tree.py checks each entry against that.
FAST_HOMES = {
    "prove": ("groth16",),
    "verify": ("groth16",),
    "setup": ("groth16",),
    "vkey": ("groth16",),
    "groth16": ("groth16", "zkey", "fullprove", "distributed"),
    "zkey": ("zkey", "distributed"),
    "ptau": ("ptau",),
    "aot": ("aot",),
}


_whole_process = False


def whole_process() -> bool:
    """True when this process is a FAST_HOMES command started by :func:`main`, which ends it with
    :func:`_exit_now`: the command may then make process-wide choices (the garbage collector's
    settings) that a program calling it in-process must not get."""
    return _whole_process


def register_for(args: list[str]) -> bool:
    """Attach the commands ``args`` (the command line after ``zk``) can reach: its command's
    modules when :data:`FAST_HOMES` names them (then True), else everything (False)."""
    homes = FAST_HOMES.get(args[0]) if args and not args[0].startswith("-") else None
    if homes is None:
        _register_commands()
        return False
    for home in homes:
        importlib.import_module(f"{__name__}.{home}")
    return True


def _exit_now(code) -> None:
    """End the process as ``sys.exit(code)`` would, without the interpreter's teardown.

    Freeing every module, numba dispatcher and LLVM's JIT memory one by one costs a proving
    process about 0.15 s of CPU after its work is done. Used for the FAST_HOMES commands only:
    they start no threads of their own and write their files with closed, renamed temporary
    files, so all that is left to do is what normal exit does first (atexit handlers, which
    also run weakref finalizers) and flushing the standard streams."""
    import atexit

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(status)


# Environment defaults for a `zk` process, set before numpy is first imported (a user's own
# value wins). numpy's OpenBLAS starts a thread per core when it loads, and those threads spin
# for a while: about 0.05-0.09 s of CPU, on the core the prover's kernels want next, for a
# library zk never calls (no matrix products or linear algebra anywhere in zk; the kernels are
# numba's, with numba's own threads).
PROCESS_ENV_DEFAULTS = {"OPENBLAS_NUM_THREADS": "1"}


def main() -> None:
    global _whole_process
    for name, value in PROCESS_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    fast = _whole_process = register_for(sys.argv[1:])
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit as exc:
        if not fast:
            raise
        _exit_now(exc.code)
