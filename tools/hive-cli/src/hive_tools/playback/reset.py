"""Start a replay from nothing: empty topics, no consumer groups, an empty read-model schema.

A replay into a hive that has already seen the same bars would be refused as duplicates by the
services' own de-duplication, so `hive replay` starts from a clean slate unless told not to.
Only the local hive's own topics and `hive.*` groups are touched, and only while its services
are stopped.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from hive.contracts.catalogue import Catalogue
from hive_tools.admin.topics import create_topics, planned_topics


class ResetError(RuntimeError):
    pass


def reset_topics(bootstrap: str, catalogue: Catalogue, timeout_s: float = 60.0) -> int:
    """Delete the catalogue's topics (and dead-letter topics) and the `hive.*` groups, then
    create the topics again. Returns how many topics were deleted."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + timeout_s
    _delete_groups(admin, deadline)
    wanted = {t.topic for t in planned_topics(catalogue)}
    doomed = sorted(wanted & set(admin.list_topics(timeout=10).topics))
    if doomed:
        for name, fut in admin.delete_topics(doomed, operation_timeout=30).items():
            try:
                fut.result()
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                    raise ResetError(f"topic {name} could not be deleted: {exc}") from None
    # Deletion completes in the background: creating too early says "marked for deletion".
    while True:
        bad = [r for r in create_topics(bootstrap, catalogue) if r.outcome == "error"]
        if not bad:
            return len(doomed)
        if time.monotonic() > deadline:
            raise ResetError(f"topics could not be created again: {bad[:3]}")
        time.sleep(0.5)


def _delete_groups(admin: AdminClient, deadline: float) -> None:
    groups = [
        g.group_id
        for g in admin.list_consumer_groups(request_timeout=10).result().valid
        if g.group_id.startswith("hive.")
    ]
    while groups:
        # A member that just died stays in its group until its session times out (10 s).
        busy = []
        for group, fut in admin.delete_consumer_groups(groups, request_timeout=10).items():
            try:
                fut.result()
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.NON_EMPTY_GROUP:
                    raise ResetError(
                        f"consumer group {group} could not be deleted: {exc}"
                    ) from None
                busy.append(group)
        if busy and time.monotonic() > deadline:
            raise ResetError(
                f"consumer groups {busy} still have members: stop the running hive first"
            )
        groups = busy
        if groups:
            time.sleep(1.0)


def reset_model_store(path: Path) -> None:
    """The learner's released weights live on disk beside the topics that name them."""
    if path.exists():
        shutil.rmtree(path)


async def reset_database_schema(url: str, schema: str) -> None:
    """Drop the hub's read-model schema in PostgreSQL (the hub migrates a new one at start)."""
    import asyncpg  # type: ignore[import-untyped]

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()
