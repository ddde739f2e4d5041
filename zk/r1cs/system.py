"""ConstraintSystem: sparse A, B, C over Fr, checking, witness solving, linting and linear simplification."""
from __future__ import annotations

import warnings
from collections import deque
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any, Mapping, NamedTuple

import numpy as np

from zk.r1cs.errors import CircuitError, UnderConstrainedWarning, UnsatisfiedConstraint, WitnessError
from zk.r1cs.field import R, inverse
from zk.r1cs.variable import ONE_WIRE, combine, scale

Term = tuple[int, int]
LinearCombination = list[Term]


class COO(NamedTuple):
    """One R1CS matrix in coordinate form: rows[k], cols[k], coeffs[k] (coeffs are Python ints < r)."""

    rows: np.ndarray
    cols: np.ndarray
    coeffs: list[int]
    shape: tuple[int, int]


class LazyList(Sequence):
    """A read-only list built by ``_build()`` the first time something reads it: for the parts of
    a cached system (zk.r1cs.cache) that proving never reads unless something fails."""

    _items: list | None = None

    def _build(self) -> list:
        raise NotImplementedError

    def _list(self) -> list:
        if self._items is None:
            self._items = self._build()
        return self._items

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, index):
        return self._list()[index]

    def __iter__(self):
        return iter(self._list())

    def __eq__(self, other):
        return list(self) == list(other)


class LazyConstraints(LazyList):
    """The constraints of a system loaded from the compiled-circuit cache (zk.r1cs.cache): kept
    as the three COO matrices (coefficients as plain limbs) and turned into Python lists of
    (wire, coeff) only when something reads them; the prover and solver never need to."""

    def __init__(self, coo: tuple[COO, COO, COO]):
        self.coo = coo

    def __len__(self) -> int:
        return self.coo[0].shape[0]

    def _build(self) -> list:
        from zk.field.arrays import raw_to_ints

        items = [([], [], []) for _ in range(len(self))]
        for which, m in enumerate(self.coo):
            for row, col, coeff in zip(m.rows.tolist(), m.cols.tolist(), raw_to_ints(m.coeffs)):
                items[row][which].append((col, coeff))
        return [tuple(sorted(lc) for lc in c) for c in items]

    @property
    def nonzeros(self) -> int:
        return sum(len(m.rows) for m in self.coo)


def _eval(lc: Sequence[Term], witness: Sequence[int]) -> int:
    return sum(c * witness[w] for w, c in lc) % R


def _eval_dict(lc: dict[int, int], witness: Sequence[int]) -> int:
    return sum(c * witness[w] for w, c in lc.items()) % R


