"""Benchmark circuits for the Groth16 comparison, built with our Python API and exported to
circom's .r1cs/.wtns so that both provers read the very same files.

"2^k constraints" means the Groth16 evaluation domain is exactly 2^k: snarkjs (and our prover)
add one row per public signal plus one for the constant, so a circuit of size 2^k has
``2^k - n_public - 1`` constraints. The largest benchmark (2^16) therefore fits a power-16 powers
of tau, which takes about 20 minutes to prepare instead of 40 for power 17.

- ``mul``: x public, y output, y = f^n(x) with f(v) = v*v + x: one constraint per step, two terms
  in A and B (a squaring chain alone would have single-term rows, which flatters sparse code).
- ``poseidon``: h_0 = x public, h_{i+1} = Poseidon(h_i) (213 constraints each, circomlib's
  Poseidon(1)), padded with ``mul`` steps to the exact size; y = the last value, output.

(Not named bench/circuits.py: pytest puts bench/ on sys.path, where that name would shadow the
repository's ``circuits`` package.)
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from zk.formats.circom import write_r1cs, write_wtns
from zk.gadgets import poseidon_gadget
from zk.r1cs import Circuit, Output, Public, compile

KINDS = ("mul", "poseidon")
N_PUBLIC = 2  # y (output) and x (public input)
POSEIDON1_CONSTRAINTS = 213
INPUT_X = 7


def target_constraints(log_size: int) -> int:
    """Constraints of a size-2^log_size benchmark circuit: its domain is exactly 2^log_size."""
    return (1 << log_size) - N_PUBLIC - 1


class MulChain(Circuit):
    y = Output()
    x = Public()
    steps = 1

    def define(self, api):
        v = self.x
        for _ in range(self.steps):
            v = v * v + self.x
        api.set_output(self.y, v)


class PoseidonChain(Circuit):
    y = Output()
    x = Public()
    hashes = 1
    pad_steps = 0

    def define(self, api):
        v = self.x
        for _ in range(self.hashes):
            v = poseidon_gadget(api, [v])
        for _ in range(self.pad_steps):
            v = v * v + self.x
        api.set_output(self.y, v)


def make_circuit(kind: str, log_size: int) -> Circuit:
    n = target_constraints(log_size)
    if kind == "mul":
        return MulChain(steps=n)
    if kind == "poseidon":
        hashes = n // POSEIDON1_CONSTRAINTS
        return PoseidonChain(hashes=hashes, pad_steps=n - hashes * POSEIDON1_CONSTRAINTS)
    raise ValueError(f"unknown benchmark circuit {kind!r} (known: {', '.join(KINDS)})")


@dataclass(frozen=True)
class Exported:
    kind: str
    log_size: int
    r1cs: Path
    wtns: Path
    n_constraints: int
    n_wires: int
    public: tuple[int, ...]
    build_seconds: float  # compile + solve + write, in our Python API

    @property
    def name(self) -> str:
        return f"{self.kind}_{self.log_size}"


def export(kind: str, log_size: int, directory) -> Exported:
    """Compile, solve (x = 7) and write ``{kind}_{log}.r1cs`` / ``.wtns`` into ``directory``."""
    start = time.perf_counter()
    cs = compile(make_circuit(kind, log_size))
    if cs.n_constraints != target_constraints(log_size) or cs.n_public != N_PUBLIC:
        # The count is what the table's "2^k" claims; a change in the compiler's simplification
        # must not silently shift the benchmark to another size.
        raise AssertionError(f"{kind} 2^{log_size}: {cs.n_constraints} constraints and {cs.n_public} public "
                             f"signals, expected {target_constraints(log_size)} and {N_PUBLIC}")
    witness = cs.solve({"x": INPUT_X})
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / f"{kind}_{log_size}"
    r1cs, wtns = base.with_suffix(".r1cs"), base.with_suffix(".wtns")
    write_r1cs(cs, r1cs)
    write_wtns(witness, wtns)
    return Exported(kind, log_size, r1cs, wtns, cs.n_constraints, len(witness),
                    tuple(cs.public_values(witness)),
                    time.perf_counter() - start)


if __name__ == "__main__":  # pragma: no cover - manual use: python bench/groth16_circuits.py KIND LOG DIR
    import sys

    kind, log, out = sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else os.getcwd()
    e = export(kind, log, out)
    print(f"{e.r1cs} {e.wtns}: {e.n_constraints} constraints, {e.n_wires} wires, built in {e.build_seconds:.1f} s")
