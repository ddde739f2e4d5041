"""Groth16 verifier contracts for the EVM, and the call arguments that go with them.

``solidity_verifier(vk_json)`` turns a snarkjs ``verification_key.json`` (as a dict) into a Solidity
contract ``Groth16Verifier`` with the key embedded and snarkjs's ABI::

    function verifyProof(uint[2] a, uint[2][2] b, uint[2] c, uint[N] input) public view returns (bool)

so that code written against snarkjs's exported verifier works unchanged. ``solidity_calldata``
prints the arguments exactly as ``snarkjs zkey export soliditycalldata public.json proof.json``.

What the contract checks before it spends gas on the precompiles (EIP-196/197 at 0x06, 0x07,
0x08), answering ``false`` for anything that fails, at a cost of a few hundred gas:

- every public input is < r (an input + r would otherwise verify too: the same point, another uint);
- A and C: coordinates < p and y^2 = x^3 + 3. G1 has cofactor 1, so on the curve means in the group;
- B: the four coordinates < p and y^2 = x^3 + 3/(9+u) on the twist.

The point at infinity (all-zero words for the precompiles) is on neither curve, so A, B or C at
infinity is rejected too. An honest prover outputs one with probability about 3/r, and accepting
it would cost every verification the gas of the extra test (about 60 gas, which is what keeps this
contract cheaper than snarkjs's at one public input).

A point that fails these checks would make the pairing precompile fail, and a failing precompile
consumes all the gas it was given (63/64 of what the caller had left). One malformed input still
reaches it: a B on the twist but outside the order-r subgroup G2. The precompile rejects it (EIP-197
makes the call fail for inputs outside G2; geth and ethereumjs check the subgroup), but testing
membership in the contract would add about half the cost of a verification (a 64-bit scalar
multiplication in Fp2 arithmetic written in EVM code, an estimated 100k gas), and honest provers
never produce such a point. The contract therefore reverts when the pairing precompile fails: by default
after forwarding all gas (so a later repricing of the precompile can never make valid proofs
fail), or, with ``pairing_gas=N``, after forwarding at most N gas, which bounds what such a proof
burns to N. The precompiles 0x06 and 0x07 can only fail here by running out of gas (their inputs
are the key's points and the accumulated sum), after which the pairing cannot be paid for and the
call reverts too: too little gas never reads as "invalid proof".
"""
from __future__ import annotations

import re
from typing import Any

from zk.curve import G1Point, G2Point
from zk.curve.constants import B_G2
from zk.field import P, R
from zk.field.decimal import parse_decimal
from zk.formats.snarkjs import SnarkjsFormatError, proof_from_json, vkey_from_json
from zk.groth16 import Groth16Error, Proof, VerifyingKey
from zk.groth16.keys import degenerate_key_problem

CONTRACT_NAME = "Groth16Verifier"
# EIP-1108 price of the pairing precompile: 45000 + 34000 per pair; a Groth16 check has 4 pairs.
PAIRING_GAS_EIP1108 = 45000 + 4 * 34000

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


class SolidityExportError(ValueError):
    """A verification key, proof or public-signal list that cannot be exported for the EVM."""


# ---------------------------------------------------------------------------------------------
# Reading snarkjs JSON: zk.formats.snarkjs's readers, errors as SolidityExportError


def parse_verification_key(obj: Any) -> VerifyingKey:
    """A snarkjs Groth16 ``verification_key.json`` (already parsed from JSON), read by
    :func:`zk.formats.snarkjs.vkey_from_json` (every point in its group); a
    :class:`zk.groth16.VerifyingKey` is accepted too.

    Keys a verifier must not be built from are refused (:func:`zk.groth16.keys.degenerate_key_problem`,
    the rule every reader applies): alpha, beta, gamma, delta or an IC point at infinity,
    delta = +-gamma (delta = gamma is what snarkjs writes when no phase-2 contribution was made),
    two IC points equal up to sign."""
    what = "verification key"
    if isinstance(obj, VerifyingKey):
        # A key object may have been assembled without its checks (object.__new__, check=False
        # points): hold it to the JSON path's standard.
        for name, point in (("alpha", obj.alpha_g1), ("beta", obj.beta_g2), ("gamma", obj.gamma_g2),
                            ("delta", obj.delta_g2), *((f"IC[{i}]", p) for i, p in enumerate(obj.ic))):
            if not point.is_on_curve() or (isinstance(point, G2Point) and not point.is_in_subgroup()):
                raise SolidityExportError(f"{what}: {name} is not a point of its group")
        vk = obj
    else:
        try:
            vk = vkey_from_json(obj)
        except (SnarkjsFormatError, Groth16Error, ValueError) as exc:
            raise SolidityExportError(_with_hint(str(exc))) from None
    problem = degenerate_key_problem(vk.alpha_g1, vk.beta_g2, vk.gamma_g2, vk.delta_g2, vk.ic)
    if problem:
        raise SolidityExportError(f"{what}: {_with_hint(problem)}")
    return vk


