"""The compiled-circuit cache (zk.r1cs.cache): what it returns equals a fresh compile, a second
compile does not trace, and any change to the definition recompiles."""
from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from zk.r1cs import Circuit, Private, Public, compile
from zk.r1cs import cache as C
from zk.r1cs.system import LazyConstraints

SOURCE = """
from zk.r1cs import Circuit, Private, Public
from zk.gadgets import poseidon_gadget


class Hashed(Circuit):
    depth = 2
    digest = Public()
    secret = Private(shape=2)

    def define(self, api):
        h = self.secret[0]
        for _ in range(self.depth):
            h = poseidon_gadget(api, [h, self.secret[1]])
        api.assert_range(self.secret[1], {bits})
        api.assert_equal(h, self.digest)
"""


@pytest.fixture
def module(tmp_path, monkeypatch):
    """A circuit module of its own, importable and editable."""
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "cached_circuit_mod.py"

    def write(bits=16):
        path.write_text(textwrap.dedent(SOURCE.format(bits=bits)))
        sys.modules.pop("cached_circuit_mod", None)
        importlib.invalidate_caches()
        return importlib.import_module("cached_circuit_mod")

    yield write
    sys.modules.pop("cached_circuit_mod", None)


def inputs_for(depth=2):
    from zk.gadgets import poseidon

    h = 5
    for _ in range(depth):
        h = poseidon([h, 7])
    return {"digest": h, "secret": [5, 7]}


def entries(directory):
    return sorted(p.name for p in directory.glob("*.zkcc"))


def test_cached_system_equals_a_fresh_compile(module, tmp_path):
    Hashed = module().Hashed
    fresh = compile(Hashed)
    first = C.compile_cached(Hashed, tmp_path / "cache")
    loaded = C.compile_cached(Hashed, tmp_path / "cache")
    assert isinstance(loaded.constraints, LazyConstraints)
    for cs in (first, loaded):
        assert cs.stats() == fresh.stats()
        assert list(cs.constraints) == fresh.constraints
        assert list(cs.origins) == fresh.origins and list(cs.labels) == fresh.labels
        assert cs.input_specs == fresh.input_specs
        assert cs.solve(inputs_for()) == fresh.solve(inputs_for())
        assert cs.solve_by_replay(inputs_for()) == fresh.solve(inputs_for())
    bad = {**inputs_for(), "digest": 1}
    with pytest.raises(Exception) as fresh_error:
        fresh.solve(bad)
    with pytest.raises(type(fresh_error.value)) as loaded_error:
        loaded.solve(bad)
    assert str(loaded_error.value) == str(fresh_error.value)


def test_a_second_compile_does_not_trace(module, tmp_path, monkeypatch):
    Hashed = module().Hashed
    C.compile_cached(Hashed, tmp_path)

    def no_trace(*args, **kwargs):
        raise AssertionError("traced again")

    monkeypatch.setattr(C, "trace", no_trace)
    assert C.compile_cached(Hashed, tmp_path).n_constraints == compile(Hashed).n_constraints


def test_editing_the_source_recompiles(module, tmp_path):
    before = C.compile_cached(module(bits=16).Hashed, tmp_path)
    after = C.compile_cached(module(bits=20).Hashed, tmp_path)
    assert after.n_constraints == before.n_constraints + 4
    assert len(entries(tmp_path)) == 1  # same circuit, same entry, replaced


def test_editing_a_dependency_recompiles(module, tmp_path):
    Hashed = module().Hashed
    C.compile_cached(Hashed, tmp_path)
    [entry] = tmp_path.glob("*.zkcc")
    meta, _ = C._read_container(entry)
    deps = meta["deps"]
    assert any(p.endswith("zk/gadgets/poseidon.py") for p in deps)  # a gadget it ran
    assert any(p.endswith("cached_circuit_mod.py") for p in deps)
    # A dependency whose recorded hash no longer matches makes the entry stale.
    stale = dict(meta, deps={**deps, next(iter(deps)): "0" * 64})
    _, arrays = C._read_container(entry)
    with open(entry, "wb") as fh:
        C._write_container(fh, stale, dict(arrays))
    assert C.load(entry, Hashed) is None
    assert C.compile_cached(Hashed, tmp_path).n_constraints == compile(Hashed).n_constraints
    assert C.load(entry, Hashed) is not None


def test_parameters_are_part_of_the_key(module, tmp_path):
    Hashed = module().Hashed
    two = C.compile_cached(Hashed, tmp_path)
    three = C.compile_cached(Hashed(depth=3), tmp_path)
    assert three.n_constraints == two.n_constraints + 240
    assert len(entries(tmp_path)) == 2
    assert three.solve(inputs_for(3)) == compile(Hashed(depth=3)).solve(inputs_for(3))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "header"])
def test_a_damaged_entry_is_recompiled_not_trusted(module, tmp_path, damage):
    Hashed = module().Hashed
    C.compile_cached(Hashed, tmp_path)
    [entry] = tmp_path.glob("*.zkcc")
    data = entry.read_bytes()
    entry.write_bytes({"truncate": data[: len(data) // 2], "garbage": b"\x00" * 100, "empty": b"",
                       "header": data[:16] + b"[" + data[17:]}[damage])
    assert C.load(entry, Hashed) is None
    cs = C.compile_cached(Hashed, tmp_path)
    assert cs.solve(inputs_for()) == compile(Hashed).solve(inputs_for())


def test_circuits_with_python_hints_are_not_cached(tmp_path):
    class Hinted(Circuit):
        x = Public()
        y = Private()

        def define(self, api):
            r = api.hint(lambda v: v + 1, self.x)
            api.assert_equal(r * self.y, self.y * (self.x + 1))

    cs = C.compile_cached(Hinted, tmp_path)
    assert cs.solve({"x": 2, "y": 3}) == compile(Hinted).solve({"x": 2, "y": 3})
    assert entries(tmp_path) == []


def test_prover_matrices_from_a_cached_system(module, tmp_path):
    import numpy as np

    from zk.groth16.qap import from_constraint_system

    Hashed = module().Hashed
    C.compile_cached(Hashed, tmp_path)
    loaded = C.compile_cached(Hashed, tmp_path)
    a, b = from_constraint_system(loaded), from_constraint_system(compile(Hashed))
    for x, y in ((a.a, b.a), (a.b, b.b), (a.c, b.c)):
        for field in ("rows", "cols", "coeffs"):
            assert np.array_equal(getattr(x, field), getattr(y, field))
