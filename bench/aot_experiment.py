"""numba ahead-of-time compilation (numba.pycc): what it gives the verifier and the prover.

    .venv/bin/python bench/aot_experiment.py verify [--rounds 5] [--json OUT]
    .venv/bin/python bench/aot_experiment.py prover [--logs 14 16] [--rounds 3] [--dir DIR]

``verify``: whole processes, alternating in each round: ``zk verify`` with the ahead-of-time
module (``zk aot build``; built into a temporary directory first when none is current), ``zk
verify`` with ``ZK_AOT=0`` (numba's cached JIT kernels), ``python -c "import numpy, numba"``
(the floor of every numba-based command), ``python -c "import numpy"`` (the floor with the
module) and ``snarkjs groth16 verify`` on the same files (when node_modules has it). CPU is user +
system of the process (GNU time), peak RSS its own; best and median over the rounds.

``prover``: the G1 Pippenger MSM (zk/msm/pippenger.py) compiled with pycc into a module of its
own, its per-thread window kernel exported with the GIL released (pycc builds its wrappers with
numba's default flags, which keep the GIL: the build swaps in flags with ``release_gil`` set,
for the numba versions checked here), run on two Python threads over alternate windows, against
the JIT kernel (measured before b2b6e47 with a ``prange`` over two threads; since then the JIT MSM also runs Python threads over its GIL-free window kernel) on the same points and scalars, and each on one
thread. Same result checked; CPU (all threads) and wall per MSM, best and median of the rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
ZK = str(Path(sys.executable).parent / "zk")


# ---------------------------------------------------------------------------------------------
# verify: whole processes


def _proof_files(d: Path) -> list[Path]:
    from zk.formats.snarkjs import write_proof, write_public, write_vkey
    from zk.groth16 import prove, setup
    from zk.perf.warmup import tiny_circuit

    cs, witness = tiny_circuit()
    pk, vk = setup(cs)
    proof, public = prove(pk, witness)
    paths = [d / "vk.json", d / "public.json", d / "proof.json"]
    write_vkey(vk, paths[0])
    write_public(public, paths[1])
    write_proof(proof, paths[2])
    return paths


def _module_dir(work: Path) -> Path:
    from zk.aot import store

    if store.status()[0]:
        return store.aot_dir()
    from zk.aot.build import build

    directory = work / "aot"
    manifest = build(directory)
    print(f"built the verifier module: {manifest['build_wall_s']} s wall, {manifest['build_cpu_s']} s CPU, "
          f"{manifest['bytes'] / 1e6:.1f} MB", flush=True)
    return directory


def _summary(values: list[float]) -> dict:
    return {"best": min(values), "median": statistics.median(values)}


def bench_verify(rounds: int, out: str | None) -> None:
    from zk.perf.process import run_measured

    work = Path(tempfile.mkdtemp(prefix="zk-aot-bench-"))
    paths = [str(p) for p in _proof_files(work)]
    module_dir = _module_dir(work)
    snarkjs = ROOT / "node_modules" / ".bin" / "snarkjs"
    env = {**os.environ, "ZK_AOT_DIR": str(module_dir)}
    commands = {
        "zk verify, AOT module": ([ZK, "verify", *paths], env),
        "zk verify, JIT (ZK_AOT=0)": ([ZK, "verify", *paths], {**env, "ZK_AOT": "0"}),
        "python -c 'import numpy, numba'": ([sys.executable, "-c", "import numpy, numba"], env),
        "python -c 'import numpy'": ([sys.executable, "-c", "import numpy"], env),
    }
    if snarkjs.exists():
        commands["snarkjs groth16 verify"] = ([str(snarkjs), "groth16", "verify", *paths], env)
    for args, command_env in commands.values():  # warm the caches (numba's, the OS's)
        run_measured(args, env=command_env)
    samples: dict = {name: {"cpu_s": [], "wall_s": [], "rss_mib": []} for name in commands}
    loads = [os.getloadavg()[0]]
    for _ in range(rounds):
        for name, (args, command_env) in commands.items():
            m = run_measured(args, env=command_env)
            if m.returncode != 0:
                raise SystemExit(f"{name} failed: {m.stderr.strip()}")
            samples[name]["cpu_s"].append(m.cpu_s)
            samples[name]["wall_s"].append(m.seconds)
            samples[name]["rss_mib"].append(m.peak_rss_mib)
        loads.append(os.getloadavg()[0])
    print(f"{rounds} rounds, load {min(loads):.1f}-{max(loads):.1f}")
    print(f"{'process':36} {'CPU best / median':>20} {'wall best / median':>20} {'peak RSS':>10}")
    for name, s in samples.items():
        cpu, wall = _summary(s["cpu_s"]), _summary(s["wall_s"])
        print(f"{name:36} {cpu['best']:8.2f} / {cpu['median']:5.2f} s {wall['best']:8.2f} / {wall['median']:5.2f} s "
              f"{max(s['rss_mib']):7.0f} MiB")
    if out:
        Path(out).write_text(json.dumps({"rounds": rounds, "load": loads, "samples": samples}, indent=1))


# ---------------------------------------------------------------------------------------------
# prover: the G1 MSM's window kernel, ahead of time, on two Python threads

MSM_MODULE = "zk_aot_msm_experiment"
# numba versions whose pycc builds its export flags as `Flags()` in ModuleCompiler._cull_exports
# (checked by reading it): the swap below is only known to do what it says there.
_RELEASE_GIL_CHECKED = ("0.68",)


class _GilReleased:
    """numba.pycc.compiler.Flags replaced, for one build, by flags with ``release_gil`` set: the
    exported CPython wrappers then drop the GIL around the compiled call (numba's own wrapper
    code, the same as ``@njit(nogil=True)``)."""

    def __enter__(self):
        import inspect

        import numba
        from numba.pycc import compiler

        if not numba.__version__.startswith(_RELEASE_GIL_CHECKED) or "Flags()" not in inspect.getsource(
                compiler.ModuleCompiler._cull_exports):
            raise SystemExit(f"numba {numba.__version__}: pycc's export flags not checked for this version")
        self.compiler, self.original = compiler, compiler.Flags

        class ReleasingFlags(self.original):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.release_gil = True

        compiler.Flags = ReleasingFlags
        return self

    def __exit__(self, *exc):
        self.compiler.Flags = self.original


def build_msm_module(directory: Path, release_gil: bool = True) -> tuple[Path, float, float]:
    """(module path, wall s, CPU s) of the MSM experiment's module, built unless present;
    release_gil=False: pycc's own flags (the wrappers hold the GIL), for comparison."""
    name = MSM_MODULE if release_gil else f"{MSM_MODULE}_gil"
    found = sorted(directory.glob(f"{name}.*so"))
    if found:
        return found[0], 0.0, 0.0
    from numba.pycc import CC

    from zk.aot.build import _cpu_seconds
    from zk.field import FP
    from zk.msm import pippenger
    from zk.curve.kernels import store_jac
    import numpy as np

    cc = CC(name)
    cc.output_dir = str(directory)
    cc.target_cpu = "host"

    def active(points, scalars):
        return pippenger.active_indices(FP, points, scalars)

    def windows(points, twin, scalars, signs, active_rows, rows, c, group_points, slice_points, first, step, count, out):
        pippenger._windows_on_one_thread(FP, points, twin, scalars, signs, active_rows, rows, c, group_points,
                                         slice_points, first, step, count, out)

    def combine(sums, c, out):
        store_jac(FP, out, np.int64(0), pippenger.combine_windows(FP, sums, c))

    cc.export("active", "i8[::1](u8[:,:,::1], u8[:,::1])")(active)
    cc.export("windows", "void(u8[:,:,::1], u8[:,::1], u8[:,::1], u1[::1], i8[::1], i8, i8, i8, i8, i8, i8, i8, "
                         "u8[:,:,::1])")(windows)
    cc.export("combine", "void(u8[:,:,::1], i8, u8[:,:,::1])")(combine)
    start, cpu = time.perf_counter(), _cpu_seconds()
    if release_gil:
        with _GilReleased():
            cc.compile()
    else:
        cc.compile()
    return directory / cc.output_file, time.perf_counter() - start, _cpu_seconds() - cpu


