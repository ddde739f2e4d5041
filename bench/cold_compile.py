"""Where a cold compile (``zk warmup`` from an empty numba cache) spends its CPU: per warm-up stage,
and per compiled specialisation (function and argument types) with the CPU of its own compile,
its callees' compiles excluded. A function listed with several signatures is compiled once per
signature: a literal argument, an int64/uint64 mismatch or a readonly array each cost a compile.

    NUMBA_CACHE_DIR=$(mktemp -d) .venv/bin/python bench/cold_compile.py [TOP]

Run it with an empty cache directory (a warm one compiles nothing). Figures in docs/bench.md.
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict

from numba.core import event


class _Compiles(event.Listener):
    """Records (specialisation, own CPU s, stage) for every numba compile (cache misses only)."""

    def __init__(self):
        self.stack: list = []
        self.records: list = []
        self.stage = "?"

    def on_start(self, ev):
        func = ev.data["dispatcher"].py_func
        args = ", ".join(str(a) for a in ev.data["args"])
        self.stack.append([f"{func.__module__}.{func.__qualname__}({args})", time.process_time(), 0.0])

    def on_end(self, ev):
        key, start, callees = self.stack.pop()
        total = time.process_time() - start
        if self.stack:
            self.stack[-1][2] += total
        self.records.append((key, total - callees, self.stage))


def main(top: int = 15) -> None:
    compiles = _Compiles()
    event.register("numba:compile", compiles)
    from zk.perf.warmup import _stages

    for name, run in _stages():
        compiles.stage = name
        start = time.process_time()
        run()
        print(f"{name}: {time.process_time() - start:.1f} s CPU", flush=True)
    records = compiles.records
    print(f"\n{len(records)} specialisations, {sum(r[1] for r in records):.1f} s CPU compiling")
    print(f"\nlargest own compile CPU (s):")
    for key, own, stage in sorted(records, key=lambda r: -r[1])[:top]:
        print(f"  {own:5.2f}  {key[:150]}")
    by_module: dict = defaultdict(float)
    signatures: dict = defaultdict(list)
    for key, own, _ in records:
        name = key.split("(")[0]
        by_module[name.rsplit(".", 1)[0]] += own
        signatures[name].append(own)
    print("\nby module (s):")
    for module, own in sorted(by_module.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {own:5.1f}  {module}")
    print("\nfunctions compiled for more than one signature (count, s):")
    for name, owns in sorted(signatures.items(), key=lambda kv: -sum(kv[1]))[:top]:
        if len(owns) > 1:
            print(f"  {len(owns):2d} {sum(owns):5.2f}  {name}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
