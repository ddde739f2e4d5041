"""Loading cached kernels without rebuilding numba's compiler registries.

numba's on-disk cache (``@njit(cache=True)``) holds machine code, yet ``Cache.load_overload``
first calls ``target_context.refresh()``, which imports and installs every typing and lowering
registry numba has (linear algebra, random generators, typed containers, datetimes, ...): about
0.25 s of CPU in every fresh process, paid on the first cached kernel whatever the kernel, the
largest fixed cost of a ``zk prove`` or ``zk verify`` process after ``import numba`` itself.
Relinking cached machine code needs none of those registries, only numba's runtime (NRT), which
the code calls to allocate arrays. Compiling needs them, and numba's compiler refreshes both
contexts itself before every compilation (``CompilerBase.__init__``), so a cache miss still
compiles with the full registries.

:func:`install` replaces ``Cache.load_overload`` with the same method minus the refresh, on the
numba versions whose method it has been checked against (others keep numba's own); the
environment variable ``ZK_NUMBA_FULL_REFRESH=1`` keeps numba's own too. Kernels loaded either
way are the same machine code: the tests run every kernel family through this path once their
cache is warm.
"""
from __future__ import annotations

import os

# numba releases whose Cache.load_overload is `refresh(); with guard: return _load_overload(...)`.
_CHECKED_VERSIONS = ((0, 59), (0, 60), (0, 61), (0, 62), (0, 63), (0, 64), (0, 65), (0, 66), (0, 67), (0, 68))
_installed = False


def install() -> bool:
    """Install the fast path (idempotent); True when it is in place."""
    global _installed
    if _installed:
        return True
    if os.environ.get("ZK_NUMBA_FULL_REFRESH", "") not in ("", "0"):
        return False
    import numba
    from numba.core import caching
    from numba.core.runtime.nrt import rtsys

    version = tuple(int(part) for part in numba.__version__.split(".")[:2] if part.isdigit())
    cache_cls = caching.Cache
    original = cache_cls.load_overload
    if version not in _CHECKED_VERSIONS or not hasattr(cache_cls, "_load_overload") \
            or "refresh" not in original.__code__.co_names:
        return False

    def load_overload(self, sig, target_context):
        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)

    load_overload.__doc__ = original.__doc__
    load_overload.__wrapped__ = original
    cache_cls.load_overload = load_overload
    _installed = True
    return True
