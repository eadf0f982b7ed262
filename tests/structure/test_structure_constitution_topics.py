"""Structure: the constitution and the topic names are each written in one place.

- only `hive.constitution` binds the names it defines, and no module spells its breaker modes
  or rule-set names as a collection of its own (a tuple, list, set, Literal or mapping keys);
- its numbers agree with the policies' copy (`constitution.rego`, the rule sets of
  `profiles/data.json`, the breaker modes and the reduced-capacity size of `risk/`);
- no source module but `hive.topics` writes a topic name of `schemas/topics.yaml`.

Each scanner is also run on a planted violation, so a scanner that finds nothing fails.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
import yaml

import hive.constitution as constitution

from support.source_tree import ROOT

pytestmark = pytest.mark.unit

CONSTITUTION_PY = ROOT / "libs" / "hive" / "src" / "hive" / "constitution.py"
TOPICS_PY = ROOT / "libs" / "hive" / "src" / "hive" / "topics.py"
POLICIES = ROOT / "policies" / "hive"


def _sources() -> list[Path]:
    found = []
    for top in ("libs", "services", "tools"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if not {".venv", "__pycache__", "node_modules"} & set(path.parts):
                found.append(path)
    assert len(found) > 100, "the source scan found too few modules"
    return found


SOURCES = _sources()


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------- (a) names and collections


def _bound_at_module_level(body: list[ast.stmt]) -> Iterator[tuple[str, int]]:
    """Names a module binds by assignment or definition (not by import), with their lines."""
    for node in body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name, node.lineno
        elif isinstance(node, ast.If | ast.Try):
            nested = [*node.body, *node.orelse]
            if isinstance(node, ast.Try):
                nested += [*node.finalbody, *(s for h in node.handlers for s in h.body)]
            yield from _bound_at_module_level(nested)
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    yield name.id, node.lineno


CONSTITUTION_NAMES = frozenset(
    name for name, _ in _bound_at_module_level(ast.parse(CONSTITUTION_PY.read_text()).body)
)


def redefined_constitution_names(source: str) -> list[str]:
    tree = ast.parse(source)
    return [
        f"{name} (line {line})"
        for name, line in _bound_at_module_level(tree.body)
        if name in CONSTITUTION_NAMES
    ]


def _strings(nodes: list[ast.expr | None]) -> list[str] | None:
    """The values when every node is a string literal, else None."""
    values = [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return values if len(values) == len(nodes) else None


def constitution_collections(source: str) -> list[str]:
    """Collections of two or more breaker modes, or of two or more rule-set names."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = _strings(list(node.elts))
        elif isinstance(node, ast.Dict):
            values = _strings(list(node.keys))
        else:
            continue
        if values is None or len(values) < 2:
            continue
        for what, names in (
            ("breaker modes", constitution.BREAKER_MODES),
            ("rule sets", constitution.RULE_SETS),
        ):
            if set(values) <= set(names):
                found.append((node.lineno, f"{what} {sorted(values)} (line {node.lineno})"))
    return [text for _, text in sorted(found)]


def test_only_hive_constitution_binds_the_constitutions_names() -> None:
    assert {"MAX_DAILY_LOSS_PCT", "NO_NEW_POSITIONS", "RULE_SETS", "most_severe"} <= (
        CONSTITUTION_NAMES
    )
    offenders = {
        _rel(path): found
        for path in SOURCES
        if path != CONSTITUTION_PY and (found := redefined_constitution_names(path.read_text()))
    }
    assert offenders == {}, "import these from hive.constitution instead"


def test_no_module_spells_the_breaker_modes_or_rule_sets_as_its_own_collection() -> None:
    offenders = {
        _rel(path): found
        for path in SOURCES
        if path != CONSTITUTION_PY and (found := constitution_collections(path.read_text()))
    }
    assert offenders == {}, "use hive.constitution's BREAKER_* / NO_NEW_POSITIONS / RULE_SETS"


def test_the_name_and_collection_scanners_find_planted_copies() -> None:
    planted = """
from hive.constitution import MIN_CONFIDENCE as OK_ALIAS
MAX_DAILY_LOSS_PCT = 3.0
if True:
    NO_NEW_POSITIONS: frozenset[str] = frozenset({"SAFE_MODE", "HALTED"})
def most_severe(modes): ...
Fallback = Literal["SHADOW_MODE", "SAFE_MODE"]
SEVERITY = {"NONE": 0, "HALTED": 4}
PROFILES = ["ftmo_2step", "strict"]
SIDES = ("BUY", "SELL")
"""
    assert redefined_constitution_names(planted) == [
        "MAX_DAILY_LOSS_PCT (line 3)",
        "NO_NEW_POSITIONS (line 5)",
        "most_severe (line 6)",
    ]
    found = constitution_collections(planted)
    assert [f.split(" [")[0] for f in found] == [
        "breaker modes",  # the frozenset
        "breaker modes",  # the Literal
        "breaker modes",  # the severity map's keys
        "rule sets",
    ]


