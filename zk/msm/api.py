"""Python entry points: ``msm_g1`` / ``msm_g2`` (Pippenger) and ``fixed_base_g1`` / ``fixed_base_g2``.

Points are affine limb arrays in the layout of :mod:`zk.curve.kernels` ((n, 2, 4) for G1,
(n, 2, 2, 4) for G2, Montgomery form, infinity = all-zero row) or sequences of ``G1Point`` /
``G2Point``. Scalars are an (n, 4) uint64 plain-limb array (see :mod:`zk.msm.scalars`; prepare it
once and reuse it) or a sequence of ints in [0, r).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numba
import numpy as np

from zk.curve.errors import CurveError
from zk.curve.groups import G1, G2, CurveGroup
from zk.curve.kernels import batch_to_affine, entry_kernel, store_jac
from zk.curve.points import G1Point, G2Point
from zk.curve.subgroup import batch_g2_subgroup_check
from zk.field import FP, FP2
from zk.field import arrays as field_arrays

from . import endomorphism as endomorphism_split
from . import fixed_base as fixed_base_kernels
from . import pippenger
from .scalars import as_scalar_array, first_non_canonical, num_windows

# Relative cost of one bucket in the running-sum aggregation (a mixed plus a full Jacobian
# addition, ~27 multiplications) against one batch-affine bucket insertion (~6 plus memory).
_AGGREGATION_WEIGHT = 3.0
# Below this many active points, the thread pool's hand-offs cost more than the windows.
_PARALLEL_MIN_POINTS = 256
# With the endomorphism split, each thread copies a window's points into its scratch a slice at
# a time: at least SLICE_BYTES, at most MAX_SLICES slices per window (each slice is one more pass
# over the window's digits, and its points a sparser stream to read). At 2^16 the G2 MSM, whose
# split doubles the rows, takes 4 slices of 4 MiB instead of 16 MiB per thread.
SLICE_BYTES = 1 << 22
MAX_SLICES = 4


def _as_points(group: CurveGroup, points, check: bool, subgroup: bool) -> np.ndarray:
    if not isinstance(points, np.ndarray):
        points = list(points)
        if points and not all(isinstance(p, group.point_cls) for p in points):
            raise TypeError(f"expected {group.point_cls.__name__} values or an affine limb array")
        return group.to_array(points).reshape((len(points), 2) + group.element_shape)
    expected = (2,) + group.element_shape
    if points.dtype != np.uint64 or points.ndim != 1 + len(expected) or points.shape[1:] != expected:
        raise CurveError(f"expected a {group.name} affine array of shape (n, {', '.join(map(str, expected))}), uint64; got {points.dtype} {points.shape}")
    points = np.ascontiguousarray(points)
    if check:
        bad = first_non_canonical(FP, points.reshape(-1, 4))
        if bad >= 0:
            raise CurveError(f"{group.name} point {bad // (points[0].size // 4)} has a coordinate limb block >= p")
        bad = group.first_off_curve(points)
        if bad >= 0:
            raise CurveError(f"{group.name} point {bad} is not on the curve")
        if subgroup and group is G2:
            bad = batch_g2_subgroup_check(FP2, points)
            if bad >= 0:
                raise CurveError(f"G2 point {bad} is not in the order-r subgroup")
    return points


def choose_window(active: int, threads: int = 1, bits: int = 254) -> int:
    """The window size c minimising (windows per thread) * (points + weight * buckets)."""
    best_c, best_cost = 2, float("inf")
    for c in range(2, 17):
        rounds = -(-num_windows(c, bits) // max(1, threads))
        cost = rounds * (active + _AGGREGATION_WEIGHT * (1 << (c - 1)))
        if cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


_CUBE_ROOTS: dict = {}  # built on first use: a kernel call at import time would slow every start-up


def msm_jacobian(group: CurveGroup, points: np.ndarray, scalars: np.ndarray, *, window: int | None = None,
                 parallel: bool | None = None, endomorphism: bool | None = None,
                 group_bytes: int = pippenger.GROUP_BYTES, slice_bytes: int | None = None) -> np.ndarray:
    """sum_i scalars[i] * points[i] as a Jacobian row ((3, 4) for G1, (3, 2, 4) for G2), on
    validated arrays. The building block of ``msm_g1`` / ``msm_g2``.

    endomorphism=True splits every scalar into two halves of at most 128 bits (GLV, see
    :mod:`zk.msm.endomorphism`) and runs Pippenger over twice the points with half the windows;
    the windows also stop at the largest half's bit length, so small scalars cost less. The
    default (None) uses it in G2 only: measured at 2^16 (CPU time, one thread) it saves about 6%
    of a G2 MSM, where aggregation is dearer, and nothing in G1, where the doubled point array
    costs as much memory traffic as the halved windows save. The split keeps one extra array,
    the x of phi(P) for the active points (phi keeps y), and two 16-byte half-scalars per point.

    group_bytes: how many bytes of points a window reduces at a time; slice_bytes: how many it
    copies at a time, each thread's scratch (None: with the split, SLICE_BYTES or MAX_SLICES
    slices, else all; 0: all of them, one pass over the points per window). Tests make both
    small to exercise many groups and slices, and buckets larger than either."""
    F = group.field
    if points.shape[0] != scalars.shape[0]:
        raise ValueError(f"{points.shape[0]} points but {scalars.shape[0]} scalars")
    active = pippenger.active_indices(F, points, scalars)
    rows = active.shape[0]
    bits = 254
    if endomorphism is None:
        endomorphism = group is G2
    if endomorphism and rows:
        twin = np.empty((rows,) + group.element_shape, dtype=np.uint64)
        halves = np.empty((2 * rows, 2), dtype=np.uint64)
        signs = np.empty(2 * rows, dtype=np.uint8)
        cube_root = _CUBE_ROOTS.get(group.name)
        if cube_root is None:
            cube_root = _CUBE_ROOTS[group.name] = endomorphism_split.cube_root(group.name)
        low_bits, high_bits = endomorphism_split.expand(F, points, scalars, active, cube_root, twin, halves, signs)
        scalars, rows = halves, 2 * rows
        bits = endomorphism_split.bit_length(low_bits, high_bits)
    else:
        twin = np.empty((0,) + group.element_shape, dtype=np.uint64)
        signs = np.empty(0, dtype=np.uint8)
    threads = numba.get_num_threads()
    if parallel is None:
        parallel = threads > 1 and rows >= _PARALLEL_MIN_POINTS
    c = window or choose_window(rows, threads if parallel else 1, bits)
    if not 2 <= c <= 16:
        raise ValueError(f"window size {c} outside [2, 16]")
    windows = num_windows(c, bits)
    sums = np.empty((windows, 3) + group.element_shape, dtype=np.uint64)
    if rows == 0:
        windows = 0
        sums = sums[:0]
    else:
        # One kernel for both cases (parts=1 is the serial run; an empty twin: no split): a
        # second specialisation of the whole window tree would double the cold compile time.
        parts = min(threads, windows) if parallel else 1
        row_bytes = points[0].size * 8
        group_points = max(1, group_bytes // row_bytes)
        if slice_bytes is None:
            # Unsplit (G1) MSMs copy all their points in one pass: at 2^18 slices cost them 7%
            # CPU, and their scratch (64-byte rows, half as many as the split G2 MSM's) stayed
            # below the G2 MSM's peak in a proof at 2^16 and 2^18.
            slice_points = max(SLICE_BYTES // row_bytes, -(-rows // MAX_SLICES)) if signs.shape[0] else rows
        else:
            slice_points = slice_bytes // row_bytes if slice_bytes else rows
        slice_points = max(group_points, slice_points)
        pippenger.window_sums(F, points, twin, scalars, signs, active, rows, c, group_points, slice_points, windows, parts, sums)
    out = np.empty((1, 3) + group.element_shape, dtype=np.uint64)
    _store_combined(F, sums, c, out)
    return out[0]


@entry_kernel
def _store_combined(F, sums, c, out):
    store_jac(F, out, np.int64(0), pippenger.combine_windows(F, sums, c))


def _msm(group, points, scalars, check, subgroup, window, parallel, endomorphism):
    pts = _as_points(group, points, check, subgroup)
    sc = as_scalar_array(scalars)
    jac = msm_jacobian(group, pts, sc, window=window, parallel=parallel, endomorphism=endomorphism)
    return group.from_array(jac[None])[0]


def msm_g1(points, scalars, *, check: bool = True, window: int | None = None, parallel: bool | None = None,
           endomorphism: bool | None = None) -> G1Point:
    """sum_i scalars[i] * points[i] in G1.

    check=True verifies that every point is canonical and on the curve (about 4% of the MSM's
    time at 2^16; on G1 that is also subgroup membership). Pass check=False for arrays that
    were validated when they were loaded, such as a proving key.
    """
    return _msm(G1, points, scalars, check, False, window, parallel, endomorphism)


def msm_g2(points, scalars, *, check: bool = True, subgroup: bool = False, window: int | None = None,
           parallel: bool | None = None, endomorphism: bool | None = None) -> G2Point:
    """sum_i scalars[i] * points[i] in G2.

    check=True verifies canonical coordinates and the twist equation; G2 membership (the order-r
    subgroup) costs a 64-bit scalar multiplication per point, so it is only tested with
    subgroup=True: decoders of keys and proofs are where it belongs.
    """
    return _msm(G2, points, scalars, check, subgroup, window, parallel, endomorphism)


# ---------------------------------------------------------------------------------------------
# Fixed base


def choose_fixed_window(n: int) -> int:
    """Window w minimising windows * (lanes + table entries * 4)."""
    best_w, best_cost = 2, float("inf")
    for w in range(2, 17):
        cost = num_windows(w) * (n + 4 * (1 << (w - 1)))
        if cost < best_cost:
            best_w, best_cost = w, cost
    return best_w


class FixedBaseTable:
    """Precomputed multiples of one point for fast ``scalars[i] * G`` (affine results)."""

    def __init__(self, group: CurveGroup, generator, window: int):
        if not 2 <= window <= 16:
            raise ValueError(f"window size {window} outside [2, 16]")
        if generator is None:
            generator = group.point_cls.generator()
        if not isinstance(generator, group.point_cls):
            raise TypeError(f"expected a {group.point_cls.__name__} generator, got {type(generator).__name__}")
        if generator.is_infinity():
            raise CurveError("the fixed base must not be the point at infinity")
        self.group = group
        self.generator = generator
        self.window = window
        self.windows = num_windows(window)
        F = group.field
        base = group.to_array([generator]).reshape((1, 2) + group.element_shape)
        base_jac = np.zeros((1, 3) + group.element_shape, dtype=np.uint64)
        base_jac[0, :2] = base[0]
        base_jac[0, 2] = _one(group)
        entries = self.windows << (window - 1)
        jac = np.empty((entries, 3) + group.element_shape, dtype=np.uint64)
        fixed_base_kernels.build_table(F, base_jac, window, self.windows, jac)
        self.table = np.empty((entries, 2) + group.element_shape, dtype=np.uint64)
        batch_to_affine(F, jac, self.table)

    def mul(self, scalars) -> np.ndarray:
        """Affine array of scalars[i] * G."""
        sc = as_scalar_array(scalars)
        out = np.empty((sc.shape[0], 2) + self.group.element_shape, dtype=np.uint64)
        if sc.shape[0]:
            fixed_base_kernels.fixed_base_mul(self.group.field, self.table, self.window, self.windows, sc, out)
        return out


def _one(group: CurveGroup) -> np.ndarray:
    ones = field_arrays.to_array(FP, [1, 0][: 1 if group is G1 else 2])
    return ones.reshape(group.element_shape)


_tables: OrderedDict = OrderedDict()
_tables_lock = threading.Lock()
_MAX_TABLES = 8


def fixed_base_table(group: CurveGroup, generator=None, window: int | None = None, n_hint: int = 1 << 12) -> FixedBaseTable:
    """A cached table for (group, generator, window); the window defaults to the best for n_hint."""
    if generator is None:
        generator = group.point_cls.generator()
    w = window or choose_fixed_window(n_hint)
    key = (group.name, generator, w)
    with _tables_lock:
        table = _tables.get(key)
        if table is not None:
            _tables.move_to_end(key)
            return table
    table = FixedBaseTable(group, generator, w)
    with _tables_lock:
        _tables[key] = table
        while len(_tables) > _MAX_TABLES:
            _tables.popitem(last=False)
    return table


def _fixed_base(group, generator, scalars, window):
    sc = as_scalar_array(scalars)
    return fixed_base_table(group, generator, window, n_hint=max(1, sc.shape[0])).mul(sc)


def fixed_base_g1(generator, scalars, *, window: int | None = None) -> np.ndarray:
    """(n, 2, 4) affine array of scalars[i] * generator (generator None: the standard one)."""
    return _fixed_base(G1, generator, scalars, window)


def fixed_base_g2(generator, scalars, *, window: int | None = None) -> np.ndarray:
    """(n, 2, 2, 4) affine array of scalars[i] * generator (generator None: the standard one)."""
    return _fixed_base(G2, generator, scalars, window)
