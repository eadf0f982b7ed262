"""Shared fixtures and the test tree's rules. Servers are the project's real ones, started
(idempotently) on 127.0.0.1.

The tests mirror the code (tests/services/<service>, tests/core/<area>, tests/tools/<area>, ...);
the tier is a marker, never a folder. Support code lives in tests/support/ and is imported as
`from support.executor import ...`: pytest puts this file's folder (tests/) on sys.path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SERVER_TIERS = {"integration", "contract", "e2e"}
TESTS = Path(__file__).resolve().parent
TEST_FILE_PATTERNS = ("test_*.py", "*_test.py")


def layout_problems(tests: Path = TESTS) -> list[str]:
    """What breaks the mirror: the old tier folders, support code named like a test (pytest
    would collect it), a folder for a service or core module that does not exist."""
    root = tests.parent
    problems = [
        f"{path.relative_to(root)}: tiers are markers, not folders; move it beside its code"
        for tier in ("unit", *sorted(SERVER_TIERS))
        for path in sorted((tests / tier).rglob("*.py"))
    ]
    problems += [
        f"{path.relative_to(root)}: support code must not be named like a test"
        for pattern in TEST_FILE_PATTERNS
        for path in sorted((tests / "support").rglob(pattern))
    ]
    core = root / "libs/hive/src/hive"
    mirrored = {  # tests/<kind>/<name>/ must name one of these
        "services": ("services/", {p.name for p in (root / "services").iterdir() if p.is_dir()}),
        "core": (
            f"{core.relative_to(root)}/",
            {p.stem for p in core.iterdir() if p.suffix in {"", ".py"}},
        ),
    }
    problems += [
        f"{folder.relative_to(root)}: mirrors nothing, {where} has no {folder.name}"
        for kind, (where, names) in mirrored.items()
        for folder in sorted((tests / kind).iterdir())
        if folder.is_dir() and folder.name != "__pycache__" and folder.name not in names
    ]
    return problems


def _needs_servers(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(m) for m in SERVER_TIERS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if problems := layout_problems():
        raise pytest.UsageError("the test tree does not mirror the code:\n" + "\n".join(problems))
    for item in items:
        tiers = [m for m in ("unit", *SERVER_TIERS) if item.get_closest_marker(m)]
        if len(tiers) != 1:
            raise pytest.UsageError(
                f"{item.nodeid} must carry exactly one tier marker, has {tiers}"
            )


@pytest.fixture(scope="session")
def endpoints() -> dict[str, str]:
    """Start (or find running) the real servers and point the hive's settings at them."""
    from hive_tools import infra

    infra.up()
    env = infra.endpoints(infra.InfraSettings())
    os.environ.update(env)
    return env


@pytest.fixture(scope="session")
def hive_topics(endpoints: dict[str, str]) -> dict[str, str]:
    """The catalogue's topics exist and its schemas are registered, as `make run` leaves them."""
    from hive.contracts import load_catalogue
    from hive.contracts.serde import make_registry_client
    from hive_tools.admin.schemas import register_all
    from hive_tools.admin.topics import create_topics

    cat = load_catalogue()
    bad = [r for r in create_topics(endpoints["HIVE_KAFKA_BOOTSTRAP"], cat) if r.outcome == "error"]
    assert not bad, bad
    client = make_registry_client(endpoints["HIVE_SCHEMA_REGISTRY_URL"])
    failed = [r for r in register_all(client, cat) if not r.ok]
    assert not failed, failed
    return endpoints
