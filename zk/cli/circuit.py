"""`zk compile`, `zk info` and `zk witness`: circuits from Python classes to circom-compatible files."""
from __future__ import annotations

import importlib
import importlib.util
import os
import pathlib
import sys
import warnings

import click

from zk.cli import UserError, cli
from zk.formats.jsonio import parse_json


def load_circuit_class(spec: str):
    """Resolve MODULE:CLASS, where MODULE is a dotted module name (importable from the current
    directory) or a path to a .py file."""
    from zk.r1cs import Circuit

    module_part, sep, class_name = spec.rpartition(":")
    if not sep or not module_part or not class_name:
        raise UserError(f"expected MODULE:CLASS (e.g. circuits.square:Square or path/to/file.py:Square), got {spec!r}")
    try:
        if module_part.endswith(".py") or os.sep in module_part or "/" in module_part:
            path = pathlib.Path(module_part)
            if not path.is_file():
                raise UserError(f"circuit file {module_part} does not exist")
            module_name = f"_zk_circuit_{path.stem}_{abs(hash(str(path.resolve())))}"
            loader_spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[module_name] = module
            loader_spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_part)
    except UserError:
        raise
    except ModuleNotFoundError as exc:
        raise UserError(f"cannot import {module_part!r}: {exc}") from None
    except SyntaxError as exc:
        raise UserError(f"syntax error in {exc.filename}:{exc.lineno}: {exc.msg}") from None
    except Exception as exc:  # the user's module failed while importing: say so in one line
        raise UserError(f"importing {module_part!r} failed: {type(exc).__name__}: {exc}") from None
    circuit = getattr(module, class_name, None)
    if circuit is None:
        raise UserError(f"module {module_part!r} has no attribute {class_name!r}")
    if not isinstance(circuit, type) or not issubclass(circuit, Circuit):
        raise UserError(f"{spec} is not a Circuit subclass")
    return circuit


def _compile(spec: str, simplify: bool = True):
    """Compile MODULE:CLASS through the compiled-circuit cache (zk.r1cs.cache): a circuit traced
    once is loaded afterwards. The linter's findings are kept with it and printed every time."""
    from zk.r1cs import CircuitError, UnderConstrainedWarning, compile
    from zk.r1cs.cache import compile_cached

    circuit = load_circuit_class(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnderConstrainedWarning)
        try:
            cs = compile_cached(circuit) if simplify else compile(circuit, simplify=False)
        except (CircuitError, TypeError, ValueError) as exc:
            raise UserError(f"{spec}: {exc}") from None
    for message in cs.warnings:
        click.echo(f"warning: {message}", err=True)
    return cs


def _echo_stats(cs) -> None:
    click.echo(f"constraints:     {cs.n_constraints}")
    click.echo(f"wires:           {cs.n_wires}")
    click.echo(f"public outputs:  {cs.n_outputs}")
    click.echo(f"public inputs:   {cs.n_public_inputs}")
    click.echo(f"private inputs:  {cs.n_private_inputs}")
    click.echo(f"non-zeros:       {cs.n_nonzeros}")


@cli.command("compile")
@click.argument("circuit")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the .r1cs file.")
@click.option("--sym", "sym_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Symbol file path (default: next to the .r1cs, with a .sym suffix).")
@click.option("--no-simplify", is_flag=True, help="Keep linear constraints instead of substituting them away.")
def compile_command(circuit: str, output: str, sym_path: str | None, no_simplify: bool) -> None:
    """Compile MODULE:CLASS to an iden3 .r1cs file (and a .sym symbol file)."""
    from zk.formats.circom import write_r1cs, write_sym

    cs = _compile(circuit, simplify=not no_simplify)
    sym_path = sym_path or str(pathlib.Path(output).with_suffix(".sym"))
    try:
        write_r1cs(cs, output)
        write_sym(cs, sym_path)
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename}: {exc.strerror}") from None
    _echo_stats(cs)
    click.echo(f"wrote {output} and {sym_path}")


@cli.command("info")
@click.argument("r1cs", type=click.Path(dir_okay=False))
def info_command(r1cs: str) -> None:
    """Show the size of an .r1cs file (ours or circom's)."""
    from zk.formats.circom import CircomFormatError, read_r1cs

    try:
        cs = read_r1cs(r1cs)
    except CircomFormatError as exc:
        raise UserError(str(exc)) from None
    click.echo("curve:           bn128")
    _echo_stats(cs)
    click.echo(f"labels:          {len(cs.raw_to_wire) or cs.n_wires}")


@cli.command("witness")
@click.argument("circuit")
@click.argument("input_json", metavar="INPUT.json", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the .wtns file.")
def witness_command(circuit: str, input_json: str, output: str) -> None:
    """Solve MODULE:CLASS on INPUT.json (snarkjs-style) and write the witness as .wtns."""
    from zk.formats.circom import write_wtns
    from zk.r1cs import CircuitError, InputError, WitnessError

    try:
        with open(input_json, "rb") as fh:
            inputs = parse_json(fh.read())
    except OSError as exc:
        raise UserError(f"cannot read {input_json}: {exc.strerror}") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, nesting too deep
        raise UserError(f"{input_json} is not valid JSON: {exc}") from None
    if not isinstance(inputs, dict):
        raise UserError(f"{input_json} must hold a JSON object mapping input names to values")
    cs = _compile(circuit)
    try:
        witness = cs.solve(inputs)
    except (InputError, WitnessError, CircuitError) as exc:
        raise UserError(str(exc)) from None
    try:
        write_wtns(witness, output)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror}") from None
    for name, value in cs.outputs(witness).items():
        click.echo(f"{name} = {value}")
    click.echo(f"wrote {output} ({len(witness)} values)")
