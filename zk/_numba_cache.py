"""Loading cached kernels without rebuilding numba's compiler registries.

numba's on-disk cache (``@njit(cache=True)``) holds machine code, yet ``Cache.load_overload``
first calls ``target_context.refresh()``, which imports and installs every typing and lowering
registry numba has (linear algebra, random generators, typed containers, datetimes, ...): about
0.25 s of CPU in every fresh process, paid on the first cached kernel whatever the kernel, the
largest fixed cost of a ``zk prove`` or ``zk verify`` process after ``import numba`` itself.
Relinking cached machine code needs none of those registries, only numba's runtime (NRT), which
the code calls to allocate arrays. Compiling needs them, and numba's compiler refreshes both
contexts itself before every compilation (``CompilerBase.__init__``), so a cache miss still
compiles with the full registries.

A cached kernel is its object code plus the LLVM bitcode of the same module, which numba parses
on every load (``CPUCodeLibrary._unserialize``) for two uses: the names of the symbols it defines
(the engine's table that ``get_pointer_to_function`` consults) and linking, should a kernel
compiled later in the process call this one. Parsing is 70-80% of a load (0.04 s of the
pairing's 0.05 s); a process that only runs cached kernels never links. So the names are read
from the object code's ELF symbol table instead, and the bitcode is parsed the first time a
compilation asks for it (``_get_module_for_linking``). Object code that is not 64-bit
little-endian ELF keeps numba's own path.

:func:`install` puts both in place, on the numba versions whose methods they have been checked
against (others keep numba's own); the environment variable ``ZK_NUMBA_FULL_REFRESH=1`` keeps
numba's own too. Kernels loaded either way are the same machine code: the tests run every kernel
family through this path once their cache is warm, compare the ELF names with the bitcode's, and
compile a new kernel against a lazily loaded one.
"""
from __future__ import annotations

import os
import struct

# numba releases whose Cache.load_overload is `refresh(); with guard: return _load_overload(...)`.
_CHECKED_VERSIONS = ((0, 59), (0, 60), (0, 61), (0, 62), (0, 63), (0, 64), (0, 65), (0, 66), (0, 67), (0, 68))
_installed = False


def checked_numba_version() -> bool:
    """True on the numba releases zk's patches of numba internals were checked against (here and
    in :mod:`zk.field.jit`); other releases get numba's own behaviour."""
    import numba

    version = tuple(int(part) for part in numba.__version__.split(".")[:2] if part.isdigit())
    return version in _CHECKED_VERSIONS


def install() -> bool:
    """Install the fast path (idempotent); True when it is in place."""
    global _installed
    if _installed:
        return True
    if os.environ.get("ZK_NUMBA_FULL_REFRESH", "") not in ("", "0"):
        return False
    from numba.core import caching
    from numba.core.runtime.nrt import rtsys

    cache_cls = caching.Cache
    original = cache_cls.load_overload
    if not checked_numba_version() or not hasattr(cache_cls, "_load_overload") \
            or "refresh" not in original.__code__.co_names:
        return False

    def load_overload(self, sig, target_context):
        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)

    load_overload.__doc__ = original.__doc__
    load_overload.__wrapped__ = original
    cache_cls.load_overload = load_overload
    _install_lazy_bitcode()
    _install_plain_ndarray_typeof()
    _install_deferred_numba_environments()
    _install_cached_runtime()
    _install_deferred_extensions()
    _installed = True
    return True


def _install_plain_ndarray_typeof() -> None:
    """numba types an array argument (the first call of a kernel per array type) by first asking
    whether it is a ``numpy.ma.MaskedArray``, and numpy 2 imports ``numpy.ma`` on that first
    access: 0.05 s of CPU in every process for a module no kernel uses. An exact ``ndarray`` is no
    MaskedArray, so it is typed here without the question; subclasses keep numba's function."""
    import numpy as np
    from numba.core import types
    from numba.core.errors import NumbaNotImplementedError, NumbaValueError
    from numba.core.typing import typeof as numba_typeof
    from numba.np import numpy_support

    original = getattr(numba_typeof, "_typeof_ndarray", None)
    expected = {"ma", "MaskedArray", "from_dtype", "map_layout", "Array", "flags", "writeable"}
    if original is None or not expected <= set(original.__code__.co_names) \
            or numba_typeof.typeof_impl.dispatch(np.ndarray) is not original:
        return

    def typeof_ndarray(val, c):
        if type(val) is not np.ndarray:
            return original(val, c)
        try:
            dtype = numpy_support.from_dtype(val.dtype)
        except NumbaNotImplementedError:
            raise NumbaValueError(f"Unsupported array dtype: {val.dtype}") from None
        return types.Array(dtype, val.ndim, numpy_support.map_layout(val), readonly=not val.flags.writeable)

    typeof_ndarray.__wrapped__ = original
    numba_typeof.typeof_impl.register(np.ndarray)(typeof_ndarray)


