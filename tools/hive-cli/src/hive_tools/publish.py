"""Publish records to a catalogue topic from the CLI (intake, market replay).

With `transactional` (the default), everything is encoded before the first record is sent,
so a record the contract refuses publishes nothing, and the whole set is one Kafka
transaction: readers (read_committed, as every hive service is) see all of it or none of it.
Without it (a paced market replay that runs for hours), records go out as they come.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from confluent_kafka import Producer

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client


def publish_records(
    records: Iterable[Mapping[str, Any]],
    topic: str,
    key: Callable[[Mapping[str, Any]], str],
    bootstrap: str,
    registry_url: str,
    *,
    transactional: bool = True,
    on_sent: Callable[[int], None] | None = None,
) -> int:
    codec = CodecRegistry(make_registry_client(registry_url), load_catalogue()).codec(topic)
    pairs = ((key(r).encode(), codec.encode(r)) for r in records)
    # All-or-nothing needs everything encoded up front; a paced replay encodes as it goes.
    encoded: Iterable[tuple[bytes, bytes]] = list(pairs) if transactional else pairs
    count = 0
    conf: dict[str, Any] = {"bootstrap.servers": bootstrap, "enable.idempotence": True}
    if transactional:
        conf["transactional.id"] = f"hive.cli.{uuid.uuid4().hex}"
    producer = Producer(conf)
    if transactional:
        producer.init_transactions(30)
        producer.begin_transaction()
    try:
        for k, v in encoded:
            _produce(producer, topic, k, v)
            producer.poll(0)
            count += 1
            if on_sent is not None:
                on_sent(count)
        if transactional:
            producer.commit_transaction(120)
        elif producer.flush(120) > 0:
            raise RuntimeError(f"{topic}: the broker did not acknowledge every record")
    except BaseException:
        if transactional:
            producer.abort_transaction(30)
        raise
    return count


def _produce(producer: Producer, topic: str, key: bytes, value: bytes) -> None:
    while True:
        try:
            producer.produce(topic, value, key)
            return
        except BufferError:
            producer.poll(0.1)  # local queue full: let deliveries drain
