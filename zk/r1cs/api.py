"""The `api` object handed to `Circuit.define`: builds R1CS constraints and, when solving, wire values."""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Callable, Iterable, Sequence

from zk.r1cs.errors import CircuitError, WitnessError
from zk.r1cs.field import FIELD_BITS, R, inverse
from zk.r1cs.variable import ONE_WIRE, Variable, combine, scale

_ZK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

# A 254-bit field cannot hold every 254-bit pattern, so a decomposition that wide is not unique;
# one bit less keeps to_bits sound without circomlib's extra alias check.
MAX_BITS = FIELD_BITS - 1
# less_than shifts by 2^n and decomposes n+1 bits, which must itself stay below MAX_BITS.
MAX_COMPARE_BITS = MAX_BITS - 1


class API:
    """Constraint builder. In compile mode `values` is None and only constraints are recorded;
    in solve mode every wire also gets its value, computed through the same calls."""

    def __init__(self, solving: bool):
        self.solving = solving
        self.values: list[int | None] | None = [1] if solving else None
        self.n_wires = 1
        self.labels: list[str] = ["one"]
        self.constraints: list[tuple[dict, dict, dict]] = []
        self.origins: list[str] = []
        self.hint_wires: dict[int, str] = {}
        self._boolean: set[tuple] = set()
        self._gadgets: list[str] = []
        # Compile mode also records the solving program (zk.r1cs.tape): one entry per value-producing
        # operation, in trace order, and which constraints hold by construction and need no check.
        self.tape: list[tuple] | None = None if solving else []
        self.assured: list[bool] = []
        # A define that reads values while compiling may shape itself on them; such a trace cannot be
        # replayed as a fixed program, so solving falls back to running define again.
        self.tape_replayable = True

    # ----------------------------------------------------------------- internals
    def _origin(self, op: str) -> str:
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename.startswith(_ZK_DIR):
            frame = frame.f_back
        where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}" if frame else "?"
        name = "/".join(self._gadgets + [op])
        return f"{name} at {where}"

    def _new_wire(self, label: str, value: int | None = None) -> int:
        wire = self.n_wires
        self.n_wires += 1
        self.labels.append(label)
        if self.values is not None:
            self.values.append(None if value is None else value % R)
        return wire

    def _terms(self, x) -> dict[int, int]:
        if isinstance(x, Variable):
            if x.api is not self:
                raise CircuitError("a variable from another circuit trace was used; do not keep variables across compiles")
            return x.terms
        if isinstance(x, bool) or not isinstance(x, int):
            raise CircuitError(f"expected a circuit variable or an int constant, got {type(x).__name__} {x!r}")
        value = x % R
        return {ONE_WIRE: value} if value else {}

    def _var(self, terms: dict[int, int]) -> Variable:
        return Variable(terms, self)

    def _eval(self, terms: dict[int, int]) -> int:
        values = self.values
        total = 0
        for w, c in terms.items():
            v = values[w]
            if v is None:
                raise WitnessError(f"wire {self.labels[w]} is used before its value is known (an Output read before set_output?)")
            total += c * v
        return total % R

    def _constrain(self, a: dict, b: dict, c: dict, op: str, assured: bool = False) -> None:
        """`assured`: the values the solver computes always satisfy it (a product wire, a bit of a
        decomposition), so a compiled solver may skip checking it."""
        self.constraints.append((a, b, c))
        self.origins.append(self._origin(op))
        self.assured.append(assured)

    @staticmethod
    def _is_const(terms: dict[int, int]) -> bool:
        return all(w == ONE_WIRE for w in terms)

    @staticmethod
    def _key(terms: dict[int, int]) -> tuple:
        return tuple(sorted(terms.items()))

    def _mark_boolean(self, terms: dict[int, int]) -> None:
        self._boolean.add(self._key(terms))

    def _hint_values(self, fn: Callable, inputs: Sequence[dict], n_outputs: int, name: str) -> list[int | None]:
        if not self.solving:
            return [None] * n_outputs
        return call_hint(fn, [self._eval(t) for t in inputs], n_outputs, name, self._origin("hint"))

    def _record(self, *op) -> None:
        if self.tape is not None:
            self.tape.append(op)

    # ----------------------------------------------------------------- structure
    @contextlib.contextmanager
    def gadget(self, name: str):
        """Tag every constraint created inside the block with `name` (shown in origins and errors)."""
        self._gadgets.append(name)
        try:
            yield
        finally:
            self._gadgets.pop()

    def constant(self, value: int) -> Variable:
        return self._var(self._terms(value))

    def value(self, x) -> int | None:
        """The value of `x` while solving (for debugging and hints), None while compiling."""
        if not self.solving:
            self.tape_replayable = False
            return None
        return self._eval(self._terms(x))

    # ----------------------------------------------------------------- arithmetic
    def add(self, *xs) -> Variable:
        out: dict[int, int] = {}
        for x in xs:
            out = combine(out, self._terms(x))
        return self._var(out)

    def sub(self, a, b) -> Variable:
        return self._var(combine(self._terms(a), self._terms(b), R - 1))

    def neg(self, a) -> Variable:
        return self._var(scale(self._terms(a), R - 1))

    def mul(self, a, b, *more) -> Variable:
        result = self._mul2(self._terms(a), self._terms(b))
        for x in more:
            result = self._mul2(result, self._terms(x))
        return self._var(result)

    def _mul2(self, ta: dict, tb: dict) -> dict:
        if self._is_const(ta):
            return scale(tb, ta.get(ONE_WIRE, 0))
        if self._is_const(tb):
            return scale(ta, tb.get(ONE_WIRE, 0))
        value = self._eval(ta) * self._eval(tb) if self.solving else None
        wire = self._new_wire(self._label("mul"), value)
        self._record("mul", wire, ta, tb)
        self._constrain(ta, tb, {wire: 1}, "mul", assured=True)
        return {wire: 1}

    def _label(self, op: str) -> str:
        return ".".join(self._gadgets + [f"{op}{self.n_wires}"])

    def div(self, a, b) -> Variable:
        """a / b with one constraint (q * b = a). Fails while solving if b = 0; note that b = a = 0
        would satisfy the constraint for any q, use `inverse` to also assert b != 0."""
        ta, tb = self._terms(a), self._terms(b)
        if self._is_const(tb):
            if not tb:
                raise CircuitError(f"division by the constant zero ({self._origin('div')})")
            return self._var(scale(ta, inverse(tb[ONE_WIRE])))
        value = None
        if self.solving:
            bv = self._eval(tb)
            if bv == 0:
                raise WitnessError(f"division by zero ({self._origin('div')})")
            value = self._eval(ta) * inverse(bv)
        wire = self._new_wire(self._label("div"), value)
        self._record("div", wire, ta, tb, self._origin("div"))
        self._constrain({wire: 1}, tb, ta, "div", assured=True)
        return self._var({wire: 1})

    def inverse(self, a) -> Variable:
        """1 / a, which also proves a != 0."""
        return self.div(1, a)

    # ----------------------------------------------------------------- assertions
    def assert_equal(self, a, b) -> None:
        diff = combine(self._terms(a), self._terms(b), R - 1)
        if self._is_const(diff):
            if diff:
                raise CircuitError(f"assert_equal between two different constants ({self._origin('assert_equal')})")
            return
        self._constrain(diff, {ONE_WIRE: 1}, {}, "assert_equal")

    def assert_boolean(self, a) -> None:
        ta = self._terms(a)
        if self._key(ta) in self._boolean:
            return
        if self._is_const(ta):
            if ta.get(ONE_WIRE, 0) not in (0, 1):
                raise CircuitError(f"assert_boolean on the constant {ta[ONE_WIRE]} ({self._origin('assert_boolean')})")
            return
        self._constrain(ta, combine(ta, {ONE_WIRE: 1}, R - 1), {}, "assert_boolean")
        self._mark_boolean(ta)

    def assert_nonzero(self, a) -> None:
        self.inverse(a)

    # ----------------------------------------------------------------- selection and tests
    def select(self, cond, if_true, if_false) -> Variable:
        """cond ? if_true : if_false, one constraint; cond is asserted boolean unless already known to be."""
        tc = self._terms(cond)
        if self._is_const(tc):
            value = tc.get(ONE_WIRE, 0)
            if value not in (0, 1):
                raise CircuitError(f"select condition is the constant {value}, not a bit ({self._origin('select')})")
            return self._var(self._terms(if_true if value else if_false))
        self.assert_boolean(cond)
        tf = self._terms(if_false)
        delta = combine(self._terms(if_true), tf, R - 1)
        return self._var(combine(tf, self._mul2(tc, delta)))

    def is_zero(self, a) -> Variable:
        """1 if a == 0 else 0, two constraints (circomlib IsZero)."""
        ta = self._terms(a)
        if self._is_const(ta):
            return self._var({ONE_WIRE: 1} if not ta else {})
        inv_value = out_value = None
        if self.solving:
            av = self._eval(ta)
            inv_value = inverse(av) if av else 0
            out_value = 0 if av else 1
        inv = self._new_wire(self._label("is_zero_inv"), inv_value)
        out = self._new_wire(self._label("is_zero"), out_value)
        self._record("is_zero", inv, out, ta)
        # a*inv = 1 - out forces out = 0 when a != 0; a*out = 0 forces out = 0 or a = 0, so out = 1 iff a = 0.
        self._constrain(ta, {inv: 1}, {ONE_WIRE: 1, out: R - 1}, "is_zero", assured=True)
        self._constrain(ta, {out: 1}, {}, "is_zero", assured=True)
        self._mark_boolean({out: 1})
        return self._var({out: 1})

    def is_equal(self, a, b) -> Variable:
        return self.is_zero(self.sub(a, b))

    # ----------------------------------------------------------------- bits and comparisons
    def to_bits(self, a, bits: int) -> list[Variable]:
        """Little-endian bits of a, asserting a < 2^bits; `bits` constraints (circomlib Num2Bits has bits+1)."""
        if not isinstance(bits, int) or not 1 <= bits <= MAX_BITS:
            raise CircuitError(f"to_bits width must be between 1 and {MAX_BITS}, got {bits!r}")
        ta = self._terms(a)
        if self._is_const(ta):
            value = ta.get(ONE_WIRE, 0)
            if value >> bits:
                raise CircuitError(f"constant {value} does not fit in {bits} bits ({self._origin('to_bits')})")
            return [self._var({ONE_WIRE: 1} if value >> i & 1 else {}) for i in range(bits)]
        value = self._eval(ta) if self.solving else None
        out: list[Variable] = []
        rest = dict(ta)
        if bits > 1:
            self._record("bits", self.n_wires, bits - 1, ta)
        for i in range(bits - 1):
            bit_value = None if value is None else value >> i & 1
            wire = self._new_wire(self._label(f"bit{i}_"), bit_value)
            self._constrain({wire: 1}, {wire: 1, ONE_WIRE: R - 1}, {}, "to_bits", assured=True)
            self._mark_boolean({wire: 1})
            out.append(self._var({wire: 1}))
            rest = combine(rest, {wire: 1}, R - (1 << i))
        # The top bit needs no wire of its own: it is (a - lower bits) / 2^(bits-1), and asserting that
        # combination boolean is what also proves a fits, saving circomlib's separate sum constraint.
        top = scale(rest, inverse(1 << (bits - 1)))
        self._constrain(top, combine(top, {ONE_WIRE: 1}, R - 1), {}, "to_bits")
        self._mark_boolean(top)
        out.append(self._var(top))
        return out

    def from_bits(self, bits: Iterable, check: bool = True) -> Variable:
        """sum(bits[i] * 2^i); with check=True each bit not already known boolean is asserted boolean."""
        total: dict[int, int] = {}
        for i, bit in enumerate(bits):
            if check:
                self.assert_boolean(bit)
            total = combine(total, self._terms(bit), pow(2, i, R))
        return self._var(total)

    def assert_range(self, a, bits: int) -> None:
        """Assert 0 <= a < 2^bits (`bits` constraints)."""
        with self.gadget(f"assert_range({bits})"):
            self.to_bits(a, bits)

    def less_than(self, a, b, bits: int, check_inputs: bool = False) -> Variable:
        """1 if a < b else 0, for a, b < 2^bits (circomlib LessThan). The inputs are only assumed to fit;
        pass check_inputs=True to range-check them too (2*bits more constraints)."""
        if not isinstance(bits, int) or not 1 <= bits <= MAX_COMPARE_BITS:
            raise CircuitError(f"comparison width must be between 1 and {MAX_COMPARE_BITS}, got {bits!r}")
        with self.gadget(f"less_than({bits})"):
            if check_inputs:
                self.assert_range(a, bits)
                self.assert_range(b, bits)
            shifted = self.add(a, 1 << bits, self.neg(b))
            top = self.to_bits(shifted, bits + 1)[bits]
        return self.sub(1, top)

    def less_or_equal(self, a, b, bits: int, check_inputs: bool = False) -> Variable:
        """1 if a <= b else 0, for a, b < 2^bits (circomlib LessEqThan)."""
        with self.gadget(f"less_or_equal({bits})"):
            if check_inputs:
                self.assert_range(a, bits)
                self.assert_range(b, bits)
            # b + 1 may reach 2^bits; less_than's shifted value a + 2^bits - (b+1) still fits bits+1 bits.
            return self.less_than(a, self.add(b, 1), bits)

    def greater_than(self, a, b, bits: int, check_inputs: bool = False) -> Variable:
        return self.less_than(b, a, bits, check_inputs)

    def greater_or_equal(self, a, b, bits: int, check_inputs: bool = False) -> Variable:
        return self.less_or_equal(b, a, bits, check_inputs)

    # ----------------------------------------------------------------- hints
    def hint(self, fn: Callable, *inputs, n_outputs: int = 1, name: str | None = None):
        """Compute values off-circuit: fn(*input_values) -> int or list of n_outputs ints.
        The outputs are unconstrained wires; the circuit must constrain them (the linter warns otherwise)."""
        if not isinstance(n_outputs, int) or n_outputs < 1:
            raise CircuitError("n_outputs must be a positive int")
        name = name or getattr(fn, "__name__", "hint")
        terms = [self._terms(x) for x in inputs]
        values = self._hint_values(fn, terms, n_outputs, name)
        origin = self._origin("hint")
        outs = []
        for v in values:
            wire = self._new_wire(self._label(name), v)
            self.hint_wires[wire] = f"{name} ({origin})"
            outs.append(self._var({wire: 1}))
        self._record("hint", fn, name, terms, [next(iter(o.terms)) for o in outs], origin)
        return outs[0] if n_outputs == 1 else outs

    # ----------------------------------------------------------------- outputs
    def set_output(self, output: Variable, value) -> None:
        """Bind a declared Output to a value computed in the circuit (circom's `out <== expr`)."""
        to = self._terms(output)
        if len(to) != 1 or next(iter(to.values())) != 1 or next(iter(to)) not in self._output_wires:
            raise CircuitError("set_output expects a variable declared with Output()")
        wire = next(iter(to))
        if wire in self._outputs_set:
            raise CircuitError(f"output {self.labels[wire]} is set twice")
        self._outputs_set.add(wire)
        tv = self._terms(value)
        if self.solving:
            self.values[wire] = self._eval(tv)
        self._record("set", wire, tv)
        diff = combine(tv, to, R - 1)
        self._constrain(diff, {ONE_WIRE: 1}, {}, "set_output", assured=True)

    _output_wires: frozenset = frozenset()
    _outputs_set: set


def call_hint(fn: Callable, args: list[int], n_outputs: int, name: str, origin: str) -> list[int]:
    """Run a Python hint on input values and validate what it returns (both solvers use it)."""
    try:
        result = fn(*args)
    except WitnessError:
        raise
    except Exception as exc:
        raise WitnessError(f"hint {name} ({origin}) failed: {exc}") from exc
    outputs = [result] if isinstance(result, int) and not isinstance(result, bool) else list(result)
    if len(outputs) != n_outputs:
        raise WitnessError(f"hint {name} returned {len(outputs)} values, declared n_outputs={n_outputs}")
    for v in outputs:
        if isinstance(v, bool) or not isinstance(v, int):
            raise WitnessError(f"hint {name} returned {v!r}; hints must return ints")
    return [v % R for v in outputs]