def _with_hint(problem: str) -> str:
    if "delta_2 equals gamma_2" in problem:
        return problem + " (a zkey without a phase-2 contribution: contribute to it first)"
    return problem


def parse_proof(obj: Any) -> Proof:
    """A snarkjs Groth16 ``proof.json`` (parsed), with every point checked (curve, subgroup, range)."""
    try:
        return proof_from_json(obj)
    except (SnarkjsFormatError, Groth16Error, ValueError) as exc:
        raise SolidityExportError(str(exc)) from None


def parse_public_signals(obj: Any) -> list[int]:
    """snarkjs ``public.json``: a list of canonical decimal strings, each < r."""
    if not isinstance(obj, list):
        raise SolidityExportError(f"public signals must be a JSON list of decimal strings, got {type(obj).__name__}")
    values = []
    for i, value in enumerate(obj):
        number = parse_decimal(value, f"public signal {i}", SolidityExportError)
        if number >= R:
            raise SolidityExportError(f"public signal {i} is not below the scalar field modulus r: {number}")
        values.append(number)
    return values


# ---------------------------------------------------------------------------------------------
# EVM encodings


def g1_words(point: G1Point) -> list[int]:
    """x, y as the precompiles read them; infinity is (0, 0)."""
    if point.is_infinity():
        return [0, 0]
    return [point.x.value, point.y.value]


def g2_words(point: G2Point) -> list[int]:
    """x.c1, x.c0, y.c1, y.c0 (imaginary part first, EIP-197); infinity is all zero."""
    if point.is_infinity():
        return [0, 0, 0, 0]
    return [point.x.c1.value, point.x.c0.value, point.y.c1.value, point.y.c0.value]


def calldata_words(public_json: Any, proof_json: Any) -> list[int]:
    """The 8 + n uint256 arguments of ``verifyProof`` in ABI order: a, b, c, input."""
    proof = parse_proof(proof_json)
    return g1_words(proof.a) + g2_words(proof.b) + g1_words(proof.c) + parse_public_signals(public_json)


def _hex(value: int) -> str:
    return f'"0x{value:064x}"'


def solidity_calldata(public_json: Any, proof_json: Any) -> str:
    """The arguments as ``snarkjs zkey export soliditycalldata`` prints them (without its newline)."""
    w = [_hex(v) for v in calldata_words(public_json, proof_json)]
    inputs = ",".join(w[8:])
    return f"[{w[0]}, {w[1]}],[[{w[2]}, {w[3]}],[{w[4]}, {w[5]}]],[{w[6]}, {w[7]}],[{inputs}]"


# ---------------------------------------------------------------------------------------------
# The contract
#
# Memory while verifying (the assembly block ends with return, so Solidity's own memory layout
# does not matter and the pairing input is built at address 0), one pair per 0xc0 bytes:
#
#   0x000  A (2 words)   0x040  B (4 words)         A, B, C: one calldatacopy, they are adjacent
#   0x0c0  C (2 words)   0x100  -delta              in calldata (static arrays are encoded in place)
#   0x180  alpha         0x1c0  -beta
#   0x240  vk_x          0x280  -gamma              (before that: ecMul scratch x, y, s)
#
# e(A, B) = e(alpha, beta) e(vk_x, gamma) e(C, delta) is checked as
# e(A, B) e(C, -delta) e(alpha, -beta) e(vk_x, -gamma) = 1, negating the key at export time so the
# contract does no arithmetic on the proof. vk_x = IC0 + sum input_i IC_i is accumulated in place
# at 0x240 with 0x280.. as the ecMul scratch, so nothing is copied; terms with input 0 are
# skipped. (Skipping the ecMul for input 1 too would cost every other input a
# second branch, about 25 gas.)

_HEADER = """\
// SPDX-License-Identifier: MIT
// Groth16 verifier for BN254 with the verification key embedded, generated by zk (`zk export solidity`).
// Same ABI as snarkjs's exported verifier. Malformed proofs (a public input >= r, a coordinate >= p,
// A or C off the curve, B off the twist, any of them at infinity) return false without calling a
// precompile; the pairing precompile failing (B on the twist but outside G2, or out of gas) reverts.
pragma solidity >=0.7.0 <0.9.0;
"""


