"""numba ahead-of-time compilation (numba.pycc) of the pairing kernel: what a verifier would gain
if its kernels no longer needed numba at run time.

    .venv/bin/python bench/aot_experiment.py [OUT_DIR]

Builds an extension module exporting the Groth16 verifier's hot kernel (the multi-pairing:
Miller loop + final exponentiation over prepared affine arrays) with ``numba.pycc``, then runs
it in a fresh process that imports numpy and that module only (no numba), and prints that
process's CPU time, peak RSS and the result of a valid and an invalid pairing product, beside a
process that imports numpy and numba (the floor of every numba-based command).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".numba_cache"))

USE = r'''
import sys, time
c0 = time.process_time()
import numpy as np
sys.path.insert(0, sys.argv[1])
import zk_pairing_aot
out = np.empty((1, 2, 3, 2, 4), dtype=np.uint64)
fin = np.zeros((1, 2, 3, 2, 4), dtype=np.uint64)
d = sys.argv[1]
g1, g1b, g2, one = (np.load(f"{d}/{n}.npy") for n in ("g1", "g1b", "g2", "one"))
zk_pairing_aot.pairing(2, g1, g2, fin, out)
valid = np.array_equal(out[0], one)
zk_pairing_aot.pairing(2, g1b, g2, fin, out)
invalid = np.array_equal(out[0], one)
t = time.perf_counter()
for _ in range(20):
    zk_pairing_aot.pairing(2, g1, g2, fin, out)
print(f"valid={valid} invalid={invalid} numba_imported={'numba' in sys.modules} "
      f"pairing_check_2_pairs={(time.perf_counter() - t) / 20 * 1e3:.2f}ms cpu={time.process_time() - c0:.3f}s")
'''


def build(out_dir: Path) -> float:
    from numba.pycc import CC

    from zk.field import FP2
    from zk.pairing.kernels import _pairing_kernel

    cc = CC("zk_pairing_aot")
    cc.output_dir = str(out_dir)

    @cc.export("pairing", "void(i8, u8[:,:,::1], u8[:,:,:,::1], u8[:,:,:,:,::1], u8[:,:,:,:,::1])")
    def pairing(mode, g1, g2, f_in, out):
        _pairing_kernel(FP2, mode, g1, g2, f_in, out)

    start = time.perf_counter()
    cc.compile()
    return time.perf_counter() - start


def main() -> None:
    import numpy as np

    from zk.curve import G1Point, G2Point, g1_to_array, g2_to_array
    from zk.pairing.kernels import FP12_ONE
    from zk.perf.process import run_measured

    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="zk-aot-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    g, h = G1Point.generator(), G2Point.generator()
    np.save(out_dir / "g1.npy", g1_to_array([g * 5, -(g * 5)]).reshape(2, 2, 4))
    np.save(out_dir / "g1b.npy", g1_to_array([g * 5, -(g * 6)]).reshape(2, 2, 4))
    np.save(out_dir / "g2.npy", g2_to_array([h * 7, h * 7]).reshape(2, 2, 2, 4))
    np.save(out_dir / "one.npy", FP12_ONE)
    if not list(out_dir.glob("zk_pairing_aot*.so")):
        print(f"building with numba.pycc: {build(out_dir):.0f} s wall", flush=True)
    aot = run_measured([sys.executable, "-c", USE, str(out_dir)])
    print(f"AOT module, fresh process: {aot.stdout.strip()} peak RSS {aot.peak_rss_mib:.0f} MiB, CPU {aot.cpu_s:.2f} s")
    floor = run_measured([sys.executable, "-c", "import numpy, numba"])
    print(f"floor `import numpy, numba`: peak RSS {floor.peak_rss_mib:.0f} MiB, CPU {floor.cpu_s:.2f} s; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
