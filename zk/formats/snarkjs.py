"""snarkjs's Groth16 JSON files: ``verification_key.json``, ``proof.json``, ``public.json``.

Written byte for byte as snarkjs 0.7 writes them (``JSON.stringify(obj, null, 1)``: one-space
indentation, no trailing newline) and read with the checks snarkjs skips: canonical decimal
strings, points on the curve and in their subgroup (G2), consistent sizes.

Points are decimal strings, projective with z = 1:
  G1: ["x", "y", "1"], infinity ["0", "1", "0"];
  G2: [["x.c0", "x.c1"], ["y.c0", "y.c1"], ["1", "0"]], infinity [["0","0"], ["1","0"], ["0","0"]].
snarkjs always writes normalised points, so any other z is rejected rather than divided out;
decimal strings must be canonical (digits only, no sign, no leading zeros, below p).

``vk_alphabeta_12`` is e(alpha, beta) as snarkjs's ffjavascript computes it: its final
exponentiation uses the Fuentes-Castaneda et al. hard part, which raises the reduced pairing to
the fixed power m = 2x(6x^2 + 3x + 1) (x the BN parameter). We match it by pairing [m·alpha]_1
with [beta]_2; the Fp12 layout is the tower's [[c0.c0, c0.c1, c0.c2], [c1.c0, c1.c1, c1.c2]] with
Fp2 values [a, b] = a + b·u. snarkjs's verifier ignores this field; so does ours on reading.
"""
from __future__ import annotations

import json
import os
from typing import Any, Sequence

from zk.curve import CurveError, G1Point, G2Point, PointEncodingError
from zk.curve.constants import BN_X
from zk.curve.encoding import checked_g1, checked_g2
from zk.field import P, R, Fp2
from zk.field.decimal import parse_decimal
from zk.formats.jsonio import parse_json
from zk.groth16 import Proof, VerifyingKey

PROTOCOL = "groth16"
CURVE = "bn128"
# Names snarkjs's getCurveFromName accepts for BN254 (compared case-insensitively).
_CURVE_ALIASES = {"bn128", "bn254", "altbn128"}
ALPHABETA_EXPONENT = 2 * BN_X * (6 * BN_X * BN_X + 3 * BN_X + 1)


class SnarkjsFormatError(ValueError):
    """A file that is not a valid snarkjs Groth16 verification key, proof or public-signal list."""


# ---------------------------------------------------------------------------------------------
# Points: decimal strings, projective with z = 1

def _decimal(value, what: str) -> int:
    number = parse_decimal(value, what, PointEncodingError)
    if not 0 <= number < P:
        raise PointEncodingError(f"{what} is not a canonical field element: {number} is not in [0, p)")
    return number


def _sequence(obj, length: int, what: str) -> list:
    if not isinstance(obj, (list, tuple)) or len(obj) != length:
        shown = len(obj) if isinstance(obj, (list, tuple)) else type(obj).__name__
        raise PointEncodingError(f"{what}: expected a list of {length}, got {shown}")
    return list(obj)


def g1_to_snarkjs(point: G1Point) -> list[str]:
    if point.is_infinity():
        return ["0", "1", "0"]
    return [str(point.x.value), str(point.y.value), "1"]


def g1_from_snarkjs(obj) -> G1Point:
    x, y, z = (_decimal(v, f"G1 {name}") for v, name in zip(_sequence(obj, 3, "snarkjs G1 point"), "xyz"))
    if z == 0:
        if (x, y) != (0, 1):
            raise PointEncodingError(f'snarkjs G1 infinity must be ["0", "1", "0"], got z = 0 with x = {x}, y = {y}')
        return G1Point.infinity()
    if z != 1:
        raise PointEncodingError(f"snarkjs G1 point must be normalised (z = 1) or infinity (z = 0), got z = {z}")
    return checked_g1(x, y)


def g2_to_snarkjs(point: G2Point) -> list[list[str]]:
    if point.is_infinity():
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    x, y = point.x, point.y
    return [[str(x.c0.value), str(x.c1.value)], [str(y.c0.value), str(y.c1.value)], ["1", "0"]]


def g2_from_snarkjs(obj) -> G2Point:
    coords = []
    for pair, name in zip(_sequence(obj, 3, "snarkjs G2 point"), "xyz"):
        c0, c1 = _sequence(pair, 2, f"snarkjs G2 {name}")
        coords.append((_decimal(c0, f"G2 {name}.c0"), _decimal(c1, f"G2 {name}.c1")))
    x, y, z = coords
    if z == (0, 0):
        if (x, y) != ((0, 0), (1, 0)):
            raise PointEncodingError(
                f'snarkjs G2 infinity must be [["0","0"], ["1","0"], ["0","0"]], got z = 0 with x = {x}, y = {y}'
            )
        return G2Point.infinity()
    if z != (1, 0):
        raise PointEncodingError(f"snarkjs G2 point must be normalised (z = 1) or infinity (z = 0), got z = {z}")
    return checked_g2(Fp2(*x), Fp2(*y))


# ---------------------------------------------------------------------------------------------
# JSON files


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1)


def write_json(obj: Any, path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dumps(obj))


def read_json(path, what: str) -> Any:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise SnarkjsFormatError(f"cannot read {what} {os.fspath(path)!r}: {exc.strerror or exc}") from None
    try:
        return parse_json(data)
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, nesting too deep
        raise SnarkjsFormatError(f"{what} {os.fspath(path)!r} is not valid JSON: {exc}") from None


def _point(decode, obj, what: str):
    try:
        return decode(obj)
    except CurveError as exc:
        raise SnarkjsFormatError(f"{what}: {exc}") from None


