"""`zk ptau`: powers-of-tau ceremonies, file-compatible with snarkjs 0.7.6 `powersoftau`.

    zk ptau new 12 pot12_0000.ptau
    zk ptau contribute pot12_0000.ptau pot12_0001.ptau --name "alice"
    zk ptau beacon pot12_0001.ptau pot12_beacon.ptau <beacon hex> 10 --name "final beacon"
    zk ptau prepare pot12_beacon.ptau pot12_final.ptau
    zk ptau verify pot12_final.ptau          # exit 0 valid, 2 invalid or malformed

Each step prints the hashes a participant publishes; a malformed or tampered file is one line
naming what is wrong, exit status 2.
"""
from __future__ import annotations

import click

from zk.cli import UserError, progress_bar, ptau_group as ptau


def _errors():
    from zk.ceremony.blake2b import PartialHashError
    from zk.ceremony.powersoftau import CeremonyError
    from zk.formats.ptau import PtauError

    return (PtauError, CeremonyError, PartialHashError, OSError)


def _run(step, *args, **kwargs):
    try:
        return step(*args, progress=progress_bar, **kwargs)
    except _errors() as exc:
        message = str(exc)
        if isinstance(exc, OSError):
            message = f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
        raise UserError(message) from None


def _hash(title: str, digest: bytes) -> None:
    from zk.ceremony.keypair import format_hash

    click.echo(format_hash(digest, title))


@ptau.command("new")
@click.argument("power", type=click.IntRange(1, 28))
@click.argument("out", type=click.Path(dir_okay=False))
def new_cmd(power: int, out: str) -> None:
    """Start a ceremony for circuits of up to 2^POWER constraints."""
    from zk.ceremony import powersoftau as T

    digest = _run(T.new, power, out)
    _hash("First contribution hash (the challenge of contribution #1):", digest)


def _report(result) -> None:
    _hash("Contribution hash (publish this):", result.response_hash)
    _hash("Next challenge hash:", result.next_challenge)


@ptau.command("contribute")
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--name", "-n", default="", help="Your name or handle, stored in the file (first 64 characters).")
@click.option("--entropy", "-e", default="", help="Extra random text mixed into the OS randomness.")
def contribute_cmd(source: str, out: str, name: str, entropy: str) -> None:
    """Add a contribution: SOURCE times fresh secrets, written to OUT. The secrets come from the
    operating system's CSPRNG (plus --entropy) and never leave memory."""
    from zk.ceremony import powersoftau as T

    _report(_run(T.contribute, source, out, name=name, entropy=entropy))


@ptau.command("beacon")
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.argument("beacon_hash")
@click.argument("num_iterations_exp", type=click.IntRange(10, 63))
@click.option("--name", "-n", default="", help="A name for the beacon contribution.")
def beacon_cmd(source: str, out: str, beacon_hash: str, num_iterations_exp: int, name: str) -> None:
    """Add the final contribution from a public random beacon (hex BEACON_HASH, SHA-256 iterated
    2^NUM_ITERATIONS_EXP times): anyone can recompute it."""
    from zk.ceremony import powersoftau as T

    try:
        value = T.parse_beacon_hash(beacon_hash)
    except T.CeremonyError as exc:
        raise UserError(str(exc)) from None
    _report(_run(T.beacon, source, out, value, num_iterations_exp, name=name))


@ptau.command("prepare")
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
def prepare_cmd(source: str, out: str) -> None:
    """Add the Lagrange bases phase 2 needs (snarkjs `powersoftau preparephase2`)."""
    from zk.ceremony import powersoftau as T

    _run(T.prepare, source, out)
    click.echo(f"prepared {out}", err=True)


@ptau.command("verify")
@click.argument("source", type=click.Path(dir_okay=False))
def verify_cmd(source: str) -> None:
    """Check every contribution and the points; print each contribution's hash. Exit 0 when
    valid, 2 (with one line saying what is wrong) otherwise."""
    from zk.ceremony import powersoftau as T

    report = _run(T.verify, source)
    click.echo(f"power 2^{report.power} (ceremony 2^{report.ceremony_power}), {len(report.contributions)} contributions")
    for c in report.contributions:
        click.echo(f"contribution #{c.index}: {c.record.name}")
        _hash("\tContribution hash:", c.response_hash)
        _hash("\tNext challenge:", c.record.next_challenge)
        if c.record.beacon_hash is not None:
            click.echo(f"\tbeacon {c.record.beacon_hash.hex()}, 2^{c.record.num_iterations_exp} SHA-256 iterations")
    if not report.prepared:
        click.echo("not prepared for phase 2 (run `zk ptau prepare`)", err=True)
    click.echo("powers of tau OK")
