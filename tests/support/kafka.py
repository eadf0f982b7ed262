"""Small helpers for tests and benchmarks that talk to the real broker and registry."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema

from hive.contracts.serde import AvroCodec, make_registry_client


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}.v1"


def create_topics(bootstrap: str, names: Iterable[str], partitions: int = 3) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    for fut in futures.values():
        fut.result(30)


def register(registry_url: str, topic: str, schema_str: str) -> AvroCodec:
    client = make_registry_client(registry_url)
    client.register_schema(f"{topic}-value", Schema(schema_str, "AVRO"))
    return AvroCodec(client, topic, schema_str)


def producer(bootstrap: str, **extra: object) -> Producer:
    return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, **extra})


def consumer(bootstrap: str, topics: list[str], **extra: object) -> Consumer:
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            **extra,
        }
    )
    c.subscribe(topics)
    return c


def drain(c: Consumer, until: int, timeout_s: float) -> list:
    """Consume until `until` messages arrived or the time is up; returns the messages."""
    got: list = []
    deadline = time.monotonic() + timeout_s
    while len(got) < until and time.monotonic() < deadline:
        for m in c.consume(1000, 0.2):
            if m.error() is None:
                got.append(m)
    return got


def skip_history(bootstrap: str, group: str, topics: list[str]) -> None:
    """Start `group` at the current end of `topics`: a development broker holds the records of
    earlier runs, which are not what a test is about."""
    from hive.runtime.replay import end_offsets

    ends = end_offsets(bootstrap, topics)
    if not ends:  # empty topics (a fresh broker): there is no history to skip
        return
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in ends.items()], asynchronous=False
        )
    finally:
        c.close()


def wait_until_read(
    bootstrap: str, group: str, topic: str, partition: int, offset: int, timeout_s: float = 60
) -> None:
    """Wait until `group` has committed past `offset` of `topic`/`partition` (it has handled
    that record), or fail after the timeout."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            [tp] = c.committed([TopicPartition(topic, partition)], 10)
            if tp.offset > offset:
                return
            time.sleep(0.2)
    finally:
        c.close()
    raise AssertionError(f"{group} did not read {topic}[{partition}]@{offset} in {timeout_s} s")
