"""Row access for the hot loops, by direct indexing.

A row view (``arr[i]``) is a reference-counted object in numba; in loops that touch millions of
rows (with two threads sharing the counters' cache lines) that costs more than the arithmetic.
These helpers index the array directly, so a row load or store is only the limb moves.

They are calls, not numba-level inlining (``inline="always"``): LLVM inlines them all the same
(the machine code of the MSM kernels is the same), while numba inlining their IR into every
caller cost 7 s of a cold compile (69.2 -> 61.8 s, both trees at once).
"""
from __future__ import annotations


from zk.field.jit import inner_overload
from zk.field.ops import numba_only
from zk.field.spec import PrimeFieldType, QuadraticFieldType


load_point = numba_only("load_point")
store_point = numba_only("store_point")


@inner_overload(load_point)
def _load_point(F, arr, i):
    """Affine point i of an (n, 2, 4) (G1) or (n, 2, 2, 4) (G2) array."""
    if isinstance(F, PrimeFieldType):
        return lambda F, arr, i: (
            (arr[i, 0, 0], arr[i, 0, 1], arr[i, 0, 2], arr[i, 0, 3]),
            (arr[i, 1, 0], arr[i, 1, 1], arr[i, 1, 2], arr[i, 1, 3]),
        )
    if isinstance(F, QuadraticFieldType):
        return lambda F, arr, i: (
            (
                (arr[i, 0, 0, 0], arr[i, 0, 0, 1], arr[i, 0, 0, 2], arr[i, 0, 0, 3]),
                (arr[i, 0, 1, 0], arr[i, 0, 1, 1], arr[i, 0, 1, 2], arr[i, 0, 1, 3]),
            ),
            (
                (arr[i, 1, 0, 0], arr[i, 1, 0, 1], arr[i, 1, 0, 2], arr[i, 1, 0, 3]),
                (arr[i, 1, 1, 0], arr[i, 1, 1, 1], arr[i, 1, 1, 2], arr[i, 1, 1, 3]),
            ),
        )
    return None


@inner_overload(store_point)
def _store_point(F, arr, i, q):
    if isinstance(F, PrimeFieldType):

        def prime(F, arr, i, q):
            for k in range(2):
                c = q[k]
                arr[i, k, 0] = c[0]
                arr[i, k, 1] = c[1]
                arr[i, k, 2] = c[2]
                arr[i, k, 3] = c[3]

        return prime
    if isinstance(F, QuadraticFieldType):

        def quad(F, arr, i, q):
            for k in range(2):
                c = q[k]
                for h in range(2):
                    e = c[h]
                    arr[i, k, h, 0] = e[0]
                    arr[i, k, h, 1] = e[1]
                    arr[i, k, h, 2] = e[2]
                    arr[i, k, h, 3] = e[3]

        return quad
    return None
