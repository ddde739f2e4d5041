"""Applies to tests/ and bench/ alike."""
import hashlib
import os
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent


def _source_keyed_cache_dir() -> str:
    """A numba cache directory keyed on every source file of the library.

    numba invalidates a cached kernel only when the kernel's own file changes, not when an
    intrinsic or overload it inlines (zk/field) changes, so a stale cache could run old
    arithmetic. Keying the directory on all of zk/ makes any change recompile; old
    directories are removed so the cache does not grow.
    """
    digest = hashlib.sha256()
    for path in sorted((ROOT / "zk").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    base = ROOT / ".numba_cache"
    target = base / f"src-{digest.hexdigest()[:16]}"
    if base.is_dir():
        for old in base.iterdir():
            if old.name.startswith("src-") and old != target:
                shutil.rmtree(old, ignore_errors=True)
    return str(target)


# Only when unset: scripts/mutation.py pins the directory of the unmutated sources (computing it
# here would also delete that directory, see above).
if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = _source_keyed_cache_dir()
