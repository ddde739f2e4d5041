"""Proof files that are created once and never replaced.

Dask may run a task twice (its worker died after writing but before reporting). Groth16 proofs
are randomized, so a second run would produce a different, equally valid proof; replacing the
first one could break whoever already read it. Every output is therefore written to a private
temporary file and then hard-linked to its final name: ``link`` fails if the name exists (the
O_EXCL rule, kept atomic: no reader ever sees half a file), and the loser of a race keeps nothing.
"""
from __future__ import annotations

import os
import re
import secrets

# A batch names its outputs after its witnesses; a name must stay inside the output folder.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,199}\Z")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(f"witness name {name!r} is not usable as a file name "
                         "(letters, digits, '_', '.', '+', '-'; at most 200 characters)")
    return name


def proof_paths(out_dir: str, name: str) -> tuple[str, str]:
    """(proof, public signals) file names for a witness: NAME.proof.json and NAME.public.json."""
    return (os.path.join(out_dir, f"{name}.proof.json"), os.path.join(out_dir, f"{name}.public.json"))


def create_once(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless ``path`` exists. True if this call created it."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)
