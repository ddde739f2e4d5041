"""Community Credits circuits at tree depth 20 (CREDITS_BENCH_DEPTH to change): constraint counts,
Groth16 setup, witness solving, proving and verification times, printed as one table.

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python -m pytest bench/bench_credits.py --benchmark-only -q -s

There is no reference implementation to compare with in the same run (the circuits are this
project's own); the table is for the README.
"""
from __future__ import annotations

import os
import time

import pytest

from circuits.app.system import circuit_classes
from circuits.protocol import (
    Assignment, Note, current_epoch, operator_address, owner_address, registry_depth, registry_leaf,
)
from circuits.witness import assign_inputs, purchase_inputs, redeem_inputs
from zk import groth16
from zk.gadgets import MerkleTree
from zk.r1cs import compile

DEPTH = int(os.environ.get("CREDITS_BENCH_DEPTH", "20"))
NAMES = ("purchase", "assign", "redeem")
ROWS: dict[str, dict] = {name: {} for name in NAMES}


def _inputs(depth: int) -> dict[str, dict]:
    now = current_epoch()
    sk, osk = 11, 22
    owner, operator = owner_address(sk), operator_address(osk)
    notes = [Note.new(owner, 70, now), Note.new(owner, 30, now)]
    tree = MerkleTree(depth)
    tree.extend([n.commitment for n in notes])
    assignment = Assignment.new(0x6A0, operator, 80, now)
    change = Note.new(owner, 20, now)
    spent = [(notes[0], tree.proof(0)), (notes[1], tree.proof(1))]
    atree = MerkleTree(depth)
    atree.extend([assignment.commitment])
    rest = Assignment.new(assignment.group, operator, 30, now)
    registry = MerkleTree(registry_depth(depth))
    registry.extend([registry_leaf(operator, 0xAB, 7000)])
    return {
        "purchase": purchase_inputs(notes[0]),
        "assign": assign_inputs(sk, spent, tree.root, assignment, change, now, depth=depth),
        "redeem": redeem_inputs(osk, assignment, atree.proof(0), atree.root, 50, 0xAB, now, rest, 7000,
                                registry.proof(0), registry.root),
    }


@pytest.fixture(scope="module")
def material():
    """Per circuit: compiled constraints, a witness, keys and a proof (made once, outside timing)."""
    out = {}
    inputs = _inputs(DEPTH)
    for name, circuit in circuit_classes(DEPTH).items():
        t0 = time.perf_counter()
        cs = compile(circuit)  # a fresh trace: the compile column is what the on-disk cache saves
        ROWS[name].update(constraints=cs.n_constraints, wires=cs.n_wires, public=cs.n_public,
                          compile=time.perf_counter() - t0)
        witness = cs.solve(inputs[name])
        pk, vk = groth16.setup(cs)
        proof, public = groth16.prove(pk, witness)
        assert groth16.verify(vk, public, proof)
        out[name] = {"cs": cs, "inputs": inputs[name], "witness": witness, "pk": pk, "vk": vk, "proof": proof,
                     "public": public}
    yield out
    print(f"\nCommunity Credits circuits, tree depth {DEPTH} (best of the rounds, warm numba cache)")
    print(f"{'circuit':9s} {'constraints':>11s} {'wires':>7s} {'public':>6s} {'compile':>8s} {'setup':>7s} "
          f"{'solve':>7s} {'prove':>7s} {'verify':>8s}")
    for name, row in ROWS.items():
        def t(key, scale=1.0, unit="s", fmt="{:.2f}"):
            return (fmt.format(row[key] * scale) + " " + unit) if key in row else "-"
        print(f"{name:9s} {row.get('constraints', 0):11d} {row.get('wires', 0):7d} {row.get('public', 0):6d} "
              f"{t('compile'):>8s} {t('setup'):>7s} {t('solve'):>7s} {t('prove'):>7s} "
              f"{t('verify', 1000, 'ms', '{:.1f}'):>8s}")


def _record(benchmark, name: str, what: str) -> None:
    ROWS[name][what] = benchmark.stats.stats.min
    benchmark.extra_info.update(ROWS[name])


@pytest.mark.parametrize("name", NAMES)
def test_setup(benchmark, material, name):
    benchmark.pedantic(groth16.setup, args=(material[name]["cs"],), rounds=2, iterations=1)
    _record(benchmark, name, "setup")


@pytest.mark.parametrize("name", NAMES)
def test_solve(benchmark, material, name):
    m = material[name]
    witness = benchmark.pedantic(m["cs"].solve, args=(m["inputs"],), rounds=3, iterations=1)
    assert witness == m["witness"]
    _record(benchmark, name, "solve")


@pytest.mark.parametrize("name", NAMES)
def test_prove(benchmark, material, name):
    m = material[name]
    proof, public = benchmark.pedantic(groth16.prove, args=(m["pk"], m["witness"]), rounds=3, iterations=1,
                                       warmup_rounds=1)
    assert groth16.verify(m["vk"], public, proof)
    _record(benchmark, name, "prove")


@pytest.mark.parametrize("name", NAMES)
def test_verify(benchmark, material, name):
    m = material[name]
    assert benchmark.pedantic(groth16.verify, args=(m["vk"], m["public"], m["proof"]), rounds=10, iterations=1,
                              warmup_rounds=1)
    _record(benchmark, name, "verify")
