"""What runs inside a Dask worker: the key cache, the kernel warm-up and the batch task.

Tasks never raise for bad input. A raising task makes Dask log "Compute Failed" together with the
task's arguments, and those arguments are witnesses; so every task returns a small result record
instead, with error messages scrubbed of long numbers (:func:`scrub`).
"""
from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict

# A field element printed in decimal has up to 77 digits; counts and indices in messages are short.
_LONG_NUMBER = re.compile(r"(?:0x)?[0-9a-fA-F]{16,}|\d{10,}")


def scrub(message: str) -> str:
    """An error message with every long number (a possible witness value) replaced."""
    return _LONG_NUMBER.sub("<value>", message)


class Witness:
    """Witness values on their way to a worker, with a repr that shows their count only: Dask and
    logging print task arguments, and a witness holds spending keys."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values

    def __repr__(self) -> str:
        return f"<witness: {len(self.values)} values>"

    __str__ = __repr__

    def __reduce__(self):
        return (Witness, (self.values,))


def limit_threads() -> None:
    """One numba thread per worker process: the batch's parallelism is the workers."""
    import numba

    numba.set_num_threads(1)


_KEYS: OrderedDict = OrderedDict()
_KEYS_LOCK = threading.Lock()
_KEYS_KEPT = 4


def cached(kind: str, path: str, loader):
    """``loader(path)``, once per file per process: keyed on the file's identity, so a key file
    replaced in place is loaded anew, and four (keys or shards) at most are kept."""
    st = os.stat(path)
    ident = (kind, os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _KEYS_LOCK:
        hit = _KEYS.get(ident)
        if hit is None:
            hit = loader(path)
            _KEYS[ident] = hit
            while len(_KEYS) > _KEYS_KEPT:
                _KEYS.popitem(last=False)
        else:
            _KEYS.move_to_end(ident)
        return hit


def load_key(path: str):
    from zk.formats import keyfile

    return cached("pk", path, lambda p: keyfile.load(p, mmap=True))


def read_witness(source) -> list[int]:
    """Witness values from a :class:`Witness` or a path (.wtns, or a JSON list of decimals)."""
    if isinstance(source, Witness):
        return source.values
    path = os.fspath(source)
    if path.endswith(".json"):
        from zk.formats.snarkjs import public_from_json, read_json

        return public_from_json(read_json(path, "witness"))
    from zk.formats.circom import read_wtns

    return read_wtns(path)


def _user_errors() -> tuple:
    from zk.curve import CurveError
    from zk.formats.circom import CircomFormatError
    from zk.formats.snarkjs import SnarkjsFormatError
    from zk.groth16 import Groth16Error, QAPError

    return (CurveError, CircomFormatError, SnarkjsFormatError, Groth16Error, QAPError, OSError)


def _key_errors() -> tuple:
    from zk.formats.keyfile import KeyFileError
    from zk.groth16 import InvalidKey

    return (KeyFileError, InvalidKey)


def prove_task(key_path: str, name: str, witness, out_dir: str | None) -> dict:
    """Prove one witness. Returns {"name", "status": "proved" | "kept" | "failed" | "bad-key",
    "proof", "public" (snarkjs JSON), "error"}. "kept": the proof file already existed (a rerun),
    so nothing was proved or written."""
    from .outputs import create_once, proof_paths

    result = {"name": name, "status": "failed", "proof": None, "public": None, "error": None}
    try:
        limit_threads()
        if out_dir is not None:
            proof_path, public_path = proof_paths(out_dir, name)
            if os.path.exists(proof_path):
                result["status"] = "kept"
                return result
        try:
            pk = load_key(key_path)
        except FileNotFoundError as exc:
            result.update(status="bad-key", error=f"cannot read proving key {key_path!r}: {exc.strerror}")
            return result
        except _key_errors() as exc:
            result.update(status="bad-key", error=scrub(str(exc)))
            return result
        from zk.formats.snarkjs import dumps, proof_to_json, public_to_json
        from zk.groth16 import prove

        proof, public = prove(pk, read_witness(witness))
        proof_json, public_json = proof_to_json(proof), public_to_json(public)
        if out_dir is not None:
            # Public signals first: a proof file on disk always has its public file beside it.
            create_once(public_path, dumps(public_json).encode())
            if not create_once(proof_path, dumps(proof_json).encode()):
                result["status"] = "kept"  # another run of this task won the race
                return result
        result.update(status="proved", proof=proof_json, public=public_json)
        return result
    except _user_errors() as exc:
        result["error"] = scrub(str(exc))
        return result
    except Exception as exc:  # noqa: BLE001 - a bug must not log the witness through Dask either
        result["error"] = scrub(f"internal error {type(exc).__name__}: {exc}")
        return result


def warm_kernels() -> None:
    """Load (or compile) every kernel a proof uses (:mod:`zk.perf.warmup`), so that the first real
    task does not pay for it."""
    limit_threads()
    from zk.perf.warmup import warmup

    warmup()


class Scalars:
    """A shard's share of one proof's scalars (witness values of its wires, quotient values of its
    H rows): as secret as the witness, so shown by size only."""

    __slots__ = ("wires", "h")

    def __init__(self, wires, h):
        self.wires = wires
        self.h = h

    def __repr__(self) -> str:
        return f"<scalars: {len(self.wires)} wires, {len(self.h)} H rows>"

    __str__ = __repr__

    def __reduce__(self):
        return (Scalars, (self.wires, self.h))


def load_shard(part, key_id: str):
    from zk.formats.keyshard import read_shard

    return cached(("shard", key_id, part.number, part.digest), part.path, lambda p: read_shard(part, key_id))


def shard_task(part, key_id: str, n_public: int, scalars: Scalars) -> dict:
    """The five partial MSMs of one shard's rows. Returns {"status": "ok", "sums": arrays} or
    {"status": "bad-shard" | "failed", "error"}."""
    try:
        limit_threads()
        from zk.formats.keyshard import ShardError

        try:
            shard = load_shard(part, key_id)
        except (ShardError, OSError) as exc:
            return {"status": "bad-shard", "error": scrub(str(exc))}
        import numpy as np

        from zk.curve import g1_to_array, g2_to_array
        from zk.groth16.prove import query_sums

        w0, _w1 = part.wires
        l0, l1 = shard.l_wires(n_public)
        sums = query_sums(shard.a, shard.b1, shard.b2, shard.l, shard.h, scalars.wires,
                          np.ascontiguousarray(scalars.wires[l0 - w0 : l1 - w0]), scalars.h)
        return {"status": "ok", "g1": g1_to_array([sums.a, sums.b1, sums.l, sums.h]), "g2": g2_to_array([sums.b2])}
    except Exception as exc:  # noqa: BLE001 - see prove_task
        return {"status": "failed", "error": scrub(f"internal error {type(exc).__name__}: {exc}")}
