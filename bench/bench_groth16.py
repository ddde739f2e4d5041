"""Groth16 setup / prove / verify, ours beside snarkjs on the same .r1cs/.wtns in the same run.

Run (default sizes 2^10..2^12, ZK_BENCH_MAX_LOG=12):
    make bench
    .venv/bin/python -m pytest bench/bench_groth16.py --benchmark-only -q -s
All sizes up to 2^16 (needs a power-16 ptau: `make ptau`, 20-60 min once), or the 2^16 row alone:
    ZK_BENCH_MAX_LOG=16 .venv/bin/python -m pytest bench/bench_groth16.py --benchmark-only -q -s
    ZK_BENCH_LOGS=16 .venv/bin/python -m pytest bench/bench_groth16.py --benchmark-only -q -s

Environment:
    ZK_BENCH_MIN_LOG / ZK_BENCH_MAX_LOG   sizes 2^min..2^max, even steps from min (default 10..12)
    ZK_BENCH_LOGS=10,16                   explicit sizes instead
    ZK_BENCH_CIRCUITS=mul,poseidon        which circuits (bench/groth16_circuits.py)
    ZK_BENCH_PREPARE_PTAU=1               prepare a missing ptau of any power (default: only <= 12,
                                          larger ones are skipped with the command to make them)
    ZK_PTAU_DIR                           ptau cache (default ~/.cache/zk-bench)
    ZK_BENCH_COLD=1                       also measure a cold compile (empty numba cache; minutes)
    ZK_BENCH_FRESH_SETUP=1                run snarkjs's setup again instead of reusing the zkey cached
                                          (with its measured time) in $ZK_PTAU_DIR/zkeys: its setup
                                          is slow on dense circuits (Poseidon 2^16: ~6 min)
    ZK_BENCH_TABLE=path.md                also write the summary table there

"2^k" is the evaluation domain: the circuit has 2^k - 3 constraints (2 public signals + the
constant take the other rows), so 2^16 fits a power-16 ptau.

Ours: in-process ``zk.groth16`` with warm numba caches (best of several rounds); the first call
in the process is reported apart, and a cold compile (empty numba cache, in a subprocess) once.
snarkjs: ``groth16 setup`` + one ``zkey contribute`` (CLI wall time; our setup also picks delta);
prove and verify both as CLI wall time and in-process (bench/peers.py NodePeer: one node process
with snarkjs, the zkey and the witness loaded; its first call, which builds the wasm curve, is
reported apart; its calls alternate with ours so both see the same load). Ratios use the
in-process figures: ratio = our time / snarkjs time (below 1: we are faster). All times are wall
clock, best of the rounds; the load column is the 1-minute load average (2 cores, shared).
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import groth16_circuits as C  # noqa: E402
import peers  # noqa: E402

from zk.formats.circom import read_r1cs, read_wtns  # noqa: E402

try:
    from zk.groth16 import prove, setup, verify, verify_batch
    OURS_MISSING = None
except ImportError as exc:  # the prover landed after this harness; keep the snarkjs side usable
    OURS_MISSING = f"zk.groth16 not available ({exc})"

ROOT = Path(__file__).resolve().parent.parent
AUTO_PTAU_MAX = 12
FRESH_SETUP = os.environ.get("ZK_BENCH_FRESH_SETUP") == "1"
BATCH = 64
PROVE_BAR = "<= 0.5x snarkjs at 2^16 (goal 0.25x)"
VERIFY_BAR = "<= 10 ms (goal 3 ms)"


def _sizes() -> list[int]:
    if os.environ.get("ZK_BENCH_LOGS"):
        return sorted({int(x) for x in os.environ["ZK_BENCH_LOGS"].split(",") if x.strip()})
    low = int(os.environ.get("ZK_BENCH_MIN_LOG", "10"))
    high = int(os.environ.get("ZK_BENCH_MAX_LOG", "12"))
    return list(range(low, high + 1, 2)) + ([high] if (high - low) % 2 else [])


SIZES = _sizes()
KINDS = [k.strip() for k in os.environ.get("ZK_BENCH_CIRCUITS", ",".join(C.KINDS)).split(",") if k.strip()]


def _rounds(log_size: int) -> int:
    return 5 if log_size <= 12 else 3


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours and theirs else "-"


@dataclass
class Row:
    log_size: int
    kind: str
    constraints: int = 0
    ours_setup: float | None = None
    ours_prove: float | None = None
    ours_prove_first: float | None = None
    ours_verify: float | None = None
    snark_setup: float | None = None
    snark_prove: float | None = None
    snark_prove_first: float | None = None
    snark_prove_cli: float | None = None
    snark_verify: float | None = None
    snark_verify_cli: float | None = None
    snark_peak_mib: float | None = None
    snark_setup_cached: bool = False
    load: float | None = None  # 1-minute load average when the row started (the machine is shared)
    notes: list[str] = field(default_factory=list)


ROWS: dict[tuple[int, str], Row] = {}
EXTRA_LINES: list[str] = []


def _table() -> str:
    head = ("| size (constraints) | circuit | load | ours setup | ours prove | ours verify | snarkjs setup (CLI) "
            "| snarkjs prove in-process (CLI) | snarkjs verify in-process (CLI) | prove ours/snarkjs "
            "| verify ours/snarkjs |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for (log_size, kind), r in sorted(ROWS.items()):
        lines.append(
            f"| 2^{log_size} ({r.constraints}) | {kind} | {r.load:.1f} | {_fmt(r.ours_setup)} | {_fmt(r.ours_prove)} "
            f"| {_fmt(r.ours_verify)} | {_fmt(r.snark_setup)}{'*' if r.snark_setup_cached else ''} | {_fmt(r.snark_prove)} ({_fmt(r.snark_prove_cli)}) "
            f"| {_fmt(r.snark_verify)} ({_fmt(r.snark_verify_cli)}) | {_ratio(r.ours_prove, r.snark_prove)} "
            f"| {_ratio(r.ours_verify, r.snark_verify)} |")
    notes = [f"- 2^{r.log_size} {r.kind}: {n}" for (_, _), r in sorted(ROWS.items()) for n in r.notes]
    if any(r.snark_setup_cached for r in ROWS.values()):
        notes.append("- *: snarkjs setup measured in an earlier run, key reused from the cache "
                     "(ZK_BENCH_FRESH_SETUP=1 measures it again)")
    return "\n".join(lines + ([""] + notes if notes else []) + ([""] + EXTRA_LINES if EXTRA_LINES else []))


@pytest.fixture(scope="module", autouse=True)
def summary_table():
    yield
    if not ROWS and not EXTRA_LINES:
        return
    text = _table()
    print("\n\nGroth16, ours vs snarkjs (ratio = our time / snarkjs in-process time; best of rounds)\n" + text)
    if os.environ.get("ZK_BENCH_TABLE"):
        Path(os.environ["ZK_BENCH_TABLE"]).write_text(text + "\n")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("groth16")


_EXPORTS: dict[tuple[str, int], C.Exported] = {}


def _exported(kind: str, log_size: int, workdir: Path) -> C.Exported:
    if (kind, log_size) not in _EXPORTS:
        _EXPORTS[kind, log_size] = C.export(kind, log_size, workdir)
    return _EXPORTS[kind, log_size]


def _ptau_for(log_size: int) -> Path:
    """A cached ptau covering 2^log_size, prepared now if small (or allowed), else PeerUnavailable."""
    peers.require_snarkjs()
    found = peers.find_ptau(log_size)
    if found:
        return found
    if log_size <= AUTO_PTAU_MAX or os.environ.get("ZK_BENCH_PREPARE_PTAU") == "1":
        return peers.prepare_ptau(max(log_size, AUTO_PTAU_MAX), log=lambda m: print("\n" + m, flush=True))
    raise peers.PeerUnavailable(
        f"no powers-of-tau file for 2^{log_size} in {peers.ptau_dir()}: snarkjs comparison skipped at this size. "
        f"Prepare it once with `make ptau` (power 16: 20-60 min on 2 cores, once) or "
        f"`scripts/prepare_ptau.sh {max(log_size, 16)}`, or rerun with ZK_BENCH_PREPARE_PTAU=1.")


def _best_of(fn, rounds: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


_OURS_KEYS: dict[tuple[str, int], tuple] = {}
_SNARK: dict[tuple[str, int], peers.SnarkjsRun] = {}


@pytest.mark.parametrize("log_size", SIZES, ids=[f"2^{k}" for k in SIZES])
@pytest.mark.parametrize("kind", KINDS)
def test_groth16_vs_snarkjs(benchmark, report, workdir, kind, log_size):
    exp = _exported(kind, log_size, workdir)
    row = ROWS.setdefault((log_size, kind), Row(log_size, kind, exp.n_constraints, load=os.getloadavg()[0]))
    print(f"\n{exp.name}: {exp.n_constraints} constraints, {exp.n_wires} wires, "
          f"built and exported by our API in {exp.build_seconds:.1f} s; load average {row.load:.1f}")

    snark = None
    try:
        ptau = _ptau_for(log_size)
        snark = _SNARK[kind, log_size] = peers.run_circuit(exp.r1cs, exp.wtns, ptau, workdir / "snarkjs",
                                                           reuse_setup=not FRESH_SETUP)
        row.snark_setup, row.snark_prove_cli, row.snark_verify_cli = snark.setup_s, snark.prove_cli_s, snark.verify_cli_s
        row.snark_setup_cached = snark.setup_reused
        print(f"snarkjs ({ptau.name}), CLI: setup {_fmt(snark.setup_s)} (groth16 setup + zkey contribute "
              f"{_fmt(snark.contribute_s)}{'; key and times cached from an earlier run' if snark.setup_reused else ''}); "
              f"prove {_fmt(snark.prove_cli_s)}; verify {_fmt(snark.verify_cli_s)}")
    except peers.PeerUnavailable as exc:
        row.notes.append(str(exc))
        print(f"SKIP snarkjs: {exc}")

    if OURS_MISSING:
        row.notes.append(OURS_MISSING)
        if snark is not None:
            with snark.peer(exp.wtns) as peer:
                row.snark_prove_first = peer.prove()
                row.snark_prove = min(peer.prove() for _ in range(_rounds(log_size)))
                peer.verify()
                row.snark_verify = min(peer.verify() for _ in range(20))
        pytest.skip(OURS_MISSING + ("" if snark is None else "; snarkjs figures are in the table"))

    cs = read_r1cs(exp.r1cs)
    witness = read_wtns(exp.wtns)
    start = time.perf_counter()
    pk, vk = setup(cs)
    row.ours_setup = time.perf_counter() - start
    start = time.perf_counter()
    proof, public = prove(pk, witness)
    row.ours_prove_first = time.perf_counter() - start
    assert public == list(exp.public)
    assert verify(vk, public, proof)

    rounds = _rounds(log_size)
    with contextlib.ExitStack() as stack:
        peer = stack.enter_context(snark.peer(exp.wtns)) if snark else None
        snark_prove, snark_verify, ours_verify = [], [], []
        if peer:
            row.snark_prove_first = peer.prove()
        # One snarkjs call before each of our rounds (pedantic's untimed setup hook): both provers
        # see the same load on this shared machine.
        proof, public = benchmark.pedantic(
            prove, args=(pk, witness), rounds=rounds, iterations=1,
            setup=(lambda: snark_prove.append(peer.prove())) if peer else None)
        row.ours_prove = benchmark.stats.stats.min
        assert verify(vk, public, proof)
        if peer:
            peer.verify()  # first call builds snarkjs's curve objects for verification
        for _ in range(20):
            start = time.perf_counter()
            ok = verify(vk, public, proof)
            ours_verify.append(time.perf_counter() - start)
            assert ok
            if peer:
                snark_verify.append(peer.verify())
        row.ours_verify = min(ours_verify)
        if peer:
            row.snark_prove, row.snark_verify = min(snark_prove), min(snark_verify)
            rss = peer.max_rss_kb() / 1024
            row.snark_peak_mib = rss
    _OURS_KEYS[kind, log_size] = (pk, vk, proof, public, witness)

    if snark is not None:
        _cross_check(vk, proof, public, snark, workdir / "cross" / exp.name)
        print(f"snarkjs in-process: prove {_fmt(row.snark_prove)} (first call {_fmt(row.snark_prove_first)}), "
              f"verify {_fmt(row.snark_verify)}; peak RSS of the node process {row.snark_peak_mib:.0f} MiB")
    print(f"ours: setup {_fmt(row.ours_setup)} (one call); prove first call {_fmt(row.ours_prove_first)} "
          f"(numba disk cache warm, includes loading it)")
    report(f"prove {exp.name} ours vs snarkjs in-process", row.ours_prove * 1e9,
           None if row.snark_prove is None else row.snark_prove * 1e9, reference="snarkjs", bar=PROVE_BAR,
           benchmark=benchmark, extra=f"ratio ours/snarkjs {_ratio(row.ours_prove, row.snark_prove)}")
    report(f"verify {exp.name} ours vs snarkjs in-process", row.ours_verify * 1e9,
           None if row.snark_verify is None else row.snark_verify * 1e9, reference="snarkjs", bar=VERIFY_BAR,
           benchmark=benchmark, extra=f"ratio ours/snarkjs {_ratio(row.ours_verify, row.snark_verify)}")


def _cross_check(vk, proof, public, snark: peers.SnarkjsRun, directory: Path) -> None:
    """Our proof verifies in snarkjs and snarkjs's proof in ours (each under its own key): the
    two provers are doing the same job on the same files, not merely running."""
    from zk.formats import snarkjs as SJ

    directory.mkdir(parents=True, exist_ok=True)
    SJ.write_vkey(vk, directory / "vkey.json")
    SJ.write_proof(proof, directory / "proof.json")
    SJ.write_public(public, directory / "public.json")
    assert peers.verify_json(directory / "vkey.json", directory / "public.json", directory / "proof.json"), \
        "snarkjs rejects our proof"
    their_vk, their_proof = SJ.read_vkey(snark.vkey), SJ.read_proof(snark.proof)
    assert verify(their_vk, SJ.read_public(snark.public), their_proof), "we reject snarkjs's proof"


def test_batch_verify_64(benchmark, report, workdir):
    """64 proofs under one key: verify_batch once vs 64 single verifications (and snarkjs's 64)."""
    # Verification cost depends on the number of public inputs, not on the circuit's size.
    log_size, kind = 10, "mul"
    exp = _exported(kind, log_size, workdir)
    snark = _SNARK.get((kind, log_size))
    if snark is None:
        try:
            snark = peers.run_circuit(exp.r1cs, exp.wtns, _ptau_for(log_size), workdir / "snarkjs-batch",
                                      reuse_setup=not FRESH_SETUP)
        except peers.PeerUnavailable as exc:
            print(f"\nSKIP snarkjs: {exc}")
    if OURS_MISSING:
        pytest.skip(OURS_MISSING)

    if (kind, log_size) in _OURS_KEYS:
        pk, vk, _, _, witness = _OURS_KEYS[kind, log_size]
    else:
        pk, vk = setup(read_r1cs(exp.r1cs))
        witness = read_wtns(exp.wtns)
    items = [prove(pk, witness)[::-1] for _ in range(BATCH)]  # (public, proof) pairs
    assert verify_batch(vk, items)
    with contextlib.ExitStack() as stack:
        peer = stack.enter_context(snark.peer(exp.wtns)) if snark else None
        snark_times, singles = [], []
        if peer:
            peer.verify()

        def between_rounds():
            start = time.perf_counter()
            assert all([verify(vk, pub, proof) for pub, proof in items])
            singles.append(time.perf_counter() - start)
            if peer:
                snark_times.append(peer.verify(BATCH))

        benchmark.pedantic(lambda: verify_batch(vk, items), rounds=5, iterations=1, setup=between_rounds)
    batch_s, singles_s = benchmark.stats.stats.min, min(singles)
    snark_s = min(snark_times) if snark_times else None
    line = (f"verify {BATCH} proofs (2^{log_size} {kind}): ours batch {_fmt(batch_s)}, ours {BATCH} singles "
            f"{_fmt(singles_s)} ({singles_s / batch_s:.1f}x), snarkjs {BATCH} singles in-process {_fmt(snark_s)}")
    EXTRA_LINES.append("- " + line)
    report(f"batch verify {BATCH} ours vs {BATCH} single", batch_s * 1e9, singles_s * 1e9, reference="ours single",
           benchmark=benchmark, extra=line)


_MEMORY_SCRIPT = textwrap.dedent("""
    import json, sys, time
    from zk.formats.circom import read_wtns
    from zk.formats import keyfile
    from zk.groth16 import prove
    def hwm_kib():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    pk = keyfile.load(sys.argv[1])
    witness = read_wtns(sys.argv[2])
    loaded = hwm_kib()
    prove(pk, witness)  # first call: loads the numba caches
    start = time.perf_counter()
    prove(pk, witness)
    print(json.dumps({"loaded_kib": loaded, "peak_kib": hwm_kib(), "prove_s": time.perf_counter() - start}))
""")


def test_prove_peak_memory(benchmark, report, workdir):
    """Peak RSS of proving at the largest selected size, in a fresh process (tracemalloc does not
    see numpy/numba allocations): the key loaded from our key file, then two proofs. VmHWM rather
    than ru_maxrss: Linux keeps ru_maxrss across execve, so a child forked from this big pytest
    process would report the parent's size."""
    if OURS_MISSING:
        pytest.skip(OURS_MISSING)
    from zk.formats import keyfile

    log_size, kind = SIZES[-1], "mul"
    exp = _exported(kind, log_size, workdir)
    if (kind, log_size) in _OURS_KEYS:
        pk = _OURS_KEYS[kind, log_size][0]
    else:
        pk, _ = setup(read_r1cs(exp.r1cs))
    key_path = workdir / f"{exp.name}.pk"
    keyfile.save(pk, key_path)
    env = dict(os.environ, NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")))

    def measure():
        done = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(key_path), str(exp.wtns)],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    peak_mib, loaded_mib = result["peak_kib"] / 1024, result["loaded_kib"] / 1024
    line = (f"peak RSS proving 2^{log_size} {kind} (key file {key_path.stat().st_size / 2**20:.0f} MiB): "
            f"{peak_mib:.0f} MiB (VmHWM; {loaded_mib:.0f} MiB after loading key + witness, "
            f"numba and numpy included)")
    row = ROWS.get((log_size, kind))
    if row is not None and row.snark_peak_mib is not None:
        line += (f"; snarkjs node process (zkey + witness in memory, {_rounds(log_size) + 1} proofs, "
                 f"21 verifications) {row.snark_peak_mib:.0f} MiB")
    EXTRA_LINES.append("- " + line)
    print("\n" + line)
    benchmark.extra_info["peak_rss_mib"] = peak_mib


_COLD_SCRIPT = textwrap.dedent("""
    import json, sys, time
    t = time.perf_counter()
    from zk.formats.circom import read_r1cs, read_wtns
    from zk.groth16 import prove, setup, verify
    out = {"import_s": time.perf_counter() - t}
    cs, witness = read_r1cs(sys.argv[1]), read_wtns(sys.argv[2])
    for name, fn in [("setup", lambda: setup(cs)), ("prove", lambda: prove(keys[0], witness)),
                     ("verify", lambda: verify(keys[1], proved[1], proved[0]))]:
        timings = []
        for _ in range(2):
            t = time.perf_counter()
            result = fn()
            timings.append(time.perf_counter() - t)
        if name == "setup":
            keys = result
        elif name == "prove":
            proved = result
        else:
            assert result
        out[name] = timings
    print(json.dumps(out))
""")


@pytest.mark.skipif(os.environ.get("ZK_BENCH_COLD") != "1", reason="cold compile (minutes): ZK_BENCH_COLD=1")
def test_cold_compile(benchmark, workdir):
    """First calls with an empty numba cache (what a fresh install pays once), 2^10 circuit."""
    if OURS_MISSING:
        pytest.skip(OURS_MISSING)
    exp = _exported("mul", 10, workdir)
    with tempfile.TemporaryDirectory(prefix="zk-cold-numba-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)

        def cold():
            done = subprocess.run([sys.executable, "-c", _COLD_SCRIPT, str(exp.r1cs), str(exp.wtns)],
                                  capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
            assert done.returncode == 0, done.stderr[-3000:]
            return json.loads(done.stdout.strip().splitlines()[-1])

        result = benchmark.pedantic(cold, rounds=1, iterations=1)
    parts = [f"import {result['import_s']:.1f} s"]
    for name in ("setup", "prove", "verify"):
        first, second = result[name]
        parts.append(f"{name} {first:.1f} s first call ({second:.2f} s second, so ~{first - second:.1f} s compile)")
    line = "cold numba cache, 2^10 mul: " + "; ".join(parts)
    EXTRA_LINES.append("- " + line)
    print("\n" + line)
