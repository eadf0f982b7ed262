"""The layers, checked from the source: the core library (libs/hive) imports no service and no
tooling; the services do not import the tooling; the tooling (tools/hive-cli, `hive_tools`)
declares every workspace package it imports. Every import counts, at module level or lazily
inside a function, so a lazy import cannot hide an arrow that runs back up."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from support.source_tree import ROOT

pytestmark = pytest.mark.unit

CORE_SRC = ROOT / "libs" / "hive" / "src"
TOOLS_DIR = ROOT / "tools" / "hive-cli"
TOOLS_PACKAGE = "hive_tools"
SERVICE_PACKAGES = {
    "hive_signal_parser",
    "hive_enricher",
    "hive_regime",
    "hive_risk_gate",
    "hive_executor",
    "hive_governor",
    "hive_learner",
    "hive_hub",
}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the source, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def imports_under(src: Path) -> list[tuple[str, int, str]]:
    """(file, line, top-level package) of every import in every module under src."""
    out = []
    for path in sorted(src.rglob("*.py")):
        for line, module in imported_modules(path.read_text(encoding="utf-8")):
            out.append((path.relative_to(ROOT).as_posix(), line, module.split(".")[0]))
    return out


def workspace_members() -> dict[str, tuple[str, dict[str, object]]]:
    """Import package -> (distribution name, pyproject) of every workspace member."""
    out = {}
    for pyproject in sorted(ROOT.glob("*/*/pyproject.toml")):
        doc = tomllib.loads(pyproject.read_text())
        wheel = doc.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {})
        for package in wheel.get("wheel", {}).get("packages", []):
            out[Path(package).name] = (doc["project"]["name"], doc)
    return out


def _dist_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_scan_sees_lazy_and_aliased_imports() -> None:
    source = (
        "import os\n"
        "from hive.config import X\n"
        "def f():\n"
        "    import hive_risk_gate.bots as b\n"
        "    from hive_tools.cli import main\n"
        "    from . import sibling\n"
    )
    assert imported_modules(source) == [
        (1, "os"),
        (2, "hive.config"),
        (4, "hive_risk_gate.bots"),
        (5, "hive_tools.cli"),
    ]


def test_the_service_packages_listed_here_are_the_workspaces() -> None:
    services = {p.name for p in ROOT.glob("services/*/src/*") if (p / "__init__.py").is_file()}
    assert services == SERVICE_PACKAGES
    assert TOOLS_PACKAGE in workspace_members()


def test_the_core_library_imports_no_service_and_no_tooling() -> None:
    forbidden = SERVICE_PACKAGES | {TOOLS_PACKAGE}
    scanned = imports_under(CORE_SRC)
    assert len({file for file, _, _ in scanned}) > 20, "the scan found the core's modules"
    wrong = [f"{file}:{line} imports {top}" for file, line, top in scanned if top in forbidden]
    assert not wrong, "the core library must not import services or tooling:\n" + "\n".join(wrong)


def test_no_service_imports_the_tooling() -> None:
    wrong = [
        f"{file}:{line} imports {top}"
        for file, line, top in imports_under(ROOT / "services")
        if top == TOOLS_PACKAGE
    ]
    assert not wrong, "a service must not import the tooling:\n" + "\n".join(wrong)


def test_the_tooling_declares_every_workspace_package_it_imports() -> None:
    members = workspace_members()
    doc = tomllib.loads((TOOLS_DIR / "pyproject.toml").read_text())
    declared = {_dist_name(r) for r in doc["project"]["dependencies"]}
    workspace_sources = {
        name for name, src in doc["tool"]["uv"]["sources"].items() if src.get("workspace")
    }
    scanned = imports_under(TOOLS_DIR / "src")
    assert any(top == "hive" for _, _, top in scanned), "the scan found the tooling's imports"
    missing = [
        f"{file}:{line} imports {top} ({members[top][0]})"
        for file, line, top in scanned
        if top in members
        and top != TOOLS_PACKAGE
        and not {members[top][0]} <= declared & workspace_sources
    ]
    assert not missing, (
        "tools/hive-cli/pyproject.toml must declare (dependencies and workspace sources) "
        "every workspace package hive_tools imports:\n" + "\n".join(missing)
    )
