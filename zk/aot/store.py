"""Where the ahead-of-time verifier module lives, what it is keyed on, and loading it safely.

The module is machine code built from zk's kernel sources by the numba and Python of this
machine for this CPU, so it is kept per user, never shipped: ``$ZK_AOT_DIR``, else
``$XDG_CACHE_HOME/zk/aot`` (``~/.cache/zk/aot``), a directory of mode 0700. Its files are named
after a key, the SHA-256 of the kernel sources (:data:`KERNEL_SOURCES`), the numba, llvmlite and
numpy versions, the Python ABI and the CPU (model and feature flags): a module built from other
sources or for another machine is never loaded, it is stale.

Trust boundary: loading the module runs its code, so whoever can write its directory can run
code as the user, exactly as with numba's own cache (``__pycache__``/``NUMBA_CACHE_DIR``) and
Python's bytecode cache. The directory and the module must belong to the user and be writable by
no one else, or they are ignored. The manifest's SHA-256 of the module is checked before
loading: it catches a truncated or damaged file (a failed copy, a full disk), not an attacker,
who could rewrite both.

Nothing here imports numba or numpy: ``zk verify`` decides with this module whether it needs them.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import platform
import stat
import sys
from pathlib import Path

from zk._paths import user_cache_dir

FORMAT = "zk-aot-verify/1"
MODULE_NAME = "zk_aot_verify"
_ZK_DIR = Path(__file__).resolve().parent.parent
# Every source the module's machine code comes from: the kernel packages and the glue. The
# build records which zk modules it imported and a test checks they all lie in these.
KERNEL_SOURCES = ("field", "curve", "pairing", "aot/kernel.py", "aot/build.py")
# Toolchains whose version changes the code: version files read without importing them.
_VERSION_FILES = (("numba", "_version.py"), ("llvmlite", "_version.py"), ("numpy", "version.py"))
_MAX_MANIFEST_BYTES = 1 << 16


class AotError(Exception):
    """Why the module cannot be used (absent, stale, damaged, not private); never shown by `zk verify`."""


def aot_dir() -> Path:
    return user_cache_dir("aot", "ZK_AOT_DIR")


def enabled() -> bool:
    """``ZK_AOT=0`` makes every command use numba's JIT kernels (to compare, or to rule the module out)."""
    return os.environ.get("ZK_AOT", "1") != "0"


def _source_files() -> list[Path]:
    files = []
    for entry in KERNEL_SOURCES:
        path = _ZK_DIR / entry
        files.extend(sorted(path.glob("*.py")) if path.is_dir() else [path])
    return files


def _version_text(package: str, filename: str) -> bytes:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return b"absent"
    try:
        return (Path(list(spec.submodule_search_locations)[0]) / filename).read_bytes()
    except OSError:
        return b"unreadable"


