"""Decorators for the pairing's internal numba functions.

Internal functions are only called from other kernels: they are inner kernels (see
:mod:`zk.field.jit`), without the CPython and C-callback wrappers numba would otherwise generate
(for an Fp12 element, 48 uint64 in nested tuples, large boxing/unboxing routines compiled for
nothing) and without machine code of their own.
"""
from numba import njit

from zk.field.jit import inner_kernel as kernel

inline_kernel = njit(cache=True, inline="always", no_cpython_wrapper=True, no_cfunc_wrapper=True)