# ---------------------------------------------------------------- (b) the policies' copy


def rego_constants(text: str) -> dict[str, float]:
    """`name := number` lines of a Rego module."""
    found = re.findall(r"^([a-z_][a-z0-9_]*) := (-?\d+(?:\.\d+)?)\s*$", text, re.MULTILINE)
    return {name: float(value) for name, value in found}


def test_the_constitutions_numbers_are_the_regos() -> None:
    rego = rego_constants((POLICIES / "constitution" / "constitution.rego").read_text())
    numbers = {
        name.lower(): float(value)
        for name, value in vars(constitution).items()
        if name.startswith(("MAX_", "MIN_")) and isinstance(value, int | float)
    }
    assert len(rego) >= 6, "constitution.rego: its `name := number` lines were not found"
    assert numbers == rego


def test_the_rego_parser_sees_a_changed_number() -> None:
    text = (POLICIES / "constitution" / "constitution.rego").read_text()
    changed = text.replace("max_daily_loss_pct := 3", "max_daily_loss_pct := 4")
    assert rego_constants(changed)["max_daily_loss_pct"] == 4.0 != constitution.MAX_DAILY_LOSS_PCT


def test_the_rule_sets_are_the_policies_profiles() -> None:
    profiles = json.loads((POLICIES / "profiles" / "data.json").read_text())
    assert set(constitution.RULE_SETS) == set(profiles)
    assert set(constitution.RULE_SETS) == set(get_args(constitution.RuleSetName))


def test_the_breaker_modes_and_reduced_size_are_the_policies() -> None:
    declared = re.search(
        r"_breaker_modes := \{([^}]*)\}", (POLICIES / "risk" / "input.rego").read_text()
    )
    assert declared is not None
    assert set(re.findall(r'"([A-Z_]+)"', declared.group(1))) == set(constitution.BREAKER_MODES)
    assert set(get_args(constitution.BreakerMode)) == set(constitution.BREAKER_MODES)
    assert set(get_args(constitution.BreakerFallback)) == set(constitution.BREAKER_FALLBACKS)
    assert set(constitution.BREAKER_FALLBACKS) < set(constitution.BREAKER_MODES)
    assert set(constitution.BREAKER_MODES) > constitution.NO_NEW_POSITIONS
    reduced = re.search(
        r"^size_multiplier := ([\d.]+) if", (POLICIES / "risk" / "breaker.rego").read_text(), re.M
    )
    assert reduced is not None
    assert float(reduced.group(1)) == constitution.REDUCED_CAPACITY_MULTIPLIER


# ---------------------------------------------------------------- (c) topic names


def _catalogue_names() -> frozenset[str]:
    catalogue = yaml.safe_load((ROOT / "schemas" / "topics.yaml").read_text())
    names = set()
    for topic, entry in catalogue["topics"].items():
        names.add(topic)
        if (entry or {}).get("dlq"):
            names.add(entry["dlq"])
    return frozenset(names)


TOPIC_NAMES = _catalogue_names()


def topic_literals(source: str) -> list[str]:
    found = [
        (node.lineno, f"{node.value} (line {node.lineno})")
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and node.value in TOPIC_NAMES
    ]
    return [text for _, text in sorted(found)]


def test_no_source_module_but_hive_topics_writes_a_topic_name() -> None:
    offenders = {
        _rel(path): found
        for path in SOURCES
        if path != TOPICS_PY and (found := topic_literals(path.read_text()))
    }
    assert offenders == {}, "use the constants of hive.topics"


def test_the_topic_scanner_finds_a_planted_name() -> None:
    planted = (
        'BOTS = "registry.bots.v1"\nx = f"{BOTS} is registry.bots.v1"\ny = ["market.bars.v1.dlq"]'
    )
    assert topic_literals(planted) == ["registry.bots.v1 (line 1)", "market.bars.v1.dlq (line 3)"]
    assert topic_literals(TOPICS_PY.read_text()), "hive.topics should hold the names"
