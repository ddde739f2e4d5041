"""Decorators for the pairing's internal numba functions.

Internal functions are only called from other kernels, so they skip the CPython and C-callback
wrappers numba would otherwise generate: for arguments such as an Fp12 element (48 uint64 in
nested tuples) those wrappers are large boxing/unboxing routines, compiled for nothing.
"""
from numba import njit

kernel = njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
inline_kernel = njit(cache=True, inline="always", no_cpython_wrapper=True, no_cfunc_wrapper=True)
