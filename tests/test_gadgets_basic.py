"""Bits, range checks, comparators, IsZero/IsEqual and select against their Python meaning and
circomlib's constraint counts (measured with circom2 --O2, see docs/r1cs.md)."""
import pytest
from hypothesis import given, settings, strategies as st

from zk.r1cs import R, Circuit, CircuitError, Output, Private, UnsatisfiedConstraint, compile


def circuit(n_in, body, outputs=1, **shapes):
    attrs = {f"i{k}": Private(shape=shapes.get(f"i{k}", ())) for k in range(n_in)}
    attrs.update({f"o{k}": Output() for k in range(outputs)})

    def define(self, api):
        results = body(api, *[getattr(self, f"i{k}") for k in range(n_in)])
        if not outputs:
            return
        results = results if isinstance(results, (list, tuple)) else [results]
        for k, value in enumerate(results):
            api.set_output(getattr(self, f"o{k}"), value)
    attrs["define"] = define
    return compile(type("Generated", (Circuit,), attrs))


def cost(n_in, body, **shapes):
    """Constraints a gadget adds by itself: its results feed nothing, so no output binding is counted."""
    return circuit(n_in, body, outputs=0, **shapes).n_constraints


def run(cs, *values):
    witness = cs.solve({f"i{k}": v for k, v in enumerate(values)})
    cs.check(witness)
    return [witness[1 + k] for k in range(cs.n_outputs)]


LT32 = circuit(2, lambda api, a, b: api.less_than(a, b, 32))
LE32 = circuit(2, lambda api, a, b: api.less_or_equal(a, b, 32))
GT8 = circuit(2, lambda api, a, b: [api.greater_than(a, b, 8), api.greater_or_equal(a, b, 8)], outputs=2)
BITS8 = circuit(1, lambda api, a: api.to_bits(a, 8), outputs=8)
IS_ZERO = circuit(1, lambda api, a: api.is_zero(a))
IS_EQUAL = circuit(2, lambda api, a, b: api.is_equal(a, b))


def test_constraint_counts_not_above_circomlib():
    # circomlib with circom2 --O2: LessThan(32) 33, LessEqThan(32) 33, Num2Bits(8) 8, IsZero 2, IsEqual 2
    assert LT32.n_constraints == 33
    assert LE32.n_constraints == 33
    assert cost(1, lambda api, a: api.to_bits(a, 8)) == 8
    assert cost(1, lambda api, a: api.to_bits(a, 64)) == 64
    assert IS_ZERO.n_constraints == 2
    assert IS_EQUAL.n_constraints == 2
    assert cost(2, lambda api, a, b: api.from_bits([a, b])) == 2  # the two boolean checks
    assert cost(3, lambda api, c, a, b: api.select(c, a, b)) == 2  # boolean check + product


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_comparators_match_python(a, b):
    assert run(LT32, a, b) == [int(a < b)]
    assert run(LE32, a, b) == [int(a <= b)]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 255), st.integers(0, 255))
def test_greater_than(a, b):
    assert run(GT8, a, b) == [int(a > b), int(a >= b)]


def test_comparator_edges():
    top = 2**32 - 1
    assert run(LT32, top, top) == [0] and run(LE32, top, top) == [1]
    assert run(LT32, 0, top) == [1] and run(LE32, top, 0) == [0]


def test_checked_comparison_rejects_wide_inputs():
    checked = circuit(2, lambda api, a, b: api.less_than(a, b, 8, check_inputs=True))
    assert checked.n_constraints == 8 + 8 + 9
    assert run(checked, 3, 200) == [1]
    with pytest.raises(UnsatisfiedConstraint, match="to_bits"):
        checked.solve({"i0": 256, "i1": 3})


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 255))
def test_bits_round_trip(value):
    bits = run(BITS8, value)
    assert bits == [value >> i & 1 for i in range(8)]
    # bits from to_bits are known boolean, so from_bits adds nothing
    assert cost(1, lambda api, a: api.from_bits(api.to_bits(a, 8))) == 8
    back = circuit(1, lambda api, a: api.from_bits(api.to_bits(a, 8)))
    assert run(back, value) == [value]


def test_to_bits_rejects_values_that_do_not_fit():
    with pytest.raises(UnsatisfiedConstraint, match="to_bits"):
        BITS8.solve({"i0": 256})
    with pytest.raises(UnsatisfiedConstraint, match="to_bits"):
        BITS8.solve({"i0": R - 1})


def test_wide_bits_and_range():
    wide = circuit(1, lambda api, a: api.assert_range(a, 253), outputs=0)
    assert wide.n_constraints == 253
    run(wide, 2**253 - 1)
    with pytest.raises(UnsatisfiedConstraint):
        wide.solve({"i0": 2**253})
    with pytest.raises(CircuitError, match="between 1 and 253"):
        circuit(1, lambda api, a: api.to_bits(a, 254))


def test_forged_bits_are_caught():
    """A witness with a non-boolean bit that still sums correctly must be rejected."""
    cs = circuit(1, lambda api, a: api.to_bits(a, 4), outputs=0)
    witness = cs.solve({"i0": 5})
    cs.check(witness)
    bit0_wire = next(w for w, label in enumerate(cs.labels) if "bit0_" in label)
    bit1_wire = next(w for w, label in enumerate(cs.labels) if "bit1_" in label)
    assert (witness[bit0_wire], witness[bit1_wire]) == (1, 0)
    # 5 = 3*1 + 1*2: the weighted sum still holds, but bit0 = 3 is not a bit
    forged = list(witness)
    forged[bit0_wire], forged[bit1_wire] = 3, 1
    with pytest.raises(UnsatisfiedConstraint, match="to_bits"):
        cs.check(forged)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, R - 1), st.integers(0, R - 1))
def test_is_zero_is_equal(a, b):
    assert run(IS_ZERO, a) == [int(a == 0)]
    assert run(IS_EQUAL, a, b) == [int(a == b)]
    assert run(IS_EQUAL, a, a) == [1]


def test_is_zero_cannot_lie():
    witness = IS_ZERO.solve({"i0": 7})
    lying = list(witness)
    lying[1] = 1  # claim 7 == 0
    out_wire = 1
    assert lying[out_wire] == 1 and not IS_ZERO.is_satisfied(lying)
    assert run(IS_ZERO, 0) == [1]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 1), st.integers(0, R - 1), st.integers(0, R - 1))
def test_select(c, a, b):
    cs = circuit(3, lambda api, c, a, b: api.select(c, a, b))
    assert run(cs, c, a, b) == [a if c else b]


def test_select_rejects_non_boolean_condition():
    cs = circuit(3, lambda api, c, a, b: api.select(c, a, b))
    with pytest.raises(UnsatisfiedConstraint, match="assert_boolean"):
        cs.solve({"i0": 2, "i1": 5, "i2": 6})


def test_mux_tree():
    from zk.gadgets.mux import mux

    cs = circuit(2, lambda api, sel, vals: mux(api, api.to_bits(sel, 3), vals), i1=8)
    values = [11, 22, 33, 44, 55, 66, 77, 88]
    for s in range(8):
        assert run(cs, s, values) == [values[s]]
    assert cs.n_constraints == 3 + 7  # bits + one product per 2:1 selection


def test_constant_operands_fold():
    cs = circuit(1, lambda api, a: [api.is_zero(0), api.less_than(3, 5, 4), api.select(1, a, 9)], outputs=3)
    # no gadget constraint at all; what remains are the three output bindings, which cannot be
    # simplified away because outputs and inputs are never eliminated
    assert cs.n_constraints == 3
    assert run(cs, 42) == [1, 1, 42]
