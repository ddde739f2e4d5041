"""Every ceremony step, zk beside snarkjs 0.7.6 in the same run, with wall and CPU time (user +
system, all threads: the load of a shared machine stretches wall time, not the CPU time a step
needs).

    .venv/bin/python -m pytest bench/bench_ceremony.py --benchmark-only -q -s
    ... -k contribute             only `ptau contribute` and `zkey contribute` (-k setup, -k verify, -k prepare likewise)
    ZK_BENCH_PTAU_POWERS=12,14    powers for `ptau contribute` and `ptau prepare` (default 12)
    ZK_BENCH_ZKEY_LOGS=12         circuit sizes 2^k for `groth16 setup`, `zkey contribute`, `zkey verify` (default 12)
    ZK_BENCH_ZKEY_CIRCUIT=poseidon  bench/groth16_circuits.py circuit (full-size coefficients: setup's hard case)
    ZK_BENCH_TABLE=file.md        also write the summary table there

Per step and size, four measurements, each on the same input files:
- zk's step: the library call in this process, its kernels compiled beforehand by an untimed
  call (numba compiles once per install, `zk warmup`);
- snarkjs's step: bench/snarkjs_step.cjs, a node script that loads the same snarkjs package as
  the command, builds the BN254 curve (wasm and worker threads; ffjavascript keeps one per
  process and every snarkjs call reuses it), then times only the library call
  (`snarkjs.zKey.contribute(...)` etc.); node's start, loading snarkjs and the curve build are
  reported beside it, not in it;
- zk's command, a whole process: interpreter, imports, loading the cached kernels, file I/O;
- snarkjs's command, a whole process: node's start, loading snarkjs, the curve, the step.
The table gives three CPU ratios: step / step, command / command, and zk's step against
snarkjs's command (the mixed ratio of the first runs). Each row checks its outputs: snarkjs
verifies our ptau contribution and our contributed zkey, every prepare and setup (ours, the
snarkjs command's, the snarkjs step's) is byte-identical, and the timed snarkjs verify answers true.

What the work is (to say what a ratio can be):
- ptau contribute: one scalar multiplication per point, 4n - 1 G1 and n + 1 G2 (n = 2^power),
  and the G2 subgroup check of the n + 1 input points.
- ptau prepare: an inverse FFT in the exponent per level k = 0..power (power + 1 for tauG1),
  (k - 1) n / 2 + 2 scalar multiplications a level (docs/ceremony.md has the totals).
- groth16 setup: a sparse matrix-vector product in the exponent, one scalar multiplication per
  matrix entry (A: two G1, B: two G1 and one G2, C: one G1); Poseidon's are full-size scalars.
- zkey contribute: one G1 multiplication by delta^-1 per C and H point (nVars - nPublic - 1 + 2^k).
- zkey verify: a setup, two G1 MSMs over C and H, a few pairings.
Each command also pays a fixed start: for `zk`, Python, numpy and numba imports and loading the
cached kernels; for snarkjs, node, snarkjs's modules and the curve build.
"""
from __future__ import annotations

import os
import resource
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import groth16_circuits as C  # noqa: E402
import peers  # noqa: E402

ZK = [sys.executable, "-c", "from zk.cli import main; main()"]
NODE_STEP = Path(__file__).resolve().parent / "snarkjs_step.cjs"
POWERS = [int(p) for p in os.environ.get("ZK_BENCH_PTAU_POWERS", "12").split(",") if p.strip()]
LOGS = [int(x) for x in os.environ.get("ZK_BENCH_ZKEY_LOGS", "12").split(",") if x.strip()]
KIND = os.environ.get("ZK_BENCH_ZKEY_CIRCUIT", "poseidon")
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
ROWS: list[dict] = []


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(args, cwd, env=None):
    import subprocess

    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=7200, env=env)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


def _command(args, cwd) -> tuple[float, float]:
    """(wall, CPU) of a whole command; its own CPU time, threads included."""
    cpu, start = _cpu_children(), time.perf_counter()
    _run(args, cwd)
    return time.perf_counter() - start, _cpu_children() - cpu


