"""Where zk keeps per-user files: one rule for every cache directory (imports no zk)."""
from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(name: str, override: str) -> Path:
    """$<override> if set, else $XDG_CACHE_HOME/zk/<name> (~/.cache/zk/<name>)."""
    base = os.environ.get(override)
    if base:
        return Path(base).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zk" / name
