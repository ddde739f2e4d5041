"""Decorators for numba kernels: entry kernels (called from Python) and inner kernels (called only
from other kernels), and the cheaper code generation inner kernels get.

numba compiles every function into an LLVM module of its own, links in the modules of everything
it calls, optimises the result and emits it as machine code. A kernel that only other kernels call
never runs its own machine code: each caller links its IR and emits its own copy. So an inner
kernel here stops after linking: its module is neither optimised at module level nor emitted (its
functions were optimised one by one as numba lowered them), and the caller's optimisation, which
inlines and optimises everything it links anyway, does that work once, at the top of the call
tree, instead of once per level. The inner kernel's engine entry is a tiny module holding only the
environment pointers numba fills in for every compiled function (``set_env``), and its cache entry
is that module's object code plus the linkable IR, the same shape as numba's own cache entries.

Without a CPython wrapper numba's dispatcher would still accept a call from Python and jump into
code that expects native arguments, crashing the interpreter, so an inner kernel's dispatcher
refuses Python calls with a TypeError instead; only Python calls go through that method, while
kernels call the compiled code directly, and numba's disk cache keys on the function, not the
dispatcher's class. Kernels that Python calls are entry kernels (their C-callback wrapper serves
no one either).

_InnerLibrary restates numba internals (CPUCodeLibrary.finalize), so it is used only on the numba
releases zk's patches were checked against (:func:`zk._numba_cache.checked_numba_version`); on
others inner kernels keep numba's own code generation: slower to compile, same results.

Index arguments are passed as np.int64(0), not 0: a literal argument is a type of its own, and
each one compiles the callee again.
"""
from __future__ import annotations

import weakref
from types import MappingProxyType

import llvmlite.binding as llvm_binding
from llvmlite import ir
from numba import njit
from numba.extending import overload
from numba.core import cgutils
from numba.core.codegen import JITCodeLibrary
from numba.core.compiler import Compiler
from numba.core.compiler_lock import require_global_compiler_lock
from numba.core.registry import CPUDispatcher

from zk import _numba_cache

_ENV_PREFIX = "_ZN08NumbaEnv"


class _InnerLibrary(JITCodeLibrary):
    """A code library that is only ever linked into other libraries (see the module docstring)."""

    optimise = False

    def finalize(self):
        require_global_compiler_lock()
        self._codegen._check_llvm_bugs()
        self._raise_if_finalized()
        seen = set()
        for library in self._linking_libraries:
            if library not in seen:
                self._reload_init.update(library._reload_init)
                seen.add(library)
                self._final_module.link_in(library._get_module_for_linking(), preserve=True)
        if self.optimise:
            self._optimize_final_module()
        self._final_module.verify()
        self._finalize_dynamic_globals()
        self._verify_declare_only_symbols()
        # The engine gets the environment pointers only: numba's set_env writes into them, and
        # a cache load restores them from this module's object code.
        stub = llvm_binding.parse_assembly(str(self._environment_module()))
        setattr(stub, "_CPUCodeLibrary__library", weakref.proxy(self))  # numba's object-code hook reads it
        self._codegen._add_module(stub)
        self._codegen._engine.finalize_object()
        self._finalized = True

    def _environment_module(self):
        module = self._codegen._create_empty_module(self.name + ".env")
        for gv in self._final_module.global_variables:
            if gv.name.startswith(_ENV_PREFIX) and not gv.is_declaration:
                env = ir.GlobalVariable(module, cgutils.voidptr_t, name=gv.name)
                env.linkage = "common"
                env.initializer = cgutils.get_null_value(cgutils.voidptr_t)
        return module


class _OptimisedInnerLibrary(_InnerLibrary):
    """For the small helpers that nearly every kernel links (field operations, row loads and
    stores): optimised once here, so that each caller links a few instructions, not numba's raw
    lowering of them (measured: 4 s less of a cold compile than leaving them to the callers)."""

    optimise = True


class _InnerCompiler(Compiler):
    """numba's nopython pipeline, lowering into an :class:`_InnerLibrary`."""

    library_class = _InnerLibrary

    def compile_extra(self, func):
        library = self.library_class(self.state.targetctx.codegen(), func.__qualname__)
        library.enable_object_caching()
        self.state.library = library
        return super().compile_extra(func)


class _KernelOnlyDispatcher(CPUDispatcher):
    def __call__(self, *args, **kwargs):
        raise TypeError(
            f"{self.py_func.__module__}.{self.py_func.__qualname__} is compiled without a Python entry point; "
            "call it from a numba kernel or declare it with entry_kernel")


def _inner_codegen_checked() -> bool:
    """_InnerLibrary.finalize restates numba's CPUCodeLibrary.finalize minus the module optimisation
    and emission: only on the numba releases it was checked against, and only while the methods it
    calls exist; elsewhere inner kernels get numba's own pipeline (no wrappers, full codegen)."""
    needed = ("_optimize_final_module", "_finalize_dynamic_globals", "_verify_declare_only_symbols",
              "_raise_if_finalized", "_get_module_for_linking", "enable_object_caching", "_environment_module")
    return _numba_cache.checked_numba_version() and all(hasattr(_InnerLibrary, name) for name in needed)


INNER_CODEGEN = _inner_codegen_checked()
_INNER_PIPELINE = {"pipeline_class": _InnerCompiler} if INNER_CODEGEN else {}
_inner_jit = njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **_INNER_PIPELINE)


def inner_kernel(py_func):
    """A kernel called only from other kernels: no wrappers, no machine code of its own."""
    dispatcher = _inner_jit(py_func)
    if type(dispatcher) is CPUDispatcher:  # NUMBA_DISABLE_JIT leaves the Python function, callable
        dispatcher.__class__ = _KernelOnlyDispatcher
    return dispatcher


entry_kernel = njit(cache=True, no_cfunc_wrapper=True)


class _OptimisedInnerCompiler(_InnerCompiler):
    library_class = _OptimisedInnerLibrary


# numba compiles an @overload's implementations with CPython and C-callback wrappers and machine
# code of their own, like any jit function, although only the kernels that call them run them.
_INNER_OPTIONS = MappingProxyType({"no_cpython_wrapper": True, "no_cfunc_wrapper": True,
                                   **({"pipeline_class": _OptimisedInnerCompiler} if INNER_CODEGEN else {})})


def inner_overload(func, **kwargs):
    """numba's ``overload``, its implementations compiled like inner kernels."""
    return overload(func, jit_options=_INNER_OPTIONS, **kwargs)
