"""Which check refused a forged witness, for attack tests that must break exactly one rule.

`cs.check` stops at the first violated constraint, so a forged witness that breaks two rules
passes a test of either. `violated` evaluates every constraint as the circuit's `define` recorded
it (before linear constraints are merged away, so each keeps its own origin) and names each one
the witness violates by its origin and the source line that created it; `refused_by` asserts that
every one of them belongs to the expected check.
"""
from __future__ import annotations

import linecache
import re
from pathlib import Path
from typing import Any, Mapping

from zk.r1cs import WitnessError
from zk.r1cs.circuit import trace
from zk.r1cs.field import R

ROOT = Path(__file__).resolve().parent.parent
_ORIGIN = re.compile(r" at (?P<file>[\w.]+):(?P<line>\d+)$")
# An origin quoted in an error message: "(range x/assert_range(64)/to_bits at assign.py:60)".
_IN_MESSAGE = re.compile(r"\((?P<origin>[^()]*(?:\([^()]*\)[^()]*)* at [\w.]+:\d+)\)")


def _source_line(origin: str) -> str:
    """The source text of the line an origin ("name at file.py:123") points to, searched for in
    circuits/, tests/ and zk/ (origins carry the file's base name only)."""
    m = _ORIGIN.search(origin)
    if not m:
        return ""
    for path in (p for top in ("circuits", "tests", "zk") for p in sorted(ROOT.glob(f"{top}/**/{m['file']}"))):
        text = linecache.getline(str(path), int(m["line"])).strip()
        if text:
            return text
    return ""


def _describe(origin: str) -> str:
    return f"{origin} :: {_source_line(origin)}"


def _value(terms: dict[int, int], values: list[int | None]) -> int:
    return sum(c * values[w] for w, c in terms.items()) % R


def violated(cs, inputs: Mapping[str, Any]) -> list[str]:
    """Every constraint these inputs violate, each as "origin :: source line", in circuit order.
    A check whose solving step itself fails (a division by zero) raises that WitnessError instead:
    no witness value exists there, so nothing after it can be evaluated."""
    api, _ = trace(cs.circuit, inputs)
    values = api.values
    return [_describe(api.origins[k]) for k, (a, b, c) in enumerate(api.constraints)
            if _value(a, values) * _value(b, values) % R != _value(c, values)]


def refused_by(cs, inputs: Mapping[str, Any], where: str) -> None:
    """These inputs are refused, and only by the check `where` names: a substring of the origin
    ("range assigned") or of the circuit's source line that created the constraint
    ("api.assert_equal(roots[0], self.note_root)"). Every violated constraint must match it, so a
    witness that also breaks another rule fails the test. The compiled system refuses it too."""
    assert where, "name the check that must refuse these inputs"
    try:
        failures = violated(cs, inputs)
    except WitnessError as exc:
        # A division by zero while solving: the solver's message names the constraint's origin.
        origin = _IN_MESSAGE.search(str(exc))
        assert origin and where in _describe(origin["origin"]), exc
        _refused_when_compiled(cs, inputs)
        return
    assert failures, f"nothing refuses these inputs (expected {where!r})"
    others = [f for f in failures if where not in f]
    assert not others, f"refused by {where!r} but also by other checks: {others}"
    _refused_when_compiled(cs, inputs)


def names_check(exc: BaseException, where: str) -> None:
    """A solver's or prover's refusal (UnsatisfiedConstraint, or a division by zero while solving)
    names the check `where`, as in `refused_by`: for attacks run through a wallet or the prover,
    where only the first violated constraint is reported."""
    origin = getattr(exc, "origin", None)
    if origin is None:
        found = _IN_MESSAGE.search(str(exc))
        origin = found["origin"] if found else ""
    assert where in _describe(origin), f"refused by {_describe(origin)!r}, not by {where!r}: {exc}"


def _refused_when_compiled(cs, inputs) -> None:
    """The compiled solver (or the checker over the simplified system) refuses the same inputs."""
    try:
        witness = cs.solve(inputs, check=False)
    except WitnessError:
        return
    assert not cs.is_satisfied(witness)
