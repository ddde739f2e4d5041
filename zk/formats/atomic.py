"""Files written whole or not at all: a temporary file beside the target, renamed into place.

Imports nothing but ``os``: the commands that only write their outputs (`zk prove`'s proof, the
ahead-of-time module's store) need not load a file format to do it.
"""
from __future__ import annotations

import os


def atomic_write(path, chunks, *, mode: int = 0o644) -> None:
    """Write the byte chunks to a temporary file beside ``path`` and rename it into place, so an
    interrupted write leaves the old file (or none), never half a file."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
