"""Powers-of-tau ceremony steps, zk beside snarkjs 0.7.6 in the same run.

    .venv/bin/python -m pytest bench/bench_ceremony.py --benchmark-only -q -s
    ZK_BENCH_PTAU_POWERS=12,14   powers to run (default 12,14; snarkjs needs minutes at 14)

For each power: one input file (zk new + one zk contribution, not timed), then each step timed
alone, ours in-process (kernels compiled beforehand by a power-3 warm-up) and snarkjs as its CLI
(node start-up, about 0.4 s, included: it is small beside these steps):
  contribute  (ptau contribute)        prepare  (ptau prepare / powersoftau prepare phase2)
Each row also checks the outputs: snarkjs verifies our contribution, and both prepares are
byte-identical.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import sys

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import SNARKJS, PeerUnavailable, require_snarkjs  # noqa: E402

from zk.ceremony import powersoftau as T  # noqa: E402

POWERS = [int(p) for p in os.environ.get("ZK_BENCH_PTAU_POWERS", "12,14").split(",") if p.strip()]
_inputs: dict[int, Path] = {}


def _snarkjs(*args) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(SNARKJS), *map(str, args)], capture_output=True, text=True, timeout=7200)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"snarkjs {' '.join(map(str, args))} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    try:
        require_snarkjs()
    except PeerUnavailable as exc:
        pytest.skip(str(exc))
    d = tmp_path_factory.mktemp("ceremony")
    # Warm-up: compile every kernel the timed steps use.
    T.new(3, d / "w0.ptau")
    T.contribute(d / "w0.ptau", d / "w1.ptau", name="warm-up")
    T.prepare(d / "w1.ptau", d / "w2.ptau")
    return d


def _input(workdir: Path, power: int) -> Path:
    if power not in _inputs:
        T.new(power, workdir / f"p{power}_0.ptau")
        T.contribute(workdir / f"p{power}_0.ptau", workdir / f"p{power}_1.ptau", name="bench input")
        _inputs[power] = workdir / f"p{power}_1.ptau"
    return _inputs[power]


def _line(step: str, power: int, ours: float, theirs: float) -> str:
    return (f"ptau {step} 2^{power}: zk {ours:.2f} s, snarkjs {theirs:.2f} s, "
            f"ratio {ours / theirs:.3f}x  [bar: <= 0.2x]")


@pytest.mark.parametrize("power", POWERS)
def test_contribute(benchmark, workdir, power):
    source = _input(workdir, power)
    ours_out, theirs_out = workdir / f"c{power}_zk.ptau", workdir / f"c{power}_snarkjs.ptau"
    theirs = _snarkjs("powersoftau", "contribute", source, theirs_out, "--name=bench", "-e=bench entropy")
    start = time.perf_counter()
    benchmark.pedantic(T.contribute, args=(source, ours_out), kwargs={"name": "bench"}, rounds=1, iterations=1)
    ours = time.perf_counter() - start
    _snarkjs("powersoftau", "verify", ours_out)
    line = _line("contribute", power, ours, theirs)
    benchmark.extra_info.update(zk_s=ours, snarkjs_s=theirs, ratio=ours / theirs)
    print("\n" + line)


@pytest.mark.parametrize("power", POWERS)
def test_prepare(benchmark, workdir, power):
    source = _input(workdir, power)
    ours_out, theirs_out = workdir / f"f{power}_zk.ptau", workdir / f"f{power}_snarkjs.ptau"
    theirs = _snarkjs("powersoftau", "prepare", "phase2", source, theirs_out)
    start = time.perf_counter()
    benchmark.pedantic(T.prepare, args=(source, ours_out), rounds=1, iterations=1)
    ours = time.perf_counter() - start
    assert ours_out.read_bytes() == theirs_out.read_bytes(), "prepare outputs differ from snarkjs's"
    line = _line("prepare", power, ours, theirs)
    benchmark.extra_info.update(zk_s=ours, snarkjs_s=theirs, ratio=ours / theirs)
    print("\n" + line)
