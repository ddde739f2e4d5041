"""The compiled witness solver (zk.r1cs.tape) against the replaying solver it replaces.

For each circuit, random inputs (field elements, small values, edge values) must give the same
witness from both solvers, or the same error with the same message: the same unsatisfied
constraint, origin and values, the same division by zero, the same hint failure. Every circuit
of the other test files is also checked this way when the suite runs with
ZK_CROSSCHECK_SOLVER=1 (tests/conftest.py).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from zk.gadgets import merkle_inclusion_circuit, merkle_root_gadget, mux, poseidon_gadget
from zk.r1cs import R, Circuit, Output, Private, Public, WitnessError, compile
from zk.r1cs.errors import InputError


def outcome(solve, inputs):
    try:
        return "ok", solve(inputs)
    except (WitnessError, InputError) as exc:
        return type(exc).__name__, str(exc)


def same_outcome(cs, inputs):
    compiled = outcome(cs.solve, inputs)
    replayed = outcome(cs.solve_by_replay, inputs)
    assert compiled == replayed
    return compiled


class Arithmetic(Circuit):
    x = Public()
    y = Private()
    z = Private()
    q = Output()

    def define(self, api):
        api.set_output(self.q, self.x / self.y + self.z * self.z * 3 + 5)
        api.assert_nonzero(self.z - 7)
        api.assert_equal(api.select(api.is_zero(self.y - 2), self.x, self.z), self.x * api.is_equal(self.y, 2)
                         + self.z * (1 - api.is_equal(self.y, 2)))


class Comparisons(Circuit):
    a = Private()
    b = Private()
    lt = Output()
    le = Output()
    gt = Output()
    bits = Output(shape=8)

    def define(self, api):
        api.set_output(self.lt, api.less_than(self.a, self.b, 16))
        api.set_output(self.le, api.less_or_equal(self.a, self.b, 16, check_inputs=True))
        api.set_output(self.gt, api.greater_than(self.a, self.b, 16))
        for out, bit in zip(self.bits, api.to_bits(self.a + self.b, 8)):
            api.set_output(out, bit)


class Hinted(Circuit):
    x = Public()
    root = Output()

    def define(self, api):
        r = api.hint(math.isqrt, self.x, name="isqrt")
        api.assert_range(r, 32)
        api.assert_equal(api.less_or_equal(r * r, self.x, 64), 1)
        api.assert_equal(api.less_than(self.x, (r + 1) * (r + 1), 64), 1)
        api.set_output(self.root, r)


class Muxed(Circuit):
    sel = Private(shape=2)
    values = Private(shape=4)
    out = Output(shape=2)

    def define(self, api):
        api.set_output(self.out[0], mux(api, self.sel, self.values))
        api.set_output(self.out[1], poseidon_gadget(api, list(self.values[:3]), initial_state=self.sel[0]))


class Hashes(Circuit):
    xs = Private(shape=5)
    h = Output(shape=4)

    def define(self, api):
        for t in range(2, 5):
            api.set_output(self.h[t - 2], poseidon_gadget(api, list(self.xs[:t - 1])))
        outs = poseidon_gadget(api, list(self.xs), n_outputs=2)
        api.set_output(self.h[3], outs[1])


SMALL_CIRCUITS = [Arithmetic, Comparisons, Hinted, Muxed, Hashes]

field = st.one_of(st.integers(0, 20), st.integers(0, R - 1), st.sampled_from([R - 1, R - 2, 1 << 16, 1 << 64]))


def draw_inputs(draw, cs):
    inputs = {}
    for spec in cs.input_specs:
        if spec.kind == "output":
            continue
        values = [draw(field) for _ in range(spec.size)]
        inputs[spec.name] = values if spec.shape else values[0]
    return inputs


@pytest.fixture(scope="module")
def compiled():
    return {c.__name__: compile(c) for c in SMALL_CIRCUITS}


def test_every_small_circuit_compiles_to_a_tape(compiled):
    for cs in compiled.values():
        assert cs.tape is not None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from([c.__name__ for c in SMALL_CIRCUITS]))
def test_compiled_solver_matches_replay(compiled, data, name):
    cs = compiled[name]
    same_outcome(cs, draw_inputs(data.draw, cs))


def test_satisfiable_inputs_agree_and_check(compiled):
    cases = {"Arithmetic": {"x": 10, "y": 2, "z": 3}, "Comparisons": {"a": 5, "b": 9},
             "Hinted": {"x": 1000}, "Muxed": {"sel": [1, 0], "values": [4, 5, 6, 7]},
             "Hashes": {"xs": [1, 2, 3, 4, 5]}}
    for name, inputs in cases.items():
        kind, witness = same_outcome(compiled[name], inputs)
        assert kind == "ok"
        compiled[name].check(witness)


def test_errors_are_named_as_by_the_replaying_solver(compiled):
    kind, message = same_outcome(compiled["Arithmetic"], {"x": 1, "y": 0, "z": 1})
    assert kind == "WitnessError" and message.startswith("division by zero (div at test_r1cs_tape.py:")
    kind, message = same_outcome(compiled["Arithmetic"], {"x": 1, "y": 1, "z": 7})
    assert kind == "WitnessError" and "division by zero" in message
    kind, message = same_outcome(compiled["Comparisons"], {"a": 1 << 16, "b": 0})
    assert kind == "UnsatisfiedConstraint" and "(less_than(16)/to_bits at test_r1cs_tape.py:" in message
    kind, message = same_outcome(compiled["Hinted"], {"x": R - 1})
    assert kind == "UnsatisfiedConstraint"
    assert same_outcome(compiled["Hinted"], {"x": [1]})[0] == "InputError"
    assert same_outcome(compiled["Hinted"], {})[0] == "InputError"


def test_failing_python_hint_reads_the_same():
    class Failing(Circuit):
        x = Private()

        def define(self, api):
            y = api.hint(lambda v: 1 // (v - 3), self.x, name="boom")
            api.assert_equal(y * self.x, y * self.x)

    cs = compile(Failing)
    kind, message = same_outcome(cs, {"x": 3})
    assert kind == "WitnessError" and message.startswith("hint boom (hint at test_r1cs_tape.py:")


def test_value_reading_define_falls_back_to_replay():
    class Peeking(Circuit):
        x = Private()

        def define(self, api):
            api.value(self.x)
            api.assert_nonzero(self.x)

    cs = compile(Peeking)
    assert cs.tape is None
    assert cs.solve({"x": 3}) == cs.solve_by_replay({"x": 3})


def test_output_read_before_set_falls_back_to_replay():
    class Early(Circuit):
        x = Private()
        o = Output()

        def define(self, api):
            api.assert_nonzero(self.o * self.x)
            api.set_output(self.o, self.x)

    cs = compile(Early)
    assert cs.tape is None
    assert same_outcome(cs, {"x": 3})[0] == "WitnessError"


def test_solve_values_are_the_witness_in_montgomery_form(compiled):
    from zk.field import FR
    from zk.field import arrays as FA

    cs = compiled["Hashes"]
    inputs = {"xs": [9, 8, 7, 6, 5]}
    limbs = cs.solve_values(inputs)
    assert limbs.dtype == np.uint64 and limbs.shape == (cs.n_wires, 4)
    assert FA.from_array(FR, limbs) == cs.solve_by_replay(inputs)


class Inclusion(Circuit):
    # Defined here rather than with zk.gadgets.merkle_inclusion_circuit: origins name the first
    # frame outside zk/, which for a circuit defined inside zk/ is whoever called the solver.
    root = Public()
    leaf = Private()
    path_elements = Private(shape=3)
    path_indices = Private(shape=3)

    def define(self, api):
        api.assert_equal(merkle_root_gadget(api, self.leaf, self.path_elements, self.path_indices), self.root)


def test_merkle_inclusion_agrees():
    from zk.gadgets import MerkleTree

    assert compile(merkle_inclusion_circuit(3)).tape is not None
    cs = compile(Inclusion)
    tree = MerkleTree(3)
    tree.extend([11, 22, 33])
    proof = tree.proof(2)
    good = {"root": tree.root, **proof.as_inputs()}
    assert same_outcome(cs, good)[0] == "ok"
    assert same_outcome(cs, {**good, "leaf": 34})[0] == "UnsatisfiedConstraint"
    assert same_outcome(cs, {**good, "path_indices": [0, 2, 1]})[0] == "UnsatisfiedConstraint"


# ----------------------------------------------------------------------------- credits circuits
CREDITS_DEPTH = 2


@pytest.fixture(scope="module")
def credits():
    from circuits.assign import assign_circuit
    from circuits.protocol import Assignment, Note, operator_address, owner_address, registry_depth, registry_leaf
    from circuits.purchase import Purchase
    from circuits.redeem import redeem_circuit
    from circuits.witness import assign_inputs, purchase_inputs, redeem_inputs
    from zk.gadgets import MerkleTree

    epoch, sk, osk = 24322, 0x1234567, 0x7654321
    owner, operator = owner_address(sk), operator_address(osk)
    notes = [Note.new(owner, 70, epoch), Note.new(owner, 30, epoch)]
    tree = MerkleTree(CREDITS_DEPTH)
    tree.extend([n.commitment for n in notes])
    assignment = Assignment.new(0x6A0, operator, 80, epoch)
    change = Note.new(owner, 20, epoch)
    atree = MerkleTree(CREDITS_DEPTH)
    atree.extend([assignment.commitment])
    rest = Assignment.new(assignment.group, operator, 30, epoch)
    registry = MerkleTree(registry_depth(CREDITS_DEPTH))
    registry.extend([registry_leaf(operator_address(5), 0xCD, 7000), registry_leaf(operator, 0xAB, 6000)])
    return {
        "purchase": (compile(Purchase), purchase_inputs(notes[0])),
        "assign": (compile(assign_circuit(CREDITS_DEPTH)),
                   assign_inputs(sk, [(notes[0], tree.proof(0)), (notes[1], tree.proof(1))], tree.root,
                                 assignment, change, epoch, relayer=0xAB, fee=5)),
        "redeem": (compile(redeem_circuit(CREDITS_DEPTH)),
                   redeem_inputs(osk, assignment, atree.proof(0), atree.root, 50, 0xAB, epoch + 1, rest, 6000,
                                 registry.proof(1), registry.root)),
    }


@pytest.mark.parametrize("name", ["purchase", "assign", "redeem"])
def test_credits_honest_witness_agrees(credits, name):
    cs, inputs = credits[name]
    assert cs.tape is not None
    kind, witness = same_outcome(cs, inputs)
    assert kind == "ok"
    cs.check(witness)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from(["purchase", "assign", "redeem"]))
def test_credits_tampered_inputs_agree(credits, data, name):
    """One input changed (an attacker's witness): both solvers fail the same way, or both succeed."""
    cs, inputs = credits[name]
    key = data.draw(st.sampled_from(sorted(inputs)))
    value = inputs[key]
    if isinstance(value, list):
        i = data.draw(st.integers(0, len(value) - 1))
        value = list(value)
        value[i] = data.draw(field)
    else:
        value = data.draw(field)
    same_outcome(cs, {**inputs, key: value})


def test_prover_takes_the_montgomery_witness(compiled):
    import numpy as np

    from zk import groth16
    from zk.groth16 import WitnessMismatch

    cs = compiled["Comparisons"]
    inputs = {"a": 5, "b": 9}
    pk, vk = groth16.setup(cs)
    limbs = cs.solve_values(inputs)
    proof, public = groth16.prove(pk, limbs)
    assert public == cs.solve(inputs)[1:1 + cs.n_public]
    assert groth16.verify(vk, public, proof)
    with pytest.raises(WitnessMismatch):
        groth16.prove(pk, limbs[:-1])
    with pytest.raises(WitnessMismatch):
        groth16.prove(pk, limbs.astype(np.int64))
    bad = limbs.copy()
    bad[3] = np.uint64(0xFFFFFFFFFFFFFFFF)
    with pytest.raises(WitnessMismatch):
        groth16.prove(pk, bad)
