"""`zk groth16 prove|verify`, the development `zk setup`, `zk vkey`: Groth16 from the command line,
shaped like snarkjs.

    zk setup circuit.r1cs circuit.pk --vkey verification_key.json        # development setup
    zk groth16 prove circuit.pk witness.wtns proof.json public.json
    zk groth16 verify verification_key.json public.json proof.json      # exit 0 valid, 1 invalid, 2 bad input

`zk prove` and `zk verify` are the same commands under their older names. `zk groth16 setup` is
the ceremony's setup (circuit, powers of tau, zkey), as snarkjs's.

Keys, proofs and public signals are snarkjs-compatible JSON; the proving key is zk's own file
(:mod:`zk.formats.keyfile`). Stage lines go to stderr; --verbose adds timings.
"""
from __future__ import annotations

import contextlib
import gc
import os
import time

import click

from zk.cli import UserError, cli, groth16_group, whole_process


def _process_started() -> float | None:
    """The ``time.perf_counter()`` reading at which this process started (Linux, to the kernel's
    clock tick of about 0.01 s), or None where that cannot be read: so that ``-v`` shows what
    the interpreter and the imports cost before the command's own code ran."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            after_name = fh.read().rsplit(b")", 1)[1].split()
        started = int(after_name[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, since boot
        now = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return time.perf_counter() - max(0.0, now - started)


class _Stages:
    """Prints each stage to stderr as it finishes; when verbose, with the time since the process
    started, and the wall and CPU time (all threads) of the stage."""

    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.last = time.perf_counter()
        self.last_cpu = time.process_time()
        self.start = self.last
        if verbose:
            started = _process_started() if whole_process() else None
            if started is not None:
                # The first stage: from the process's start (its CPU clock starts there too).
                self.start, self.last, self.last_cpu = started, started, 0.0
                self("started: Python, numpy, numba and zk's modules loaded")

    def __call__(self, message: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.verbose:
            click.echo(f"[{now - self.start:7.2f} s] {message} (+{now - self.last:.2f} s, {cpu - self.last_cpu:.2f} s CPU)",
                       err=True)
        else:
            click.echo(message, err=True)
        self.last, self.last_cpu = now, cpu


def _user_errors():
    """The input errors that become one line and exit status 2."""
    from zk.curve import CurveError
    from zk.formats.circom import CircomFormatError
    from zk.formats.snarkjs import SnarkjsFormatError
    from zk.groth16 import Groth16Error, QAPError
    from zk.r1cs import CircuitError, WitnessError

    return (CurveError, CircomFormatError, SnarkjsFormatError, Groth16Error, QAPError, CircuitError, WitnessError)


def _read_witness(path: str):
    """A circom/snarkjs .wtns file, or the JSON list snarkjs's `wtns export json` writes."""
    from zk.formats.witness import read_witness

    with _refusals(path):
        return read_witness(path)


# Modules numba imports when it loads but reads only in some processes; in a `zk prove` or
# `zk verify` process they run on first use instead (zk._lazy.defer_import), which saves them
# for good: 0.06-0.09 s of CPU on the serial start of every process. importlib.metadata (with
# the email package under it): numba's extension entry points, scanned only when numba compiles
# something. yaml: numba's config file, read only when a .numba_config.yaml is in the working
# directory (then it runs, and numba reads the file as before).
DEFERRED_IMPORTS = ("importlib.metadata", "yaml")


