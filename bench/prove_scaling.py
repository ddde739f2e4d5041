"""Prove time against circuit size for zk, rapidsnark, snarkjs and groth16py, drawn as a PNG.

    .venv/bin/python bench/prove_scaling.py --logs 10,12,14,16 --out docs/prove_scaling.png
    RAPIDSNARK=/path/to/rapidsnark/prover .venv/bin/python bench/prove_scaling.py ...

Circuits: the ``mul`` chain of bench/groth16_circuits.py (domain exactly 2^k). Every prover uses
the same key: ours, written as a .zkey for rapidsnark and snarkjs (so no powers of tau are
needed at any size); groth16py (arkworks through PyO3, in-process) makes its own key from the
same .r1cs. Figures per size come from one call of :func:`zk.perf.bench.bench_circuit` plus
groth16py's timings, interleaved, so all see the same machine load (recorded with them: on a
shared machine compare the ratios). The raw figures go to a JSON file beside the PNG.

Large sizes (2^18, 2^20) with ``--keys DIR``: every step is a separate process under GNU time
(wall, CPU of all threads, peak RSS), and the files are kept in DIR/mul_<k>/ and reused by a
later run (a 2^20 setup costs minutes):

    RAPIDSNARK=/path/to/prover .venv/bin/python bench/prove_scaling.py --keys /tmp/zk-scale --logs 18,20 \
        --rounds 2 --json bench/results_scale.json

per size: the circuit compiled, its witness solved (the compiled solver) and both written
(``build``: compile, ``cs.solve`` with the compiled solver, writing); ``zk setup`` (``setup``); ``zk zkey from-pk`` (``zkey``: our key as the .zkey that
rapidsnark reads); then ``--rounds`` rounds alternating ``zk prove`` (the whole command, key
mapped; one unmeasured first, which validates the whole key once: ``first zk prove``),
rapidsnark on the .zkey, and one proof in a fresh Python process (``in_process``: key
read into memory, one proof first to load the kernels, then one timed with
``time.perf_counter``/``time.process_time``; the process's peak RSS beside it). Every proof is
checked with ``zk verify`` against the setup's verification key. snarkjs and groth16py are not
run here (their setups take hours at these sizes).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# numba reads its cache location when it is first imported: before any zk import.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".numba_cache"))

from groth16_circuits import export  # noqa: E402

from zk.formats.circom import read_r1cs, read_wtns  # noqa: E402
from zk.perf.bench import bench_circuit, zk_command  # noqa: E402
from zk.perf.process import run_measured  # noqa: E402

BENCH = Path(__file__).resolve().parent

BUILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from groth16_circuits import make_circuit, target_constraints, INPUT_X
from zk.formats.circom import write_r1cs, write_wtns
from zk.r1cs import compile
log, base = int(sys.argv[2]), sys.argv[3]
t = {}
start = time.perf_counter(); cpu = time.process_time()
cs = compile(make_circuit("mul", log))
assert cs.n_constraints == target_constraints(log), cs.n_constraints
t["compile_s"], t["compile_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu
start = time.perf_counter(); cpu = time.process_time()
witness = cs.solve({"x": INPUT_X})
t["solve_s"], t["solve_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu
start = time.perf_counter(); cpu = time.process_time()
write_r1cs(cs, base + ".r1cs")
write_wtns(witness, base + ".wtns")
t["write_s"], t["write_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu
t.update(constraints=cs.n_constraints, wires=len(witness))
print(json.dumps(t))
"""

IN_PROCESS = """
import json, sys, time
from zk.formats import keyfile
from zk.formats.circom import read_wtns_scalars
from zk.groth16 import prove
pk = keyfile.load(sys.argv[1], deep=False)
witness = read_wtns_scalars(sys.argv[2])
prove(pk, witness)
wall, cpu = time.perf_counter(), time.process_time()
prove(pk, witness)
print(json.dumps({"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}))
"""


def groth16py_times(r1cs: Path, wtns: Path, rounds: int) -> dict | None:
    try:
        import groth16py
    except ImportError:
        return None
    start = time.perf_counter()
    keys = groth16py.setup(str(r1cs))
    setup_s = time.perf_counter() - start
    pk = keys[0] if isinstance(keys, tuple) else keys
    groth16py.prove_wtns(pk, str(wtns))  # first call: thread pool and tables
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        groth16py.prove_wtns(pk, str(wtns))
        times.append(time.perf_counter() - start)
    return {"setup_s": setup_s, "prove_s": min(times)}