def cpu_identity() -> str:
    """The CPU the module's code is for: its model and feature flags (Linux), else what the
    platform module knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            first = fh.read(1 << 16).split("\n\n", 1)[0]
        fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
        wanted = ("vendor_id", "model name", "flags", "Features", "CPU part")
        found = [f"{name}={fields[key].strip()}" for name in wanted for key in fields if key.strip() == name]
        if found:
            return f"{platform.machine()};" + ";".join(found)
    except OSError:
        pass
    return f"{platform.machine()};{platform.processor()}"


def current_key() -> str:
    """The key a module built now, from these sources on this machine, would have."""
    digest = hashlib.sha256(FORMAT.encode())
    for path in _source_files():
        digest.update(str(path.relative_to(_ZK_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    for package, filename in _VERSION_FILES:
        digest.update(package.encode() + b"\0" + _version_text(package, filename) + b"\0")
    abi = [sys.implementation.cache_tag, importlib.machinery.EXTENSION_SUFFIXES[0], sys.version,
           os.environ.get("NUMBA_CPU_NAME", ""), os.environ.get("NUMBA_CPU_FEATURES", ""), cpu_identity()]
    digest.update("\0".join(abi).encode())
    return digest.hexdigest()[:32]


def module_path(directory: Path, key: str) -> Path:
    return directory / f"verify-{key}.so"


def manifest_path(directory: Path, key: str) -> Path:
    return directory / f"verify-{key}.json"


def _private(info: os.stat_result) -> bool:
    return info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _check_private_dir(directory: Path) -> None:
    try:
        info = os.lstat(directory)
    except OSError:
        raise AotError(f"no module built ({directory} does not exist)") from None
    if not stat.S_ISDIR(info.st_mode) or not _private(info):
        raise AotError(f"{directory} is not a private directory of this user: ignored")


def prepare_dir(directory: Path | None = None) -> Path:
    """The module directory, created with mode 0700; AotError when it exists but is not private."""
    directory = Path(directory) if directory is not None else aot_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _check_private_dir(directory)
    return directory


def install(directory: Path, key: str, built: Path, extra: dict) -> dict:
    """Copy the built module under its key, then its manifest (each a temporary file renamed into
    place: a reader sees the old state or the new one; the module without its manifest is unused)."""
    from zk.formats.atomic import atomic_write

    data = built.read_bytes()
    manifest = {"format": FORMAT, "key": key, "module": module_path(directory, key).name,
                "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), **extra}
    atomic_write(module_path(directory, key), [data], mode=0o600)
    atomic_write(manifest_path(directory, key), [json.dumps(manifest, indent=1).encode()], mode=0o600)
    return manifest


def remove_stale(directory: Path, key: str) -> list[str]:
    """Remove the modules and manifests of other keys; their names."""
    keep = {module_path(directory, key).name, manifest_path(directory, key).name}
    removed = []
    for path in directory.glob("verify-*"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def _read_manifest(directory: Path, key: str) -> dict:
    path = manifest_path(directory, key)
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or not _private(info) or info.st_size > _MAX_MANIFEST_BYTES:
            raise AotError(f"{path} is not a private regular file of this user: ignored")
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        stale = sorted(p.name for p in directory.glob("verify-*.json"))
        raise AotError(f"stale: built for other sources or another machine ({', '.join(stale)})" if stale
                       else f"no module built in {directory}") from None
    except (OSError, ValueError) as exc:
        raise AotError(f"damaged manifest {path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("key") != key:
        raise AotError(f"damaged manifest {path}")
    return manifest


def checked_module_file(directory: Path | None = None) -> tuple[Path, dict]:
    """The current module's path and manifest after every check short of loading it; AotError otherwise."""
    directory = Path(directory) if directory is not None else aot_dir()
    _check_private_dir(directory)
    key = current_key()
    manifest = _read_manifest(directory, key)
    path = module_path(directory, key)
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or not _private(info):
            raise AotError(f"{path} is not a private regular file of this user: ignored")
        data = path.read_bytes()
    except OSError as exc:
        raise AotError(f"cannot read {path}: {exc.strerror or exc}") from None
    if hashlib.sha256(data).hexdigest() != manifest.get("sha256"):
        raise AotError(f"damaged: {path} ({len(data)} bytes) does not match its manifest's SHA-256")
    return path, manifest


_loaded: dict = {}


def load_verifier(directory: Path | None = None):
    """The current verifier module, or None (off, absent, stale, damaged, not private, or it
    fails to load): callers then use numba's JIT kernels, so nothing here may raise."""
    if not enabled():
        return None
    try:
        path, _ = checked_module_file(directory)
        return _load(path)
    except Exception:  # a module that cannot be used is never an error of the command
        return None


def _load(path: Path):
    """Import the extension at ``path`` (the name is fixed: its init function is PyInit_zk_aot_verify)."""
    if path in _loaded:
        return _loaded[path]
    loader = importlib.machinery.ExtensionFileLoader(MODULE_NAME, str(path))
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    if not callable(getattr(module, "groth16_verify", None)):
        raise AotError(f"{path} has no groth16_verify")
    _loaded[path] = module
    return module


def status(directory: Path | None = None) -> tuple[bool, str]:
    """(usable, one line saying why) for `zk aot status`; loads the module to be sure it imports."""
    directory = Path(directory) if directory is not None else aot_dir()
    if not enabled():
        return False, "turned off (ZK_AOT=0): zk verify uses numba's JIT kernels"
    try:
        path, manifest = checked_module_file(directory)
        _load(path)
    except AotError as exc:
        return False, f"{exc}: zk verify uses numba's JIT kernels"
    except Exception as exc:
        return False, f"{directory}: the module does not load ({exc}): zk verify uses numba's JIT kernels"
    return True, (f"current: {path} ({manifest.get('bytes', 0) / 1e6:.1f} MB, built in "
                  f"{manifest.get('build_cpu_s', '?')} s CPU): zk verify runs without numba")
