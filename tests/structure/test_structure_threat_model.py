"""docs/threat-model.md names, for each threat it calls mitigated, the test that shows it: every
test it names exists, and every row is either mitigated with a test or marked open."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "threat-model.md"
TESTS = ROOT / "tests"
CATEGORIES = (
    "Spoofing",
    "Tampering",
    "Repudiation",
    "Information disclosure",
    "Denial of service",
    "Elevation of privilege",
)


def rows() -> list[list[str]]:
    out = []
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3 and cells[0] != "threat":
            out.append(cells)
    return out


def references(cell: str) -> list[tuple[str, str | None]]:
    """(test file, test name or None) for each `path[::name]` in a cell; `::name` alone
    names another test of the file named before it."""
    refs: list[tuple[str, str | None]] = []
    last = ""
    for ref in re.findall(r"`([^`]+)`", cell):
        path, _, name = ref.partition("::")
        last = path or last
        refs.append((last, name or None))
    return refs


def test_every_stride_category_has_a_section() -> None:
    headings = re.findall(r"^## (.+)$", DOC.read_text(), re.M)
    assert headings == list(CATEGORIES)


def test_every_threat_is_open_or_names_a_test_that_exists() -> None:
    table = rows()
    assert len(table) >= 25  # the parse found the tables
    for threat, mitigation, test in table:
        if mitigation.startswith("**open**"):
            assert test == "—", threat
            continue
        refs = references(test)
        assert refs, f"no test named for: {threat}"
        for path, name in refs:
            target = TESTS / path
            assert target.exists(), f"{threat}: {path} does not exist"
            if name is not None:
                text = target.read_text()
                assert re.search(rf"^(async )?def {re.escape(name)}\(", text, re.M), (
                    f"{threat}: {path} has no test {name}"
                )
