"""Proving on a Dask cluster: batches of proofs, and one proof sharded across workers.

    from zk.distributed import prove_batch
    results = prove_batch("circuit.pk", ["w/a.wtns", "w/b.wtns"], out_dir="proofs")

This layer sits above :mod:`zk.groth16` and :mod:`zk.formats` (it needs files and engines at
once); ``zk.groth16`` itself never knows about files or clusters. Dask is an optional
dependency: ``pip install 'zk[distributed]'``. See docs/distributed.md.
"""
from .batch import BatchKeyError, BatchResult, prove_batch, witness_files
from .cluster import DistributedUnavailable, connect

__all__ = ["BatchKeyError", "BatchResult", "DistributedUnavailable", "connect", "prove_batch", "witness_files"]