@contextlib.contextmanager
def _start_up():
    """Around a command's imports, in a process of its own (``zk.cli.main``): numpy, numba and
    zk's modules create about a million objects that live as long as the process, and the cyclic
    garbage collector's full passes over them while the imports run cost `zk verify` several
    hundredths of a second of CPU. So the collector is off while they load, and they are then
    moved out of its reach (``gc.freeze``); objects made after that are collected as usual.
    numba's imports of modules it uses only in some processes are deferred
    (:data:`DEFERRED_IMPORTS`). A command run inside another program (tests, click's runner)
    leaves that program's collector and imports alone."""
    if not whole_process() or not gc.isenabled():
        yield
        return
    from zk._lazy import defer_import

    for name in DEFERRED_IMPORTS:
        defer_import(name)
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@contextlib.contextmanager
def _refusals(written: str):
    """Input errors become one line and exit status 2; so does a file that cannot be written."""
    try:
        yield
    except _user_errors() as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename or written}: {exc.strerror or exc}") from None


def _read_circuit_for_setup(path: str):
    """The .r1cs as arrays of terms (:func:`zk.formats.circom.read_r1cs_terms`, which
    :func:`zk.groth16.setup` takes): no Python object per term, at 2^20 a quarter less CPU and
    700 MiB less memory than a ``ConstraintSystem`` (docs/bench.md, "At 2^18 and 2^20"). A file
    that reader refuses is read by :func:`zk.formats.circom.read_r1cs`, so a malformed circuit
    gets the error line it always got (and a file with field elements wider than 32 bytes, which
    only that reader takes, is set up as before)."""
    from zk.formats.circom import CircomFormatError, read_r1cs, read_r1cs_terms

    try:
        return read_r1cs_terms(path)
    except CircomFormatError:
        return read_r1cs(path)


@cli.command("setup")
@click.argument("r1cs", metavar="CIRCUIT.r1cs", type=click.Path(dir_okay=False))
@click.argument("proving_key", metavar="CIRCUIT.pk", type=click.Path(dir_okay=False, writable=True))
@click.option("--vkey", "vkey_path", metavar="VERIFICATION_KEY.json", type=click.Path(dir_okay=False, writable=True),
              default="verification_key.json", show_default=True, help="Where to write the snarkjs verification key.")
@click.option("-v", "--verbose", is_flag=True, help="Print timings for each stage.")
def setup_command(r1cs: str, proving_key: str, vkey_path: str, verbose: bool) -> None:
    """Development setup: Groth16 keys for a circuit (.r1cs from circom or `zk compile`).

    A single-party setup: the toxic waste is drawn from the OS's CSPRNG and discarded, so only
    this process ever knew it, but whoever ran it must be trusted. For production keys, use a
    multi-party ceremony (powers of tau, then a zkey with contributions)."""
    from zk.formats.snarkjs import write_vkey
    from zk.formats import keyfile
    from zk.groth16 import setup

    stages = _Stages(verbose)
    with _refusals(proving_key):
        cs = _read_circuit_for_setup(r1cs)
        stages(f"read {r1cs}: {cs.n_constraints} constraints, {cs.n_wires} wires, {cs.n_public} public")
        pk, vk = setup(cs, progress=stages)
        del cs  # pk holds the matrices: the circuit need not live through the save
        keyfile.save(pk, proving_key)
        write_vkey(vk, vkey_path)
    stages(f"wrote {proving_key} ({os.path.getsize(proving_key)} bytes) and {vkey_path}")


@groth16_group.command("prove")
@click.argument("proving_key", metavar="CIRCUIT.pk|CIRCUIT.zkey", type=click.Path(dir_okay=False))
@click.argument("witness", metavar="WITNESS.wtns", type=click.Path(dir_okay=False))
@click.argument("proof_path", metavar="PROOF.json", type=click.Path(dir_okay=False, writable=True))
@click.argument("public_path", metavar="PUBLIC.json", type=click.Path(dir_okay=False, writable=True))
@click.option("--r1cs", "r1cs_path", metavar="CIRCUIT.r1cs", type=click.Path(dir_okay=False), default=None,
              help="With a .zkey: check the witness against the circuit first (names the failing constraint).")
@click.option("--insecure-dev-key", is_flag=True,
              help="Accept a .zkey without a phase-2 contribution (delta = gamma: anyone can forge proofs). Tests only.")
