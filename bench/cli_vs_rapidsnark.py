"""Whole-process `zk prove` and `zk verify` beside rapidsnark, same key and witness, alternating.

    RAPIDSNARK=/path/to/prover .venv/bin/python bench/cli_vs_rapidsnark.py --logs 14,16 --rounds 3
    ZK_BASELINE_TREE=/tmp/zk-before RAPIDSNARK=... .venv/bin/python bench/cli_vs_rapidsnark.py ...

Per size: the ``mul`` chain (domain exactly 2^k), our key (`zk setup` in-process) saved as a .pk
and as a .zkey for rapidsnark, one witness. Each round runs, one after the other, our `zk prove`,
the baseline tree's (when ``ZK_BASELINE_TREE`` names a checkout, e.g. `git worktree add --detach
/tmp/zk-before COMMIT`; it runs from that directory with its own numba cache) and rapidsnark;
at the first size also `zk verify` (both trees), `zk prove` on a small Poseidon circuit (2^9:
two Poseidon(1) hashes and a short ``mul`` tail, 509 constraints; both trees and rapidsnark) and
`python -c "import numpy, numba"`, the floor of any numba process. Every command is a fresh process under GNU time: wall, CPU (user + system)
and peak RSS; the best of the rounds is printed with every round's figures and the load average.
One unmeasured run of each command first warms its tree's numba cache and records the key as
validated (what a user's second `zk prove` sees). With --in-process, each round also times one proof
inside a process of each tree (key read into memory, kernels loaded by a first proof; no
peak RSS). Raw figures go to --json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

from groth16_circuits import export  # noqa: E402

from zk.formats import keyfile  # noqa: E402
from zk.formats import zkey as zkey_format  # noqa: E402
from zk.formats.circom import read_r1cs  # noqa: E402
from zk.formats.snarkjs import write_vkey  # noqa: E402
from zk.groth16 import setup  # noqa: E402
from zk.perf.bench import zk_command  # noqa: E402
from zk.perf.process import run_measured  # noqa: E402


def baseline_command(tree: Path) -> list[str]:
    # From the tree's own directory: `python -c` puts the current directory first on sys.path,
    # ahead of this checkout's editable install.
    code = (f"import os, sys; os.chdir({str(tree)!r}); sys.path.insert(0, {str(tree)!r}); import zk; "
            f"assert zk.__file__.startswith({str(tree)!r}), zk.__file__; "
            "from zk.cli import main; sys.argv[0] = 'zk'; main()")
    return [sys.executable, "-c", code]


SMALL = ("poseidon", 9)

IN_PROCESS = """
import json, sys, time
from zk.formats import keyfile
from zk.formats.circom import read_wtns_scalars
from zk.groth16 import prove
pk = keyfile.load(sys.argv[1], deep=False)
witness = read_wtns_scalars(sys.argv[2])
prove(pk, witness)
rows = []
for _ in range(int(sys.argv[3])):
    wall, cpu = time.perf_counter(), time.process_time()
    prove(pk, witness)
    rows.append({"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu})
print(json.dumps(rows))
"""


def in_process(tree: Path | None, f: dict, rounds: int, env: dict | None) -> list[dict]:
    """Proofs in one process (key read into memory, witness loaded, one proof first to load the
    kernels): wall and CPU time (all threads) of each further proof."""
    code = IN_PROCESS
    if tree is not None:
        code = f"import os, sys; os.chdir({str(tree)!r}); sys.path.insert(0, {str(tree)!r})\n" + code
    done = subprocess.run([sys.executable, "-c", code, str(f["pk"]), str(f["wtns"]), str(rounds)], capture_output=True,
                          text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"in-process prove failed: {done.stderr[-400:]}")
    return json.loads(done.stdout.splitlines()[-1])


def make_files(log: int, directory: Path, kind: str = "mul") -> dict:
    exported = export(kind, log, directory)
    pk, vk = setup(read_r1cs(exported.r1cs))
    keyfile.save(pk, directory / "circuit.pk")
    write_vkey(vk, directory / "vk.json")
    zkey_format.write_zkey(zkey_format.from_proving_key(pk), directory / "circuit.zkey")
    return {"pk": directory / "circuit.pk", "zkey": directory / "circuit.zkey", "wtns": exported.wtns,
            "vk": directory / "vk.json", "dir": directory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", default="14,16")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=None, help="write the raw figures here")
    parser.add_argument("--in-process", action="store_true",
                        help="also time proofs inside one process (both trees), alternating, a fresh process per round")
    args = parser.parse_args()
    rapidsnark = os.environ.get("RAPIDSNARK")
    baseline = os.environ.get("ZK_BASELINE_TREE")
    ours = zk_command()
    base_env = None
    if baseline:
        base_env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tempfile.gettempdir()) / "zk-baseline-numba-cache"))
    results = {}
    floor_rss = None  # measured at the first size
    with tempfile.TemporaryDirectory(prefix="zk-cli-bench-") as tmp:
        for n, log in enumerate(int(x) for x in args.logs.split(",")):
            f = make_files(log, Path(tmp) / f"mul_{log}")
            d = f["dir"]
            runs: dict[str, tuple[list[str], dict | None]] = {
                "zk prove": ([*ours, "prove", str(f["pk"]), str(f["wtns"]), str(d / "p.json"), str(d / "pub.json")], None)}
            if baseline:
                runs["zk prove (baseline)"] = ([*baseline_command(Path(baseline)), "prove", str(f["pk"]), str(f["wtns"]),
                                                str(d / "pb.json"), str(d / "pubb.json")], base_env)
            if rapidsnark:
                runs["rapidsnark"] = ([rapidsnark, str(f["zkey"]), str(f["wtns"]), str(d / "rp.json"), str(d / "rpub.json")], None)
            for name, (command, env) in list(runs.items()):  # warm numba caches, record the key
                if name != "rapidsnark":
                    done = run_measured(command, env=env)
                    assert done.returncode == 0, (name, done.stderr[-400:])
            if n == 0:
                small = make_files(SMALL[1], Path(tmp) / f"{SMALL[0]}_{SMALL[1]}", SMALL[0])
                sd = small["dir"]
                label = f"{SMALL[0]} 2^{SMALL[1]}"
                small_runs = {f"zk prove {label}": ([*ours, "prove", str(small["pk"]), str(small["wtns"]), str(sd / "p.json"),
                                                     str(sd / "pub.json")], None)}
                if baseline:
                    small_runs[f"zk prove {label} (baseline)"] = (
                        [*baseline_command(Path(baseline)), "prove", str(small["pk"]), str(small["wtns"]),
                         str(sd / "pb.json"), str(sd / "pubb.json")], base_env)
                if rapidsnark:
                    small_runs[f"rapidsnark {label}"] = ([rapidsnark, str(small["zkey"]), str(small["wtns"]),
                                                         str(sd / "rp.json"), str(sd / "rpub.json")], None)
                for name, (command, env) in small_runs.items():
                    if not name.startswith("rapidsnark"):
                        done = run_measured(command, env=env)
                        assert done.returncode == 0, (name, done.stderr[-400:])
                runs.update(small_runs)
                verify_runs = {"zk verify": ([*ours, "verify", str(f["vk"]), str(d / "pub.json"), str(d / "p.json")], None)}
                if baseline:
                    verify_runs["zk verify (baseline)"] = ([*baseline_command(Path(baseline)), "verify", str(f["vk"]),
                                                            str(d / "pub.json"), str(d / "p.json")], base_env)
                for name, (command, env) in verify_runs.items():  # warm the verifier's kernels too
                    done = run_measured(command, env=env)
                    assert done.returncode == 0, (name, done.stderr[-400:])
                runs.update(verify_runs)
                runs["import numpy, numba"] = ([sys.executable, "-c", "import numpy, numba"], None)
            figures = {name: [] for name in runs}
            loads = [os.getloadavg()[0]]
            for _ in range(args.rounds):
                for name, (command, env) in runs.items():
                    done = run_measured(command, env=env)
                    if done.returncode != 0:
                        raise SystemExit(f"{name} failed: {done.stderr[-400:]}")
                    figures[name].append({"wall_s": done.seconds, "cpu_s": done.cpu_s, "rss_mib": done.peak_rss_mib})
                loads.append(os.getloadavg()[0])
            if args.in_process:
                for _ in range(args.rounds):  # alternating, like the processes
                    figures.setdefault("in-process prove", []).extend(in_process(None, f, 1, None))
                    if baseline:
                        figures.setdefault("in-process prove (baseline)", []).extend(
                            in_process(Path(baseline), f, 1, base_env))
                loads.append(os.getloadavg()[0])
            results[log] = {"load": loads, "figures": figures}
            print(f"2^{log} (load average {min(loads):.1f}-{max(loads):.1f}), best of {args.rounds}: wall / CPU / peak RSS")
            best = {}
            for name, rows in figures.items():
                wall, cpu = min(r["wall_s"] for r in rows), min(r["cpu_s"] for r in rows)
                best[name] = (wall, cpu)
                rss = max((r.get("rss_mib") or 0) for r in rows)
                print(f"  {name:27} {wall:7.2f} s {cpu:6.2f} s CPU {rss:5.0f} MiB"
                      f"   rounds: {' '.join('%.2f/%.2f' % (r['wall_s'], r['cpu_s']) for r in rows)}")
            if rapidsnark:
                rw, rc = best["rapidsnark"]
                for name in ("zk prove", "zk prove (baseline)", "in-process prove", "in-process prove (baseline)"):
                    if name in best:
                        print(f"  {name} / rapidsnark: {best[name][0] / rw:.2f}x wall, {best[name][1] / rc:.2f}x CPU")
            if "import numpy, numba" in figures:
                floor_rss = max(r["rss_mib"] for r in figures["import numpy, numba"])
            if floor_rss:
                for name in ("zk prove", "zk prove (baseline)"):
                    if name in figures:
                        rss = max(r["rss_mib"] for r in figures[name])
                        print(f"  {name}: peak RSS {rss - floor_rss:+.0f} MiB above the floor ({floor_rss:.0f} MiB)")
            if "import numpy, numba" in best:
                floor = best["import numpy, numba"][1]
                for name in best:
                    if name.startswith("zk verify") or name.startswith(f"zk prove {SMALL[0]}"):
                        print(f"  {name}: {best[name][1] - floor:+.2f} s CPU above the floor")
            sys.stdout.flush()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