def _install_deferred_numba_environments() -> None:
    """A cached kernel carries an environment (its module's globals, its constants) for every
    function compiled into it, numba's own helpers included, and loading it imports each
    environment's module to get the globals: for zk's kernels that is ``numba.np.arrayobj``
    (array indexing and allocation helpers), 0.05 s of CPU whose import brings numba's unicode
    and character-sequence typing along. Code compiled in nopython mode reads only an
    environment's constants, never its globals (those serve object mode, which zk's kernels
    do not use), so for a numba module not yet imported the environment gets a dictionary with
    the module's name only. Environments of other modules (zk's) are built as numba builds them."""
    import sys

    from numba.core import environment

    rebuild = environment._rebuild_env
    if set(rebuild.__code__.co_varnames[:3]) != {"modname", "consts", "env_name"} \
            or "import_module" not in rebuild.__code__.co_names:
        return

    def _rebuild_env(modname, consts, env_name):
        if not (isinstance(modname, str) and modname.startswith("numba.")) or modname in sys.modules \
                or environment.lookup_environment(env_name) is not None:
            return rebuild(modname, consts, env_name)
        env = environment.Environment({"__name__": modname})
        env.consts[:] = consts
        env.env_name = env_name
        environment.Environment._memo[env_name] = env
        return env

    # Environments are pickled by reference to numba's function (``Environment.__reduce__``), so
    # this one takes its name: caches written with it in place read back with numba's own.
    _rebuild_env.__wrapped__ = rebuild
    _rebuild_env.__module__, _rebuild_env.__qualname__ = rebuild.__module__, rebuild.__qualname__
    environment._rebuild_env = _rebuild_env


def _install_deferred_extensions() -> None:
    """Before a dispatcher's first call numba loads the ``numba_extensions`` entry points of every
    installed distribution (``entrypoints.init_all``: reading each one's metadata, 0.012 s of CPU
    here) so that third-party types can be typed. zk's kernels take numpy arrays, integers and
    zk's field descriptors, which no extension types; for them the call is left to numba's
    compiler, which runs it whenever it compiles (a cache miss) through its context refresh.
    Every other dispatcher keeps numba's hook."""
    from numba.core import dispatcher, entrypoints

    hook = dispatcher.Dispatcher._compilation_chain_init_hook
    if "init_all" not in hook.__code__.co_names or not hasattr(entrypoints, "init_all"):
        return

    def _compilation_chain_init_hook(self):
        if getattr(self.py_func, "__module__", "").startswith("zk."):
            return
        hook(self)

    _compilation_chain_init_hook.__wrapped__ = hook
    dispatcher.Dispatcher._compilation_chain_init_hook = _compilation_chain_init_hook


_NRT_MAGIC = b"zk-nrt-object-1\n"


def _runtime_cache_path(ir_text: str, codegen) -> str | None:
    """Where the runtime's object code for this IR, numba, llvmlite and target machine lives:
    beside zk's own cached kernels (NUMBA_CACHE_DIR, else this package's __pycache__)."""
    import hashlib

    import llvmlite
    import numba
    from numba.core import config

    key = repr((ir_text, numba.__version__, llvmlite.__version__, codegen.magic_tuple())).encode()
    directory = config.CACHE_DIR or os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__")
    return os.path.join(directory, f"zk-nrt-{hashlib.sha256(key).hexdigest()[:32]}.o")


def _install_cached_runtime() -> None:
    """numba's runtime (NRT: reference counts, array allocation) has a few functions that numba
    compiles from LLVM IR when it starts in each process (``rtsys.initialize``): 0.04 s of CPU
    before the first kernel runs. Their object code is kept beside the cached kernels instead,
    keyed like them on numba's and llvmlite's versions, the target machine (``magic_tuple``)
    and the IR itself, and loaded the way a cached kernel is; a missing or unreadable file means
    numba's own compile, then an attempt to write the file (atomically; a directory that cannot
    be written is left alone)."""
    from llvmlite import binding as ll
    from numba.core import config
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.runtime import nrt, nrtdynmod

    runtime_cls = type(nrt.rtsys)
    initialize = runtime_cls.initialize
    names = set(initialize.__code__.co_names) | set(getattr(initialize, "__wrapped__", initialize).__code__.co_names)
    if not {"compile_nrt_functions", "c_helpers", "add_symbol"} <= names or not hasattr(nrtdynmod, "create_nrt_module") \
            or not hasattr(nrt, "_nrt"):
        return

    def initialize_cached(self, ctx):
        if self._init:
            return
        with global_compiler_lock:
            _initialize(self, ctx)

    def _initialize(self, ctx):
        if self._init:
            return
        try:
            ir_module, library = nrtdynmod.create_nrt_module(ctx)
            path = _runtime_cache_path(str(ir_module), ctx.codegen())
        except Exception:  # any surprise: numba's own path
            return initialize(self, ctx)
        state = _read_runtime_object(path, library.name)
        if state is None:
            library.enable_object_caching()
            library.add_ir_module(ir_module)
        if config.NRT_STATS:
            nrt._nrt.memsys_enable_stats()
        for py_name, c_address in nrt._nrt.c_helpers.items():
            ll.add_symbol(py_name if py_name.startswith("_") else "NRT_" + py_name, c_address)
        if state is None:
            library.finalize()
            _write_runtime_object(path, library)
        else:
            library = ctx.codegen().unserialize_library(state)
        self._library = library
        self._init = True

    initialize_cached.__wrapped__ = initialize
    runtime_cls.initialize = initialize_cached