def _g1_check(name: str, x: str, y_address: int, first: bool = False) -> str:
    result = "pointValid" if first else "and(valid, pointValid)"
    return f"""\
                {{
                    // {name}: x, y < p on y^2 = x^3 + 3 (so not (0, 0), the precompiles' infinity).
                    let x := {x}
                    let y := mload({y_address:#05x})
                    let onCurve := eq(mulmod(y, y, p), addmod(mulmod(mulmod(x, x, p), x, p), 3, p))
                    let pointValid := and(and(lt(x, p), lt(y, p)), onCurve)
                    valid := {result}
                }}
"""


# B = (x1 u + x0, y1 u + y0) in Fp2 = Fp[u]/(u^2 + 1); squares as (a + b)(a - b) + 2ab u.
# mulmod accepts any 256-bit operands, so sums that only feed a mulmod or one final addmod are
# left unreduced: once the range check passes every coordinate is < p < 2^254 and no sum exceeds
# 3p (if it fails, the on-twist result is discarded anyway). x1 is read from calldata: the same
# cost as from memory, and it uses _pB, which solc would otherwise report as unused.
_G2_CHECK = """\
                {
                    // B: x0, x1, y0, y1 < p on the twist y^2 = x^3 + b' (so not infinity, all zero).
                    // Membership of the order-r subgroup is left to the pairing precompile.
                    let x1 := calldataload(_pB)
                    let x0 := mload(0x060)
                    let y1 := mload(0x080)
                    let y0 := mload(0x0a0)
                    let sq0 := mulmod(add(x0, x1), add(x0, sub(p, x1)), p)
                    let sq1 := mulmod(add(x0, x0), x1, p)
                    let onTwist := and(
                        eq(
                            mulmod(add(y0, y1), add(y0, sub(p, y1)), p),
                            addmod(mulmod(sq0, x0, p), add(sub(p, mulmod(sq1, x1, p)), TWIST_B0), p)
                        ),
                        eq(mulmod(add(y0, y0), y1, p), addmod(mulmod(sq0, x1, p), add(mulmod(sq1, x0, p), TWIST_B1), p))
                    )
                    let inRange := and(and(lt(x0, p), lt(x1, p)), and(lt(y0, p), lt(y1, p)))
                    valid := and(valid, and(inRange, onTwist))
                }
"""


def _constant(name: str, value: int) -> str:
    return f"    uint256 constant {name} = {value};\n"


def _accumulate_term(index: int, point: G1Point) -> str:
    x, y = g1_words(point)
    offset = 32 * (index - 1)
    return f"""\
            {{
                let s := calldataload(add(_pubSignals, {offset}))
                if s {{
                    mstore(0x280, {x})
                    mstore(0x2a0, {y})
                    mstore(0x2c0, s)
                    pop(staticcall(gas(), 0x07, 0x280, 0x60, 0x280, 0x40))
                    pop(staticcall(gas(), 0x06, 0x240, 0x80, 0x240, 0x40))
                }}
            }}
"""


