"""`zk groth16 setup` and `zk zkey ...`: snarkjs .zkey files and the phase-2 ceremony.

    zk groth16 setup circuit.r1cs pot.ptau circuit_0000.zkey
    zk zkey contribute circuit_0000.zkey circuit_0001.zkey --name alice
    zk zkey beacon circuit_0001.zkey circuit_final.zkey <beacon hash hex> 10
    zk zkey verify circuit.r1cs pot.ptau circuit_final.zkey --expect HASH1,HASH2
    zk zkey export verificationkey circuit_final.zkey verification_key.json
    zk zkey from-pk circuit.pk circuit.zkey          # zk's own key file -> .zkey
    zk zkey to-pk circuit.zkey circuit.r1cs circuit.pk

Every output is written atomically; every bad input is one line on stderr and exit status 2.
"""
from __future__ import annotations

import click

from zk.cli import UserError, groth16_group, progress_bar, zkey_group


def _errors():
    from zk.ceremony.phase2 import CeremonyError
    from zk.curve import CurveError
    from zk.formats.binio import BinaryFormatError
    from zk.formats.circom import CircomFormatError
    from zk.formats.snarkjs import SnarkjsFormatError
    from zk.formats.zkey import ZkeyFormatError
    from zk.groth16 import Groth16Error, QAPError

    errors = [CeremonyError, CurveError, BinaryFormatError, CircomFormatError, SnarkjsFormatError, ZkeyFormatError,
              Groth16Error, QAPError]
    from zk.formats.ptau import PtauError

    errors.append(PtauError)
    return tuple(errors)


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except _errors() as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"{exc.filename or 'file'}: {exc.strerror or exc}") from None


def _read_zkey(path: str, *, points: bool = True):
    from zk.formats.zkey import read_zkey

    return _run(read_zkey, path, points=points)


def _read_ptau(path: str):
    from zk.formats.ptau import read_ptau

    return _run(read_ptau, path)


def _format_hash(digest: bytes, title: str) -> str:
    from zk.ceremony.keypair import format_hash

    return format_hash(digest, title)


@groth16_group.command("setup")
@click.argument("r1cs", metavar="CIRCUIT.r1cs", type=click.Path(dir_okay=False))
@click.argument("ptau", metavar="POT.ptau", type=click.Path(dir_okay=False))
@click.argument("zkey", metavar="CIRCUIT_0000.zkey", type=click.Path(dir_okay=False))
def setup_command(r1cs: str, ptau: str, zkey: str) -> None:
    """The initial .zkey of a circuit from a powers-of-tau file (snarkjs `groth16 setup`; the same
    bytes). The ptau need not be prepared. The key has no phase-2 contribution yet: `zk prove`
    refuses it until one is made with `zk zkey contribute`."""
    from zk.ceremony.phase2 import new_zkey
    from zk.formats.zkey import SETUP_ORDER, write_zkey

    z = _run(new_zkey, r1cs, _read_ptau(ptau), progress=progress_bar)
    _run(write_zkey, z, zkey, order=SETUP_ORDER)
    click.echo(_format_hash(z.cs_hash, "Circuit hash:"))


@zkey_group.command("contribute")
@click.argument("old", metavar="IN.zkey", type=click.Path(dir_okay=False))
@click.argument("new", metavar="OUT.zkey", type=click.Path(dir_okay=False))
@click.option("--name", default=None, help="Your name or handle, stored in the contribution.")
@click.option("-e", "--entropy", default="", help="Extra entropy text, hashed together with 64 bytes from the OS CSPRNG.")
def contribute_command(old: str, new: str, name: str | None, entropy: str) -> None:
    """Add a phase-2 contribution (snarkjs `zkey contribute`). Its secret comes from the OS CSPRNG
    (plus --entropy), lives only in memory and is gone when this command ends. Publish the
    printed hash: verifiers check it with `zk zkey verify --expect`."""
    from zk.ceremony.phase2 import contribute
    from zk.formats.zkey import write_zkey

    z = _read_zkey(old)
    out, digest = _run(contribute, z, entropy=entropy, name=name, progress=progress_bar)
    _run(write_zkey, out, new)
    click.echo(_format_hash(out.cs_hash, "Circuit hash:"))
    click.echo(_format_hash(digest, "Contribution hash:"))


