"""Measuring and warming the toolkit itself (orchestration, above zk.formats):

- :mod:`.warmup`: compile every numba kernel once, with a progress line (``zk warmup``).
- :mod:`.bench`: setup / prove / verify figures for one circuit, beside snarkjs and rapidsnark
  when they are installed (``zk bench``).
- :mod:`.process`: wall time and peak RSS of a child process.
"""
