"""Package attributes imported on first use (PEP 562), for the packages whose names would
otherwise pull heavy modules into every process that imports them (numba, the pairing's kernels).

    __getattr__, __dir__ = lazy_attributes(__name__, {"setup": "setup", "verify": "verify"})

A name that is also its home's module name (``zk.groth16.prove``, the function, lives in
``zk.groth16.prove``, the module) keeps naming the function even when the submodule is imported
directly (``from zk.groth16.prove import query_sums``): the import system then sets the package
attribute to the submodule, and the package's module class puts the function there instead.

Imports nothing of zk: any package may use it.
"""
from __future__ import annotations

import importlib
import sys
import types


class _LazyPackage(types.ModuleType):
    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name in self.__dict__.get("_lazy_same_named", ()) \
                and value.__name__ == f"{self.__name__}.{name}":
            value = getattr(value, name, value)
        super().__setattr__(name, value)


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

    same_named = frozenset(name for name, home in homes.items() if name == home)
    module = sys.modules.get(package)
    if same_named and module is not None and type(module) is types.ModuleType:
        module.__dict__["_lazy_same_named"] = same_named
        module.__class__ = _LazyPackage
    return __getattr__, __dir__