def solidity_verifier(vk_json: Any, *, contract_name: str = CONTRACT_NAME, pairing_gas: int | None = None) -> str:
    """Solidity source of a Groth16 verifier for the snarkjs verification key ``vk_json`` (a dict).

    ``pairing_gas``: forward at most this much gas to the pairing precompile (default: all of it).
    A cap bounds what a proof with B outside G2 burns, but a future repricing of the precompile
    above the cap would make every verification revert; at least the EIP-1108 price is required.
    """
    vk = parse_verification_key(vk_json)
    if not isinstance(contract_name, str) or not _IDENTIFIER.match(contract_name):
        raise SolidityExportError(f"contract name {contract_name!r} is not a Solidity identifier")
    if pairing_gas is not None:
        if isinstance(pairing_gas, bool) or not isinstance(pairing_gas, int) or pairing_gas < PAIRING_GAS_EIP1108:
            raise SolidityExportError(
                f"pairing gas cap {pairing_gas!r} is below the pairing precompile's price ({PAIRING_GAS_EIP1108})"
            )
    n = vk.n_public
    neg_beta, neg_gamma, neg_delta = (g2_words(-point) for point in (vk.beta_g2, vk.gamma_g2, vk.delta_g2))

    out = [_HEADER, f"\ncontract {contract_name} {{\n"]
    out.append("    // Base field modulus (coordinates) and scalar field modulus (public inputs).\n")
    out.append(_constant("P", P))
    out.append(_constant("R", R))
    out.append("    // b' = 3 / (9 + u), the constant of the twist y^2 = x^3 + b' that G2 lives on.\n")
    out.append(_constant("TWIST_B0", B_G2.c0.value))
    out.append(_constant("TWIST_B1", B_G2.c1.value))
    out.append("\n    // Verification key; G2 words are x.c1, x.c0, y.c1, y.c0 and beta, gamma, delta are negated.\n")
    for name, value in zip(("ALPHA_X", "ALPHA_Y"), g1_words(vk.alpha_g1)):
        out.append(_constant(name, value))
    for prefix, words in (("NEG_BETA", neg_beta), ("NEG_GAMMA", neg_gamma), ("NEG_DELTA", neg_delta)):
        for suffix, value in zip(("_X1", "_X0", "_Y1", "_Y0"), words):
            out.append(_constant(prefix + suffix, value))
    ic0_x, ic0_y = g1_words(vk.ic[0])
    out.append(_constant("IC0_X", ic0_x))
    out.append(_constant("IC0_Y", ic0_y))

    inputs = f", uint256[{n}] calldata _pubSignals" if n else ""
    out.append(
        "\n    function verifyProof(uint256[2] calldata _pA, uint256[2][2] calldata _pB, "
        f"uint256[2] calldata _pC{inputs}) public view returns (bool) {{\n"
    )
    out.append("""\
        assembly {
            // Reject malformed proofs before any precompile call, for the price of a few hundred gas.
            // A, B and C are adjacent in calldata (static arrays are encoded in place): one copy.
            // Some coordinates are read back from calldata instead (same cost) so that solc sees
            // _pB and _pC used.
            calldatacopy(0x000, _pA, 0x100)
            let valid
            {
                // = P: nothing has been called yet, so returndatasize() is 0. Written so that solc
                // cannot fold it back into 30 copies of the literal, which via-IR's optimizer does
                // and its constant optimizer then loads with CODECOPY, about 20 gas each.
                let p := or(P, returndatasize())
""")
    out.append(_g1_check("A", "mload(0x000)", 0x020, first=True))
    out.append(_G2_CHECK)
    out.append(_g1_check("C", "calldataload(_pC)", 0x0e0))
    out.append("            }\n")
    if n:
        out.append("            {\n                // Every public input < r: input + r would verify too (the same scalar).\n")
        out.append("                let r := R\n")
        for i in range(n):
            out.append(f"                valid := and(valid, lt(calldataload(add(_pubSignals, {32 * i})), r))\n")
        out.append("            }\n")
    out.append("""\
            if iszero(valid) {
                mstore(0, 0)
                return(0, 0x20)
            }

            // vk_x = IC0 + sum input_i * IC_i. ecMul/ecAdd get valid points here (the key's, and
            // their own sums), so they fail only when out of gas: a failed call keeps what it was
            // given, at least 63/64 of what was left, so the 181000-gas pairing below cannot
            // succeed after it and the call reverts. Their flags need no check.
            mstore(0x240, IC0_X)
            mstore(0x260, IC0_Y)
""")
    for index in range(1, n + 1):  # no IC point is at infinity: degenerate keys were refused
        out.append(_accumulate_term(index, vk.ic[index]))
    gas = "gas()" if pairing_gas is None else str(pairing_gas)
    out.append(f"""\
            mstore(0x100, NEG_DELTA_X1)
            mstore(0x120, NEG_DELTA_X0)
            mstore(0x140, NEG_DELTA_Y1)
            mstore(0x160, NEG_DELTA_Y0)
            mstore(0x180, ALPHA_X)
            mstore(0x1a0, ALPHA_Y)
            mstore(0x1c0, NEG_BETA_X1)
            mstore(0x1e0, NEG_BETA_X0)
            mstore(0x200, NEG_BETA_Y1)
            mstore(0x220, NEG_BETA_Y0)
            mstore(0x280, NEG_GAMMA_X1)
            mstore(0x2a0, NEG_GAMMA_X0)
            mstore(0x2c0, NEG_GAMMA_Y1)
            mstore(0x2e0, NEG_GAMMA_Y0)

            // The precompile writes 1 (the product is 1) or 0; it fails, consuming the gas it was
            // given, only for B outside G2 (the checks above rule out every other bad input) or
            // when out of gas. Either way this reverts rather than answer.
            if iszero(staticcall({gas}, 0x08, 0x000, 0x300, 0x000, 0x20)) {{
                revert(0, 0)
            }}
            return(0x000, 0x20)
        }}
    }}
}}
""")
    return "".join(out)


__all__ = [
    "CONTRACT_NAME",
    "PAIRING_GAS_EIP1108",
    "SolidityExportError",
    "calldata_words",
    "g1_words",
    "g2_words",
    "parse_proof",
    "parse_public_signals",
    "parse_verification_key",
    "solidity_calldata",
    "solidity_verifier",
]
