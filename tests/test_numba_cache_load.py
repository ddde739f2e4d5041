"""zk._numba_cache: cached kernels load without numba's compiler registries, and run the same."""
from __future__ import annotations

import os
import subprocess
import sys


from zk.field import FR
from zk.field import arrays as field_arrays
from zk.msm import msm_g2, scalars_from_ints
from zk.curve import G2Point

PROBE = r"""
import sys
from zk.field import FR
from zk.field import arrays as field_arrays
from zk.msm import msm_g2
from zk.curve import G2Point
values = field_arrays.to_array(FR, [3, 5, 7])
assert field_arrays.from_array(FR, values) == [3, 5, 7]
g = G2Point.generator()
assert msm_g2([g, g * 2], [3, 4], check=False) == g * 11     # a parallel kernel, G2 split
print("linalg" if "numba.np.linalg" in sys.modules else "no-linalg")
"""


def _probe(**env) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_cached_kernels_load_without_the_registry_refresh():
    # Compile (or load) the probe's kernels here first, so the subprocesses find them cached.
    values = field_arrays.to_array(FR, [3, 5, 7])
    assert field_arrays.from_array(FR, values) == [3, 5, 7]
    g = G2Point.generator()
    assert msm_g2([g, g * 2], scalars_from_ints([3, 4]), check=False) == g * 11
    assert _probe() == "no-linalg"
    # numba's own loader refreshes the registries (numba.np.linalg among them): the probe can fail.
    assert _probe(ZK_NUMBA_FULL_REFRESH="1") == "linalg"
