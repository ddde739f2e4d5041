"""Write circuits in Python, compile them to R1CS over BN254's scalar field, and solve witnesses.

    class Square(Circuit):
        x = Public()
        y = Private()
        def define(self, api):
            api.assert_equal(self.y * self.y, self.x)

    cs = compile(Square)
    witness = cs.solve({"x": 9, "y": 3})
"""
from zk.r1cs.api import API
from zk.r1cs.circuit import Circuit, Output, Private, Public, compile
from zk.r1cs.errors import CircuitError, InputError, UnderConstrainedWarning, UnsatisfiedConstraint, WitnessError
from zk.r1cs.field import R
from zk.r1cs.system import COO, ConstraintSystem
from zk.r1cs.variable import Variable

__all__ = [
    "API", "Circuit", "Public", "Private", "Output", "compile", "ConstraintSystem", "COO", "Variable",
    "CircuitError", "InputError", "WitnessError", "UnsatisfiedConstraint", "UnderConstrainedWarning", "R",
]
