"""Phase 2 beside snarkjs in the same run, each step timed alone: `groth16 setup` from a prepared
powers of tau, `zkey contribute`, `zkey verify`.

    .venv/bin/python -m pytest bench/bench_zkey.py --benchmark-only -q -s
    ZK_BENCH_ZKEY_LOGS=10,12 .venv/bin/python -m pytest bench/bench_zkey.py --benchmark-only -q -s

Both tools run as whole processes on the same files (snarkjs's CLI; `zk` likewise, so start-up,
numba's cached-kernel loading and file I/O count for both); the in-process figure of each of our
steps is printed beside it. The circuit is bench/groth16_circuits.py's Poseidon chain (full-size
coefficients, the expensive case for setup) at a domain of exactly 2^k. The prepared ptau comes
from `zk ptau` (new, one contribution, prepare), made once per power and cached in
ZK_PTAU_DIR (default ~/.cache/zk-bench) as zk-pot{power}.ptau.

Work count, to say what a ratio can be: setup is a sparse matrix-vector product in the exponent,
one scalar multiplication per matrix entry (three G1 and one G2 for each B entry, two G1 per A
entry, one G1 per C entry), plus one point subtraction per H point for the circuit hash; snarkjs
does the same products as small multi-exponentiations per signal. contribute is one G1 scalar
multiplication per C and H point (nVars + 2^k); verify is a setup plus two MSMs over C and H and
a handful of pairings.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import groth16_circuits as C
import peers

ROOT = Path(__file__).resolve().parent.parent
ZK = [sys.executable, "-c", "from zk.cli import main; main()"]
LOGS = [int(x) for x in os.environ.get("ZK_BENCH_ZKEY_LOGS", "10").split(",") if x.strip()]
KIND = os.environ.get("ZK_BENCH_ZKEY_CIRCUIT", "poseidon")
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


def _wall(args, cwd) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=7200)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


@pytest.fixture(scope="module")
def ptau():
    """A prepared powers of tau covering every size of this run, made with `zk ptau` once."""
    power = max(LOGS)
    path = peers.ptau_dir() / f"zk-pot{power}.ptau"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    work = path.parent / f"zk-pot{power}-work"
    work.mkdir(exist_ok=True)
    _wall(ZK + ["ptau", "new", power, work / "pot0.ptau"], work)
    _wall(ZK + ["ptau", "contribute", work / "pot0.ptau", work / "pot1.ptau", "--name", "bench", "-e", "bench"], work)
    _wall(ZK + ["ptau", "prepare", work / "pot1.ptau", path], work)
    shutil.rmtree(work, ignore_errors=True)
    return path


@pytest.mark.parametrize("log_size", LOGS, ids=[f"2^{k}" for k in LOGS])
def test_phase2_vs_snarkjs(benchmark, report, tmp_path, ptau, log_size):
    peers.require_snarkjs()
    from zk.ceremony import phase2
    from zk.formats import zkey as Z
    from zk.formats.ptau import read_ptau

    exp = C.export(KIND, log_size, tmp_path)
    d = tmp_path
    print(f"\n{exp.name}: {exp.n_constraints} constraints, {exp.n_wires} wires, ptau {ptau.name}")
    sj = peers.SNARKJS
    rows = []

    theirs = _wall([sj, "groth16", "setup", exp.r1cs, ptau, d / "sj0.zkey"], d)
    ours = _wall(ZK + ["groth16", "setup", exp.r1cs, ptau, d / "zk0.zkey"], d)
    assert (d / "sj0.zkey").read_bytes() == (d / "zk0.zkey").read_bytes()
    pot = read_ptau(ptau)
    start = time.perf_counter()
    init = phase2.new_zkey(exp.r1cs, pot)
    rows.append(("groth16 setup", ours, theirs, time.perf_counter() - start))

    theirs = _wall([sj, "zkey", "contribute", d / "sj0.zkey", d / "sj1.zkey", "--name=b", "-e=bench"], d)
    ours = _wall(ZK + ["zkey", "contribute", d / "sj0.zkey", d / "zk1.zkey", "--name", "b", "-e", "bench"], d)
    start = time.perf_counter()
    phase2.contribute(init, entropy="bench")
    rows.append(("zkey contribute", ours, theirs, time.perf_counter() - start))

    _wall([sj, "zkey", "beacon", d / "zk1.zkey", d / "final.zkey", BEACON, "10"], d)
    theirs = _wall([sj, "zkey", "verify", exp.r1cs, ptau, d / "final.zkey"], d)
    ours = _wall(ZK + ["zkey", "verify", exp.r1cs, ptau, d / "final.zkey"], d)
    final = Z.read_zkey(d / "final.zkey")
    start = time.perf_counter()
    phase2.verify(exp.r1cs, pot, final)
    rows.append(("zkey verify", ours, theirs, time.perf_counter() - start))

    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    for label, ours, theirs, inproc in rows:
        report(f"{label} 2^{log_size} zk CLI", ours * 1e9, theirs * 1e9, reference="snarkjs CLI", bar="<= 0.2x snarkjs",
               benchmark=benchmark, extra=f"ratio {ours / theirs:.2f}x; in-process {inproc:.2f} s")