def _load(path: Path):
    import importlib.machinery
    import importlib.util

    name = path.name.split(".")[0]
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
    loader.exec_module(module)
    return module


def _aot_msm(module, points, scalars, threads: int):
    """The JIT msm_jacobian's G1 path (no endomorphism split, all rows in one slice), with the
    windows shared among Python threads, as the JIT msm_jacobian does since b2b6e47 (a prange before)."""
    import numpy as np

    from zk.msm import pippenger
    from zk.msm.api import choose_window
    from zk.msm.scalars import num_windows

    active = module.active(points, scalars)
    rows = active.shape[0]
    c = choose_window(rows, threads, 254)
    count = num_windows(c, 254)
    sums = np.empty((count, 3, 4), dtype=np.uint64)
    twin, signs = np.empty((0, 4), dtype=np.uint64), np.empty(0, dtype=np.uint8)
    group_points = max(1, pippenger.GROUP_BYTES // 64)
    slice_points = max(group_points, rows)
    args = (points, twin, scalars, signs, active, rows, c, group_points, slice_points)
    workers = [threading.Thread(target=module.windows, args=(*args, t, threads, count, sums)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out = np.empty((1, 3, 4), dtype=np.uint64)
    module.combine(sums, c, out)
    return out[0]


def longest_pause_during(run) -> tuple[float, float]:
    """(longest pause of a Python loop in this thread while ``run`` runs in another, ``run``'s
    wall time), seconds: a call that holds the GIL stops the loop for about its whole length."""
    worker = threading.Thread(target=run)
    start = last = time.perf_counter()
    longest = 0.0
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    return longest, time.perf_counter() - start


# A fresh process that loads the MSM module with numpy alone and runs one MSM on two threads (the
# window size and count come from the parent: zk.msm's choice of them imports numba).
AOT_MSM_PROCESS = r"""
import importlib.machinery, importlib.util, sys, threading
import numpy as np
path, data, c, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
name = path.rsplit("/", 1)[1].split(".")[0]
loader = importlib.machinery.ExtensionFileLoader(name, path)
m = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
loader.exec_module(m)
points, scalars, expected = (np.load(f"{data}/{n}.npy") for n in ("points", "scalars", "expected"))
active = m.active(points, scalars)
sums = np.empty((count, 3, 4), dtype=np.uint64)
args = (points, np.empty((0, 4), np.uint64), scalars, np.empty(0, np.uint8), active, active.shape[0], c, 16384,
        max(16384, active.shape[0]))
ts = [threading.Thread(target=m.windows, args=(*args, t, 2, count, sums)) for t in range(2)]
[t.start() for t in ts]; [t.join() for t in ts]
out = np.empty((1, 3, 4), np.uint64)
m.combine(sums, c, out)
print(np.array_equal(out, expected), "numba" in sys.modules)
"""
JIT_MSM_PROCESS = r"""
import sys
import numpy as np
from zk.curve import G1
from zk.msm.api import msm_jacobian
data = sys.argv[1]
points, scalars, expected = (np.load(f"{data}/{n}.npy") for n in ("points", "scalars", "expected"))
print(np.array_equal(msm_jacobian(G1, points, scalars, parallel=True)[None], expected))
"""


def bench_msm_processes(module_path: Path, points, scalars, rounds: int) -> None:
    """Whole processes, one G1 MSM each: numpy + the AOT module against numpy + numba + zk's
    cached JIT kernels; both check their result against the JIT's in this process (the
    Jacobian rows of one computation path, compared exactly)."""
    import numpy as np

    from zk.curve import G1
    from zk.msm.api import choose_window, msm_jacobian
    from zk.msm.scalars import num_windows
    from zk.perf.process import run_measured

    data = Path(tempfile.mkdtemp(prefix="zk-aot-msm-"))
    np.save(data / "points.npy", points)
    np.save(data / "scalars.npy", scalars)
    c = choose_window(points.shape[0], 2, 254)
    np.save(data / "expected.npy", msm_jacobian(G1, points, scalars, window=c, parallel=True)[None])
    commands = {"numpy + AOT module, 2 threads": [sys.executable, "-c", AOT_MSM_PROCESS, str(module_path), str(data),
                                                  str(c), str(num_windows(c))],
                "numpy + numba + zk JIT (cached)": [sys.executable, "-c", JIT_MSM_PROCESS, str(data)]}
    cpu = {name: [] for name in commands}
    rss = {name: [] for name in commands}
    for _ in range(rounds):
        for name, args in commands.items():
            m = run_measured(args)
            if m.returncode != 0 or not m.stdout.startswith("True"):
                raise SystemExit(f"{name}: {m.stdout} {m.stderr}")
            cpu[name].append(m.cpu_s)
            rss[name].append(m.peak_rss_mib)
    print(f"  whole processes, one MSM of {points.shape[0]} points each ({rounds} rounds, same result as in-process):")
    for name in commands:
        print(f"    {name:42} CPU best {min(cpu[name]):.2f} s, median {statistics.median(cpu[name]):.2f} s; "
              f"peak RSS {max(rss[name]):.0f} MiB")


def _random_msm(log: int, rng):
    from zk.field import R
    from zk.field.arrays import ints_to_raw
    from zk.msm import fixed_base_g1

    def field_elements():
        return ints_to_raw([int.from_bytes(rng.bytes(32), "little") % R for _ in range(1 << log)])

    return fixed_base_g1(None, field_elements()), field_elements()


def bench_prover(logs: list[int], rounds: int, directory: Path, process_log: int) -> None:
    import numba
    import numpy as np

    from zk.curve import G1, g1_from_array
    from zk.msm.api import msm_jacobian

    directory.mkdir(parents=True, exist_ok=True)
    path, wall, cpu = build_msm_module(directory)
    if wall:
        print(f"built {path.name}: {wall:.0f} s wall, {cpu:.0f} s CPU (load {os.getloadavg()[0]:.1f})", flush=True)
    module = _load(path)
    holding = _load(build_msm_module(directory, release_gil=False)[0])
    numba.set_num_threads(2)
    rng = np.random.default_rng(13)
    for log in logs:
        points, scalars = _random_msm(log, rng)
        variants = {
            "JIT, 2 Python threads (GIL-free kernel)": lambda: msm_jacobian(G1, points, scalars, parallel=True),
            "AOT, 2 Python threads (GIL released)": lambda: _aot_msm(module, points, scalars, 2),
            "JIT, 1 thread": lambda: msm_jacobian(G1, points, scalars, parallel=False),
            "AOT, 1 thread": lambda: _aot_msm(module, points, scalars, 1),
        }
        results = {name: g1_from_array(run()[None])[0] for name, run in variants.items()}  # also warms up
        assert len(set(results.values())) == 1, results
        times = {name: ([], []) for name in variants}
        load = [os.getloadavg()[0]]
        for _ in range(rounds):
            for name, run in variants.items():
                c0, w0 = time.process_time(), time.perf_counter()
                run()
                times[name][0].append(time.process_time() - c0)
                times[name][1].append(time.perf_counter() - w0)
            load.append(os.getloadavg()[0])
        print(f"G1 MSM 2^{log}, {rounds} rounds, load {min(load):.1f}-{max(load):.1f}; same result in every variant")
        for name, (cpus, walls) in times.items():
            print(f"  {name:40} CPU best {min(cpus) * 1e3:7.1f} ms, median {statistics.median(cpus) * 1e3:7.1f}; "
                  f"wall best {min(walls) * 1e3:7.1f} ms, median {statistics.median(walls) * 1e3:7.1f}")
        # The window kernel alone, one call over every window, from a second thread.
        from zk.field import FP
        from zk.msm import pippenger

        active = pippenger.active_indices(FP, points, scalars)
        rows, c = active.shape[0], 13
        count = -(-254 // c)
        sums = np.empty((count, 3, 4), dtype=np.uint64)
        twin, signs = np.empty((0, 4), dtype=np.uint64), np.empty(0, dtype=np.uint8)
        gp = pippenger.GROUP_BYTES // 64
        common = (points, twin, scalars, signs, active, rows, c, gp, max(gp, rows))
        calls = {"JIT window kernel (nogil=True)": lambda: pippenger.window_sums(FP, *common, count, 1, sums),
                 "AOT windows (pycc wrapper, GIL released)": lambda: module.windows(*common, 0, 1, count, sums),
                 "AOT windows (pycc's own flags)": lambda: holding.windows(*common, 0, 1, count, sums)}
        for name, call in calls.items():
            pause, wall = longest_pause_during(call)
            print(f"  {name}: a Python thread's longest pause {pause * 1e3:.0f} ms during its {wall * 1e3:.0f} ms")
    bench_msm_processes(path, *_random_msm(process_log, rng), rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--rounds", type=int, default=5)
    v.add_argument("--json")
    p = sub.add_parser("prover")
    p.add_argument("--logs", type=int, nargs="+", default=[14, 16])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--dir", help="keep the MSM modules here and reuse them (default: built afresh in a temporary "
                                 "directory: nothing keys them on the sources)")
    p.add_argument("--process-log", type=int, default=10, help="size of the MSM run in fresh processes")
    args = parser.parse_args()
    if args.what == "verify":
        bench_verify(args.rounds, args.json)
    else:
        bench_prover(args.logs, args.rounds, Path(args.dir or tempfile.mkdtemp(prefix="zk-aot-msm-")), args.process_log)


if __name__ == "__main__":
    main()
