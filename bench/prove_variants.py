"""Proving-time cost of the memory measures of `zk prove`, in one process, variants alternating.

    .venv/bin/python bench/prove_variants.py DIR --rounds 5 [--json out.json]

DIR holds ``circuit.pk`` and one ``*.wtns`` (e.g. made by ``make_files`` in
bench/cli_vs_rapidsnark.py). Each round times, one after the other, a proof with the key read into
memory (``zk serve``'s case) as it is, then with the G2 MSM copying each window's points in one
pass (``slice_bytes=0``: the scratch before the slices), a proof from the mapped key (``zk
prove``'s case) as it is, then without releasing its pages after each query, and the G2 MSM
(b_g2_query by the witness) alone in both settings. CPU time of the process (all threads, so the
figures hold on a loaded machine better than wall time); medians and minima at the end. One
proof first loads the kernels.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

from zk.formats import keyfile  # noqa: E402
from zk.formats.circom import read_wtns_scalars  # noqa: E402
from zk.groth16 import prove  # noqa: E402
from zk.msm import G2, api  # noqa: E402

prove_module = importlib.import_module("zk.groth16.prove")  # the package re-exports prove()
sliced_msm, release_pages = api.msm_jacobian, prove_module.release_pages


def one_pass_g2(group, *args, **kwargs):
    if group is G2 and kwargs.get("slice_bytes") is None:
        kwargs["slice_bytes"] = 0
    return sliced_msm(group, *args, **kwargs)


def configure(one_pass: bool = False, keep_pages: bool = False) -> None:
    api.msm_jacobian = one_pass_g2 if one_pass else sliced_msm  # api._msm looks it up per call
    prove_module.release_pages = (lambda _arr: 0) if keep_pages else release_pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    in_memory = keyfile.load(args.dir / "circuit.pk", deep=False)
    mapped = keyfile.load(args.dir / "circuit.pk", deep=False, mmap=True)
    witness = read_wtns_scalars(next(args.dir.glob("*.wtns")))
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
