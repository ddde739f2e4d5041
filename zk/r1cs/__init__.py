"""Write circuits in Python, compile them to R1CS over BN254's scalar field, and solve witnesses.

    class Square(Circuit):
        x = Public()
        y = Private()
        def define(self, api):
            api.assert_equal(self.y * self.y, self.x)

    cs = compile(Square)
    witness = cs.solve({"x": 9, "y": 3})
"""
from __future__ import annotations

import importlib

# Names load their module on first use (PEP 562): `zk wtns calculate` needs only zk.r1cs.field,
# and the whole package would bring numpy into a command that has no use for it.
_HOMES = {
    "API": "api", "Circuit": "circuit", "Output": "circuit", "Private": "circuit", "Public": "circuit",
    "compile": "circuit", "CircuitError": "errors", "InputError": "errors", "UnderConstrainedWarning": "errors",
    "UnsatisfiedConstraint": "errors", "WitnessError": "errors", "R": "field", "COO": "system",
    "ConstraintSystem": "system", "Variable": "variable",
}

__all__ = [
    "API", "Circuit", "Public", "Private", "Output", "compile", "ConstraintSystem", "COO", "Variable",
    "CircuitError", "InputError", "WitnessError", "UnsatisfiedConstraint", "UnderConstrainedWarning", "R",
]


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
