"""The code's shape, checked from its import statements (read with `ast`, nothing is imported):

- no import circle among the modules of the core library (`libs/hive/src`), the services
  (`services/*/src`) and the tooling (`tools/*/src`);
- the core library (`hive`) imports no service package and no tooling (`hive_*`): they sit
  above it.

Imports inside functions count: a lazy import only hides a circle (the risk gate's
`account -> bots -> cards -> account` was one) or an arrow running back up. Imports under
`if TYPE_CHECKING:` do not make a circle (they never run) but do count as a dependency of the
core. The checks themselves are tested first on a small planted tree, so that they can fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CORE = "hive"
SERVICE_PREFIX = "hive_"


def source_roots(root: Path) -> list[Path]:
    return [
        root / "libs/hive/src",
        *sorted((root / "services").glob("*/src")),
        *sorted((root / "tools").glob("*/src")),
    ]


# ---- the import graph ---------------------------------------------------------------------------
@dataclass
class ImportGraph:
    """Modules by dotted name; `runtime` edges (what executes) and `all_edges` (TYPE_CHECKING too)."""

    files: dict[str, Path] = field(default_factory=dict)
    runtime: dict[str, set[str]] = field(default_factory=dict)
    all_edges: dict[str, set[str]] = field(default_factory=dict)


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


def _imports(
    body: Sequence[ast.stmt], *, type_checking: bool
) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in `body`, at any depth (functions and classes included)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            if type_checking:
                yield from _imports(node.body, type_checking=type_checking)
            yield from _imports(node.orelse, type_checking=type_checking)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from _imports([child], type_checking=type_checking)
            elif isinstance(child, ast.excepthandler):
                yield from _imports(child.body, type_checking=type_checking)


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
        for key, type_checking in (("runtime", False), ("all_edges", True)):
            edges: set[str] = set()
            for node in _imports(tree.body, type_checking=type_checking):
                edges |= _targets(node, package, modules)
            edges.discard(name)
            getattr(graph, key)[name] = edges
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


def core_imports_of_services(edges: dict[str, set[str]], exempt: Sequence[str] = ()) -> list[str]:
    """`core module -> service module` for every arrow from the core up to a service."""

    def within(name: str, prefixes: Sequence[str]) -> bool:
        return any(name == p or name.startswith(p + ".") for p in prefixes)

    return [
        f"{module} -> {target}"
        for module in sorted(edges)
        if within(module, (CORE,)) and not within(module, exempt)
        for target in sorted(edges[module])
        if target.startswith(SERVICE_PREFIX)
    ]


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


def test_a_planted_arrow_from_the_core_to_a_service_is_found(tmp_path: Path) -> None:
    roots = _plant(
        tmp_path,
        {
            "libs/hive/src/hive/__init__.py": "",
            "libs/hive/src/hive/core.py": "def f():\n    import hive_x.a\n",
            "libs/hive/src/hive/cli/__init__.py": "from hive_x import a\n",
            "services/x/src/hive_x/__init__.py": "",
            "services/x/src/hive_x/a.py": "from hive import core\n",
        },
    )
    edges = build_graph(roots).all_edges
    assert core_imports_of_services(edges, exempt=("hive.cli",)) == ["hive.core -> hive_x.a"]


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


def test_the_core_library_imports_no_service(graph: ImportGraph) -> None:
    arrows = core_imports_of_services(graph.all_edges, exempt=())
    assert not arrows, "the core library (hive) imports a service package:\n" + "\n".join(arrows)
