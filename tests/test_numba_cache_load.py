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
print(("linalg" if "numba.np.linalg" in sys.modules else "no-linalg")
      + (" numpy.ma" if "numpy.ma" in sys.modules else "")
      + (" arrayobj" if "numba.np.arrayobj" in sys.modules else ""))
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
    # numba's own loader refreshes the registries (numba.np.linalg among them), its typeof of an
    # array imports numpy.ma, and the kernels' environments import numba.np.arrayobj (the MSM
    # allocates arrays inside the kernel: its results above came through the deferred
    # environments): the probe can fail.
    assert _probe(ZK_NUMBA_FULL_REFRESH="1") == "linalg numpy.ma arrayobj"


def test_arrays_are_typed_as_numba_types_them():
    # zk._numba_cache types exact ndarrays without asking numpy.ma; the types are numba's own.
    import numpy as np
    import pytest
    from numba import typeof
    from numba.core.errors import NumbaTypeError
    from numba.core.typing.typeof import typeof_impl

    ours = typeof_impl.dispatch(np.ndarray)
    numbas = getattr(ours, "__wrapped__", ours)
    readonly = np.zeros((2, 4), dtype=np.uint64)
    readonly.flags.writeable = False
    for arr in (np.zeros((3, 4), dtype=np.uint64), np.zeros((4, 3), dtype=np.uint64).T, np.zeros(5)[::2],
                readonly, np.zeros((2, 3, 2, 4), dtype=np.uint64)):
        assert typeof(arr) == numbas(arr, None)
    with pytest.raises(NumbaTypeError, match="MaskedArray"):
        typeof(np.ma.masked_array([1, 2]))


LINK_PROBE = r"""
import llvmlite.binding as ll
import numpy as np
from numba import njit
from numba.core.codegen import CPUCodeLibrary
import zk._numba_cache
from zk.field import FR
from zk.field import arrays as field_arrays

# The names the loader reads from the object code are the ones numba reads from the bitcode.
states = []
lazy = CPUCodeLibrary._unserialize.__func__
CPUCodeLibrary._unserialize = classmethod(lambda cls, codegen, state: states.append(state) or lazy(cls, codegen, state))
values = field_arrays.to_array(FR, [3, 5, 7])          # to_montgomery_rows, from the cache
assert field_arrays.from_array(FR, values) == [3, 5, 7]
CPUCodeLibrary._unserialize = classmethod(lazy)
# the two kernels and numba's runtime
assert len(states) == 3 and all(kind == "object" for _, kind, _ in states), [state[0] for state in states]
for _, _, (object_code, bitcode) in states:
    module = ll.parse_bitcode(bitcode)
    names = {g.name for group in (module.functions, module.global_variables) for g in group if not g.is_declaration}
    assert names and zk._numba_cache.elf_defined_symbols(object_code) == names
assert zk._numba_cache.elf_defined_symbols(b"\xcf\xfa\xed\xfe" + bytes(60)) is None  # Mach-O: numba's own path

library = next(iter(field_arrays.to_montgomery_rows.overloads.values())).library
assert "_zk_shared_bitcode" in vars(library), "loaded without the lazy bitcode"
# numba's runtime came from the object file an earlier process wrote, loaded the same way.
from numba.core.runtime.nrt import rtsys
assert "_zk_shared_bitcode" in vars(rtsys.library), "the runtime was compiled, not loaded"
# zk's cached kernels ran without numba reading the installed distributions' extension lists;
# compiling (below) reads them, as does the first call of any other dispatcher.
from numba.core import entrypoints
assert not entrypoints._already_initialized

@njit  # not cached: compiled here, linked against the library loaded above
def twice(F, raw, out):
    field_arrays.to_montgomery_rows(F, raw, out)
    field_arrays.to_montgomery_rows(F, raw, out)

out = np.empty_like(values)
twice(FR, field_arrays.ints_to_raw([3, 5, 7]), out)
assert field_arrays.from_array(FR, out) == [3, 5, 7]
assert "_zk_shared_bitcode" not in vars(library)          # parsed when the compiler needed it
assert entrypoints._already_initialized
print("linked")
"""


def test_a_new_kernel_links_against_a_lazily_loaded_one():
    """In a fresh process: the symbol names come from the ELF object as they would from the
    bitcode, the runtime's object code is loaded like a kernel's, and a kernel compiled there
    links against both without their bitcode having been parsed at load."""
    values = field_arrays.to_array(FR, [3, 5, 7])  # compiled (or loaded) here: cached for the probe
    assert field_arrays.from_array(FR, values) == [3, 5, 7]
    subprocess.run([sys.executable, "-c", "from zk.field import FR, arrays; arrays.to_array(FR, [1])"], check=True)
    done = subprocess.run([sys.executable, "-c", LINK_PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "linked"


def test_a_damaged_runtime_object_file_is_not_loaded(tmp_path):
    from zk._numba_cache import _NRT_MAGIC, _read_runtime_object

    path = tmp_path / "zk-nrt-x.o"
    assert _read_runtime_object(str(path), "nrt") is None  # missing
    elf = b"\x7fELF\x02\x01" + bytes(58)
    for data in (b"garbage", _NRT_MAGIC + bytes(8), _NRT_MAGIC + (64).to_bytes(8, "little") + (3).to_bytes(8, "little") + elf,
                 _NRT_MAGIC + (4).to_bytes(8, "little") + (0).to_bytes(8, "little") + b"\xcf\xfa\xed\xfe"):
        path.write_bytes(data)
        assert _read_runtime_object(str(path), "nrt") is None, data[:40]
