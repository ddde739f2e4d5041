"""Proving-time cost of the memory measures of `zk prove`, in one process, variants alternating.

    .venv/bin/python bench/prove_variants.py DIR --rounds 5 [--json out.json]
    .venv/bin/python bench/prove_variants.py DIR --stages --rounds 3 [--json out.json]

DIR holds ``circuit.pk`` and one ``*.wtns`` (e.g. made by ``make_files`` in
bench/cli_vs_rapidsnark.py). Each round times, one after the other, a proof with the key read into
memory (``zk serve``'s case) as it is, then with the G2 MSM copying each window's points in one
pass (``slice_bytes=0``: the scratch before the slices), a proof from the mapped key (``zk
prove``'s case) as it is, then without releasing its pages after each query, and the G2 MSM
(b_g2_query by the witness) alone in both settings. CPU time of the process (all threads, so the
figures hold on a loaded machine better than wall time); medians and minima at the end. One
proof first loads the kernels.

--stages instead times each stage of a proof (key in memory) as ``prove`` runs them: wall, CPU,
and from /proc/self/task/*/schedstat the run time of the busiest thread and of all threads
(threads that ended within the stage count as one, their time the rest of the CPU time). The
busiest thread's time is what the stage would take on two idle cores if nothing else waited
(its sum over the stages against the CPU time says how well the proof uses both cores, whatever
the machine's load; a stage whose busiest thread ran as long as all threads together ran on one
core). Medians over the rounds.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

from zk.formats import keyfile  # noqa: E402
from zk.formats.circom import read_wtns_scalars  # noqa: E402
from zk.field import FR  # noqa: E402
from zk.groth16 import _backend as backend  # noqa: E402
from zk.groth16 import prove  # noqa: E402
from zk.groth16 import qap  # noqa: E402
from zk.msm import G2, api  # noqa: E402
from zk.poly import coset_ntt, intt, root_of_unity  # noqa: E402

prove_module = importlib.import_module("zk.groth16.prove")  # the package re-exports prove()
sliced_msm, release_pages = api.msm_jacobian, prove_module.release_pages


def one_pass_g2(group, *args, **kwargs):
    if group is G2 and kwargs.get("slice_bytes") is None:
        kwargs["slice_bytes"] = 0
    return sliced_msm(group, *args, **kwargs)


def configure(one_pass: bool = False, keep_pages: bool = False) -> None:
    api.msm_jacobian = one_pass_g2 if one_pass else sliced_msm  # api._msm looks it up per call
    prove_module.release_pages = (lambda _arr: 0) if keep_pages else release_pages


def thread_run_times() -> dict[str, int]:
    """Nanoseconds each thread of this process has run (the first field of its schedstat)."""
    times = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                times[tid] = int(f.read().split()[0])
        except OSError:  # a thread that ended in between
            pass
    return times


def staged_proof(pk, witness, record) -> None:
    """The stages of ``zk.groth16.prove`` one by one (its quotient and MSMs, same order), each
    through ``record(name, function, *args)``."""
    mats = pk.matrices
    plain, mont = record("witness check", prove_module.checked_witness, mats.n_wires, witness)
    n = mats.domain_size
    a, b, c = record("A·w, B·w, C·w", qap.evaluate_rows, mats, None, mont, n)
    record("constraints check", qap.first_unsatisfied, FR, a, b, c, mats.n_constraints)
    shift = root_of_unity(2 * n)
    for v in (a, b, c):
        record("iNTT (x3)", intt, v)
        record("coset NTT (x3)", coset_ntt, v, shift)
    record("A·B - C", qap.mul_sub_plain, FR, a, b, c, a)
    private = mats.n_public + 1
    h = record("H MSM (G1)", backend.msm_g1, pk.h_query, a)
    l_sum = record("L MSM (G1)", backend.msm_g1, pk.l_query, np.ascontiguousarray(plain[private:]))
    a_sum = record("A MSM (G1)", backend.msm_g1, pk.a_query, plain)
    b1 = record("B1 MSM (G1)", backend.msm_g1, pk.b_g1_query, plain)
    b2 = record("B2 MSM (G2, GLV)", backend.msm_g2, pk.b_g2_query, plain)
    record("assemble", prove_module.assemble, pk.vk, pk.beta_g1, pk.delta_g1,
           prove_module.QuerySums(a_sum, b1, b2, l_sum, h))


def stages(pk, witness, rounds: int) -> dict:
    samples: dict[str, list[list[float]]] = {}
    this_round: dict[str, list[float]] = {}

    def record(name, function, *args):
        before = thread_run_times()
        wall, cpu = time.perf_counter(), time.process_time()
        result = function(*args)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = thread_run_times()
        ran = [(t - before.get(tid, 0)) / 1e9 for tid, t in after.items()]
        # A thread that ended inside the stage (a worker of the MSM's thread pool) is gone from
        # /proc, its time still in the process's CPU time: count the difference as one more thread.
        ran.append(max(0.0, cpu - sum(ran)))
        row = [wall, cpu, max(ran), sum(ran)]
        seen = this_round.get(name)  # the NTTs run three times a proof: add them up
        this_round[name] = row if seen is None else [x + y for x, y in zip(seen, row)]
        return result

    prove(pk, witness)
    loads = []
    for _ in range(rounds):
        this_round.clear()
        staged_proof(pk, witness, record)
        record("prove() as a whole", prove, pk, witness)
        for name, row in this_round.items():
            samples.setdefault(name, []).append(row)
        loads.append(os.getloadavg()[0])
    columns = ("wall_s", "cpu_s", "busiest_thread_s", "all_threads_s")
    table = {name: {col: statistics.median(r[i] for r in rows) for i, col in enumerate(columns)}
             for name, rows in samples.items()}
    total = {col: sum(v[col] for name, v in table.items() if name != "prove() as a whole") for col in columns}
    print(f"{'stage':22s} {'wall':>8s} {'CPU':>8s} {'busiest':>8s} {'threads':>8s}  (ms, medians)")
    for name, v in [*table.items(), ("sum of the stages", total)]:
        print(f"{name:22s} " + " ".join(f"{v[col] * 1000:8.1f}" for col in columns))
    print(f"load average (1 min) after each round: {' '.join(f'{v:.1f}' for v in loads)}")
    return {"stages": table, "rounds": samples, "load": loads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--stages", action="store_true", help="time the stages of a proof instead of the variants")
    args = parser.parse_args()
    in_memory = keyfile.load(args.dir / "circuit.pk", deep=False)
    witness = read_wtns_scalars(next(args.dir.glob("*.wtns")))
    if args.stages:
        result = stages(in_memory, witness, args.rounds)
        if args.json:
            args.json.write_text(json.dumps(result, indent=1) + "\n")
        return
    mapped = keyfile.load(args.dir / "circuit.pk", deep=False, mmap=True)
    proofs = {
        "prove, key in memory": (in_memory, {}),
        "prove, key in memory, G2 one pass": (in_memory, {"one_pass": True}),
        "prove, mapped key": (mapped, {}),
        "prove, mapped key, pages kept": (mapped, {"keep_pages": True}),
    }
    prove(in_memory, witness)
    times: dict[str, list[float]] = {name: [] for name in proofs}
    times["G2 MSM, slices"], times["G2 MSM, one pass"] = [], []
    loads = []
    for _ in range(args.rounds):
        for name, (pk, options) in proofs.items():
            configure(**options)
            start = time.process_time()
            prove(pk, witness)
            times[name].append(time.process_time() - start)
        configure()
        for name, slice_bytes in (("G2 MSM, slices", None), ("G2 MSM, one pass", 0)):
            start = time.process_time()
            sliced_msm(G2, in_memory.b_g2_query, witness.limbs, slice_bytes=slice_bytes)
            times[name].append(time.process_time() - start)
        loads.append(os.getloadavg()[0])
    for name, values in times.items():
        print(f"{name:36s} median {statistics.median(values):6.2f} s  min {min(values):6.2f} s  CPU   "
              f"rounds: {' '.join(f'{v:.2f}' for v in values)}")
    print(f"load average (1 min) after each round: {' '.join(f'{v:.1f}' for v in loads)}")
    if args.json:
        args.json.write_text(json.dumps({"cpu_s": times, "load": loads}, indent=1) + "\n")


if __name__ == "__main__":
    main()
