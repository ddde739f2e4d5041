"""`zk aot build|status`: the ahead-of-time compiled verifier (zk.aot; docs/aot.md)."""
from __future__ import annotations

import click

from zk.cli import UserError, cli


@cli.group("aot")
def aot_group() -> None:
    """The verifier compiled ahead of time (numba.pycc): `zk verify` without numba at run time."""


@aot_group.command("build")
def build_command() -> None:
    """Compile the verifier's kernels into an extension module for this machine (minutes of CPU,
    once per zk version, numba, Python and CPU). Kept in $ZK_AOT_DIR or ~/.cache/zk/aot."""
    from zk.aot import store

    click.echo(f"compiling the verifier with numba.pycc into {store.aot_dir()} (a few minutes)...", err=True)
    try:
        from zk.aot.build import build

        manifest = build()
    except store.AotError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write the module: {exc.strerror or exc}") from None
    except ImportError as exc:  # numba without pycc, or no distutils/setuptools to link with
        raise click.ClickException(f"numba.pycc is not available: {exc}") from None
    except Exception as exc:  # the compiler or linker failed (no C compiler, no Python headers...)
        first = (str(exc).strip().splitlines() or [""])[0]
        raise click.ClickException(f"the build failed ({type(exc).__name__}: {first}); "
                                   "zk verify keeps numba's JIT kernels") from None
    click.echo(f"built {manifest['module']} ({manifest['bytes'] / 1e6:.1f} MB) in {manifest['build_wall_s']} s "
               f"({manifest['build_cpu_s']} s CPU)")


@aot_group.command("status")
def status_command() -> None:
    """Whether a module for these sources and this machine is built and loads (exit status 0),
    or why `zk verify` uses the JIT kernels (exit status 1)."""
    from zk.aot import store

    usable, line = store.status()
    click.echo(line)
    if not usable:
        raise SystemExit(1)
