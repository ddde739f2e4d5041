"""Circuit definition, compilation, solving and checking."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zk.r1cs import (
    R, Circuit, CircuitError, InputError, Output, Private, Public, UnderConstrainedWarning,
    UnsatisfiedConstraint, WitnessError, compile,
)


class Square(Circuit):
    x = Public()
    y = Private()

    def define(self, api):
        api.assert_equal(self.y * self.y, self.x)


def test_wire_layout_and_single_constraint():
    cs = compile(Square)
    assert cs.stats() == {"constraints": 1, "wires": 3, "public_inputs": 1, "outputs": 0,
                          "private_inputs": 1, "nonzeros": 3, "warnings": []}
    assert cs.labels[:3] == ["one", "x", "y"]
    # the assert_equal's linear constraint was folded into the multiplication: y * y = x
    assert cs.constraints == [([(2, 1)], [(2, 1)], [(1, 1)])]


def test_solve_and_check():
    cs = compile(Square)
    witness = cs.solve({"x": 9, "y": "3"})
    assert witness == [1, 9, 3]
    cs.check(witness)
    assert cs.solve({"x": 9, "y": R - 3}) == [1, 9, R - 3]


def test_failing_constraint_names_origin_and_values():
    cs = compile(Square)
    with pytest.raises(UnsatisfiedConstraint) as info:
        cs.check([1, 10, 3])
    err = info.value
    assert err.index == 0 and (err.a, err.b, err.c) == (3, 3, 10)
    assert "constraint 0 (mul at test_r1cs_api.py:" in str(err)
    assert "A·w = 3, B·w = 3, C·w = 10" in str(err)


def test_solve_reports_the_assertion_that_fails():
    cs = compile(Square)
    with pytest.raises(UnsatisfiedConstraint) as info:
        cs.solve({"x": 10, "y": 3})
    assert "assert_equal at test_r1cs_api.py:" in str(info.value)
    assert "A·w = -1" in str(info.value)


def test_unsimplified_system_keeps_linear_constraint():
    cs = compile(Square, simplify=False)
    assert cs.n_constraints == 2 and cs.n_wires == 4
    cs.check(cs.solve({"x": 4, "y": 2}))
    with pytest.raises(UnsatisfiedConstraint) as info:
        cs.solve({"x": 5, "y": 2})
    assert info.value.index == 1 and "assert_equal" in info.value.origin


@pytest.mark.parametrize("inputs, message", [
    ({"x": 9}, "missing input 'y'"),
    ({"x": 9, "y": 3, "z": 1}, "input 'z' is not declared"),
    ({"x": R, "y": 3}, "is not below the field modulus"),
    ({"x": "nine", "y": 3}, "is not a decimal string"),
    ({"x": [9], "y": 3}, "expected a single value"),
    ({"x": 9.0, "y": 3}, "expected an integer"),
    ({"x": True, "y": 3}, "expected an integer"),
])
def test_bad_inputs_are_rejected(inputs, message):
    with pytest.raises(InputError, match=message):
        compile(Square).solve(inputs)


class Arrays(Circuit):
    total = Output()
    xs = Public(shape=3)
    grid = Private(shape=(2, 2))

    def define(self, api):
        acc = 0
        for x in self.xs:
            acc = acc + x
        for row in self.grid:
            for g in row:
                acc = acc + g * g
        api.set_output(self.total, acc)


def test_arrays_outputs_and_wire_order():
    cs = compile(Arrays)
    assert cs.labels[:8] == ["one", "total", "xs[0]", "xs[1]", "xs[2]", "grid[0][0]", "grid[0][1]", "grid[1][0]"]
    assert (cs.n_outputs, cs.n_public_inputs, cs.n_private_inputs, cs.n_public) == (1, 3, 4, 4)
    witness = cs.solve({"xs": [1, 2, 3], "grid": [[1, 2], ["3", 4]]})
    assert cs.outputs(witness) == {"total": 6 + 1 + 4 + 9 + 16}
    assert cs.public_values(witness) == [36, 1, 2, 3]
    cs.check(witness)
    with pytest.raises(InputError, match=r"input xs: expected 3 values, got 2"):
        cs.solve({"xs": [1, 2], "grid": [[1, 2], [3, 4]]})
    with pytest.raises(InputError, match=r"input grid\[1\]: expected 2 values, got 3"):
        cs.solve({"xs": [1, 2, 3], "grid": [[1, 2], [3, 4, 5]]})
    with pytest.raises(InputError, match="'total' is an output"):
        cs.solve({"xs": [1, 2, 3], "grid": [[1, 2], [3, 4]], "total": 5})


def test_coo_matrices_match_constraints():
    cs = compile(Arrays)
    a, b, c = cs.to_coo()
    assert a.shape == (cs.n_constraints, cs.n_wires)
    assert a.rows.dtype == np.int64 and len(a.rows) == len(a.cols) == len(a.coeffs)
    witness = cs.solve({"xs": [1, 2, 3], "grid": [[5, 6], [7, 8]]})
    def mat_vec(m):
        out = [0] * cs.n_constraints
        for r, col, coeff in zip(m.rows, m.cols, m.coeffs):
            out[r] = (out[r] + coeff * witness[col]) % R
        return out
    assert [x * y % R for x, y in zip(mat_vec(a), mat_vec(b))] == mat_vec(c)
    assert len(a.coeffs) + len(b.coeffs) + len(c.coeffs) == cs.n_nonzeros


def test_constants_fold_without_constraints():
    class Linear(Circuit):
        x = Public()
        y = Private()

        def define(self, api):
            z = 3 * self.x - self.y * 2 + api.constant(7) - (-self.y)
            api.assert_equal(z * 5, api.mul(4, self.x) + 35 - self.y - self.x * -11)
    cs = compile(Linear, simplify=False)
    assert cs.n_constraints == 1  # only the final equality; all products are by constants
    cs.check(cs.solve({"x": 2, "y": 0}))  # the equation reduces to 4y = 0
    with pytest.raises(UnsatisfiedConstraint):
        cs.solve({"x": 2, "y": 1})


def test_division_and_inverse():
    class Div(Circuit):
        a = Private()
        b = Private()
        q = Output()

        def define(self, api):
            # 12 - a and 8 / b: the reflected operators (int on the left), which must not swap.
            api.set_output(self.q, self.a / self.b + api.inverse(self.b) * 0 + self.a / 2 + (12 - self.a) * (8 / self.b))
    cs = compile(Div)
    witness = cs.solve({"a": 10, "b": 4})
    assert cs.outputs(witness)["q"] == (10 * pow(4, -1, R) + 5 + 2 * 2) % R
    with pytest.raises(WitnessError, match="division by zero"):
        cs.solve({"a": 1, "b": 0})


def test_misuse_is_caught():
    class Branchy(Circuit):
        x = Private()

        def define(self, api):
            if self.x == 1:
                pass
    with pytest.raises(TypeError, match="assert_equal"):
        compile(Branchy)

    class Never(Circuit):
        x = Private()

        def define(self, api):
            api.assert_equal(api.constant(1), 2)
    with pytest.raises(CircuitError, match="different constants"):
        compile(Never)

    class Unset(Circuit):
        o = Output()

        def define(self, api):
            pass
    with pytest.raises(CircuitError, match="never set"):
        compile(Unset)


def test_value_dependent_structure_is_detected():
    class Shifty(Circuit):
        x = Private()

        def define(self, api):
            v = api.value(self.x)
            if v is not None and v > 5:
                api.assert_boolean(self.x * self.x)
            api.assert_nonzero(self.x)
    cs = compile(Shifty)
    with pytest.raises(CircuitError, match="must not depend on input values"):
        cs.solve({"x": 9})


def test_linter_warns_about_unused_private_input_and_free_hint():
    class Sloppy(Circuit):
        x = Public()
        secret = Private()
        unused = Private(shape=2)

        def define(self, api):
            api.hint(lambda v: v + 1, self.x, name="plus_one")
            api.assert_equal(self.secret * self.x, 6)
    with pytest.warns(UnderConstrainedWarning) as record:
        cs = compile(Sloppy)
    messages = [str(w.message) for w in record]
    assert any("private input unused[0] appears in no constraint" in m for m in messages)
    assert any("private input unused[1]" in m for m in messages)
    assert any("hint output" in m and "plus_one" in m and "never constrained" in m for m in messages)
    assert len(cs.stats()["warnings"]) == 3


def test_linter_quiet_when_hint_is_constrained():
    class Sqrt(Circuit):
        x = Public()

        def define(self, api):
            import math
            root = api.hint(math.isqrt, self.x)
            api.assert_equal(root * root, self.x)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnderConstrainedWarning)
        cs = compile(Sqrt)
    assert cs.warnings == []
    cs.check(cs.solve({"x": 49}))
    with pytest.raises(UnsatisfiedConstraint):
        cs.solve({"x": 50})


def test_origin_records_gadget_and_user_line():
    class Tagged(Circuit):
        x = Private()

        def define(self, api):
            with api.gadget("mine"):
                api.assert_boolean(self.x)
    cs = compile(Tagged)
    assert cs.origins[0].startswith("mine/assert_boolean at test_r1cs_api.py:")


def test_parametrized_circuit_instance():
    class Power(Circuit):
        x = Private()
        y = Output()
        exponent = 2

        def define(self, api):
            api.set_output(self.y, self.x ** self.exponent)
    cs = compile(Power(exponent=5))
    assert cs.n_constraints == 3
    assert cs.outputs(cs.solve({"x": 3}))["y"] == 243
    with pytest.raises(CircuitError, match="declared input"):
        Power(x=3)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, R - 1), st.integers(0, R - 1))
def test_check_agrees_with_arithmetic(x, y):
    class Mul(Circuit):
        a = Private()
        b = Private()
        c = Output()

        def define(self, api):
            api.set_output(self.c, self.a * self.b)
    cs = compile(Mul)
    witness = cs.solve({"a": x, "b": y})
    assert cs.outputs(witness)["c"] == x * y % R
    bad = list(witness)
    bad[1] = (bad[1] + 1) % R
    assert not cs.is_satisfied(bad)
