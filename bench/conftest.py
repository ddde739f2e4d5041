"""Shared benchmark plumbing.

- Collects ``bench_*.py`` when pytest is pointed at the directory (``pytest bench``): the
  project's python_files setting only names test files, and benchmarks are kept apart from tests.
- ``report`` fixture: prints one clear line per figure, with the ratio to a reference and the bar,
  and records them in pytest-benchmark's extra_info (so they land in --benchmark-json output).
"""
from __future__ import annotations

import fnmatch

import pytest


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".py" or not file_path.name.startswith("bench_"):
        return None
    # Leave files that pytest collects anyway (named on the command line, or matching
    # python_files) to pytest, or they would be collected twice.
    if parent.session.isinitpath(file_path):
        return None
    if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in parent.config.getini("python_files")):
        return None
    return pytest.Module.from_parent(parent, path=file_path)


def _format_time(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} us"
    return f"{ns:.0f} ns"


@pytest.fixture
def report(request):
    """report(label, ns, reference_ns=None, reference="py_ecc", bar=None, benchmark=None).

    ``bar`` is a short text such as "<= 250 ns" or ">= 100x" printed next to the figure; the
    benchmark does not assert on it (timings belong to reports, not to pass/fail).
    """

    def _report(label, ns, reference_ns=None, reference="py_ecc", bar=None, benchmark=None, extra=None):
        line = f"{label}: {_format_time(ns)}"
        info = {"ns": ns}
        if reference_ns is not None:
            ratio = reference_ns / ns
            line += f"; {reference} {_format_time(reference_ns)}; {ratio:,.0f}x faster"
            info.update(reference_ns=reference_ns, speedup=ratio)
        if bar:
            line += f"  [bar: {bar}]"
        if extra:
            line += f"  ({extra})"
            info["note"] = extra
        print("\n" + line)
        if benchmark is not None:
            benchmark.extra_info.update({f"{label}: {k}": v for k, v in info.items()})
        return line

    return _report
