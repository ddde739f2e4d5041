"""Prove time against circuit size for zk, rapidsnark, snarkjs and groth16py, drawn as a PNG.

    .venv/bin/python bench/prove_scaling.py --logs 10,12,14,16 --out docs/prove_scaling.png
    RAPIDSNARK=/path/to/rapidsnark/prover .venv/bin/python bench/prove_scaling.py ...

Circuits: the ``mul`` chain of bench/groth16_circuits.py (domain exactly 2^k). Every prover uses
the same key: ours, written as a .zkey for rapidsnark and snarkjs (so no powers of tau are
needed at any size); groth16py (arkworks through PyO3, in-process) makes its own key from the
same .r1cs. Figures per size come from one call of :func:`zk.perf.bench.bench_circuit` plus
groth16py's timings, interleaved, so all see the same machine load (recorded with them: on a
shared machine compare the ratios). The raw figures go to a JSON file beside the PNG.
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
from zk.perf.bench import bench_circuit  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", default="10,12,14", help="sizes 2^k, comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default="docs/prove_scaling.png")
    parser.add_argument("--peers-max-log", type=int, default=16,
                        help="run snarkjs and groth16py up to this size only (their setup/prove take minutes beyond)")
    parser.add_argument("--append", action="store_true", help="add to the figures already in OUT's .json")
    args = parser.parse_args()
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
