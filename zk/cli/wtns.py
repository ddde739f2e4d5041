"""`zk wtns calculate`: a witness from circom's witness calculator (.wasm) without Node.

    zk wtns calculate circuit_js/circuit.wasm input.json witness.wtns     # as snarkjs wtns calculate

The .wasm runs in-process under wasmtime (zk.witness.wasm) with a fuel budget and a memory limit;
the .wtns is byte-identical to snarkjs's. A failed `assert` in the circuit, bad inputs or a
broken or hostile .wasm end in one line and exit status 2.
"""
from __future__ import annotations

import os
import pathlib

import click

from zk.cli import UserError, wtns_group
from zk.formats.jsonio import parse_json


def read_input_json(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            inputs = parse_json(fh.read())
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise UserError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(inputs, dict):
        raise UserError(f"{path} must hold a JSON object mapping signal names to values")
    return inputs


def default_sym(wasm: str) -> str | None:
    """circom writes NAME_js/NAME.wasm beside NAME.sym."""
    path = pathlib.Path(wasm)
    for candidate in (path.with_suffix(".sym"), path.parent.parent / f"{path.stem}.sym"):
        if candidate.is_file():
            return str(candidate)
    return None


def write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def wasm_calculator(wasm: str, sym: str | None, fuel: int, memory_mib: int):
    from zk.witness.wasm import CircomWasm, WasmWitnessError

    try:
        return CircomWasm(wasm, sym if sym is not None else default_sym(wasm), fuel=fuel,
                          memory_limit=memory_mib << 20)
    except WasmWitnessError as exc:
        raise UserError(str(exc)) from None


_fuel = click.option("--fuel", type=click.IntRange(1), default=50_000_000_000, show_default=True,
                     help="Instruction budget of the witness calculator (a hostile .wasm cannot loop forever).")
_memory = click.option("--memory-mib", type=click.IntRange(1, 4096), default=2048, show_default=True,
                       help="Memory limit of the witness calculator.")
_sym = click.option("--sym", type=click.Path(dir_okay=False), default=None,
                    help="circom's .sym (default: NAME.sym beside NAME_js/); checks input names.")


@wtns_group.command("calculate")
@click.argument("wasm", type=click.Path(dir_okay=False))
@click.argument("input_json", metavar="INPUT.json", type=click.Path(dir_okay=False))
@click.argument("output", metavar="WITNESS.wtns", type=click.Path(dir_okay=False, writable=True))
@_sym
@_fuel
@_memory
def calculate_command(wasm: str, input_json: str, output: str, sym: str | None, fuel: int, memory_mib: int) -> None:
    """Run circom's witness calculator WASM on INPUT.json and write WITNESS.wtns."""
    from zk.witness.wasm import WasmWitnessError

    inputs = read_input_json(input_json)
    calculator = wasm_calculator(wasm, sym, fuel, memory_mib)
    try:
        data = calculator.wtns_bytes(inputs)
    except WasmWitnessError as exc:
        raise UserError(str(exc)) from None
    write_atomic(output, data)
    click.echo(f"wrote {output} ({(len(data) - 76) // 32} values)", err=True)
