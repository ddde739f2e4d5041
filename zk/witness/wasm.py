"""circom's witness calculator (the `.wasm` circom 2 emits with `--wasm`) run in-process under
wasmtime, without Node.

    calc = CircomWasm("circuit_js/circuit.wasm", sym="circuit.sym")
    witness = calc.calculate({"a": 3, "b": [1, 2]})        # list of ints, wire 0 = 1
    data = calc.wtns_bytes(inputs)                          # byte-identical to `snarkjs wtns calculate`

The module gets exactly the four imports circom 2.1+ declares (module `runtime`:
`exceptionHandler`, `printErrorMessage`, `writeBufferMessage`, `showSharedRWMemory`) and is driven
through its exports the way circom_runtime's WitnessCalculatorCircom2 does: each input value is
written to the shared read-write memory, `setInputSignal(hash of the name, index)` stores it (the
last one runs the circuit), `getWitness(i)` copies witness value i to the shared memory. Values
move through the exported linear memory directly rather than one 32-bit word per call.

A `.wasm` is code from elsewhere: it runs with a fuel budget (one unit per instruction, roughly)
and a memory limit, and any failure (not a module, other imports, a trap, fuel or memory
exhausted, a failed `assert` in the circuit) raises WasmWitnessError with one line. A failed
assert names the template instance and source line from circom's own message, and with the
`.sym` the inputs are checked by name before the circuit runs.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from zk.r1cs.field import R, parse_element

DEFAULT_FUEL = 50_000_000_000
DEFAULT_MEMORY_LIMIT = 2 << 30  # bytes; circom_runtime asks for 2 GiB (32767 pages) too
_IMPORTS = {"exceptionHandler", "printErrorMessage", "writeBufferMessage", "showSharedRWMemory"}
_EXPORTS = ("memory", "getVersion", "getSharedRWMemoryStart", "init", "setInputSignal", "getInputSignalSize",
            "getRawPrime", "getFieldNumLen32", "getWitnessSize", "getInputSize", "getWitness", "getMessageChar")
# circom_runtime's names for exceptionHandler's codes
_CIRCOM_ERRORS = {1: "signal not found", 2: "too many signals set", 3: "signal already set",
                  4: "assert failed", 5: "not enough memory", 6: "input signal array access exceeds the size"}
MAX_MESSAGE = 4096


class WasmWitnessError(ValueError):
    """The witness calculator could not produce a witness; the message is one line."""


class _CircomException(Exception):
    def __init__(self, code: int):
        self.code = code


def fnv1a64(name: str) -> int:
    """circom's hash of a signal name (FNV-1a over UTF-16 code units, as circom_runtime's fnvHash)."""
    h = 0xCBF29CE484222325
    for unit in name.encode("utf-16-le")[::2]:
        h = ((h ^ unit) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _flatten(value, name: str) -> list:
    if isinstance(value, (list, tuple)):
        out = []
        for i, item in enumerate(value):
            out.extend(_flatten(item, f"{name}[{i}]"))
        return out
    return [(value, name)]


def _main_inputs(sym_path) -> set[str] | None:
    """Names of main's signals from a .sym file (`label,wire,component,main.name[...]`)."""
    names = set()
    try:
        text = Path(sym_path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise WasmWitnessError(f"cannot read {sym_path}: {exc.strerror or exc}") from None
    for line in text.splitlines():
        parts = line.split(",", 3)
        if len(parts) == 4 and parts[3].startswith("main."):
            rest = parts[3][5:]
            base = rest.split("[", 1)[0]
            if "." not in base:
                names.add(base)
    return names


class CircomWasm:
    def __init__(self, path: str | os.PathLike, sym: str | os.PathLike | None = None, *,
                 fuel: int = DEFAULT_FUEL, memory_limit: int = DEFAULT_MEMORY_LIMIT):
        import wasmtime

        self._wasmtime = wasmtime
        self.path = Path(path)
        self.fuel = fuel
        self.memory_limit = memory_limit
        self.main_signals = _main_inputs(sym) if sym is not None else None
        try:
            code = self.path.read_bytes()
        except OSError as exc:
            raise WasmWitnessError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        if code[:4] != b"\x00asm":
            raise WasmWitnessError(f"{self.path} is not a WebAssembly module")
        config = wasmtime.Config()
        config.consume_fuel = True
        config.wasm_multi_memory = True  # the witness collector reads the circuit's memory beside its own
        try:
            config.cache = True  # compiled machine code reused across runs (wasmtime's own cache)
        except Exception:  # pragma: no cover - a wasmtime without a cache
            pass
        self.engine = wasmtime.Engine(config)
        try:
            self.module = wasmtime.Module(self.engine, code)
        except Exception as exc:
            raise WasmWitnessError(f"{self.path} is not a valid WebAssembly module: {_first_line(exc)}") from None
        for imp in self.module.imports:
            if imp.module != "runtime" or imp.name not in _IMPORTS:
                raise WasmWitnessError(f"{self.path} imports {imp.module}.{imp.name}, which circom's witness "
                                       "calculator does not provide (not a circom 2 witness calculator?)")
        exported = {e.name for e in self.module.exports}
        missing = [name for name in _EXPORTS if name not in exported]
        if missing:
            raise WasmWitnessError(f"{self.path} does not export {missing[0]} (not a circom 2.1+ witness calculator)")

    # ------------------------------------------------------------------ running
    def _instantiate(self):
        wt = self._wasmtime
        store = wt.Store(self.engine)
        store.set_fuel(self.fuel)
        store.set_limits(memory_size=self.memory_limit, instances=2, tables=4, memories=2)
        state: dict[str, Any] = {"errors": [], "instance": None}

        def message() -> str:
            get_char = state["instance"].exports(store)["getMessageChar"]
            chars = []
            while len(chars) < MAX_MESSAGE:
                c = get_char(store)
                if c == 0:
                    break
                chars.append(chr(c & 0xFF))
            return "".join(chars)

        def exception_handler(code):
            raise _CircomException(code)

        def print_error_message():
            if len(state["errors"]) < 64:
                state["errors"].append(message())

        def write_buffer_message():
            message()  # circom's log(): read and dropped (the JS runtime prints it)

        def show_shared_rw_memory():
            pass

        i32 = wt.ValType.i32()
        linker = wt.Linker(self.engine)
        linker.define_func("runtime", "exceptionHandler", wt.FuncType([i32], []), exception_handler)
        linker.define_func("runtime", "printErrorMessage", wt.FuncType([], []), print_error_message)
        linker.define_func("runtime", "writeBufferMessage", wt.FuncType([], []), write_buffer_message)
        linker.define_func("runtime", "showSharedRWMemory", wt.FuncType([], []), show_shared_rw_memory)
        instance = linker.instantiate(store, self.module)
        state["instance"] = instance
        return store, instance, state

    def _run(self, inputs: Mapping[str, Any]) -> tuple[int, list[bytes]]:
        """(raw prime, witness values as 32-byte little-endian strings)."""
        if not isinstance(inputs, Mapping):
            raise WasmWitnessError(f"inputs must be a JSON object of signal names, got {type(inputs).__name__}")
        values = []
        for name, raw in inputs.items():
            if self.main_signals is not None and name not in self.main_signals:
                raise WasmWitnessError(f"{name!r} is not a signal of the circuit's main component "
                                       f"(inputs and outputs: {', '.join(sorted(self.main_signals)) or 'none'})")
            flat = []
            for value, where in _flatten(raw, name):
                try:
                    flat.append(parse_element(value, f"input {where}"))
                except ValueError as exc:
                    raise WasmWitnessError(str(exc)) from None
            values.append((name, flat))
        store = state = None
        try:
            store, instance, state = self._instantiate()
            ex = instance.exports(store)
            memory = ex["memory"]
            if ex["getVersion"](store) != 2:
                raise WasmWitnessError(f"{self.path} is not a circom 2 witness calculator")
            n32 = ex["getFieldNumLen32"](store)
            if n32 != 8:
                raise WasmWitnessError(f"{self.path} works with {n32 * 32}-bit field elements, not BN254's 256")
            shared = ex["getSharedRWMemoryStart"](store)
            if not 0 <= shared <= memory.data_len(store) - 32:
                raise WasmWitnessError(f"{self.path} reports its shared memory outside its linear memory")
            ex["getRawPrime"](store)
            prime = int.from_bytes(memory.read(store, shared, shared + 32), "little")
            if prime != R:
                raise WasmWitnessError(f"{self.path} is a circuit over the prime {prime}, not BN254's scalar field")
            ex["init"](store, 0)
            counted = 0
            for name, flat in values:
                h = fnv1a64(name)
                msb, lsb = h >> 32, h & 0xFFFFFFFF
                size = ex["getInputSignalSize"](store, _i32(msb), _i32(lsb))
                if size <= 0:
                    raise WasmWitnessError(f"{name!r} is not an input signal of the circuit")
                if len(flat) != size:
                    raise WasmWitnessError(f"input {name}: expected {size} values, got {len(flat)}")
                for i, value in enumerate(flat):
                    memory.write(store, value.to_bytes(32, "little"), shared)
                    ex["setInputSignal"](store, _i32(msb), _i32(lsb), i)
                    counted += 1
            expected = ex["getInputSize"](store)
            if counted < expected:
                raise WasmWitnessError(f"not all inputs were given: {counted} values of the {expected} the circuit takes")
            n = ex["getWitnessSize"](store)
            if not 0 < n <= min(memory.data_len(store), self.memory_limit // 64):
                raise WasmWitnessError(f"{self.path} reports an implausible witness size {n}")
            return prime, self._collect(store, instance, n, shared)
        except WasmWitnessError:
            raise
        except Exception as exc:
            raise WasmWitnessError(self._explain(exc, state)) from None

    def _collect(self, store, instance, n: int, shared: int) -> list[bytes]:
        """All n witness values, gathered by a small module of ours linked to the circuit's
        instance: it calls getWitness(i) and copies the value out of the shared memory into its
        own memory, in wasm, so Python makes one call instead of n (each costs tens of
        microseconds in wasmtime's Python binding)."""
        wt = self._wasmtime
        pages = (32 * n + 0xFFFF) // 0x10000
        collector = wt.Module(self.engine, wt.wat2wasm(_COLLECTOR.replace("PAGES", str(pages))))
        linker = wt.Linker(self.engine)
        linker.define_instance(store, "circom", instance)
        gather = linker.instantiate(store, collector).exports(store)
        gather["collect"](store, n, shared)
        data = gather["out"].read(store, 0, 32 * n)
        return [bytes(data[32 * i:32 * i + 32]) for i in range(n)]

    def _explain(self, exc: BaseException, state) -> str:
        wt = self._wasmtime
        circom = exc if isinstance(exc, _CircomException) else getattr(exc, "__cause__", None)
        if not isinstance(circom, _CircomException):
            circom = next((e for e in _chain(exc) if isinstance(e, _CircomException)), None)
        if circom is not None:
            what = _CIRCOM_ERRORS.get(circom.code, f"error code {circom.code}")
            where = " <- ".join(_where(m) for m in (state or {}).get("errors", []) if m.strip())
            return f"circuit {what}" + (f" in {where}" if where else "")
        text = _cause(exc)
        if "fuel" in text:
            return (f"the witness calculator ran out of fuel ({self.fuel:,} units) in {self.path.name}: "
                    "an endless loop, or a circuit larger than the budget (raise --fuel)")
        if isinstance(exc, wt.Trap) or "wasm trap" in text or "memory" in text:
            limit = f"{self.memory_limit >> 20} MiB"
            return f"the witness calculator in {self.path.name} trapped ({text}); memory limit {limit}"
        return f"the witness calculator in {self.path.name} failed: {text}"

    # ------------------------------------------------------------------ results
    def calculate(self, inputs: Mapping[str, Any]) -> list[int]:
        _prime, raw = self._run(inputs)
        return [int.from_bytes(v, "little") for v in raw]

    def wtns_bytes(self, inputs: Mapping[str, Any]) -> bytes:
        """The .wtns file exactly as `snarkjs wtns calculate` writes it (circom_runtime's
        calculateWTNSBin): version 2, a header section (field size, prime, witness count) and the
        values as 32-byte little-endian integers."""
        prime, raw = self._run(inputs)
        n8 = 32
        header = (b"wtns" + (2).to_bytes(4, "little") + (2).to_bytes(4, "little")
                  + (1).to_bytes(4, "little") + (8 + n8).to_bytes(8, "little") + n8.to_bytes(4, "little")
                  + prime.to_bytes(n8, "little") + len(raw).to_bytes(4, "little")
                  + (2).to_bytes(4, "little") + (n8 * len(raw)).to_bytes(8, "little"))
        return header + b"".join(raw)


# Copies witness value i (which getWitness(i) puts in the shared memory) to out[32 i], for all i.
_COLLECTOR = """(module
  (import "circom" "getWitness" (func $get (param i32)))
  (import "circom" "memory" (memory $circuit 1))
  (memory $out (export "out") PAGES)
  (func (export "collect") (param $n i32) (param $shared i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $get (local.get $i))
        (memory.copy $out $circuit (i32.mul (local.get $i) (i32.const 32)) (local.get $shared) (i32.const 32))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))"""


def _i32(x: int) -> int:
    return x - (1 << 32) if x >= 1 << 31 else x


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _cause(exc: BaseException) -> str:
    """wasmtime's own reason for a trap ('wasm trap: all fuel consumed ...'), not its backtrace."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if "Caused by:" in lines:
        lines = lines[lines.index("Caused by:") + 1:]
    return (lines[0] if lines else type(exc).__name__)[:300]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _where(message: str) -> str:
    """circom's 'Error in template Num2Bits_3 line: 38' as 'template Num2Bits (Num2Bits_3), line 38'."""
    text = " ".join(message.split())
    prefix = "Error in template "
    if text.startswith(prefix) and " line: " in text:
        instance, line = text[len(prefix):].rsplit(" line: ", 1)
        base = instance.rsplit("_", 1)[0] if "_" in instance and instance.rsplit("_", 1)[1].isdigit() else instance
        return f"template {base} ({instance}), line {line}"
    return text[:200]
