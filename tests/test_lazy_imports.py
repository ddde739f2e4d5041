"""zk._lazy.defer_import: a module in sys.modules whose code runs on first use (the `zk prove` /
`zk verify` processes defer numba's imports of importlib.metadata and yaml with it)."""
from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from zk._lazy import defer_import


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package ``deferme_pkg`` whose modules count their runs in ``deferme_pkg_runs.RUNS``."""
    (tmp_path / "deferme_pkg_runs.py").write_text("RUNS = []\n")
    pkg = tmp_path / "deferme_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import deferme_pkg_runs\ndeferme_pkg_runs.RUNS.append('pkg')\nVALUE = 1\n")
    (pkg / "leaf.py").write_text("import deferme_pkg_runs\ndeferme_pkg_runs.RUNS.append('leaf')\nVALUE = 2\n")
    (pkg / "broken.py").write_text("raise RuntimeError('broken on purpose')\n")
    (tmp_path / "deferme_top.py").write_text(textwrap.dedent("""\
        import deferme_pkg_runs
        deferme_pkg_runs.RUNS.append('top')
        def f():
            return 3
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield __import__("deferme_pkg_runs").RUNS
    for name in [m for m in sys.modules if m.startswith("deferme_")]:
        del sys.modules[name]


def test_import_statements_do_not_run_it_first_use_does_once(package):
    assert defer_import("deferme_top")
    module = sys.modules["deferme_top"]
    import deferme_top  # noqa: F401  (the import statement reads __spec__ only)

    assert package == [] and deferme_top is module
    assert deferme_top.f() == 3 and package == ["top"]
    assert deferme_top.f() == 3 and package == ["top"]
    assert sys.modules["deferme_top"] is module and type(module) is type(sys)


def test_submodule_from_import_and_package_order(package):
    importlib.import_module("deferme_pkg")
    assert package == ["pkg"]
    assert defer_import("deferme_pkg.leaf")
    from deferme_pkg import leaf

    assert package == ["pkg"]
    assert leaf.VALUE == 2 and package == ["pkg", "leaf"]


def test_deferred_package_runs_before_its_submodule(package):
    assert defer_import("deferme_pkg")
    assert package == []
    importlib.import_module("deferme_pkg.leaf")  # reads the package's __path__: the package runs first
    assert package == ["pkg", "leaf"]
    assert sys.modules["deferme_pkg"].VALUE == 1


def test_a_module_that_fails_is_gone_like_a_failed_import(package):
    importlib.import_module("deferme_pkg")
    assert defer_import("deferme_pkg.broken")
    module = sys.modules["deferme_pkg.broken"]
    with pytest.raises(RuntimeError, match="broken on purpose"):
        module.anything
    assert "deferme_pkg.broken" not in sys.modules


def test_nothing_changes_when_already_imported_or_missing(package):
    assert not defer_import("sys")  # already imported
    assert not defer_import("deferme_missing_module")
    assert "deferme_missing_module" not in sys.modules
    import deferme_top  # noqa: F401

    assert not defer_import("deferme_top")
    assert package == ["top"]
