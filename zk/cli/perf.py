"""`zk serve`, `zk warmup`, `zk bench`: a warm prover, a compiled cache, and measurements.

    zk serve /run/user/$UID/zk.sock --key circuit.pk &      # keys loaded once
    zk prove circuit.pk witness.wtns proof.json public.json --server /run/user/$UID/zk.sock
    zk warmup                                               # compile every kernel once
    zk bench circuit.r1cs --witness witness.wtns [--json]   # beside snarkjs / rapidsnark
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from zk.cli import UserError, cli


@cli.command("serve")
@click.argument("socket_path", metavar="SOCKET")
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False), metavar="CIRCUIT.pk",
              help="Load this proving key at start (repeatable); other keys load on first use.")
def serve_command(socket_path: str, keys: tuple[str, ...]) -> None:
    """Run a prover daemon on a Unix socket (mode 0600, this user only) until SIGINT/SIGTERM.

    Clients: `zk prove ... --server SOCKET`. Keys stay loaded and kernels compiled, so a proof
    costs what proving costs. Witnesses are never logged."""
    from zk.serve.server import ServeError, serve

    try:
        serve(socket_path, keys)
    except ServeError as exc:
        raise UserError(str(exc)) from None


@cli.command("warmup")
def warmup_command() -> None:
    """Compile every numba kernel once (a fresh install pays this on its first command otherwise)."""
    from zk.perf.warmup import warmup

    result = warmup(progress=lambda line: click.echo(f"warmup: {line}", err=True))
    click.echo(f"warmup: done in {result['wall_s']:.1f} s ({result['cpu_s']:.1f} s CPU)", err=True)


def _circuit_and_witness(circuit: str, witness_path: str | None, input_path: str | None):
    from zk.formats.circom import CircomFormatError, read_r1cs
    from zk.formats.jsonio import parse_json
    from zk.r1cs import CircuitError, InputError, WitnessError

    if circuit.endswith(".zkey"):
        cs = None  # the key is the circuit: bench_circuit reads it
    elif circuit.endswith(".r1cs"):
        try:
            cs = read_r1cs(circuit)
        except CircomFormatError as exc:
            raise UserError(str(exc)) from None
    else:
        from zk.cli.circuit import _compile

        cs = _compile(circuit)
    if witness_path:
        from zk.serve.server import read_witness

        try:
            witness = read_witness(witness_path)
        except (CircomFormatError, ValueError) as exc:
            raise UserError(str(exc)) from None
    elif input_path:
        try:
            with open(input_path, "rb") as fh:
                inputs = parse_json(fh.read())
            witness = cs.solve(inputs)
        except OSError as exc:
            raise UserError(f"cannot read {input_path}: {exc.strerror}") from None
        except (ValueError, InputError, WitnessError, CircuitError) as exc:
            raise UserError(str(exc)) from None
    else:
        raise UserError("zk bench needs a witness: --witness W.wtns, or --input INPUT.json for MODULE:CLASS")
    if cs is not None and len(witness) != cs.n_wires:
        raise UserError(f"the witness has {len(witness)} values, the circuit has {cs.n_wires} wires")
    return cs, witness


@cli.command("bench")
@click.argument("circuit")
@click.option("--witness", "witness_path", type=click.Path(exists=True, dir_okay=False), help="Full witness (.wtns or JSON list).")
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False), help="Inputs for MODULE:CLASS (solved here).")
@click.option("--zkey", type=click.Path(exists=True, dir_okay=False), help="A snarkjs .zkey of the same circuit, for the peers.")
@click.option("--ptau", type=click.Path(exists=True, dir_okay=False), help="A prepared powers-of-tau file: make the peers' zkey with snarkjs.")
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1, 100), help="In-process repetitions (best taken).")
@click.option("--workdir", type=click.Path(file_okay=False), help="Keep the files here (default: a temporary directory).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_command(circuit, witness_path, input_path, zkey, ptau, rounds, workdir, as_json) -> None:
    """Setup / prove / verify times and peak memory for CIRCUIT (.r1cs or MODULE:CLASS), beside
    snarkjs and rapidsnark (RAPIDSNARK=/path/to/prover) when they and a zkey are available."""
    from zk.formats.zkey import ZkeyFormatError
    from zk.groth16 import Groth16Error
    from zk.perf.bench import BenchError, bench_circuit, format_table

    cs, witness = _circuit_and_witness(circuit, witness_path, input_path)
    if cs is None:
        zkey = circuit
    say = (lambda line: click.echo(f"bench: {line}", err=True))
    try:
        with tempfile.TemporaryDirectory(prefix="zk-bench-") as tmp:
            result = bench_circuit(cs, witness, Path(workdir or tmp), rounds=rounds, zkey=Path(zkey) if zkey else None,
                                   ptau=Path(ptau) if ptau else None, log=say)
    except (BenchError, ZkeyFormatError, Groth16Error) as exc:
        raise UserError(str(exc)) from None
    click.echo(json.dumps(result, indent=1) if as_json else format_table(result))
