"""The Fp multiplication time measured in the same run, so that benchmarks can state their
figures in multiplications as well as seconds (a unit the machine's load does not change)."""
from __future__ import annotations

import random
import time

import numpy as np
from numba import njit

from zk.field import FP
from zk.field import arrays as A
from zk.field.ops import fload, fmul, fstore


@njit(cache=True)
def _mul_chain(F, x, n, out):
    a = fload(F, x, 0)
    b = fload(F, x, 1)
    for _ in range(n):
        a = fmul(F, a, b)
    fstore(F, out, 0, a)


def mul_ns(F=FP, n: int = 1 << 20, rounds: int = 5) -> float:
    """CPU nanoseconds per multiplication in F (a dependent chain; best of ``rounds``)."""
    rng = random.Random(5)
    x = A.to_array(F, [rng.randrange(1, 1 << 250) for _ in range(2)])
    out = np.empty_like(x)
    _mul_chain(F, x, 10, out)
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        _mul_chain(F, x, n, out)
        best = min(best, time.process_time() - start)
    return best / n * 1e9
