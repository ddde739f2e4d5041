"""One proof across workers, from a key split by rows (:mod:`zk.formats.keyshard`).

The coordinator (this process) holds the index: the constraint matrices and the few fixed points.
It checks the witness, computes the quotient's coset values, and sends each worker the scalars of
its shard's rows; each worker computes the five partial MSMs over its rows; the coordinator adds
the partial sums and assembles the proof with fresh r, s. No process holds all the point arrays.
The proof is verified before it is returned: a worker that returned a wrong partial sum (a bug, a
tampered shard whose digest still matched) cannot slip an invalid proof through.
"""
from __future__ import annotations

import os
import uuid

from .cluster import connect
from .worker import Scalars, shard_task


class ShardedProofError(ValueError):
    """A sharded proof that could not be made: a shard missing, foreign or corrupted, a worker's
    failure, or partial sums that do not give a valid proof."""


def shard_key(key_path, parts: int, out_dir=None) -> str:
    """Split a zk proving key (.pk) or a snarkjs .zkey into ``parts`` shards and an index in
    ``out_dir`` (default: KEY.shards/). The key is memory-mapped, not read into memory. Returns
    the index's path."""
    from zk.formats.keyshard import file_digest, write_shards

    key_path = os.fspath(key_path)
    out_dir = os.fspath(out_dir) if out_dir is not None else key_path + ".shards"
    if key_path.endswith(".zkey"):
        from zk.formats.zkey import read_zkey, to_proving_key

        pk = to_proving_key(read_zkey(key_path))
    else:
        from zk.formats import keyfile

        pk = keyfile.load(key_path, mmap=True)
    return write_shards(pk, file_digest(key_path), out_dir, parts)


def _placement(dask_client, count: int) -> list[str | None]:
    """Worker address per part, round robin in a stable order, so that a worker keeps the shard
    it loaded for the next proof."""
    addresses = sorted(dask_client.scheduler_info()["workers"])
    return [addresses[i % len(addresses)] if addresses else None for i in range(count)]


def prove_sharded(index_path, witness, client=None, *, scheduler: str | None = None,
                  workers: int | None = None, security=None, origins=None, check_shards: bool = True):
    """(proof, public signals) for ``witness`` with the shard set whose index is ``index_path``.

    ``check_shards``: look at every shard's header here first (it must then be visible to this
    process too): a missing or foreign shard is reported before any work is sent out. Errors:
    :class:`zk.formats.keyshard.ShardError` (the shard set), :class:`ShardedProofError` (the
    cluster), the prover's own for a bad witness."""
    import numpy as np

    from zk.curve import g1_from_array, g2_from_array
    from zk.formats.keyshard import ShardError, peek_shard, read_index
    from zk.groth16 import verify
    from zk.groth16.prove import QuerySums, assemble, prover_scalars

    index = read_index(index_path)
    if check_shards:
        for part in index.parts:
            peek_shard(part, index.key_id)
    mats = index.matrices
    scalars = prover_scalars(mats, mats.a_with_public_rows(), witness, origins)
    tag = uuid.uuid4().hex[:12]
    with connect(client, scheduler=scheduler, workers=workers, security=security) as dask_client:
        futures = []
        for part, where in zip(index.parts, _placement(dask_client, len(index.parts))):
            (w0, w1), (h0, h1) = part.wires, part.h_rows
            share = Scalars(np.ascontiguousarray(scalars.witness[w0:w1]), np.ascontiguousarray(scalars.quotient[h0:h1]))
            futures.append(dask_client.submit(shard_task, part, index.key_id, index.n_public, share,
                                              key=f"zk-shard-{tag}-{part.number}", pure=False,
                                              workers=[where] if where else None, allow_other_workers=True))
        try:
            records = dask_client.gather(futures, errors="skip")
        finally:
            dask_client.cancel(futures)
    if len(records) != len(futures):
        raise ShardedProofError("a worker failed while proving with its shard (its task was lost)")
    total = None
    for record in records:
        if record["status"] == "bad-shard":
            raise ShardError(record["error"])
        if record["status"] != "ok":
            raise ShardedProofError(record["error"])
        a, b1, l_sum, h = g1_from_array(record["g1"])
        part_sums = QuerySums(a, b1, g2_from_array(record["g2"])[0], l_sum, h)
        total = part_sums if total is None else total + part_sums
    proof = assemble(index.vk, index.beta_g1, index.delta_g1, total)
    if not verify(index.vk, scalars.public, proof):
        what = "the witness does not satisfy the circuit, or " if mats.c is None else ""
        raise ShardedProofError(f"the assembled proof does not verify: {what}a worker returned wrong partial sums")
    return proof, scalars.public