def _require_dict(obj, what: str) -> dict:
    if not isinstance(obj, dict):
        raise SnarkjsFormatError(f"{what} must be a JSON object, got {type(obj).__name__}")
    return obj


def _field(obj: dict, key: str, what: str):
    if key not in obj:
        raise SnarkjsFormatError(f"{what} has no {key!r} field")
    return obj[key]


def _check_protocol(obj: dict, what: str, required: bool) -> None:
    protocol = obj.get("protocol")
    if protocol is None and not required:
        return
    if protocol != PROTOCOL:
        raise SnarkjsFormatError(f"{what} is for protocol {protocol!r}, not {PROTOCOL!r}")
    curve = obj.get("curve")
    if curve is None and not required:
        return
    if not isinstance(curve, str) or curve.lower() not in _CURVE_ALIASES:
        raise SnarkjsFormatError(f"{what} is for curve {curve!r}, not bn128 (BN254)")


# ---------------------------------------------------------------------------------------------
# Verification key


def vkey_to_json(vk: VerifyingKey) -> dict:
    from zk.pairing import pairing  # here: reading and writing proofs needs no pairing

    alphabeta = pairing(vk.alpha_g1 * (ALPHABETA_EXPONENT % R), vk.beta_g2)
    flat = [str(v) for v in alphabeta.tower_ints()]
    fp12 = [[[flat[6 * i + 2 * j], flat[6 * i + 2 * j + 1]] for j in range(3)] for i in range(2)]
    return {
        "protocol": PROTOCOL,
        "curve": CURVE,
        "nPublic": vk.n_public,
        "vk_alpha_1": g1_to_snarkjs(vk.alpha_g1),
        "vk_beta_2": g2_to_snarkjs(vk.beta_g2),
        "vk_gamma_2": g2_to_snarkjs(vk.gamma_g2),
        "vk_delta_2": g2_to_snarkjs(vk.delta_g2),
        "vk_alphabeta_12": fp12,
        "IC": [g1_to_snarkjs(p) for p in vk.ic],
    }


def vkey_from_json(obj) -> VerifyingKey:
    """A :class:`zk.groth16.VerifyingKey`; raises SnarkjsFormatError for format problems and
    :class:`zk.groth16.InvalidKey` for degenerate keys (delta = gamma, points at infinity)."""
    what = "verification key"
    obj = _require_dict(obj, what)
    _check_protocol(obj, what, required=True)
    ic_obj = _field(obj, "IC", what)
    if not isinstance(ic_obj, list) or not ic_obj:
        raise SnarkjsFormatError(f"{what}: IC must be a non-empty list of G1 points")
    n_public = _field(obj, "nPublic", what)
    if isinstance(n_public, bool) or not isinstance(n_public, int) or n_public != len(ic_obj) - 1:
        raise SnarkjsFormatError(f"{what}: nPublic is {n_public!r} but IC has {len(ic_obj)} points (expected nPublic + 1)")
    return VerifyingKey(
        _point(g1_from_snarkjs, _field(obj, "vk_alpha_1", what), f"{what} vk_alpha_1"),
        _point(g2_from_snarkjs, _field(obj, "vk_beta_2", what), f"{what} vk_beta_2"),
        _point(g2_from_snarkjs, _field(obj, "vk_gamma_2", what), f"{what} vk_gamma_2"),
        _point(g2_from_snarkjs, _field(obj, "vk_delta_2", what), f"{what} vk_delta_2"),
        tuple(_point(g1_from_snarkjs, p, f"{what} IC[{i}]") for i, p in enumerate(ic_obj)),
    )


# ---------------------------------------------------------------------------------------------
# Proof


def proof_to_json(proof) -> dict:
    return {
        "pi_a": g1_to_snarkjs(proof.a),
        "pi_b": g2_to_snarkjs(proof.b),
        "pi_c": g1_to_snarkjs(proof.c),
        "protocol": PROTOCOL,
        "curve": CURVE,
    }


def proof_from_json(obj) -> Proof:
    what = "proof"
    obj = _require_dict(obj, what)
    _check_protocol(obj, what, required=False)
    return Proof(
        _point(g1_from_snarkjs, _field(obj, "pi_a", what), "proof pi_a"),
        _point(g2_from_snarkjs, _field(obj, "pi_b", what), "proof pi_b"),
        _point(g1_from_snarkjs, _field(obj, "pi_c", what), "proof pi_c"),
    )


# ---------------------------------------------------------------------------------------------
# Public signals


def public_to_json(values: Sequence[int]) -> list[str]:
    return [str(int(v)) for v in values]


def public_from_json(obj) -> list[int]:
    """Decimal strings -> ints. Values >= r are returned as they are: the verifier rejects them
    with a precise message (snarkjs's verifier also refuses them)."""
    if not isinstance(obj, list):
        raise SnarkjsFormatError(f"public signals must be a JSON list of decimal strings, got {type(obj).__name__}")
    return [parse_decimal(value, f"public signal {i}", SnarkjsFormatError) for i, value in enumerate(obj)]


# ---------------------------------------------------------------------------------------------
# Files


def write_vkey(vk, path) -> None:
    write_json(vkey_to_json(vk), path)


def read_vkey(path):
    return vkey_from_json(read_json(path, "verification key"))


def write_proof(proof, path) -> None:
    write_json(proof_to_json(proof), path)


def read_proof(path):
    return proof_from_json(read_json(path, "proof"))


def write_public(values: Sequence[int], path) -> None:
    write_json(public_to_json(values), path)


def read_public(path) -> list[int]:
    return public_from_json(read_json(path, "public signals"))
