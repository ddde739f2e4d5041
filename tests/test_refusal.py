"""The attack tests' referee (tests/refusal.py) refuses to be fooled: a forged witness that breaks
two rules, or a refusal by another check than the one named, fails the test."""
import pytest

from refusal import refused_by, violated
from zk.r1cs import Circuit, Private, Public, compile


class TwoRules(Circuit):
    total = Public()
    a = Private()
    b = Private()

    def define(self, api):
        with api.gadget("range a"):
            api.assert_range(self.a, 8)
        api.assert_equal(api.add(self.a, self.b), self.total)  # the sum rule
        api.assert_nonzero(self.b)


@pytest.fixture(scope="module")
def cs():
    return compile(TwoRules)


def test_honest_inputs_violate_nothing(cs):
    assert violated(cs, {"total": 5, "a": 2, "b": 3}) == []
    with pytest.raises(AssertionError, match="nothing refuses"):
        refused_by(cs, {"total": 5, "a": 2, "b": 3}, "range a")


def test_names_the_one_check_broken(cs):
    refused_by(cs, {"total": 6, "a": 2, "b": 3}, "the sum rule")  # by its source line (the comment there)
    refused_by(cs, {"total": 300, "a": 297, "b": 3}, "range a")  # by its gadget name
    refused_by(cs, {"total": 2, "a": 2, "b": 0}, "api.assert_nonzero(self.b)")  # a division by zero


def test_two_rules_broken_fail_the_test(cs):
    inputs = {"total": 0, "a": 300, "b": 3}  # a out of range and the sum wrong
    assert len(violated(cs, inputs)) == 2
    for where in ("range a", "the sum rule"):
        with pytest.raises(AssertionError, match="also by other checks"):
            refused_by(cs, inputs, where)


def test_another_check_refusing_fails_the_test(cs):
    with pytest.raises(AssertionError, match="also by other checks"):
        refused_by(cs, {"total": 6, "a": 2, "b": 3}, "range a")
    with pytest.raises(AssertionError):
        refused_by(cs, {"total": 2, "a": 2, "b": 0}, "the sum rule")