@dataclass
class ConstraintSystem:
    """R1CS: for every constraint k, (A_k·w) * (B_k·w) = C_k·w, with w[0] = 1 and then, as in circom,
    outputs, public inputs, private inputs, internal wires."""

    n_wires: int
    n_outputs: int
    n_public_inputs: int
    n_private_inputs: int
    constraints: list[tuple[LinearCombination, LinearCombination, LinearCombination]]
    origins: list[str]
    labels: list[str] = field(default_factory=list)
    input_specs: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    prime: int = R
    # Only for systems compiled from a Circuit: what solving needs to replay the trace.
    circuit: Any = None
    raw_labels: list[str] = field(default_factory=list)
    raw_to_wire: list[int] = field(default_factory=list)  # raw wire -> final wire, -1 if eliminated
    raw_to_constraint: list[int | None] = field(default_factory=list)
    raw_shape: tuple[int, int] = (0, 0)  # (raw wires, raw constraints), to detect value-dependent define
    tape: Any = None  # zk.r1cs.tape.Tape: the compiled solver, when the trace could be recorded as one

    # ------------------------------------------------------------------ building
    @classmethod
    def from_trace(cls, circuit, api, specs, simplify: bool = True) -> "ConstraintSystem":
        n_in = {"output": 0, "public": 0, "private": 0}
        for spec in specs:
            n_in[spec.kind] += spec.size
        first_internal = 1 + sum(n_in.values())
        found = _lint(api, specs)
        for message in found:
            warnings.warn(message, UnderConstrainedWarning, stacklevel=3)
        raw = [(dict(a), dict(b), dict(c)) for a, b, c in api.constraints]
        removed: set[int] = set()
        eliminated: set[int] = set()
        if simplify:
            removed, eliminated = _eliminate_linear(raw, api.origins, first_internal)
        raw_to_wire, kept = [], 0
        for w in range(api.n_wires):
            if w in eliminated:
                raw_to_wire.append(-1)
            else:
                raw_to_wire.append(kept)
                kept += 1
        constraints, origins, raw_to_constraint = [], [], []
        for k, (a, b, c) in enumerate(raw):
            if k in removed:
                raw_to_constraint.append(None)
                continue
            raw_to_constraint.append(len(constraints))
            constraints.append(tuple(sorted((raw_to_wire[w], v) for w, v in lc.items()) for lc in (a, b, c)))
            origins.append(api.origins[k])
        from zk.r1cs.tape import Tape

        return cls(
            tape=Tape.build(api, specs, raw_to_wire, raw_to_constraint),
            n_wires=kept,
            n_outputs=n_in["output"],
            n_public_inputs=n_in["public"],
            n_private_inputs=n_in["private"],
            constraints=constraints,
            origins=origins,
            labels=[label for w, label in enumerate(api.labels) if raw_to_wire[w] >= 0],
            input_specs=list(specs),
            warnings=found,
            circuit=circuit,
            raw_labels=list(api.labels),
            raw_to_wire=raw_to_wire,
            raw_to_constraint=raw_to_constraint,
            raw_shape=(api.n_wires, len(api.constraints)),
        )

    # ------------------------------------------------------------------ facts
    @property
    def n_constraints(self) -> int:
        return len(self.constraints)

    @property
    def n_public(self) -> int:
        """Public signals the verifier sees (outputs then public inputs), excluding the constant wire."""
        return self.n_outputs + self.n_public_inputs

    @property
    def n_nonzeros(self) -> int:
        if isinstance(self.constraints, LazyConstraints):
            return self.constraints.nonzeros
        return sum(len(a) + len(b) + len(c) for a, b, c in self.constraints)

    def stats(self) -> dict[str, Any]:
        return {
            "constraints": self.n_constraints,
            "wires": self.n_wires,
            "public_inputs": self.n_public_inputs,
            "outputs": self.n_outputs,
            "private_inputs": self.n_private_inputs,
            "nonzeros": self.n_nonzeros,
            "warnings": list(self.warnings),
        }

    def to_coo(self) -> tuple[COO, COO, COO]:
        """The A, B, C matrices (n_constraints x n_wires) in coordinate form, for the prover.
        (A system from the compiled-circuit cache gives its coefficients as plain limbs, an
        (nnz, 4) uint64 array, rather than a list of ints.)"""
        if isinstance(self.constraints, LazyConstraints):
            return self.constraints.coo
        out = []
        for which in range(3):
            rows, cols, coeffs = [], [], []
            for k, constraint in enumerate(self.constraints):
                for w, c in constraint[which]:
                    rows.append(k)
                    cols.append(w)
                    coeffs.append(c)
            out.append(COO(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), coeffs,
                           (self.n_constraints, self.n_wires)))
        return tuple(out)

    def public_values(self, witness: Sequence[int]) -> list[int]:
        return list(witness[1:1 + self.n_public])

    # ------------------------------------------------------------------ witnesses
    def check(self, witness: Sequence[int]) -> None:
        """Raise UnsatisfiedConstraint for the first constraint the witness violates."""
        if len(witness) != self.n_wires:
            raise WitnessError(f"witness has {len(witness)} values, the constraint system has {self.n_wires} wires")
        if witness[0] != 1:
            raise WitnessError(f"witness[0] must be 1 (the constant wire), got {witness[0]}")
        for i, v in enumerate(witness):
            if not isinstance(v, int) or not 0 <= v < self.prime:
                raise WitnessError(f"witness[{i}] = {v!r} is not a field element")
        for k, (a, b, c) in enumerate(self.constraints):
            av, bv, cv = _eval(a, witness), _eval(b, witness), _eval(c, witness)
            if av * bv % R != cv:
                raise UnsatisfiedConstraint(k, self.origins[k], av, bv, cv)

    def is_satisfied(self, witness: Sequence[int]) -> bool:
        try:
            self.check(witness)
        except WitnessError:
            return False
        return True

    def solve(self, inputs: Mapping[str, Any], check: bool = True) -> list[int]:
        """Compute the full witness from user inputs (names -> ints, decimal strings or nested lists,
        as in snarkjs's input.json): with the compiled solver (zk.r1cs.tape) when compiling could
        record one, else by replaying `define` with values. Both raise the same errors."""
        if self.tape is not None:
            return self.tape.solve(self.input_specs, inputs, check)
        return self.solve_by_replay(inputs, check)

    def solve_values(self, inputs: Mapping[str, Any], check: bool = True) -> np.ndarray:
        """The witness as (n_wires, 4) Montgomery limbs over Fr, without Python ints on the way."""
        if self.tape is not None:
            return self.tape.solve_values(self.input_specs, inputs, check)
        from zk.field import FR
        from zk.field import arrays as FA

        return FA.to_array(FR, self.solve_by_replay(inputs, check), reduce=False)

    def solve_by_replay(self, inputs: Mapping[str, Any], check: bool = True) -> list[int]:
        """The reference solver: run `define` again with values and check every constraint."""
        if self.circuit is None:
            raise WitnessError("this constraint system was loaded from a file and has no circuit to replay; "
                               "compute its witness with the tool that produced it (e.g. snarkjs wtns calculate)")
        from zk.r1cs.circuit import trace

        api, _ = trace(self.circuit, inputs)
        if (api.n_wires, len(api.constraints)) != self.raw_shape:
            raise CircuitError(
                "define built a different circuit while solving than while compiling; "
                "its structure must not depend on input values")
        if check:
            values = api.values
            for k, (a, b, c) in enumerate(api.constraints):
                av, bv, cv = _eval_dict(a, values), _eval_dict(b, values), _eval_dict(c, values)
                if av * bv % R != cv:
                    raise UnsatisfiedConstraint(self.raw_to_constraint[k], api.origins[k], av, bv, cv)
        witness = [v for w, v in enumerate(api.values) if self.raw_to_wire[w] >= 0]
        if any(v is None for v in witness):
            missing = next(self.labels[i] for i, v in enumerate(witness) if v is None)
            raise WitnessError(f"wire {missing} has no value after solving")
        return witness

    def outputs(self, witness: Sequence[int]) -> dict[str, Any]:
        """Output values by name (nested lists for arrays) from a solved witness."""
        from zk.r1cs.circuit import _nest

        result = {}
        for spec in self.input_specs:
            if spec.kind == "output":
                result[spec.name] = _nest(list(witness[spec.first_wire:spec.first_wire + spec.size]), spec.shape)
        return result