@zkey_group.command("beacon")
@click.argument("old", metavar="IN.zkey", type=click.Path(dir_okay=False))
@click.argument("new", metavar="OUT.zkey", type=click.Path(dir_okay=False))
@click.argument("beacon_hash", metavar="BEACON_HASH_HEX")
@click.argument("exp", metavar="NUM_ITERATIONS_EXP", type=int)
@click.option("--name", default=None, help="A name stored in the contribution.")
def beacon_command(old: str, new: str, beacon_hash: str, exp: int, name: str | None) -> None:
    """The final, public contribution (snarkjs `zkey beacon`): its secret is SHA-256 iterated
    2^NUM_ITERATIONS_EXP times (10..63) over a public random value, e.g. a future block hash."""
    from zk.ceremony.phase2 import beacon
    from zk.formats.zkey import write_zkey

    try:
        raw = bytes.fromhex(beacon_hash)
    except ValueError:
        raise UserError(f"beacon hash {beacon_hash[:40]!r} is not hexadecimal") from None
    if not raw or len(raw) > 255:
        raise UserError("the beacon hash must be 1 to 255 bytes")
    if not 10 <= exp <= 63:
        raise UserError(f"NUM_ITERATIONS_EXP must be between 10 and 63, got {exp}")
    z = _read_zkey(old)
    out, digest = _run(beacon, z, raw, exp, name=name, progress=progress_bar)
    _run(write_zkey, out, new)
    click.echo(_format_hash(digest, "Contribution hash:"))


@zkey_group.command("verify")
@click.argument("r1cs", metavar="CIRCUIT.r1cs", type=click.Path(dir_okay=False))
@click.argument("ptau", metavar="POT.ptau", type=click.Path(dir_okay=False))
@click.argument("zkey", metavar="CIRCUIT.zkey", type=click.Path(dir_okay=False))
@click.option("--expect", default=None, metavar="HASH,...",
              help="The contribution hashes the participants published, in order: fail unless the chain is exactly these.")
@click.pass_context
def verify_command(ctx: click.Context, r1cs: str, ptau: str, zkey: str, expect: str | None) -> None:
    """Check a .zkey against its circuit and powers of tau (what snarkjs `zkey verify` checks) and
    print every contribution hash. Exit 0: valid; 1: it does not follow (the line says why);
    2: unreadable input."""
    from zk.ceremony.phase2 import VerificationFailed, normalize_hash, verify
    from zk.formats.zkey import BEACON

    expected = None
    if expect is not None:
        expected = [_run(normalize_hash, h) for h in expect.split(",") if h.strip()]
    z = _read_zkey(zkey)
    pot = _read_ptau(ptau)
    try:
        hashes = _run(verify, r1cs, pot, z, expect=expected, progress=progress_bar)
    except VerificationFailed as exc:
        click.echo(f"INVALID: {exc}", err=True)
        ctx.exit(1)
    click.echo(_format_hash(z.cs_hash, "Circuit hash:"))
    for i, (c, digest) in enumerate(zip(z.contributions, hashes), 1):
        label = f"contribution #{i}" + (f" {c.name}" if c.name else "") + (" (beacon)" if c.kind == BEACON else "") + ":"
        click.echo(_format_hash(digest, label))
        if c.kind == BEACON:
            click.echo(f"\t\tbeacon {c.beacon_hash.hex()}, 2^{c.num_iterations_exp} iterations")
    if not hashes:
        click.echo("WARNING: no phase-2 contribution: anyone can forge proofs with this key", err=True)
    click.echo("OK: the zkey follows from the circuit and the powers of tau" +
               (" by exactly the published contributions" if expected is not None else ""))


