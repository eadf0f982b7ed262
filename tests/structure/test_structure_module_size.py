"""A module over 400 lines says in its opening docstring why it stays whole (issue 16): a
newcomer who opens a long file learns first whether it is meant to be long."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support.source_tree import ROOT, source_roots

pytestmark = pytest.mark.unit

LIMIT = 400
SAYS_WHY = "Over 400 lines"


def long_modules_without_a_reason(roots: list[Path], base: Path = ROOT) -> list[str]:
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") <= LIMIT:
                continue
            doc = ast.get_docstring(ast.parse(text)) or ""
            if SAYS_WHY not in doc:
                found.append(f"{path.relative_to(base)} ({text.count(chr(10))} lines)")
    return found


def test_a_long_module_without_a_reason_is_found(tmp_path: Path) -> None:
    (tmp_path / "long.py").write_text('"""Long."""\n' + "x = 1\n" * LIMIT, encoding="utf-8")
    (tmp_path / "why.py").write_text(
        f'"""Long.\n\n{SAYS_WHY} and kept whole: one table."""\n' + "x = 1\n" * LIMIT,
        encoding="utf-8",
    )
    (tmp_path / "short.py").write_text('"""Short."""\n' + "x = 1\n" * (LIMIT - 2))
    assert long_modules_without_a_reason([tmp_path], tmp_path) == ["long.py (401 lines)"]


def test_every_long_module_says_why_it_stays_whole() -> None:
    missing = long_modules_without_a_reason(source_roots())
    assert not missing, "modules over 400 lines that do not say why they stay whole:\n" + "\n".join(
        missing
    )