def plot(results: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {
        "zk prove (whole process)": lambda r: r["zk"].get("prove_cli_s"),
        "zk prove (in-process)": lambda r: r["zk"].get("prove_s"),
        "rapidsnark (whole process)": lambda r: r["peers"].get("rapidsnark", {}).get("prove_cli_s"),
        "snarkjs groth16 prove (whole process)": lambda r: r["peers"].get("snarkjs", {}).get("prove_cli_s"),
        "groth16py / arkworks (in-process)": lambda r: (r.get("groth16py") or {}).get("prove_s"),
    }
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, get in series.items():
        points = [(r["domain"], get(r)) for r in results if get(r)]
        if points:
            ax.plot(*zip(*points), marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("constraints (evaluation domain 2^k)")
    ax.set_ylabel("prove time, s (best of the run)")
    loads = ", ".join(f"{r['load_average'][0]:.1f}" for r in results)
    ax.set_title(f"Groth16 prove time, mul chain (load average per size: {loads})", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def _figures(done, what: str) -> dict:
    if done.returncode != 0:
        raise SystemExit(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout)[-600:]}")
    return {"wall_s": round(done.seconds, 3), "cpu_s": done.cpu_s, "rss_mib": round(done.peak_rss_mib or 0, 1),
            "load": round(os.getloadavg()[0], 2)}


def _step(name: str, command: list[str], say) -> dict:
    say(f"{name}: {' '.join(command[-4:])}")
    figures = _figures(run_measured(command, timeout=4 * 3600), name)
    say(f"  {name}: {figures['wall_s']:.2f} s wall, {figures['cpu_s']:.2f} s CPU, {figures['rss_mib']:.0f} MiB, "
        f"load {figures['load']:.1f}")
    return figures


def large_size(log: int, keys: Path, rounds: int, rapidsnark: str | None, say) -> dict:
    """One size as separate processes, files kept in ``keys``/mul_<log> and reused (with the
    figures of the run that made them, in files.json there)."""
    d = keys / f"mul_{log}"
    d.mkdir(parents=True, exist_ok=True)
    base, pk, zkey, vk = d / f"mul_{log}", d / "circuit.pk", d / "circuit.zkey", d / "vk.json"
    made_file = d / "files.json"
    made = json.loads(made_file.read_text()) if made_file.exists() else {}
    zk = zk_command()
    if "build" not in made:
        done = run_measured([sys.executable, "-c", BUILD, str(BENCH), str(log), str(base)], timeout=4 * 3600)
        made["build"] = {**_figures(done, "build"), **json.loads(done.stdout.splitlines()[-1])}
        say(f"build: {made['build']}")
    if "setup" not in made:
        made["setup"] = _step("zk setup", [*zk, "setup", "-v", f"{base}.r1cs", str(pk), "--vkey", str(vk)], say)
    if "zkey" not in made:
        made["zkey"] = _step("zk zkey from-pk", [*zk, "zkey", "from-pk", str(pk), str(zkey)], say)
    made["bytes"] = {p.name: p.stat().st_size for p in (pk, zkey, base.with_suffix(".r1cs"), base.with_suffix(".wtns"))}
    made_file.write_text(json.dumps(made, indent=1))
    wtns = base.with_suffix(".wtns")
    runs = {"zk prove": [*zk, "prove", str(pk), str(wtns), str(d / "p.json"), str(d / "pub.json")],
            "in_process": [sys.executable, "-c", IN_PROCESS, str(pk), str(wtns)]}
    if rapidsnark:
        runs["rapidsnark"] = [rapidsnark, str(zkey), str(wtns), str(d / "rp.json"), str(d / "rpub.json")]
    figures: dict = {name: [] for name in runs}
    # The first `zk prove` of a key validates every point and records its digest (under
    # ZK_VALIDATED_KEYS, set to KEYS/validated in main); later ones check its digest only.
    figures["first zk prove"] = [_step("first zk prove", runs["zk prove"], say)]
    for r in range(rounds):
        for name, command in runs.items():
            done = run_measured(command, timeout=4 * 3600)
            row = _figures(done, name)
            if name == "in_process":
                row["process"] = {k: row.pop(k) for k in ("wall_s", "cpu_s")}
                row.update(json.loads(done.stdout.splitlines()[-1]))
            figures[name].append(row)
            say(f"round {r}: {name}: {row}")
    for proof, public in ((d / "p.json", d / "pub.json"), (d / "rp.json", d / "rpub.json")):
        if proof.exists():
            _figures(run_measured([*zk, "verify", str(vk), str(public), str(proof)]), f"zk verify {proof.name}")
    return {"log": log, "files": made, "prove": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", default="10,12,14", help="sizes 2^k, comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default="docs/prove_scaling.png")
    parser.add_argument("--peers-max-log", type=int, default=16,
                        help="run snarkjs and groth16py up to this size only (their setup/prove take minutes beyond)")
    parser.add_argument("--append", action="store_true", help="add to the figures already in OUT's .json")
    parser.add_argument("--keys", default=None,
                        help="large sizes: every step a separate process, files kept and reused in KEYS/mul_<k>/ (no plot)")
    parser.add_argument("--json", default=None, help="with --keys: write the raw figures here")
    args = parser.parse_args()
    if args.keys:
        say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
        os.environ.setdefault("ZK_VALIDATED_KEYS", str(Path(args.keys) / "validated"))
        results = {"rapidsnark": os.environ.get("RAPIDSNARK"), "cpus": os.cpu_count(), "sizes": []}
        for log in (int(x) for x in args.logs.split(",")):
            results["sizes"].append(large_size(log, Path(args.keys), args.rounds, os.environ.get("RAPIDSNARK"), say))
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1))
        print(json.dumps(results))
        return
    png = Path(args.out)
    results = json.loads(png.with_suffix(".json").read_text()) if args.append else []
    with tempfile.TemporaryDirectory(prefix="zk-scaling-") as tmp:
        for log in (int(x) for x in args.logs.split(",")):
            exported = export("mul", log, Path(tmp) / f"mul_{log}")
            print(f"2^{log}: {exported.n_constraints} constraints", file=sys.stderr, flush=True)
            small = log <= args.peers_max_log
            result = bench_circuit(read_r1cs(exported.r1cs), read_wtns(exported.wtns), Path(tmp) / f"run_{log}",
                                   rounds=args.rounds, cli_rounds=args.rounds, snarkjs=None if small else "",
                                   log=lambda line: print(f"  {line}", file=sys.stderr, flush=True))
            result["log"] = log
            result["groth16py"] = groth16py_times(exported.r1cs, exported.wtns, args.rounds) if small else None
            results.append(result)
            print(json.dumps(result), flush=True)
            png.with_suffix(".json").write_text(json.dumps(results, indent=1))
            plot(results, png)
    print(f"wrote {png} and {png.with_suffix('.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
