"""Poseidon hash, bit-for-bit compatible with circomlib's poseidon.circom and circomlibjs's `poseidon`
(x^5 S-box, 8 full rounds, circomlib's partial-round counts, Grain LFSR constants), for 1 to 16 inputs."""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from zk.gadgets.poseidon_grain import FULL_ROUNDS, partial_rounds
from zk.r1cs.field import R

MAX_INPUTS = 16


@lru_cache(maxsize=None)
def parameters(t: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...], int]:
    """(round constants, MDS matrix, partial rounds) for state width t = inputs + 1."""
    n_partial = partial_rounds(t)
    from zk.gadgets.poseidon_constants import CONSTANTS

    constants, mds = CONSTANTS[t]
    return constants, mds, n_partial


def _check_arity(n_inputs: int, n_outputs: int) -> int:
    if not 1 <= n_inputs <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {n_inputs}")
    t = n_inputs + 1
    if not 1 <= n_outputs <= t:
        raise ValueError(f"Poseidon with {n_inputs} inputs gives 1 to {t} outputs, asked for {n_outputs}")
    return t


def poseidon(inputs: Sequence[int], initial_state: int = 0, n_outputs: int = 1):
    """Native Poseidon: poseidon([1, 2]) equals circomlibjs poseidon([1, 2]). With n_outputs > 1 returns
    the first n_outputs state elements (circomlib PoseidonEx)."""
    t = _check_arity(len(inputs), n_outputs)
    for x in inputs:
        if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < R:
            raise ValueError(f"Poseidon inputs must be field elements (ints in [0, r)), got {x!r}")
    constants, mds, n_partial = parameters(t)
    state = [initial_state % R] + list(inputs)
    half = FULL_ROUNDS // 2
    for rnd in range(FULL_ROUNDS + n_partial):
        state = [(s + constants[rnd * t + i]) % R for i, s in enumerate(state)]
        if rnd < half or rnd >= half + n_partial:
            state = [pow(s, 5, R) for s in state]
        else:
            state[0] = pow(state[0], 5, R)
        state = [sum(m * s for m, s in zip(row, state)) % R for row in mds]
    return state[0] if n_outputs == 1 else state[:n_outputs]


def _sbox(api, x):
    x2 = api.mul(x, x)
    x4 = api.mul(x2, x2)
    return api.mul(x4, x)


def poseidon_gadget(api, inputs: Sequence, initial_state=0, n_outputs: int = 1):
    """In-circuit Poseidon (3 constraints per S-box; 240 for two inputs, as circomlib Poseidon(2)).
    The linear layers are free linear combinations; an S-box on a constant (the zero capacity
    element in the first round) folds away, which is where circomlib's count also saves 3."""
    t = _check_arity(len(inputs), n_outputs)
    constants, mds, n_partial = parameters(t)
    half = FULL_ROUNDS // 2
    with api.gadget(f"poseidon(t={t})"):
        state = [api.add(initial_state)] + [api.add(x) for x in inputs]
        for rnd in range(FULL_ROUNDS + n_partial):
            state = [api.add(s, constants[rnd * t + i]) for i, s in enumerate(state)]
            if rnd < half or rnd >= half + n_partial:
                state = [_sbox(api, s) for s in state]
            else:
                state[0] = _sbox(api, state[0])
            state = [api.add(*(api.mul(m, s) for m, s in zip(row, state))) for row in mds]
    return state[0] if n_outputs == 1 else state[:n_outputs]
