"""Ahead-of-time compiled kernels (numba.pycc): the Groth16 verifier as an extension module that
needs numpy, not numba, at run time. ``zk aot build`` makes it (:mod:`zk.aot.build`, from the
kernels in :mod:`zk.aot.kernel`), :mod:`zk.aot.store` keys, keeps and loads it, and ``zk verify``
asks :func:`zk.aot.verifier.verify_files` first. See docs/aot.md.

Importing this package imports nothing else: `zk verify` must be able to ask without numba.
"""