def _snarkjs_step(step: str, args, cwd) -> dict:
    """snarkjs's library call alone (bench/snarkjs_step.cjs): {"call", "curve", "load", "boot"}, each
    {"wall", "cpu"} in seconds; a verify step that answers false fails."""
    import json

    env = dict(os.environ, SNARKJS_MODULE=str(peers.SNARKJS_MODULE))
    done = _run(["node", NODE_STEP, step, *args], cwd, env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _inprocess(fn, *args, **kwargs):
    cpu, start = _cpu_self(), time.perf_counter()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - start, _cpu_self() - cpu)


def _row(step, size, ours, cli, theirs_step, theirs):
    """ours and cli: zk's step and command, theirs_step: the node report, theirs: snarkjs's command."""
    call = (theirs_step["call"]["wall"], theirs_step["call"]["cpu"])
    row = dict(step=step, size=size, ours=ours, cli=cli, call=call, curve=theirs_step["curve"]["cpu"],
               theirs=theirs, load=os.getloadavg()[0])
    ROWS.append(row)
    print(f"\n{step} {size}: zk step {ours[0]:.2f} s wall / {ours[1]:.2f} s CPU; snarkjs step {call[0]:.2f} s / "
          f"{call[1]:.2f} s (its curve build {row['curve']:.2f} s CPU, outside); zk command {cli[0]:.2f} s / "
          f"{cli[1]:.2f} s; snarkjs command {theirs[0]:.2f} s / {theirs[1]:.2f} s; CPU ratio step/step "
          f"{ours[1] / call[1]:.3f}x, command/command {cli[1] / theirs[1]:.3f}x, step/command "
          f"{ours[1] / theirs[1]:.3f}x [bar <= 0.2x]")