@click.option("--check", "check_key", is_flag=True,
              help="Validate every point of a .pk key even if this content was validated before (see `zk.formats.keyfile`).")
@click.option("-v", "--verbose", is_flag=True, help="Print timings for each stage.")
@click.option("--server", "server", metavar="SOCKET", default=None,
              help="Ask a running `zk serve SOCKET` to prove (keys stay loaded there; this process starts without numba).")
def prove_command(proving_key: str, witness: str, proof_path: str, public_path: str, r1cs_path: str | None,
                  insecure_dev_key: bool, check_key: bool, verbose: bool, server: str | None) -> None:
    """Prove with a key from `zk setup` or a snarkjs .zkey and a full witness (.wtns, or a JSON
    list of decimals). A .zkey holds no C matrix, so the proof is verified before it is written
    (and, with --r1cs, the witness is checked against the circuit). A .pk key's points are
    validated the first time its content is loaded (later loads check its SHA-256 and structure;
    --check validates again). Also available as `zk prove`."""
    if server is not None:
        _prove_on_server(server, proving_key, witness, proof_path, public_path, verbose)
        return
    from zk.cli.zkey import is_zkey

    zkey = is_zkey(proving_key)
    mapped = None if zkey else _key_checksum_in_background(proving_key)
    with _start_up():
        from zk.cli.zkey import load_zkey_for_proving
        from zk.formats import keyfile
        from zk.formats.snarkjs import dumps, proof_to_json, public_to_json
        from zk.formats.atomic import atomic_write
        from zk.groth16 import prove

    stages = _Stages(verbose)
    with _refusals(proof_path):
        cs = None
        if zkey:
            pk, cs = load_zkey_for_proving(proving_key, insecure_dev_key=insecure_dev_key, r1cs=r1cs_path)
        else:
            # Mapped, not read: no copy of the key, and this process is gone before anyone could
            # replace the file under it.
            pk = keyfile.load(proving_key, mmap=True, deep=True if check_key else None, mapped=mapped)
        stages(f"loaded {proving_key}")
        values = _read_witness(witness)
        stages(f"read {witness}: {len(values)} values")
        if cs is not None:
            from zk.field.arrays import raw_to_ints

            cs.check(raw_to_ints(values.limbs) if hasattr(values, "limbs") else list(values))
            stages(f"the witness satisfies {r1cs_path}")
        proof, public = prove(pk, values, progress=stages, insecure_dev_key=insecure_dev_key)
        if zkey and not _verifies(pk.vk, public, proof, insecure_dev_key):
            raise UserError("the witness does not satisfy the circuit: the proof does not verify "
                            "(pass --r1cs CIRCUIT.r1cs to find the constraint)")
        atomic_write(proof_path, [dumps(proof_to_json(proof)).encode()])
        atomic_write(public_path, [dumps(public_to_json(public)).encode()])
    stages(f"wrote {proof_path} and {public_path}")


# Where a .pk key's SHA-256 starts (zk.formats.keyfile.CHECKSUM_START, after the fixed prefix),
# known here without importing keyfile (numba); keyfile hashes again itself should they differ.
_KEY_CHECKSUM_START = 56


def _key_checksum_in_background(path: str):
    """The key file mapped and its SHA-256 under way in a thread (zk._mapped.HashedMapping),
    started before the command imports numpy, numba and zk: hashing the key (0.03 s at 2^16)
    then runs on the second core while the first imports, instead of after them. The key is
    refused, as before, if the digest does not match; None where the file cannot be mapped
    (keyfile.load then says why)."""
    from zk._mapped import HashedMapping

    try:
        return HashedMapping(path, _KEY_CHECKSUM_START)
    except (OSError, ValueError):
        return None


def _verifies(vk, public, proof, insecure_dev_key: bool) -> bool:
    from zk.groth16 import verify  # only a .zkey's proof is checked: a .pk prover never loads the verifier

    return verify(vk, public, proof, insecure_dev_key=insecure_dev_key)


