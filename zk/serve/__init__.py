"""A warm prover: ``zk serve`` keeps proving keys loaded and the kernels compiled; ``zk prove
--server SOCKET`` hands it the work and starts without importing numba.

- :mod:`.server`: the daemon (Unix socket, mode 0600, SO_PEERCRED uid check, keys loaded once).
- :mod:`.client`: the standard-library client.
- :mod:`.protocol`: one JSON object per line.

This package's ``__init__`` imports nothing heavy; import ``zk.serve.client`` from a thin client.
"""