def _lint(api, specs) -> list[str]:
    used: set[int] = set()
    for a, b, c in api.constraints:
        used.update(a)
        used.update(b)
        used.update(c)
    found = []
    for spec in specs:
        if spec.kind != "private":
            continue
        for offset, name in enumerate(spec.element_names()):
            if spec.first_wire + offset not in used:
                found.append(f"private input {name} appears in no constraint: the proof says nothing about it")
    for wire, description in api.hint_wires.items():
        if wire not in used:
            found.append(f"hint output {api.labels[wire]} from {description} is never constrained: "
                         "a prover can set it to anything")
    return found


def _linear_form(a: dict, b: dict, c: dict) -> dict | None:
    """If the constraint is linear (A or B is a constant), return L with L·w = 0 equivalent to it."""
    if all(w == ONE_WIRE for w in a):
        return combine(scale(b, a.get(ONE_WIRE, 0)), c, R - 1)
    if all(w == ONE_WIRE for w in b):
        return combine(scale(a, b.get(ONE_WIRE, 0)), c, R - 1)
    return None


def _eliminate_linear(raw: list[tuple[dict, dict, dict]], origins: list[str], first_internal: int):
    """Remove linear constraints by substituting one internal wire they define into the others
    (what circom's --O2 does). Inputs are never eliminated. Mutates `raw`; returns (removed
    constraint indices, eliminated wires)."""
    occurrences: dict[int, set[int]] = {}
    for k, lcs in enumerate(raw):
        for lc in lcs:
            for w in lc:
                if w >= first_internal:
                    occurrences.setdefault(w, set()).add(k)
    removed: set[int] = set()
    eliminated: set[int] = set()
    queue = deque(range(len(raw)))
    while queue:
        k = queue.popleft()
        if k in removed:
            continue
        form = _linear_form(*raw[k])
        if form is None:
            continue
        if all(w == ONE_WIRE for w in form):
            if form:
                raise CircuitError(f"constraint ({origins[k]}) can never be satisfied: it reduces to {form[ONE_WIRE]} = 0")
            removed.add(k)
            continue
        candidates = [w for w in form if w >= first_internal]
        if not candidates:
            continue
        wire = min(candidates, key=lambda w: (len(occurrences.get(w, ())), w))
        solved = scale({w: c for w, c in form.items() if w != wire}, R - inverse(form[wire]))
        removed.add(k)
        eliminated.add(wire)
        for j in occurrences.pop(wire, set()):
            if j in removed:
                continue
            new_lcs = []
            for lc in raw[j]:
                coeff = lc.get(wire)
                if coeff is None:
                    new_lcs.append(lc)
                    continue
                rest = dict(lc)
                del rest[wire]
                new_lcs.append(combine(rest, solved, coeff))
            raw[j] = tuple(new_lcs)
            for w in solved:
                if w >= first_internal:
                    occurrences.setdefault(w, set()).add(j)
            queue.append(j)
    return removed, eliminated
