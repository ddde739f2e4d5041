"""Building the ahead-of-time verifier module with ``numba.pycc`` (``zk aot build``).

pycc is deprecated in numba but still ships (0.68); it compiles the exported functions and
everything they call into one C extension module that needs numpy, not numba, at run time.
The build takes minutes of CPU (the pairing's tower is compiled without numba's cache), once
per source tree, numba version, Python and CPU: :mod:`zk.aot.store` keys the module on them.
"""
from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import store


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the C compiler and linker
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def compile_module(out_dir: Path) -> Path:
    """Compile the verifier module into ``out_dir``; the path of the extension file."""
    from numba.pycc import CC

    from .kernel import SIGNATURE, groth16_verdict

    cc = CC(store.MODULE_NAME)
    cc.output_dir = str(out_dir)
    # The JIT compiles for this CPU (and zk.field._llvm's inline assembly needs its BMI2/ADX):
    # so does the module, which the store keys on this CPU.
    cc.target_cpu = "host"

    # pycc exports plain functions; the exported one calls the njit function it wraps.
    def groth16_verify(g1_plain, g2_plain, scalars):
        return groth16_verdict(g1_plain, g2_plain, scalars)

    cc.export("groth16_verify", SIGNATURE)(groth16_verify)
    cc.compile()
    return out_dir / cc.output_file


def build(directory: Path | None = None) -> dict:
    """Compile the module and install it atomically under its key in ``directory`` (default
    :func:`zk.aot.store.aot_dir`); the installed manifest (with the build's wall and CPU time).
    Modules of other keys in that directory are removed: they can never match again."""
    directory = store.prepare_dir(directory)
    key = store.current_key()
    start, cpu = time.perf_counter(), _cpu_seconds()
    before = set(sys.modules)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=directory) as tmp:
        built = compile_module(Path(tmp))
        wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        # What the build imported (in a fresh process, every module its code can come from).
        imported = sorted(name for name in set(sys.modules) - before if name.startswith("zk."))
        manifest = store.install(directory, key, built, {
            "build_wall_s": round(wall, 1), "build_cpu_s": round(cpu, 1), "zk_modules_imported": imported,
        })
    store.remove_stale(directory, key)
    return manifest


__all__ = ["build", "compile_module"]