@zkey_group.group("export")
def export_group() -> None:
    """Export parts of a .zkey (like `snarkjs zkey export`)."""


@export_group.command("verificationkey")
@click.argument("zkey", metavar="CIRCUIT.zkey", type=click.Path(dir_okay=False))
@click.argument("vkey", metavar="VERIFICATION_KEY.json", type=click.Path(dir_okay=False), default="verification_key.json")
def export_vkey_command(zkey: str, vkey: str) -> None:
    """The snarkjs verification key of a .zkey (the same JSON snarkjs writes)."""
    from zk.formats.snarkjs import dumps, vkey_to_json
    from zk.formats.atomic import atomic_write
    from zk.formats.zkey import verifying_key

    z = _read_zkey(zkey, points=False)
    if not z.has_contribution:
        click.echo("WARNING: this zkey has no phase-2 contribution (delta = gamma): proofs for it can be forged", err=True)
    vk = _run(verifying_key, z, insecure_dev_key=True)
    _run(atomic_write, vkey, [dumps(vkey_to_json(vk)).encode()])


@zkey_group.command("from-pk")
@click.argument("pk", metavar="CIRCUIT.pk", type=click.Path(dir_okay=False))
@click.argument("zkey", metavar="CIRCUIT.zkey", type=click.Path(dir_okay=False))
def from_pk_command(pk: str, zkey: str) -> None:
    """A .zkey (snarkjs and rapidsnark prove with it) from a proving key of `zk setup`."""
    from zk.formats.zkey import from_proving_key, write_zkey

    key = _run(_load_pk, pk)
    _run(write_zkey, from_proving_key(key), zkey)


@zkey_group.command("to-pk")
@click.argument("zkey", metavar="CIRCUIT.zkey", type=click.Path(dir_okay=False))
@click.argument("r1cs", metavar="CIRCUIT.r1cs", type=click.Path(dir_okay=False))
@click.argument("pk", metavar="CIRCUIT.pk", type=click.Path(dir_okay=False))
def to_pk_command(zkey: str, r1cs: str, pk: str) -> None:
    """zk's own proving-key file from a .zkey. A zkey has no C matrix, so the circuit's .r1cs
    supplies it; its A and B must be the zkey's. The zkey needs a phase-2 contribution: a key
    file never holds a key anyone could forge proofs with (its loader refuses delta = gamma), so
    a key without one is refused here rather than written and refused later."""
    from zk.formats.circom import read_r1cs
    from zk.formats.zkey import to_proving_key_with_r1cs

    z = _read_zkey(zkey)
    if not z.has_contribution:
        raise UserError(f"{zkey} has no phase-2 contribution (delta = gamma: anyone can forge proofs with it), and "
                        "a zk key file cannot hold such a key: contribute first (zk zkey contribute), or prove "
                        "from the .zkey itself with --insecure-dev-key for tests")
    cs = _run(read_r1cs, r1cs)
    key = _run(to_proving_key_with_r1cs, z, cs)
    _run(_save_pk, key, pk)


def _load_pk(path):
    from zk.formats import keyfile

    return keyfile.load(path)


def _save_pk(key, path):
    from zk.formats import keyfile

    keyfile.save(key, path)


def load_zkey_for_proving(path: str, *, insecure_dev_key: bool, r1cs: str | None):
    """(proving key, constraint system or None) for `zk prove` with a .zkey."""
    from zk.formats.zkey import to_proving_key

    z = _read_zkey(path)
    key = _run(to_proving_key, z, insecure_dev_key=insecure_dev_key)
    cs = None
    if r1cs:
        from zk.formats.circom import read_r1cs

        cs = _run(read_r1cs, r1cs)
        if (cs.n_wires, cs.n_public) != (z.n_vars, z.n_public):
            raise UserError(f"{r1cs} has {cs.n_wires} signals and {cs.n_public} public; {path} was made for "
                            f"{z.n_vars} and {z.n_public}")
    return key, cs


def is_zkey(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"zkey"
    except OSError:
        return False

