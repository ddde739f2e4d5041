"""The compiled witness solver: a circuit's solving program recorded once, run by a numba kernel.

Compiling a circuit traces `define` once; the trace also records, in order, every operation that
gives a wire its value (a product, a quotient, an is-zero pair, a bit decomposition, an output, a
Python hint). `Tape.build` turns that record into flat numpy arrays: linear combinations in CSR
form (wire indices and Montgomery coefficients over Fr) and one row per operation. Solving then
fills the raw wire values in one kernel pass, checks only the constraints that the operations do
not satisfy by construction (assertions, the top bit of a decomposition), and keeps the wires
that survived simplification. Python hints are the slow path: the kernel stops at each one, the
hint runs in Python, and the kernel resumes after it.

Errors read exactly as the replaying solver's (`ConstraintSystem.solve_by_replay`), which stays the
reference: the same division-by-zero origin, the same first unsatisfied constraint and values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
from numba import njit

from zk.field import FR
from zk.field import arrays as FA
from zk.field.ops import fadd, feq, finv, fis_zero, fload, fmul, fone, from_montgomery, fstore, fzero
from zk.r1cs.errors import UnsatisfiedConstraint, WitnessError

MUL, DIV, IS_ZERO, BITS, SET, HINT = range(6)

# Arrays a tape is made of, in the order the on-disk cache stores them.
ARRAY_FIELDS = ("ops", "lc_start", "lc_wire", "lc_coeff", "checks", "kept", "input_wires")


@dataclass
class Tape:
    n_raw_wires: int
    ops: np.ndarray  # (n_ops, 5) int64: opcode, output wire, lc a, lc b, extra
    lc_start: np.ndarray  # (n_lcs + 1,) int64
    lc_wire: np.ndarray  # (nnz,) int64
    lc_coeff: np.ndarray  # (nnz, 4) uint64, Montgomery form
    checks: np.ndarray  # (n_checks, 4) int64: raw constraint index, lc a, lc b, lc c
    kept: np.ndarray  # raw wires that are witness wires, in witness order
    input_wires: np.ndarray  # raw wires of the declared inputs, in input_values order
    check_origins: list[str] = field(default_factory=list)
    check_targets: list = field(default_factory=list)  # final constraint index per check (None: merged away)
    div_origins: list[str] = field(default_factory=list)
    hints: list[tuple] = field(default_factory=list)  # (fn, name, input lcs, output wires, origin)

    @property
    def has_python_hints(self) -> bool:
        return bool(self.hints)

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, api, specs, raw_to_wire, raw_to_constraint) -> "Tape | None":
        """The tape of a compile-mode trace, or None when the trace cannot be replayed as a fixed
        program (define read values while compiling, or a wire is read before it has a value);
        the replaying solver then handles those circuits and reports their errors."""
        if api.tape is None or not api.tape_replayable:
            return None
        ready = bytearray(api.n_wires)
        ready[0] = 1
        input_wires = []
        for spec in specs:
            if spec.kind != "output":
                for w in range(spec.first_wire, spec.first_wire + spec.size):
                    ready[w] = 1
                    input_wires.append(w)

        lc_index: dict[int, int] = {}
        lcs: list[dict] = []

        def lc(terms: dict, need_ready: bool = True) -> int:
            if need_ready and not all(ready[w] for w in terms):
                raise _NotReplayable
            key = id(terms)
            found = lc_index.get(key)
            if found is None:
                found = lc_index[key] = len(lcs)
                lcs.append(terms)
            return found

        ops, div_origins, hints = [], [], []
        try:
            for op in api.tape:
                kind = op[0]
                if kind == "mul":
                    _, wire, ta, tb = op
                    ops.append((MUL, wire, lc(ta), lc(tb), 0))
                    ready[wire] = 1
                elif kind == "div":
                    _, wire, ta, tb, origin = op
                    ops.append((DIV, wire, lc(ta), lc(tb), len(div_origins)))
                    div_origins.append(origin)
                    ready[wire] = 1
                elif kind == "is_zero":
                    _, inv, out, ta = op
                    ops.append((IS_ZERO, inv, lc(ta), 0, out))
                    ready[inv] = ready[out] = 1
                elif kind == "bits":
                    _, first, count, ta = op
                    ops.append((BITS, first, lc(ta), 0, count))
                    for w in range(first, first + count):
                        ready[w] = 1
                elif kind == "set":
                    _, wire, tv = op
                    ops.append((SET, wire, lc(tv), 0, 0))
                    ready[wire] = 1
                elif kind == "hint":
                    _, fn, name, terms, outs, origin = op
                    ops.append((HINT, 0, 0, 0, len(hints)))
                    hints.append((fn, name, [lc(t) for t in terms], outs, origin))
                    for w in outs:
                        ready[w] = 1
                else:  # pragma: no cover - the recorder only emits the kinds above
                    raise AssertionError(kind)
            checks, check_origins, check_targets = [], [], []
            for k, (a, b, c) in enumerate(api.constraints):
                if api.assured[k]:
                    continue
                checks.append((k, lc(a), lc(b), lc(c)))
                check_origins.append(api.origins[k])
                check_targets.append(raw_to_constraint[k])
            if not all(ready):
                raise _NotReplayable
        except _NotReplayable:
            return None

        lc_start = np.zeros(len(lcs) + 1, dtype=np.int64)
        lc_start[1:] = np.cumsum([len(t) for t in lcs])
        wires: list[int] = []
        coeffs: list[int] = []
        for terms in lcs:
            wires.extend(terms.keys())
            coeffs.extend(terms.values())
        return cls(
            n_raw_wires=api.n_wires,
            ops=np.asarray(ops, dtype=np.int64).reshape(-1, 5),
            lc_start=lc_start,
            lc_wire=np.asarray(wires, dtype=np.int64),
            lc_coeff=FA.to_array(FR, coeffs, reduce=False),
            checks=np.asarray(checks, dtype=np.int64).reshape(-1, 4),
            kept=np.flatnonzero(np.asarray(raw_to_wire) >= 0).astype(np.int64),
            input_wires=np.asarray(input_wires, dtype=np.int64),
            check_origins=check_origins,
            check_targets=check_targets,
            div_origins=div_origins,
            hints=hints,
        )

    # ------------------------------------------------------------------ solving
    def solve_values(self, specs, inputs: Mapping[str, Any], check: bool = True) -> np.ndarray:
        """The witness as (n_wires, 4) Montgomery limbs."""
        from zk.r1cs.circuit import input_values

        flat: list[int] = []
        for _first, values in input_values(specs, inputs):
            flat.extend(values)
        values = np.zeros((self.n_raw_wires, 4), dtype=np.uint64)
        values[0] = _MONT_ONE
        if flat:
            values[self.input_wires] = FA.to_array(FR, flat, reduce=False)
        position = 0
        while True:
            stop = run_ops(FR, values, self.ops, self.lc_start, self.lc_wire, self.lc_coeff, position)
            if stop == self.ops.shape[0]:
                break
            if stop < 0:
                origin = self.div_origins[self.ops[-stop - 1, 4]]
                raise WitnessError(f"division by zero ({origin})")
            self._run_hint(values, self.ops[stop, 4])
            position = stop + 1
        if check and self.checks.shape[0]:
            abc = np.zeros((3, 4), dtype=np.uint64)
            bad = first_failing(FR, values, self.checks, self.lc_start, self.lc_wire, self.lc_coeff, abc)
            if bad >= 0:
                a, b, c = FA.from_array(FR, abc)
                raise UnsatisfiedConstraint(self.check_targets[bad], self.check_origins[bad], a, b, c)
        return values[self.kept]

    def solve(self, specs, inputs: Mapping[str, Any], check: bool = True) -> list[int]:
        return FA.from_array(FR, self.solve_values(specs, inputs, check))

    def _run_hint(self, values: np.ndarray, index: int) -> None:
        from zk.r1cs.api import call_hint

        fn, name, input_lcs, outs, origin = self.hints[index]
        args = [_lc_value_int(self, values, k) for k in input_lcs]
        results = call_hint(fn, args, len(outs), name, origin)
        values[np.asarray(outs, dtype=np.int64)] = FA.to_array(FR, results, reduce=False)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in ARRAY_FIELDS}


class _NotReplayable(Exception):
    pass


_MONT_ONE = FA.to_array(FR, [1])[0]


def _lc_value_int(tape: Tape, values: np.ndarray, k: int) -> int:
    lo, hi = tape.lc_start[k], tape.lc_start[k + 1]
    if lo == hi:
        return 0
    out = np.zeros((1, 4), dtype=np.uint64)
    lc_eval_into(FR, values, tape.lc_start, tape.lc_wire, tape.lc_coeff, k, out)
    return FA.from_array(FR, out)[0]


# --------------------------------------------------------------------------- kernels
@njit(cache=True)
def _lc_value(F, values, lc_start, lc_wire, lc_coeff, k):
    acc = fzero(F)
    for j in range(lc_start[k], lc_start[k + 1]):
        acc = fadd(F, acc, fmul(F, fload(F, lc_coeff, j), fload(F, values, lc_wire[j])))
    return acc


@njit(cache=True)
def lc_eval_into(F, values, lc_start, lc_wire, lc_coeff, k, out):
    fstore(F, out, 0, _lc_value(F, values, lc_start, lc_wire, lc_coeff, k))


@njit(cache=True)
def _limb(x, i):
    if i == 0:
        return x[0]
    if i == 1:
        return x[1]
    if i == 2:
        return x[2]
    return x[3]


@njit(cache=True)
def run_ops(F, values, ops, lc_start, lc_wire, lc_coeff, first):
    """Run operations from `first` on. Returns len(ops) when done, the index of a Python hint to
    run before resuming after it, or -(i + 1) for a division by zero at operation i."""
    zero = fzero(F)
    one = fone(F)
    for i in range(first, ops.shape[0]):
        code = ops[i, 0]
        if code == HINT:
            return i
        a = _lc_value(F, values, lc_start, lc_wire, lc_coeff, ops[i, 2])
        if code == MUL:
            if ops[i, 3] == ops[i, 2]:
                b = a
            else:
                b = _lc_value(F, values, lc_start, lc_wire, lc_coeff, ops[i, 3])
            fstore(F, values, ops[i, 1], fmul(F, a, b))
        elif code == DIV:
            b = _lc_value(F, values, lc_start, lc_wire, lc_coeff, ops[i, 3])
            if fis_zero(F, b):
                return -(i + 1)
            fstore(F, values, ops[i, 1], fmul(F, a, finv(F, b)))
        elif code == IS_ZERO:
            if fis_zero(F, a):
                fstore(F, values, ops[i, 1], zero)
                fstore(F, values, ops[i, 4], one)
            else:
                fstore(F, values, ops[i, 1], finv(F, a))
                fstore(F, values, ops[i, 4], zero)
        elif code == BITS:
            plain = from_montgomery(F, a)
            out = ops[i, 1]
            for j in range(ops[i, 4]):
                bit = (_limb(plain, j >> 6) >> np.uint64(j & 63)) & np.uint64(1)
                fstore(F, values, out + j, one if bit else zero)
        else:  # SET
            fstore(F, values, ops[i, 1], a)
    return ops.shape[0]


@njit(cache=True)
def first_failing(F, values, checks, lc_start, lc_wire, lc_coeff, abc):
    """Index of the first check whose A·B != C (its three values go to abc), or -1."""
    for i in range(checks.shape[0]):
        a = _lc_value(F, values, lc_start, lc_wire, lc_coeff, checks[i, 1])
        b = _lc_value(F, values, lc_start, lc_wire, lc_coeff, checks[i, 2])
        c = _lc_value(F, values, lc_start, lc_wire, lc_coeff, checks[i, 3])
        if not feq(F, fmul(F, a, b), c):
            fstore(F, abc, 0, a)
            fstore(F, abc, 1, b)
            fstore(F, abc, 2, c)
            return i
    return -1
