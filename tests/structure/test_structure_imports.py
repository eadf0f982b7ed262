"""The code's shape, checked from its import statements (read with `ast`, nothing is imported):

no import circle among the modules of the core library (`libs/hive/src`), the services
(`services/*/src`) and the tooling (`tools/*/src`). Which package may import which is
`test_structure_layers.py`'s job.

Imports inside functions count: a lazy import only hides a circle (the risk gate's
`account -> bots -> cards -> account` was one). Imports under `if TYPE_CHECKING:` do not (they
never run). The check itself is tested first on a small planted tree, so that it can fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.source_tree import ROOT, source_roots

pytestmark = pytest.mark.unit

CORE = "hive"


# ---- the import graph ---------------------------------------------------------------------------
@dataclass
class ImportGraph:
    """Modules by dotted name, and the modules each one loads when it runs."""

    files: dict[str, Path] = field(default_factory=dict)
    runtime: dict[str, set[str]] = field(default_factory=dict)


def _module_names(roots: Sequence[Path]) -> dict[str, tuple[Path, bool]]:
    """dotted name -> (file, is a package)."""
    found: dict[str, tuple[Path, bool]] = {}
    for src in roots:
        for path in sorted(src.rglob("*.py")):
            parts = list(path.relative_to(src).with_suffix("").parts)
            package = parts[-1] == "__init__"
            if package:
                parts = parts[:-1]
            if parts:
                found[".".join(parts)] = (path, package)
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: Sequence[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in `body` that can run, at any depth (functions and classes
    included; `if TYPE_CHECKING:` bodies excluded)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from _imports(node.orelse)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from _imports([child])
            elif isinstance(child, ast.excepthandler):
                yield from _imports(child.body)


def _targets(
    node: ast.Import | ast.ImportFrom, package: str, modules: dict[str, tuple[Path, bool]]
) -> set[str]:
    """The modules of the tree an import statement loads (`from pkg import module` included)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    found: set[str] = set()
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        if submodule in modules:
            found.add(submodule)
        elif base in modules:
            found.add(base)
    return found


def build_graph(roots: Sequence[Path]) -> ImportGraph:
    modules = _module_names(roots)
    graph = ImportGraph()
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if is_package else name.rpartition(".")[0]
        graph.files[name] = path
        edges: set[str] = set()
        for node in _imports(tree.body):
            edges |= _targets(node, package, modules)
        edges.discard(name)
        graph.runtime[name] = edges
    return graph


# ---- the checks ---------------------------------------------------------------------------------
def import_circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected group of modules, as a path `a, b, ..., a`."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group: set[str] = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return [_circle_in(group, edges) for group in groups]


def _circle_in(group: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest circle through the group's first module (breadth-first, within the group)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for v in frontier:
            for w in sorted(edges.get(v, set()) & group):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if w not in came_from:
                    came_from[w] = v
                    following.append(w)
        frontier = following
    return sorted(group)  # unreachable for a strongly connected group


def _format(circles: list[list[str]]) -> str:
    return "\n".join(" -> ".join(c) for c in circles)


# ---- the checks can fail: a planted tree ------------------------------------------------------
def _plant(tmp: Path, files: dict[str, str]) -> list[Path]:
    for rel, text in files.items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return source_roots(tmp)


def test_a_planted_circle_is_found_even_through_a_lazy_import(tmp_path: Path) -> None:
    roots = _plant(
        tmp_path,
        {
            "libs/hive/src/hive/__init__.py": "",
            "services/x/src/hive_x/__init__.py": "",
            "services/x/src/hive_x/a.py": "from hive_x import b\n",
            "services/x/src/hive_x/b.py": "from .c import thing\n",
            "services/x/src/hive_x/c.py": "def f():\n    from hive_x.a import g\n",
            "services/x/src/hive_x/d.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from hive_x.e import E\n"
            ),
            "services/x/src/hive_x/e.py": "import hive_x.d\n",
        },
    )
    circles = import_circles(build_graph(roots).runtime)
    assert circles == [["hive_x.a", "hive_x.b", "hive_x.c", "hive_x.a"]]  # d <-> e: typing only


# ---- the checks on the code -------------------------------------------------------------------
@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return build_graph(source_roots(ROOT))


def test_the_graph_sees_the_core_every_service_and_the_tooling(graph: ImportGraph) -> None:
    packages = {name.partition(".")[0] for name in graph.files}
    services = {p.parent.name for p in (ROOT / "services").glob("*/src/*/__init__.py")}
    assert len(services) == 8 and packages == {CORE, *services, "hive_tools"}


def test_there_is_no_import_circle(graph: ImportGraph) -> None:
    circles = import_circles(graph.runtime)
    assert not circles, f"import circles (each from a module back to it):\n{_format(circles)}"
