"""zk.field.jit: inner kernels get no machine code of their own, and still link into callers, also
from numba's disk cache in a fresh process."""
from __future__ import annotations

import os
import subprocess
import sys

import llvmlite.binding as llvm
import numpy as np
import pytest
from numba import njit, types
from numba.core.caching import NullCache

from zk.curve import G1Point
from zk.curve import kernels as K
from zk.curve.points import g1_from_array, g1_to_array
from zk._numba_cache import elf_defined_symbols
from zk.field import FP
from zk.field.jit import inner_kernel
from zk.field.spec import ELEMENT


JACOBIAN_G1 = types.UniTuple(ELEMENT, 3)


def _triple(F, p):
    return K.jac_add(F, K.jac_double(F, p), p)


def test_an_inner_kernel_emits_only_its_environment_pointer():
    triple = inner_kernel(_triple)
    triple._cache = NullCache()  # compiled here whatever the disk cache holds
    signature = (FP.numba_type, JACOBIAN_G1)
    triple.compile(signature)
    library = triple.overloads[signature].library
    name, kind, (object_code, bitcode) = library.serialize_using_object_code()
    symbols = elf_defined_symbols(object_code)
    assert symbols and all(symbol.startswith("_ZN08NumbaEnv") for symbol in symbols), symbols
    linkable = {f.name for f in llvm.parse_bitcode(bitcode).functions if not f.is_declaration}
    assert triple.overloads[signature].fndesc.mangled_name in linkable

    @njit
    def caller(points, out):
        K.store_jac(FP, out, 0, triple(FP, K.affine_to_jac(FP, K.load_affine(FP, points, 0))))

    out = np.empty((1, 3, 4), dtype=np.uint64)
    caller(g1_to_array([G1Point.generator()]), out)
    affine = np.empty((1, 2, 4), dtype=np.uint64)
    K.batch_to_affine(FP, out, affine)
    assert g1_from_array(affine) == [G1Point.generator() * 3]


LINK_PROBE = r"""
import numpy as np
import pytest
from numba import njit
from zk.curve import G1Point
from zk.curve import kernels as K
from zk.curve.points import g1_from_array, g1_to_array
from zk._numba_cache import elf_defined_symbols
from zk.field import FP
from zk.field.jit import inner_kernel

@njit  # not cached: compiled here against jac_scalar_mul from the disk cache
def times_eleven(points, out):
    k = (np.uint64(11), np.uint64(0), np.uint64(0), np.uint64(0))
    p = K.jac_scalar_mul(FP, K.affine_to_jac(FP, K.load_affine(FP, points, 0)), k)
    K.store_affine(FP, out, 0, K.jac_to_affine(FP, p))

out = np.empty((1, 2, 4), dtype=np.uint64)
times_eleven(g1_to_array([G1Point.generator() * 2]), out)
assert g1_from_array(out) == [G1Point.generator() * 22]
assert K.jac_scalar_mul.stats.cache_hits, "jac_scalar_mul was compiled, not loaded"
print("linked")
"""


@pytest.mark.parametrize("loader", ["zk", "numba"])
def test_a_cached_inner_kernel_links_into_a_new_kernel_in_a_fresh_process(loader):
    K.jac_scalar_mul.compile((FP.numba_type, JACOBIAN_G1, ELEMENT))  # compiled here: cached for the probe
    # zk._numba_cache's loader or numba's own (which records the IR's names as defined symbols).
    env = {**os.environ, "ZK_NUMBA_FULL_REFRESH": "1" if loader == "numba" else ""}
    done = subprocess.run([sys.executable, "-c", LINK_PROBE], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "linked"


UNCHECKED_NUMBA_PROBE = r"""
import numba
numba.__version__ = "0.99.0"  # a release zk's patches were never checked against
import numpy as np
from numba import njit
from zk import _numba_cache
from zk.curve import G1Point
from zk.curve import kernels as K
from zk.curve.points import g1_from_array, g1_to_array
from zk.field import FP
from zk.field import jit

assert not jit.INNER_CODEGEN and not _numba_cache.install()
assert "pipeline_class" not in jit._INNER_OPTIONS

@njit
def times_three(points, out):
    p = K.affine_to_jac(FP, K.load_affine(FP, points, 0))
    K.store_affine(FP, out, 0, K.jac_to_affine(FP, K.jac_add(FP, K.jac_double(FP, p), p)))

out = np.empty((1, 2, 4), dtype=np.uint64)
times_three(g1_to_array([G1Point.generator()]), out)
assert g1_from_array(out) == [G1Point.generator() * 3]
assert type(K.jac_add.overloads[next(iter(K.jac_add.overloads))].library).__name__ == "JITCodeLibrary"
print("numba's own codegen")
"""


def test_on_an_unchecked_numba_release_inner_kernels_fall_back_to_numba_codegen(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}  # compiled afresh by numba's own pipeline
    done = subprocess.run([sys.executable, "-c", UNCHECKED_NUMBA_PROBE], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "numba's own codegen"
