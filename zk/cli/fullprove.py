"""`zk groth16 fullprove`: from inputs to a proof in one command, as snarkjs's `groth16 fullprove`.

    zk groth16 fullprove input.json circuit_js/circuit.wasm circuit.pk proof.json public.json
    zk groth16 fullprove input.json circuit_final.zkey ...        # KEY a snarkjs .zkey
    zk groth16 fullprove input.json mycircuit:MyCircuit circuit.pk proof.json public.json

CIRCUIT is circom's witness calculator (.wasm, run under wasmtime: zk.witness.wasm) or a Python
circuit MODULE:CLASS (compiled once and cached: zk.r1cs.cache; solved by the compiled solver).
KEY is zk's proving-key file or a .zkey. The proof is verified before it is written: a .zkey
has no C matrix, so the prover alone could not notice a witness that does not satisfy the circuit.
"""
from __future__ import annotations

import time

import click

from zk.cli import UserError, groth16_group
from zk.cli.wtns import _fuel, _memory, _sym, read_input_json, wasm_calculator


def load_proving_key(path: str, insecure_dev_key: bool):
    from zk.groth16 import Groth16Error, QAPError

    try:
        if path.endswith(".zkey"):
            from zk.formats.zkey import ZkeyFormatError, read_zkey, to_proving_key

            try:
                return to_proving_key(read_zkey(path), insecure_dev_key=insecure_dev_key)
            except ZkeyFormatError as exc:
                raise UserError(str(exc)) from None
        from zk.formats import keyfile

        return keyfile.load(path)
    except (Groth16Error, QAPError, ValueError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


def solve(circuit: str, inputs: dict, sym, fuel, memory_mib):
    """(witness, constraint origins or None) from a .wasm or a MODULE:CLASS."""
    if circuit.endswith(".wasm"):
        from zk.witness.wasm import WasmWitnessError

        calculator = wasm_calculator(circuit, sym, fuel, memory_mib)
        try:
            return calculator.calculate(inputs), None
        except WasmWitnessError as exc:
            raise UserError(str(exc)) from None
    from zk.cli.circuit import _compile
    from zk.r1cs import CircuitError, InputError, WitnessError

    cs = _compile(circuit)
    try:
        return cs.solve(inputs), cs.origins
    except (InputError, WitnessError, CircuitError) as exc:
        raise UserError(str(exc)) from None


@groth16_group.command("fullprove")
@click.argument("input_json", metavar="INPUT.json", type=click.Path(dir_okay=False))
@click.argument("circuit", metavar="CIRCUIT")
@click.argument("key", metavar="KEY", type=click.Path(dir_okay=False))
@click.argument("proof_path", metavar="PROOF.json", type=click.Path(dir_okay=False, writable=True))
@click.argument("public_path", metavar="PUBLIC.json", type=click.Path(dir_okay=False, writable=True))
@_sym
@_fuel
@_memory
@click.option("--insecure-dev-key", is_flag=True, help="Accept a .zkey without a phase-2 contribution (tests only).")
@click.option("-v", "--verbose", is_flag=True, help="Print the time of each stage.")
def fullprove_command(input_json, circuit, key, proof_path, public_path, sym, fuel, memory_mib, insecure_dev_key,
                      verbose):
    """Witness and proof in one step: CIRCUIT is a circom .wasm or MODULE:CLASS, KEY a zk key or .zkey."""
    from zk.formats.snarkjs import write_proof, write_public
    from zk.groth16 import Groth16Error, QAPError, prove, verify

    t0 = time.perf_counter()
    inputs = read_input_json(input_json)
    pk = load_proving_key(key, insecure_dev_key)
    t1 = time.perf_counter()
    witness, origins = solve(circuit, inputs, sym, fuel, memory_mib)
    t2 = time.perf_counter()
    try:
        proof, public = prove(pk, witness, origins=origins)
    except (Groth16Error, QAPError) as exc:
        raise UserError(str(exc)) from None
    t3 = time.perf_counter()
    if not verify(pk.vk, public, proof):
        raise UserError("the witness does not satisfy the circuit of this key (the proof does not verify)")
    try:
        write_proof(proof, proof_path)
        write_public(public, public_path)
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename or proof_path}: {exc.strerror or exc}") from None
    if verbose:
        click.echo(f"key {t1 - t0:.2f} s, witness {t2 - t1:.2f} s ({len(witness)} values), prove {t3 - t2:.2f} s, "
                   f"verify and write {time.perf_counter() - t3:.2f} s", err=True)
    click.echo(f"wrote {proof_path} and {public_path}", err=True)
