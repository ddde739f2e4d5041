"""`zk export`: Groth16 artefacts for the EVM (a Solidity verifier, the call arguments)."""
from __future__ import annotations

import os

import click

from zk.cli import UserError, cli

# zk.formats.solidity (and through it the curve and pairing kernels) is imported by the commands
# that use it, not when the command line starts: `zk --help` or `zk verify` must not pay for it.


# Measured: 24132 bytes of runtime code at 170 inputs with solc 0.8.30 (EIP-170 allows 24576).
MAX_DEPLOYABLE_INPUTS = 170


def _read_json(path: str, what: str):
    from zk.formats.snarkjs import SnarkjsFormatError, read_json

    try:
        return read_json(path, what)
    except SnarkjsFormatError as exc:  # unreadable, not JSON, over-long integers, nesting too deep
        raise UserError(str(exc)) from None


def _exported(function, *args, **kwargs):
    from zk.formats.solidity import SolidityExportError

    try:
        return function(*args, **kwargs)
    except SolidityExportError as exc:
        raise UserError(str(exc)) from None


@cli.group("export")
def export() -> None:
    """Export Groth16 keys and proofs for other systems (Solidity / EVM)."""


@export.command("solidity")
@click.argument("verification_key", metavar="VERIFICATION_KEY.json")
@click.argument("output", metavar="[VERIFIER.sol]", required=False, default="-")
@click.option("--contract-name", default=None, help="Name of the generated contract (default: snarkjs's, Groth16Verifier).")
@click.option(
    "--pairing-gas",
    type=int,
    default=None,
    help=(
        "Forward at most this much gas to the pairing precompile (at least its EIP-1108 price for "
        "the verifier's 4 pairs, 181000). Bounds the gas a proof whose B lies outside G2 "
        "burns, at the risk of reverting on every call if the precompile is ever repriced above "
        "it. Default: forward all gas."
    ),
)
def export_solidity(verification_key: str, output: str, contract_name: str, pairing_gas: int | None) -> None:
    """Write a Solidity Groth16 verifier with the snarkjs VERIFICATION_KEY.json embedded.

    The contract has snarkjs's ABI: verifyProof(uint[2] a, uint[2][2] b, uint[2] c,
    uint[N] input) returns (bool). Writes to VERIFIER.sol, or to standard output.
    """
    from zk.formats.solidity import CONTRACT_NAME, parse_verification_key, solidity_verifier

    contract_name = contract_name or CONTRACT_NAME
    vk_json = _read_json(verification_key, "verification key")
    source = _exported(solidity_verifier, vk_json, contract_name=contract_name, pairing_gas=pairing_gas)
    if output == "-":
        click.echo(source, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(source)
    except OSError as exc:
        raise UserError(f"cannot write {output!r}: {exc.strerror or exc}") from None
    n_public = parse_verification_key(vk_json).n_public
    click.echo(f"wrote {os.fspath(output)}: contract {contract_name}, {n_public} public input(s)", err=True)
    if n_public > MAX_DEPLOYABLE_INPUTS:
        click.echo(
            f"warning: about 135 bytes of code per public input: with {n_public} the contract likely exceeds "
            "the 24 KiB EIP-170 limit and cannot be deployed; hash the public inputs into one in the circuit",
            err=True,
        )


@export.command("calldata")
@click.argument("public", metavar="[PUBLIC.json]", required=False, default="public.json")
@click.argument("proof", metavar="[PROOF.json]", required=False, default="proof.json")
def export_calldata(public: str, proof: str) -> None:
    """Print the arguments of verifyProof for PROOF.json and PUBLIC.json.

    Same output as `snarkjs zkey export soliditycalldata PUBLIC.json PROOF.json`.
    """
    from zk.formats.solidity import solidity_calldata

    public_json = _read_json(public, "public signals")
    proof_json = _read_json(proof, "proof")
    click.echo(_exported(solidity_calldata, public_json, proof_json))
