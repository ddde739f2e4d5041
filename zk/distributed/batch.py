"""Many proofs with one key: one Dask task per witness.

Each worker loads the key once, memory-mapped, from a path every worker can read; a witness that
does not fit the circuit fails alone, by name; a worker that dies takes no result with it (Dask
runs its tasks again elsewhere, and a proof already on disk is kept, never replaced).
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from .cluster import connect
from .outputs import check_name
from .worker import Witness, prove_task

WITNESS_SUFFIXES = (".wtns", ".json")


class BatchKeyError(ValueError):
    """The proving key of a batch cannot be used (missing, not a key, corrupted): nothing is proved."""


@dataclass(frozen=True)
class BatchResult:
    """One witness's outcome. status: "proved"; "kept" (its proof file existed already, so it was
    neither proved nor rewritten); "failed" (``error`` says why, without witness values)."""

    name: str
    status: str
    proof: object = None  # zk.groth16.Proof when proved here
    public: list | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("proved", "kept")


def witness_files(directory: str) -> dict[str, str]:
    """{name: path} for the .wtns and .json files of a folder, sorted by name. Two files with one
    name (a.wtns and a.json) would write the same proof file: refused."""
    out: dict[str, str] = {}
    for entry in sorted(os.listdir(directory)):
        stem, ext = os.path.splitext(entry)
        if ext not in WITNESS_SUFFIXES or not os.path.isfile(os.path.join(directory, entry)):
            continue
        if stem in out:
            raise ValueError(f"{directory}: two witnesses named {stem!r} ({os.path.basename(out[stem])} and {entry})")
        out[check_name(stem)] = os.path.join(directory, entry)
    return out


def _named(witnesses) -> list[tuple[str, object]]:
    """(name, source) pairs from a mapping name -> values or path, or a sequence of paths."""
    if isinstance(witnesses, Mapping):
        items = list(witnesses.items())
    else:
        items = []
        for source in witnesses:
            if not isinstance(source, (str, os.PathLike)):
                raise TypeError("witnesses must be a mapping {name: values or path} or a sequence of paths")
            items.append((os.path.splitext(os.path.basename(os.fspath(source)))[0], source))
    out, seen = [], set()
    for name, source in items:
        check_name(name)
        if name in seen:
            raise ValueError(f"two witnesses named {name!r}")
        seen.add(name)
        if isinstance(source, (str, os.PathLike)):
            out.append((name, os.path.abspath(os.fspath(source))))
        else:
            out.append((name, Witness(list(source))))
    return out


def prove_batch(key_path, witnesses: Mapping | Iterable, client=None, *, out_dir=None,
                scheduler: str | None = None, workers: int | None = None, security=None,
                progress: Callable[[BatchResult, int, int], None] | None = None) -> list[BatchResult]:
    """Prove every witness with the key at ``key_path``, one Dask task each.

    ``witnesses``: {name: values or path} or a sequence of witness paths (.wtns or a JSON list;
    the name is the file's stem). Paths are read by the workers (shared storage); values travel
    to them with the task. ``out_dir``: where the workers write NAME.proof.json and
    NAME.public.json, each created only if absent. ``client``: a distributed.Client; else
    ``scheduler`` (an address, with ``security`` for TLS), else an embedded LocalCluster of
    ``workers`` processes. ``progress(result, done, total)`` is called as each witness finishes.
    Returns the results in the order of ``witnesses``. Raises :class:`BatchKeyError` if the key
    is unusable.
    """
    items = _named(witnesses)
    key_path = os.path.abspath(os.fspath(key_path))
    if out_dir is not None:
        out_dir = os.path.abspath(os.fspath(out_dir))
        os.makedirs(out_dir, exist_ok=True)  # here, once: on shared storage the workers see it too
    if not items:
        return []
    batch = uuid.uuid4().hex[:12]
    results: dict[str, BatchResult] = {}
    with connect(client, scheduler=scheduler, workers=workers, security=security) as dask_client:
        from distributed import as_completed

        futures = {}
        for index, (name, source) in enumerate(items):
            # Task keys are what Dask's logs and dashboard show: a counter, never a value.
            future = dask_client.submit(prove_task, key_path, name, source, out_dir,
                                        key=f"zk-prove-{batch}-{index}", pure=False)
            futures[future] = name
        try:
            for future in as_completed(futures):
                name = futures[future]
                results[name] = _collect(future, name)
                if results[name].status == "bad-key":
                    raise BatchKeyError(results[name].error)
                if progress is not None:
                    progress(results[name], len(results), len(items))
        finally:
            dask_client.cancel(list(futures))
    return [results[name] for name, _ in items]


def _collect(future, name: str) -> BatchResult:
    from distributed import KilledWorker

    try:
        record = future.result()
    except KilledWorker:
        return BatchResult(name, "failed", error="the task killed every worker that ran it (out of memory?)")
    except Exception as exc:  # noqa: BLE001 - the cluster's failure, reported for this witness alone
        return BatchResult(name, "failed", error=f"{type(exc).__name__}: {exc}")
    proof = None
    if record["proof"] is not None:
        from zk.formats.snarkjs import proof_from_json

        proof = proof_from_json(record["proof"])
    public = [int(v) for v in record["public"]] if record["public"] is not None else None
    return BatchResult(name, record["status"], proof, public, record["error"])
