"""Circuit declarations (gnark style) and the trace that runs `define` for compiling and for solving."""
from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass
from typing import Any, Mapping

from zk.r1cs.api import API
from zk.r1cs.errors import CircuitError, InputError
from zk.r1cs.field import parse_element
from zk.r1cs.variable import Variable

_declaration_counter = itertools.count()

# Wire order follows circom so exported .r1cs files read the same way: outputs, public inputs, private inputs.
_KIND_ORDER = {"output": 0, "public": 1, "private": 2}


class _Declaration:
    kind = ""

    def __init__(self, shape: int | tuple[int, ...] = ()):
        if isinstance(shape, int):
            shape = (shape,)
        shape = tuple(shape)
        if any(not isinstance(n, int) or n < 1 for n in shape):
            raise CircuitError(f"array shape must be positive ints, got {shape!r}")
        self.shape = shape
        self.name = ""
        self.order = next(_declaration_counter)

    def __set_name__(self, owner, name):
        self.name = name

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __repr__(self):
        return f"{type(self).__name__}(shape={self.shape})" if self.shape else f"{type(self).__name__}()"


class Public(_Declaration):
    """A public input: part of the statement, known to the verifier."""

    kind = "public"


class Private(_Declaration):
    """A private input: known only to the prover."""

    kind = "private"


class Output(_Declaration):
    """A public value computed by the circuit (circom's public output): bind it with api.set_output.
    It is not given in the inputs; solving computes it."""

    kind = "output"


@dataclass(frozen=True)
class InputSpec:
    name: str
    kind: str
    shape: tuple[int, ...]
    first_wire: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def element_names(self) -> list[str]:
        if not self.shape:
            return [self.name]
        return [self.name + "".join(f"[{i}]" for i in idx) for idx in itertools.product(*map(range, self.shape))]


def declarations(circuit_cls) -> list[_Declaration]:
    found: dict[str, _Declaration] = {}
    for klass in reversed(circuit_cls.__mro__):
        for name, attr in vars(klass).items():
            if isinstance(attr, _Declaration):
                found[name] = attr
    return sorted(found.values(), key=lambda d: (_KIND_ORDER[d.kind], d.order))


class Circuit:
    """Base class: declare inputs as class attributes (Public(), Private(shape=n), Output()) and build
    constraints in `define(self, api)`. Plain class attributes or __init__ keyword arguments can
    parametrize the circuit (for example a tree depth); they must not depend on input values."""

    def __init__(self, **params: Any):
        decls = {d.name for d in declarations(type(self))}
        for key, value in params.items():
            if key in decls:
                raise CircuitError(f"{key} is a declared input; give its value when solving, not as a parameter")
            setattr(self, key, value)

    def define(self, api: API) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement define(self, api)")

    @classmethod
    def compile(cls, simplify: bool = True, **params):
        return compile(cls(**params), simplify=simplify)


def _as_instance(circuit) -> Circuit:
    if isinstance(circuit, type):
        if not issubclass(circuit, Circuit):
            raise CircuitError(f"{circuit.__name__} is not a Circuit subclass")
        return circuit()
    if not isinstance(circuit, Circuit):
        raise CircuitError(f"expected a Circuit class or instance, got {type(circuit).__name__}")
    return circuit


def _nest(flat: list, shape: tuple[int, ...]):
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = math.prod(shape[1:])
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _flatten_input(raw, spec: InputSpec) -> list[int]:
    """Check a user value against the declared shape and return its field elements in wire order."""

    def walk(value, shape, path):
        if not shape:
            if isinstance(value, (list, tuple)):
                raise InputError(f"input {path}: expected a single value, got a list")
            return [parse_element(value, f"input {path}")]
        if not isinstance(value, (list, tuple)):
            raise InputError(f"input {path}: expected a list of {shape[0]} values, got {value!r}")
        if len(value) != shape[0]:
            raise InputError(f"input {path}: expected {shape[0]} values, got {len(value)}")
        out = []
        for i, item in enumerate(value):
            out.extend(walk(item, shape[1:], f"{path}[{i}]"))
        return out

    return walk(raw, spec.shape, spec.name)


def check_input_names(decls, inputs) -> None:
    """Inputs must be a mapping naming every declared input (not outputs) exactly once."""
    if not isinstance(inputs, Mapping):
        raise InputError(f"inputs must be a mapping of names to values, got {type(inputs).__name__}")
    expected = {d.name for d in decls if d.kind != "output"}
    outputs = {d.name for d in decls if d.kind == "output"}
    extra = sorted(set(inputs) - expected)
    if extra:
        bad = extra[0]
        why = "is an output, computed by the circuit" if bad in outputs else "is not declared"
        raise InputError(f"input {bad!r} {why} (expected inputs: {', '.join(sorted(expected)) or 'none'})")
    missing = sorted(expected - set(inputs))
    if missing:
        raise InputError(f"missing input {missing[0]!r} (expected inputs: {', '.join(sorted(expected))})")


def input_values(specs, inputs) -> list[tuple[int, list[int]]]:
    """(first wire, field elements) of every declared input, validated as a trace would."""
    check_input_names(specs, inputs)
    return [(spec.first_wire, _flatten_input(inputs[spec.name], spec)) for spec in specs if spec.kind != "output"]


def trace(circuit, inputs: Mapping[str, Any] | None = None):
    """Run `define` once. Without inputs this records constraints only (compile); with inputs it
    also computes every wire's value. Returns (api, specs)."""
    instance = _as_instance(circuit)
    solving = inputs is not None
    api = API(solving=solving)
    specs: list[InputSpec] = []
    decls = declarations(type(instance))
    if solving:
        check_input_names(decls, inputs)

    bound = copy.copy(instance)
    output_wires = set()
    for decl in decls:
        spec = InputSpec(decl.name, decl.kind, decl.shape, api.n_wires)
        specs.append(spec)
        if solving and decl.kind != "output":
            values = _flatten_input(inputs[decl.name], spec)
        else:
            values = [None] * spec.size
        wires = []
        for label, value in zip(spec.element_names(), values):
            wires.append(Variable({api._new_wire(label, value): 1}, api))
        if decl.kind == "output":
            output_wires.update(range(spec.first_wire, spec.first_wire + spec.size))
        setattr(bound, decl.name, _nest(wires, decl.shape))
    api._output_wires = frozenset(output_wires)
    api._outputs_set = set()
    api.input_specs = specs
    bound.define(api)
    unset = sorted(output_wires - api._outputs_set)
    if unset:
        raise CircuitError(f"output {api.labels[unset[0]]} is never set; bind it with api.set_output")
    return api, specs


def compile(circuit, simplify: bool = True):
    """Trace `circuit` (a Circuit class or instance) into a ConstraintSystem."""
    from zk.r1cs.system import ConstraintSystem

    instance = _as_instance(circuit)
    api, specs = trace(instance)
    return ConstraintSystem.from_trace(instance, api, specs, simplify=simplify)
