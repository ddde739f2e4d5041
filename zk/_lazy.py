"""Package attributes imported on first use (PEP 562), for the packages whose names would
otherwise pull heavy modules into every process that imports them (numba, the pairing's kernels).

    __getattr__, __dir__ = lazy_attributes(__name__, {"setup": "setup", "verify": "verify"})

Imports nothing of zk: any package may use it.
"""
from __future__ import annotations

import importlib
import sys


def lazy_attributes(package: str, homes: dict[str, str]):
    """A module ``__getattr__`` and ``__dir__`` for ``package``: ``homes`` maps an attribute to
    the submodule that defines it; the submodule is imported when the attribute is first read,
    and the value is then kept in the package like any other attribute."""

    def __getattr__(name: str):
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        module = sys.modules[package]
        return sorted(set(vars(module)) | set(getattr(module, "__all__", ())))

    return __getattr__, __dir__
