"""Compile once: compiled circuits (constraint system and solver tape) cached on disk.

    cs = compile_cached(Assign)            # traces the first time, loads afterwards

An entry is named by a digest of what identifies the circuit (its class's module and name, its
declared inputs, its parameters, the zk version) and records a SHA-256 of every source file its
definition depends on: the files whose code ran while tracing `define` (the circuit's module,
its helpers, the gadgets), every .py file of the circuit's own package and of zk. Loading
re-hashes those files; any difference recompiles and replaces the entry. Entries are one
file each (a JSON header and raw arrays, read with one read and no copies), written
atomically; an unreadable or inconsistent entry is recompiled, never trusted.

Circuits with Python hints are not cached: the hint functions live in the user's code and cannot
be restored from disk, so they compile every time (in memory, as `compile`).
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
import sysconfig
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from zk._paths import user_cache_dir
from zk.r1cs.circuit import InputSpec, _as_instance, declarations, trace
from zk.r1cs.system import COO, ConstraintSystem, LazyConstraints, LazyList
from zk.r1cs.tape import ARRAY_FIELDS, Tape

FORMAT = "zk-compiled-circuit/1"
_ZK_DIR = Path(__file__).resolve().parent.parent
_LIBRARY_DIRS = tuple({Path(p).resolve() for p in (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
                                                    sysconfig.get_paths()["platlib"]) if p})


def default_cache_dir() -> Path:
    return user_cache_dir("circuits", "ZK_CIRCUIT_CACHE")


def _version() -> str:
    try:
        return importlib.metadata.version("zk")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _params(instance) -> list:
    """Parameters as text: the instance's own attributes and the class attributes that are not
    functions, declarations or private (a tree depth, say). A value without a stable repr (an
    object's default repr has its address) makes the circuit uncacheable rather than stale."""
    seen: dict[str, Any] = {}
    for klass in reversed(type(instance).__mro__):
        if klass is object:
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and not callable(value) and not isinstance(value, (classmethod, staticmethod, property)):
                seen[name] = value
    seen.update(vars(instance))
    out = []
    for name in sorted(seen):
        value = seen[name]
        if hasattr(value, "kind") and hasattr(value, "shape"):
            continue  # a declaration: covered by the declared inputs
        text = repr(value)
        if " at 0x" in text:
            raise _Uncacheable(f"parameter {name} has no stable repr")
        out.append((name, text))
    return out


def circuit_key(circuit) -> str:
    instance = _as_instance(circuit)
    klass = type(instance)
    ident = {
        "format": FORMAT,
        "zk": _version(),
        "class": f"{klass.__module__}:{klass.__qualname__}",
        "inputs": [(d.name, d.kind, list(d.shape)) for d in declarations(klass)],
        "params": _params(instance),
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:40]


class _Uncacheable(Exception):
    pass


def _is_library(path: Path) -> bool:
    return any(parent in _LIBRARY_DIRS for parent in path.parents)


def _package_files(module_name: str) -> list[Path]:
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if not file:
        return []
    path = Path(file).resolve()
    top = module_name.split(".")[0]
    root = sys.modules.get(top)
    root_file = getattr(root, "__file__", None)
    if module_name != top and root_file and Path(root_file).name == "__init__.py":
        return sorted(Path(root_file).resolve().parent.rglob("*.py"))
    return [path]


@lru_cache(maxsize=None)
def _zk_files() -> tuple[Path, ...]:
    return tuple(sorted(_ZK_DIR.rglob("*.py")))


def _digest(path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _traced_compile(instance) -> tuple[ConstraintSystem, set[Path]]:
    """compile(), also collecting the source files whose code ran during the trace."""
    files: set[str] = set()

    def profile(frame, event, arg):
        if event == "call":
            files.add(frame.f_code.co_filename)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        api, specs = trace(instance)
    finally:
        sys.setprofile(previous)
    cs = ConstraintSystem.from_trace(instance, api, specs)
    paths = set()
    for name in files:
        path = Path(name)
        if path.suffix == ".py" and path.is_file():
            path = path.resolve()
            if not _is_library(path):
                paths.add(path)
    return cs, paths


_lock = threading.Lock()


def compile_cached(circuit, cache_dir: str | os.PathLike | None = None) -> ConstraintSystem:
    """`compile(circuit)` through the on-disk cache (default ~/.cache/zk/circuits, or
    $ZK_CIRCUIT_CACHE)."""
    instance = _as_instance(circuit)
    try:
        key = circuit_key(instance)
    except _Uncacheable:
        from zk.r1cs.circuit import compile

        return compile(instance)
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    path = directory / f"{type(instance).__name__}-{key}.zkcc"
    with _lock:
        cs = load(path, instance)
        if cs is not None:
            return cs
        cs, sources = _traced_compile(instance)
        if cs.tape is not None and cs.tape.has_python_hints:
            return cs
        sources.update(_zk_files())
        sources.update(_package_files(type(instance).__module__))
        save(cs, path, sorted(sources))
        cs.cache_path = path
        return cs


def remember(cs: ConstraintSystem, name: str, value: str) -> None:
    """Keep a value derived from the compiled system (say the digest of its .r1cs file, which a
    caller would otherwise recompute from every constraint) with it, in memory and in its cache
    entry, so later loads have it. The entry is replaced whenever the circuit changes, and the
    value with it."""
    digests = getattr(cs, "digests", None)
    if digests is None:
        digests = cs.digests = {}
    digests[name] = value
    path = getattr(cs, "cache_path", None)
    if path is None:
        return
    with _lock:
        try:
            meta, arrays = _read_container(path)
        except (OSError, ValueError, KeyError, TypeError):
            return
        meta.setdefault("digests", {})[name] = value
        _write_atomically(path, meta, arrays)


def _write_atomically(path: Path, meta: dict, arrays: dict) -> None:
    """Temp file + rename, so a reader never sees half a container. A read-only or full cache
    directory only costs the next run a compile, so write errors are swallowed."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        with open(tmp, "wb") as fh:
            _write_container(fh, meta, arrays)
        os.replace(tmp, path)
    except OSError:
        pass
    finally:
        if tmp.exists():
            tmp.unlink()


# --------------------------------------------------------------------------- serialisation
def save(cs: ConstraintSystem, path: Path, sources: list[Path]) -> None:
    deps = {str(p): _digest(p) for p in sources}
    rows, cols, coeffs = [], [], []
    for which in range(3):
        coo = cs.to_coo()[which] if not isinstance(cs.constraints, LazyConstraints) else cs.constraints.coo[which]
        rows.append(np.asarray(coo.rows, dtype=np.int64))
        cols.append(np.asarray(coo.cols, dtype=np.int64))
        coeffs.append(_plain_limbs(coo.coeffs))
    meta = {
        "format": FORMAT,
        "deps": deps,
        "n_wires": cs.n_wires, "n_outputs": cs.n_outputs, "n_public_inputs": cs.n_public_inputs,
        "n_private_inputs": cs.n_private_inputs, "n_constraints": cs.n_constraints,
        "warnings": cs.warnings,
        "input_specs": [(s.name, s.kind, list(s.shape), s.first_wire) for s in cs.input_specs],
        "raw_shape": list(cs.raw_shape),
        "digests": dict(getattr(cs, "digests", {})),
    }
    arrays = {f"{m}_{f}": a for m, (r, c, k) in zip("abc", zip(rows, cols, coeffs)) for f, a in zip(("rows", "cols", "coeffs"), (r, c, k))}
    for name in _TEXT_LISTS:
        arrays[f"json_{name}"] = np.frombuffer(json.dumps(list(getattr(cs, name))).encode(), dtype=np.uint8)
    arrays["raw_to_wire"] = np.asarray(cs.raw_to_wire, dtype=np.int64)
    arrays["raw_to_constraint"] = np.asarray([-1 if k is None else k for k in cs.raw_to_constraint], dtype=np.int64)
    tape = cs.tape
    if tape is not None:
        for name, arr in tape.arrays().items():
            arrays[f"tape_{name}"] = arr
        meta["tape"] = {"n_raw_wires": tape.n_raw_wires, "check_origins": tape.check_origins,
                        "check_targets": [-1 if k is None else k for k in tape.check_targets],
                        "div_origins": tape.div_origins}
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, meta, arrays)


# The container: MAGIC, the JSON header's length (8 bytes, little-endian), the JSON header (meta and,
# per array, dtype, shape and offset), then the arrays' bytes. Loading is one read and zero-copy
# views, which npz (a zip of .npy files) is not.
MAGIC = b"ZKCC\x00\x01\x00\x00"


def _write_container(fh, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    index, offset = {}, 0
    blobs = []
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        index[name] = {"dtype": arr.dtype.str, "shape": list(arr.shape), "offset": offset}
        blobs.append(arr.tobytes())
        offset += arr.nbytes
    header = json.dumps({"meta": meta, "arrays": index}).encode()
    fh.write(MAGIC + len(header).to_bytes(8, "little") + header)
    for blob in blobs:
        fh.write(blob)


def _read_container(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    # One read into a writable buffer (numba compiles read-only arrays as another type). Not a
    # mapping: a file truncated under a mapping would crash the process with SIGBUS.
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        data = np.empty(size, dtype=np.uint8)
        if fh.readinto(memoryview(data)) != size:
            raise ValueError("short read")
    data = memoryview(data)
    if bytes(data[:8]) != MAGIC:
        raise ValueError("not a compiled-circuit file")
    size = int.from_bytes(data[8:16], "little")
    header = json.loads(bytes(data[16:16 + size]))
    body = memoryview(data)[16 + size:]
    arrays = {}
    for name, spec in header["arrays"].items():
        dtype = np.dtype(spec["dtype"])
        if dtype.str not in ("<i8", "<u8", "|u1"):
            raise ValueError(f"unexpected dtype {dtype}")
        count = int(np.prod(spec["shape"], dtype=np.int64))
        start = spec["offset"]
        if start < 0 or start + count * dtype.itemsize > len(body):
            raise ValueError("truncated compiled-circuit file")
        arrays[name] = np.frombuffer(body, dtype=dtype, count=count, offset=start).reshape(spec["shape"])
    return header["meta"], arrays


_TEXT_LISTS = ("origins", "labels", "raw_labels")


class LazyJSONList(LazyList):
    """A list of strings kept as its JSON text until read: proving never reads the constraints'
    origins or the wire labels unless something fails."""

    def __init__(self, blob: np.ndarray):
        self._blob = blob

    def _build(self) -> list:
        items = json.loads(self._blob.tobytes())
        if not isinstance(items, list):
            raise ValueError("corrupt compiled-circuit file")
        return items


def _plain_limbs(coeffs) -> np.ndarray:
    if isinstance(coeffs, np.ndarray):
        return coeffs
    from zk.field import arrays as FA

    return FA.ints_to_raw(list(coeffs))


def load(path: Path, circuit=None) -> ConstraintSystem | None:
    """The cached system at `path`, or None when it is missing, unreadable, from another format or
    stale (a dependency changed)."""
    try:
        meta, arrays = _read_container(path)
        if meta.get("format") != FORMAT:
            return None
        for file, digest in meta["deps"].items():
            if digest is None or _digest(file) != digest:
                return None
        coo = tuple(COO(arrays[f"{m}_rows"], arrays[f"{m}_cols"], arrays[f"{m}_coeffs"],
                        (meta["n_constraints"], meta["n_wires"])) for m in "abc")
        tape = None
        if "tape" in meta:
            t = meta["tape"]
            tape = Tape(n_raw_wires=t["n_raw_wires"], **{name: arrays[f"tape_{name}"] for name in ARRAY_FIELDS},
                        check_origins=t["check_origins"],
                        check_targets=[None if k < 0 else k for k in t["check_targets"]],
                        div_origins=t["div_origins"])
        cs = ConstraintSystem(
            n_wires=meta["n_wires"], n_outputs=meta["n_outputs"], n_public_inputs=meta["n_public_inputs"],
            n_private_inputs=meta["n_private_inputs"], constraints=LazyConstraints(coo),
            origins=LazyJSONList(arrays["json_origins"]), labels=LazyJSONList(arrays["json_labels"]),
            input_specs=[InputSpec(n, k, tuple(s), w) for n, k, s, w in meta["input_specs"]],
            warnings=meta["warnings"], circuit=_as_instance(circuit) if circuit is not None else None,
            raw_labels=LazyJSONList(arrays["json_raw_labels"]), raw_to_wire=arrays["raw_to_wire"].tolist(),
            raw_to_constraint=[None if k < 0 else k for k in arrays["raw_to_constraint"].tolist()],
            raw_shape=tuple(meta["raw_shape"]), tape=tape,
        )
        cs.digests = dict(meta.get("digests", {}))
        cs.cache_path = path
        if len(arrays["raw_to_wire"]) != meta["raw_shape"][0] or any(len(c.rows) != len(c.cols) or len(c.rows) != len(c.coeffs) for c in coo):
            return None
        return cs
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return None
