"""Shared fixtures. Servers are the project's real ones, started (idempotently) on 127.0.0.1."""

from __future__ import annotations

import os

import pytest

SERVER_TIERS = {"integration", "contract", "e2e"}


def _needs_servers(item: pytest.Item) -> bool:
    return any(item.get_closest_marker(m) for m in SERVER_TIERS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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
