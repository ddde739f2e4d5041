"""`zk verify` through the ahead-of-time module: snarkjs JSON files to a verdict without numba.

:func:`verify_files` decides only inputs in the exact form snarkjs and zk write them (canonical
decimal strings, normalised points, no point at infinity, a sound key, public inputs below r)
and leaves everything else undecided (None): the caller then runs the full path, numba's JIT
kernels behind :mod:`zk.formats.snarkjs` and :func:`zk.groth16.verify`, which accepts, rejects
or names the problem exactly as without the module. So what it decides is a subset of what the
full path accepts as well-formed, and on that subset both compute the same pairing with the same
kernels: the verdict cannot differ. The curve and subgroup checks run inside the module
(:func:`zk.aot.kernel.groth16_verdict`); a point that fails them is also left to the full path,
for its message.
"""
from __future__ import annotations

import numpy as np  # the module's arguments; `zk verify` imports this module with the collector off

from zk.field.bn254 import P, R
from zk.field.decimal import parse_decimal
from zk.formats.jsonio import parse_json

from . import store

_G1_Z = 1
_G2_Z = (1, 0)


class _Undecided(Exception):
    """Input the module does not decide: the full path reads it again and decides or explains."""


def _read(path) -> object:
    try:
        with open(path, "rb") as fh:
            return parse_json(fh.read())
    except (OSError, ValueError):
        raise _Undecided from None


def _coordinate(value) -> int:
    try:
        number = parse_decimal(value, "coordinate")
    except ValueError:
        raise _Undecided from None
    if number >= P:
        raise _Undecided
    return number


def _triple(obj) -> list:
    if not isinstance(obj, list) or len(obj) != 3:
        raise _Undecided
    return obj


def _g1(obj) -> tuple[int, int]:
    x, y, z = (_coordinate(v) for v in _triple(obj))
    if z != _G1_Z:  # infinity or not normalised
        raise _Undecided
    return x, y


def _g2(obj) -> tuple[tuple[int, int], tuple[int, int]]:
    coords = []
    for pair in _triple(obj):
        if not isinstance(pair, list) or len(pair) != 2:
            raise _Undecided
        coords.append((_coordinate(pair[0]), _coordinate(pair[1])))
    x, y, z = coords
    if z != _G2_Z:
        raise _Undecided
    return x, y


def _fields(obj, *names) -> list:
    if not isinstance(obj, dict) or any(name not in obj for name in names):
        raise _Undecided
    return [obj[name] for name in names]


def _limbs(values: list[int], shape: tuple):
    """Plain little-endian uint64 limbs of non-negative ints below 2^256, C-contiguous and writeable."""
    data = bytearray(b"".join(v.to_bytes(32, "little") for v in values))
    return np.frombuffer(data, dtype="<u8").reshape(shape)


def groth16_arrays(vkey_obj, public_obj, proof_obj):
    """The module's arguments from parsed JSON, or _Undecided."""
    protocol, curve, n_public, alpha, beta, gamma, delta, ic = _fields(
        vkey_obj, "protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC")
    if protocol != "groth16" or curve != "bn128" or not isinstance(ic, list) or not ic:
        raise _Undecided
    if isinstance(n_public, bool) or not isinstance(n_public, int) or n_public != len(ic) - 1:
        raise _Undecided
    alpha, ic_points = _g1(alpha), [_g1(p) for p in ic]
    beta, gamma, delta = _g2(beta), _g2(gamma), _g2(delta)
    # Degenerate keys (zk.groth16.keys.degenerate_key_problem) are the full path's to refuse. For
    # points on their curves (checked in the module), equal x means equal up to sign.
    if gamma[0] == delta[0] or len({x for x, _ in ic_points}) != len(ic_points):
        raise _Undecided
    if not isinstance(public_obj, list) or len(public_obj) != n_public:
        raise _Undecided
    public = [_coordinate(v) for v in public_obj]
    if any(v >= R for v in public):
        raise _Undecided
    if not isinstance(proof_obj, dict) or proof_obj.get("protocol") not in (None, "groth16") \
            or proof_obj.get("curve") not in (None, "bn128"):
        raise _Undecided
    a, b, c = _fields(proof_obj, "pi_a", "pi_b", "pi_c")
    (ax, ay), b, c = _g1(a), _g2(b), _g1(c)
    g1 = [(ax, (P - ay) % P), alpha, c, *ic_points]
    g2 = [b, beta, gamma, delta]
    return (_limbs([v for point in g1 for v in point], (len(g1), 2, 4)),
            _limbs([v for x, y in g2 for v in (*x, *y)], (4, 2, 2, 4)),
            _limbs(public, (len(public), 4)))


def verify_files(vkey_path, public_path, proof_path, directory=None) -> bool | None:
    """True (valid) or False (invalid) as decided by the ahead-of-time module; None when there is
    no current module or the input is not in the form it decides (see the module doc)."""
    module = store.load_verifier(directory)
    if module is None:
        return None
    try:
        arrays = groth16_arrays(_read(vkey_path), _read(public_path), _read(proof_path))
    except _Undecided:
        return None
    try:
        verdict = module.groth16_verify(*arrays)
    except Exception:  # a module that misbehaves is ignored like a missing one
        return None
    if verdict < 0:
        return None
    return verdict == 1