def _prove_on_server(server: str, proving_key: str, witness: str, proof_path: str, public_path: str, verbose: bool) -> None:
    from zk.serve import client

    start = time.perf_counter()
    try:
        reply = client.prove(server, proving_key, witness, proof_path, public_path)
    except client.ServerUnavailable as exc:
        raise UserError(str(exc)) from None
    except client.ServerRefused as exc:
        if exc.exit == 2:
            raise UserError(str(exc)) from None
        raise click.ClickException(str(exc)) from None  # the server failed: exit status 1
    if verbose:
        click.echo(f"server: read witness {reply['read_witness_seconds']:.3f} s, proved {reply['prove_seconds']:.3f} s, "
                   f"wrote {reply['write_seconds']:.3f} s; round trip {time.perf_counter() - start:.3f} s", err=True)
    click.echo(f"wrote {proof_path} and {public_path}", err=True)


@groth16_group.command("verify")
@click.argument("vkey_path", metavar="VERIFICATION_KEY.json", type=click.Path(dir_okay=False))
@click.argument("public_path", metavar="PUBLIC.json", type=click.Path(dir_okay=False))
@click.argument("proof_path", metavar="PROOF.json", type=click.Path(dir_okay=False))
@click.option("-v", "--verbose", is_flag=True, help="Print timings.")
@click.pass_context
def verify_command(ctx: click.Context, vkey_path: str, public_path: str, proof_path: str, verbose: bool) -> None:
    """Verify a Groth16 proof (snarkjs JSON files). Exit status 0: valid; 1: invalid; 2: bad input.

    Also available as `zk verify`."""
    start = time.perf_counter()
    # The ahead-of-time module (`zk aot build`) decides well-formed input without numba; None
    # when there is no current module or the input needs the full path (which explains it).
    with _start_up():
        from zk.aot.verifier import verify_files
    valid = verify_files(vkey_path, public_path, proof_path)
    if valid is not None:
        if verbose:
            click.echo(f"read and verified {time.perf_counter() - start:.3f} s (ahead-of-time module)", err=True)
    else:
        valid = _verify_jit(vkey_path, public_path, proof_path, verbose)
    if valid:
        click.echo("OK: the proof is valid")
        return
    click.echo("INVALID: the proof does not verify for these public signals and key", err=True)
    ctx.exit(1)


def _verify_jit(vkey_path: str, public_path: str, proof_path: str, verbose: bool) -> bool:
    with _start_up():
        from zk.formats.snarkjs import read_proof, read_public, read_vkey
        from zk.groth16 import verify

    start = time.perf_counter()
    try:
        vk = read_vkey(vkey_path)
        public = read_public(public_path)
        proof = read_proof(proof_path)
        loaded = time.perf_counter()
        valid = verify(vk, public, proof)
    except _user_errors() as exc:
        raise UserError(str(exc)) from None
    if verbose:
        done = time.perf_counter()
        click.echo(f"read inputs {loaded - start:.3f} s, verified {done - loaded:.3f} s", err=True)
    return valid


# The names these commands had before the command tree; documented, so they stay.
cli.add_command(prove_command, "prove")
cli.add_command(verify_command, "verify")


@cli.command("vkey")
@click.argument("proving_key", metavar="CIRCUIT.pk", type=click.Path(dir_okay=False))
@click.argument("vkey_path", metavar="VERIFICATION_KEY.json", type=click.Path(dir_okay=False, writable=True))
def vkey_command(proving_key: str, vkey_path: str) -> None:
    """Write the snarkjs verification key of a proving key (like `snarkjs zkey export verificationkey`)."""
    from zk.formats.snarkjs import write_vkey
    from zk.formats import keyfile

    with _refusals(vkey_path):
        write_vkey(keyfile.load(proving_key).vk, vkey_path)
