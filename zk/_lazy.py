"""Package attributes imported on first use (PEP 562), for the packages whose names would
otherwise pull heavy modules into every process that imports them (numba, the pairing's kernels);
and modules that third-party code imports but may never use, run on first use
(:func:`defer_import`).

    __getattr__, __dir__ = lazy_attributes(__name__, {"setup": "setup", "verify": "verify"})

A name that is also its home's module name (``zk.groth16.prove``, the function, lives in
``zk.groth16.prove``, the module) keeps naming the function even when the submodule is imported
directly (``from zk.groth16.prove import query_sums``): the import system then sets the package
attribute to the submodule, and the package's module class puts the function there instead.

Imports nothing of zk: any package may use it.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
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


# What the import system reads from a module that is already in sys.modules (`import x` reads
# __spec__ to see whether x is still initialising), and the attributes module_from_spec set.
# __path__ is not among them: importing a submodule must run its package first.
_READ_WITHOUT_RUNNING = frozenset({"__spec__", "__name__", "__file__", "__loader__", "__package__", "__cached__",
                                   "__class__"})
_run_lock = threading.RLock()


class _DeferredModule(types.ModuleType):
    """A module created from its spec whose code has not run yet: the first read of any other
    attribute runs it in place (the same module object), as importing it would have.

    importlib.util.LazyLoader does the same but, on Python 3.11, also runs the module when an
    `import` statement finds it in sys.modules (that reads ``__spec__``), i.e. at once."""

    def __getattribute__(self, attr):
        if attr in _READ_WITHOUT_RUNNING:
            return types.ModuleType.__getattribute__(self, attr)
        _run_deferred(self)
        return getattr(self, attr)

    def __delattr__(self, attr):
        _run_deferred(self)
        delattr(self, attr)


def _run_deferred(module: types.ModuleType) -> None:
    with _run_lock:
        if type(module) is not _DeferredModule:
            return
        spec = types.ModuleType.__getattribute__(module, "__spec__")
        module.__class__ = types.ModuleType
        try:
            spec.loader.exec_module(module)
        except BaseException:
            if sys.modules.get(spec.name) is module:  # as a failed import leaves it
                del sys.modules[spec.name]
            raise


def defer_import(name: str) -> bool:
    """Put module ``name`` in sys.modules without running its code: importing it (`import name`,
    `from parent import name`) costs nothing, and its code runs when an attribute of it is first
    read. For pure-Python modules that other libraries import at start-up but use only in some
    processes. False (and nothing changed) when it is already imported, not found, or not a
    plain Python module."""
    if name in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
        return False
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _DeferredModule
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return True
