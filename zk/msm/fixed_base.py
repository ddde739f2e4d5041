"""Fixed-base scalar multiplication: many scalars times one point (the Groth16 setup's workload).

A table holds d * 2^(w j) * G for every window j and digit d in [1, 2^(w-1)] (affine). With
signed digits, k * G = sum_j sign(d_j) * table[j][|d_j|], so each scalar costs one addition per
window and no doublings. The scalars run as independent lanes: at window j every lane adds its
table point, and all those additions share one inversion, so the results come out affine.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

from zk.curve.kernels import (
    affine_infinity,
    entry_kernel,
    inner_kernel,
    jac_add,
    jac_double,
    load_jac,
    store_jac,
)
from zk.field.ops import finv, fis_zero, fload, fmul, fneg, fone, fstore

from zk.curve.rows import load_point, store_point
from .batch_affine import pair_add, pair_denominator
from .scalars import signed_digit

LANES_PER_CHUNK = 1024


@entry_kernel
def build_table(F, base_jac, w, windows, out_jac):
    """out_jac[j * 2^(w-1) + d - 1] = d * 2^(w j) * base, in Jacobian coordinates; base_jac is a
    one-row Jacobian array (so Python calls this kernel directly)."""
    half = 1 << (w - 1)
    b = load_jac(F, base_jac, np.int64(0))
    for j in range(windows):
        acc = b
        store_jac(F, out_jac, j * half, acc)
        for d in range(1, half):
            acc = jac_add(F, acc, b)
            store_jac(F, out_jac, j * half + d, acc)
        for _ in range(w):
            b = jac_double(F, b)


@inner_kernel
def _table_point(F, table, j, half, d):
    q = load_point(F, table, j * half + abs(d) - 1)
    if d < 0:
        return (q[0], fneg(F, q[1]))
    return q


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def _lanes(F, table, w, windows, scalars, lo, hi, out):
    half = 1 << (w - 1)
    prefix = np.empty((hi - lo,) + out.shape[2:], dtype=np.uint64)
    for i in range(lo, hi):
        store_point(F, out, i, affine_infinity(F))
    for j in range(windows):
        product = fone(F)
        for i in range(lo, hi):
            d = signed_digit(scalars, i, j, w)
            if d == 0:
                continue
            dd = pair_denominator(F, load_point(F, out, i), _table_point(F, table, j, half, d))
            fstore(F, prefix, i - lo, product)
            if not fis_zero(F, dd):
                product = fmul(F, product, dd)
        inv = finv(F, product)
        for i in range(hi - 1, lo - 1, -1):
            d = signed_digit(scalars, i, j, w)
            if d == 0:
                continue
            acc = load_point(F, out, i)
            t = _table_point(F, table, j, half, d)
            dd = pair_denominator(F, acc, t)
            inv_i = inv
            if not fis_zero(F, dd):
                inv_i = fmul(F, inv, fload(F, prefix, i - lo))
                inv = fmul(F, inv, dd)
            store_point(F, out, i, pair_add(F, acc, t, inv_i))


def fixed_base_mul(F, table, w, windows, scalars, out):
    """out[i] = scalars[i] * G (affine), G being the point the table was built from.

    Chunks of lanes run on numba's thread count of Python threads (the lane kernel releases the
    GIL). A prange kernel would be a second compiled copy of all the lane code (the parfor and
    its gufunc each link and optimise it again): seconds of cold compile for a loop over chunks.
    """
    n = scalars.shape[0]
    starts = range(0, n, LANES_PER_CHUNK)
    threads = min(numba.get_num_threads(), len(starts))

    def run(first):
        for lo in starts[first::threads]:
            _lanes(F, table, w, windows, scalars, lo, min(n, lo + LANES_PER_CHUNK), out)

    if threads <= 1:
        run(0)
        return
    with ThreadPoolExecutor(threads - 1) as pool:
        others = [pool.submit(run, t) for t in range(1, threads)]
        run(0)
        for job in others:
            job.result()