def _read_runtime_object(path: str, name: str):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        if not data.startswith(_NRT_MAGIC):
            return None
        object_size, bitcode_size = struct.unpack_from("<QQ", data, len(_NRT_MAGIC))
        start = len(_NRT_MAGIC) + 16
        if start + object_size + bitcode_size != len(data):
            return None
        object_code = data[start:start + object_size]
        if elf_defined_symbols(object_code) is None:
            return None
        return (name, "object", (object_code, data[start + object_size:]))
    except (OSError, struct.error):
        return None


def _write_runtime_object(path: str, library) -> None:
    try:
        _, kind, (object_code, bitcode) = library.serialize_using_object_code()
        if elf_defined_symbols(object_code) is None:
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as fh:
            fh.write(_NRT_MAGIC + struct.pack("<QQ", len(object_code), len(bitcode)) + object_code + bitcode)
        os.replace(temporary, path)
    except Exception:  # a cache that cannot be written costs the next process 0.04 s, nothing more
        try:
            os.unlink(temporary)
        except (OSError, UnboundLocalError):
            pass


def elf_defined_symbols(object_code: bytes) -> set[str] | None:
    """Names of the symbols a 64-bit little-endian ELF object defines (what numba's
    ``_load_defined_symbols`` collects from the bitcode of the same module), or None for any
    other object format."""
    if object_code[:4] != b"\x7fELF" or object_code[4:6] != b"\x02\x01":
        return None
    section_offset, = struct.unpack_from("<Q", object_code, 0x28)
    entry_size, count = struct.unpack_from("<HH", object_code, 0x3A)
    names: set[str] = set()
    for index in range(count):
        header = section_offset + index * entry_size
        if struct.unpack_from("<I", object_code, header + 4)[0] != 2:  # SHT_SYMTAB
            continue
        offset, size = struct.unpack_from("<QQ", object_code, header + 0x18)
        strings_index, = struct.unpack_from("<I", object_code, header + 0x28)
        symbol_size, = struct.unpack_from("<Q", object_code, header + 0x38)
        strings, = struct.unpack_from("<Q", object_code, section_offset + strings_index * entry_size + 0x18)
        for symbol in range(offset + symbol_size, offset + size, symbol_size):  # entry 0 is null
            name, info, _, section = struct.unpack_from("<IBBH", object_code, symbol)
            if section == 0 or (info & 0xF) in (3, 4):  # undefined; section or file names
                continue
            start = strings + name
            names.add(object_code[start:object_code.index(b"\0", start)].decode())
    return names


def _install_lazy_bitcode() -> None:
    import llvmlite.binding as ll
    from numba.core.codegen import CPUCodeLibrary

    unserialize = CPUCodeLibrary._unserialize.__func__
    module_for_linking = CPUCodeLibrary._get_module_for_linking
    # numba's method, as checked: object kind -> set the object code, parse the bitcode into
    # _shared_module, finalize, record the module's defined symbols.
    expected = {"parse_bitcode", "_set_compiled_object", "_load_defined_symbols", "_finalize_final_module"}
    if not expected <= set(unserialize.__code__.co_names) or "_shared_module" not in module_for_linking.__code__.co_names:
        return

    def _unserialize(cls, codegen, state):
        name, kind, data = state
        symbols = elf_defined_symbols(data[0]) if kind == "object" else None
        if symbols is None:
            return unserialize(cls, codegen, state)
        object_code, shared_bitcode = data
        self = codegen.create_library(name)
        self.enable_object_caching()
        self._set_compiled_object(object_code)
        self._zk_shared_bitcode = shared_bitcode
        self._finalize_final_module()
        codegen._engine._defined_symbols |= symbols
        return self

    def _get_module_for_linking(self):
        bitcode = self.__dict__.pop("_zk_shared_bitcode", None)
        if bitcode is not None:
            self._shared_module = ll.parse_bitcode(bitcode)
        return module_for_linking(self)

    _unserialize.__wrapped__ = unserialize
    _get_module_for_linking.__wrapped__ = module_for_linking
    CPUCodeLibrary._unserialize = classmethod(_unserialize)
    CPUCodeLibrary._get_module_for_linking = _get_module_for_linking