def _table() -> str:
    lines = ["| step | size | load | zk step wall / CPU | snarkjs step wall / CPU (curve build CPU, outside) | "
             "zk command wall / CPU | snarkjs command wall / CPU | CPU step / step | CPU command / command | "
             "CPU zk step / snarkjs command |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in ROWS:
        ours, call, cli, theirs = r["ours"], r["call"], r["cli"], r["theirs"]
        lines.append(f"| {r['step']} | {r['size']} | {r['load']:.1f} | {ours[0]:.2f} s / {ours[1]:.2f} s | "
                     f"{call[0]:.2f} s / {call[1]:.2f} s ({r['curve']:.2f} s) | {cli[0]:.2f} s / {cli[1]:.2f} s | "
                     f"{theirs[0]:.2f} s / {theirs[1]:.2f} s | **{ours[1] / call[1]:.3f}x** | "
                     f"**{cli[1] / theirs[1]:.3f}x** | {ours[1] / theirs[1]:.3f}x |")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    try:
        peers.require_snarkjs()
    except peers.PeerUnavailable as exc:
        pytest.skip(str(exc))
    d = tmp_path_factory.mktemp("ceremony")
    yield d
    if ROWS:
        table = _table()
        print("\n" + table)
        if os.environ.get("ZK_BENCH_TABLE"):
            Path(os.environ["ZK_BENCH_TABLE"]).write_text(table + "\n")


# ---------------------------------------------------------------------------------------------
# Powers of tau


@pytest.fixture(scope="module")
def ptau_inputs(workdir):
    from zk.ceremony import powersoftau as T

    # Untimed: compile every kernel the timed steps use.
    T.new(3, workdir / "w0.ptau")
    T.contribute(workdir / "w0.ptau", workdir / "w1.ptau", name="warm-up")
    T.prepare(workdir / "w1.ptau", workdir / "w2.ptau")
    inputs = {}
    for power in POWERS:
        T.new(power, workdir / f"p{power}_0.ptau")
        T.contribute(workdir / f"p{power}_0.ptau", workdir / f"p{power}_1.ptau", name="bench input")
        inputs[power] = workdir / f"p{power}_1.ptau"
    return inputs


@pytest.mark.parametrize("power", POWERS, ids=[f"2^{p}" for p in POWERS])
def test_ptau_contribute(benchmark, workdir, ptau_inputs, power):
    from zk.ceremony import powersoftau as T

    source, d = ptau_inputs[power], workdir
    _, ours = _inprocess(T.contribute, source, d / f"c{power}_in.ptau", name="bench")
    cli = _command(ZK + ["ptau", "contribute", source, d / f"c{power}_zk.ptau", "--name", "bench", "-e", "x"], d)
    theirs = _command([peers.SNARKJS, "powersoftau", "contribute", source, d / f"c{power}_sj.ptau", "--name=bench",
                       "-e=bench entropy"], d)
    step = _snarkjs_step("ptau-contribute", [source, d / f"c{power}_sjstep.ptau", "bench", "bench entropy"], d)
    _command([peers.SNARKJS, "powersoftau", "verify", d / f"c{power}_zk.ptau"], d)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    _row("ptau contribute", f"2^{power}", ours, cli, step, theirs)


@pytest.mark.parametrize("power", POWERS, ids=[f"2^{p}" for p in POWERS])
def test_ptau_prepare(benchmark, workdir, ptau_inputs, power):
    from zk.ceremony import powersoftau as T

    source, d = ptau_inputs[power], workdir
    _, ours = _inprocess(T.prepare, source, d / f"f{power}_in.ptau")
    cli = _command(ZK + ["ptau", "prepare", source, d / f"f{power}_zk.ptau"], d)
    theirs = _command([peers.SNARKJS, "powersoftau", "prepare", "phase2", source, d / f"f{power}_sj.ptau"], d)
    step = _snarkjs_step("ptau-prepare", [source, d / f"f{power}_sjstep.ptau"], d)
    expected = (d / f"f{power}_sj.ptau").read_bytes()
    for made in ("zk", "in", "sjstep"):
        assert (d / f"f{power}_{made}.ptau").read_bytes() == expected, made
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    _row("ptau prepare", f"2^{power}", ours, cli, step, theirs)


# ---------------------------------------------------------------------------------------------
# Phase 2


@pytest.fixture(scope="module")
def prepared_ptau():
    """A prepared powers of tau covering every size of this run, made with `zk ptau` once and
    cached in ZK_PTAU_DIR (default ~/.cache/zk-bench) as zk-pot{power}.ptau."""
    power = max(LOGS)
    path = peers.ptau_dir() / f"zk-pot{power}.ptau"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    work = path.parent / f"zk-pot{power}-work"
    work.mkdir(exist_ok=True)
    _command(ZK + ["ptau", "new", power, work / "pot0.ptau"], work)
    _command(ZK + ["ptau", "contribute", work / "pot0.ptau", work / "pot1.ptau", "--name", "bench", "-e", "b"], work)
    _command(ZK + ["ptau", "prepare", work / "pot1.ptau", path], work)
    shutil.rmtree(work, ignore_errors=True)
    return path


PHASE2: dict = {}


def _phase2_inputs(log_size, workdir, prepared_ptau):
    """The circuit, the ptau and the initial key of one size, made once for the three phase-2
    tests (zk's in-process setup, untimed; test_groth16_setup checks it equals snarkjs's bytes),
    so that `-k contribute` or `-k verify` times its step without the others."""
    if log_size in PHASE2:
        return PHASE2[log_size]
    from zk.ceremony import phase2
    from zk.formats import zkey as Z
    from zk.formats.ptau import read_ptau

    d = workdir / f"phase2_{log_size}"
    d.mkdir()
    exp = C.export(KIND, log_size, d)
    print(f"\n{exp.name}: {exp.n_constraints} constraints, {exp.n_wires} wires, ptau {prepared_ptau.name}")
    pot = read_ptau(prepared_ptau)
    init = phase2.new_zkey(exp.r1cs, pot)  # untimed: also compiles the kernels (once per install)
    Z.write_zkey(init, d / "init.zkey", order=Z.SETUP_ORDER)
    PHASE2[log_size] = (d, exp, prepared_ptau, pot, init)
    return PHASE2[log_size]


@pytest.mark.parametrize("log_size", LOGS, ids=[f"2^{k}" for k in LOGS])
def test_groth16_setup(benchmark, workdir, prepared_ptau, log_size):
    from zk.ceremony import phase2

    d, exp, ptau, pot, _ = _phase2_inputs(log_size, workdir, prepared_ptau)
    _, ours = _inprocess(phase2.new_zkey, exp.r1cs, pot)
    cli = _command(ZK + ["groth16", "setup", exp.r1cs, ptau, d / "zk0.zkey"], d)
    theirs = _command([peers.SNARKJS, "groth16", "setup", exp.r1cs, ptau, d / "sj0.zkey"], d)
    step = _snarkjs_step("groth16-setup", [exp.r1cs, ptau, d / "sjstep0.zkey"], d)
    expected = (d / "init.zkey").read_bytes()
    for made in ("sj0", "zk0", "sjstep0"):
        assert (d / f"{made}.zkey").read_bytes() == expected, made
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    _row("groth16 setup", f"2^{log_size} {KIND}", ours, cli, step, theirs)


@pytest.mark.parametrize("log_size", LOGS, ids=[f"2^{k}" for k in LOGS])
def test_zkey_contribute(benchmark, workdir, prepared_ptau, log_size):
    from zk.ceremony import phase2
    from zk.formats import zkey as Z

    d, _, _, _, init = _phase2_inputs(log_size, workdir, prepared_ptau)
    # Warm up on a key read from the file, like the timed one: its arrays are read-only views of
    # the mapped file, which numba compiles for apart from the writable ones setup returns.
    phase2.contribute(Z.read_zkey(d / "init.zkey"), entropy="warm-up")
    start = Z.read_zkey(d / "init.zkey")
    _, ours = _inprocess(phase2.contribute, start, entropy="bench")
    cli = _command(ZK + ["zkey", "contribute", d / "init.zkey", d / "zk1.zkey", "--name", "b", "-e", "bench"], d)
    theirs = _command([peers.SNARKJS, "zkey", "contribute", d / "init.zkey", d / "sj1.zkey", "--name=b", "-e=bench"], d)
    step = _snarkjs_step("zkey-contribute", [d / "init.zkey", d / "sjstep1.zkey", "b", "bench"], d)
    # Our output follows from the initial key: its proof of knowledge and delta chain hold, and C
    # and H are the initial key's divided by the new delta (test_zkey_verify has snarkjs check it).
    ours_out = Z.read_zkey(d / "zk1.zkey")
    assert len(phase2.verify_chain(ours_out)) == 1
    assert phase2._combined_same_ratio(init.c, ours_out.c, init.delta_g2, ours_out.delta_g2)
    assert phase2._combined_same_ratio(init.h, ours_out.h, init.delta_g2, ours_out.delta_g2)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    _row("zkey contribute", f"2^{log_size} {KIND}", ours, cli, step, theirs)


@pytest.mark.parametrize("log_size", LOGS, ids=[f"2^{k}" for k in LOGS])
def test_zkey_verify(benchmark, workdir, prepared_ptau, log_size):
    from zk.ceremony import phase2
    from zk.formats import zkey as Z

    d, exp, ptau, pot, init = _phase2_inputs(log_size, workdir, prepared_ptau)
    if not (d / "zk1.zkey").is_file():  # run alone: make our contribution here, untimed
        out, _ = phase2.contribute(init, entropy="bench")
        Z.write_zkey(out, d / "zk1.zkey")
    sj = peers.SNARKJS
    _command([sj, "zkey", "beacon", d / "zk1.zkey", d / "final.zkey", BEACON, "10"], d)
    final = Z.read_zkey(d / "final.zkey")
    phase2.verify(exp.r1cs, pot, final)  # untimed: compiles the MSM and pairing kernels
    _, ours = _inprocess(phase2.verify, exp.r1cs, pot, final)
    cli = _command(ZK + ["zkey", "verify", exp.r1cs, ptau, d / "final.zkey"], d)
    theirs = _command([sj, "zkey", "verify", exp.r1cs, ptau, d / "final.zkey"], d)  # also checks our contribution
    step = _snarkjs_step("zkey-verify", [exp.r1cs, ptau, d / "final.zkey"], d)  # exits 1 unless valid
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    _row("zkey verify", f"2^{log_size} {KIND}", ours, cli, step, theirs)
