"""What a user waits for on first use: numba compile time (cold cache) and cache load time.

Each measurement runs in a fresh interpreter; the cold one uses an empty cache directory.
"""
import os
import subprocess
import sys
import tempfile
import time

SNIPPET = """
import time
t0 = time.perf_counter()
import numpy as np
from zk.field import FP, FR, FP2
from zk.field import arrays as A
t1 = time.perf_counter()
x = A.to_array(FP, [1, 2]); out = np.empty_like(x)
A.mul(FP, x, x, out); A.add(FP, x, x, out); A.batch_inverse(FP, x, out)
y = A.to_array(FR, [1, 2]); A.mul(FR, y, y, y)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def _run(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", SNIPPET], env=env, capture_output=True, text=True, check=True)
    return [float(v) for v in out.stdout.split()]


def test_field_jit_cold_and_cached(benchmark):
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        cold_import, cold_kernels = _run(cache)
        cold_total = time.perf_counter() - start
        warm = benchmark.pedantic(_run, args=(cache,), rounds=3, iterations=1)
    benchmark.extra_info.update(cold_compile_s=cold_kernels, cached_load_s=warm[1])
    print(
        f"\nfield kernels: cold compile {cold_kernels:.2f} s (process {cold_total:.2f} s); "
        f"cached load {warm[1]:.3f} s; import {warm[0]:.3f} s"
    )
