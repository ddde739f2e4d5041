"""The layer rule of docs/ARCHITECTURE.md, read from the source: every import of every module (at
the top or inside a function) goes down the stack or sideways within its tier, never up; the
packages form no cycle; zk never imports circuits, and the circuits never import the application
built on them (circuits.app). The checker is shown failing on bad trees built in tmp_path."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Tier of each package, lowest first. Packages of one tier may import each other (no cycles).
TIERS: dict[str, int] = {
    "zk.field": 0,
    "zk.curve": 1,
    "zk.pairing": 2, "zk.msm": 2, "zk.poly": 2,
    "zk.r1cs": 3,
    "zk.gadgets": 4,
    "zk.groth16": 5,
    "zk.formats": 6,
    # Orchestration: needs files and engines at once.
    "zk.ceremony": 7, "zk.distributed": 7, "zk.serve": 7, "zk.perf": 7, "zk.chain": 7, "zk.witness": 7,
    "zk.aot": 7,
    "zk.cli": 8,
    "circuits": 9,
    "circuits.app": 10,
}
# Modules that are not inside a package of the table: below every tier (they may import nothing
# of zk; anything may import them). zk._numba_cache patches numba's cache loader for zk.field;
# zk._lazy makes the PEP 562 attribute loaders of zk.field and zk.groth16. zk._mapped releases
# the pages of a memory-mapped file a process has finished reading (the prover's key, keyfile's checksum).
# zk._paths says where the per-user cache directories are (compiled circuits, validated keys, AOT).
TOP_LEVEL = {"zk": -1, "zk._numba_cache": -1, "zk._lazy": -1, "zk._mapped": -1, "zk._paths": -1}


def package_of(module: str) -> str | None:
    """The most specific entry of TIERS that contains `module` (None: outside zk and circuits)."""
    if module in TOP_LEVEL:
        return module
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in TIERS:
            return candidate
    if parts[0] in ("zk", "circuits"):
        return ".".join(parts[:2])  # a package the table does not know: reported by check_tree
    return None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append((node.lineno, target))
            # `from zk import groth16` imports the package zk.groth16
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names
                      if package_of(f"{target}.{alias.name}") not in (None, package_of(target))
                      and f"{target}.{alias.name}" in TIERS]
    return found


def check_tree(root: Path) -> list[str]:
    """Every violation of the layer rule under root/zk and root/circuits, one line each."""
    problems = []
    edges: dict[str, set[str]] = {}
    for top in ("zk", "circuits"):
        for path in sorted((root / top).rglob("*.py")):
            source = module_name(path, root)
            source_pkg = package_of(source)
            where = path.relative_to(root).as_posix()
            if source_pkg not in TIERS and source_pkg not in TOP_LEVEL:
                problems.append(f"{where}: package {source_pkg} has no tier: add it to TIERS here and to "
                                "docs/ARCHITECTURE.md")
                continue
            for line, target in imports_of(path, root):
                target_pkg = package_of(target)
                if target_pkg is None or target_pkg == source_pkg or target_pkg in TOP_LEVEL:
                    continue
                if target_pkg not in TIERS:
                    problems.append(f"{where}:{line}: imports {target}, a package without a tier")
                    continue
                edges.setdefault(source_pkg, set()).add(target_pkg)
                if source.startswith("zk") and target_pkg.startswith("circuits"):
                    problems.append(f"{where}:{line}: zk imports the application ({target})")
                elif TIERS[target_pkg] > TIERS.get(source_pkg, -1):
                    problems.append(f"{where}:{line}: {source_pkg} (tier {TIERS.get(source_pkg)}) imports "
                                    f"{target} from a higher tier ({target_pkg}, tier {TIERS[target_pkg]})")
    problems += [f"import cycle between packages: {' -> '.join(cycle)}" for cycle in _cycles(edges)]
    return problems


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one package (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component) + [sorted(component)[0]])

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def test_the_repository_keeps_the_layer_rule():
    assert check_tree(ROOT) == []


# --------------------------------------------------------------------------- the checker itself
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for top in ("zk", "circuits"):
        (tmp_path / top).mkdir(exist_ok=True)
    return tmp_path


def test_a_clean_tree_passes(tmp_path):
    root = _tree(tmp_path, {
        "zk/__init__.py": "",
        "zk/field/__init__.py": "",
        "zk/curve/__init__.py": "from zk.field import P\nfrom ..field import spec\n",
        "zk/cli/main.py": "def f():\n    from zk import groth16\n",
        "circuits/app/cli.py": "from zk.cli import UserError\nfrom circuits.protocol import H\n",
    })
    assert check_tree(root) == []


def test_an_upward_import_fails(tmp_path):
    root = _tree(tmp_path, {"zk/field/bad.py": "def f():\n    from zk.groth16 import prove\n"})
    assert check_tree(root) == [
        "zk/field/bad.py:2: zk.field (tier 0) imports zk.groth16 from a higher tier (zk.groth16, tier 5)"]


def test_a_relative_upward_import_fails(tmp_path):
    root = _tree(tmp_path, {"zk/curve/bad.py": "from ..formats import snarkjs\n"})
    assert check_tree(root) == [
        "zk/curve/bad.py:1: zk.curve (tier 1) imports zk.formats from a higher tier (zk.formats, tier 6)"]


def test_from_package_import_subpackage_is_seen(tmp_path):
    root = _tree(tmp_path, {"zk/groth16/bad.py": "from zk import formats\n"})
    assert len(check_tree(root)) == 1


def test_the_library_importing_the_application_fails(tmp_path):
    root = _tree(tmp_path, {"zk/cli/bad.py": "import circuits.app.cli\n"})
    assert check_tree(root) == ["zk/cli/bad.py:1: zk imports the application (circuits.app.cli)"]


def test_the_circuits_importing_their_application_fails(tmp_path):
    root = _tree(tmp_path, {"circuits/protocol.py": "from circuits.app.cli import status_lines\n"})
    assert len(check_tree(root)) == 1


def test_a_cycle_between_sibling_packages_fails(tmp_path):
    root = _tree(tmp_path, {"zk/msm/a.py": "from zk.poly import ntt\n", "zk/poly/b.py": "from zk.msm import msm_g1\n"})
    assert check_tree(root) == ["import cycle between packages: zk.msm -> zk.poly -> zk.msm"]


def test_a_package_without_a_tier_fails(tmp_path):
    root = _tree(tmp_path, {"zk/newthing/mod.py": "from zk.field import P\n"})
    problems = check_tree(root)
    assert len(problems) == 1 and "zk.newthing has no tier" in problems[0]


@pytest.mark.parametrize("source", ["from . import x\n", "import numpy as np\n", "from zk.field import P\n"])
def test_harmless_imports_pass(tmp_path, source):
    root = _tree(tmp_path, {"zk/field/__init__.py": "", "zk/field/x.py": "", "zk/curve/mod.py": source})
    assert check_tree(root) == []
