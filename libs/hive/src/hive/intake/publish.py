"""Publish raw records all-or-nothing: one Kafka transaction per file."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Producer

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client

RAW_TOPIC = "signals.raw.v1"


def publish_raw(
    records: Sequence[dict[str, Any]], bootstrap: str, registry_url: str, topic: str = RAW_TOPIC
) -> int:
    """Encode everything first (a bad record publishes nothing), then produce in a transaction."""
    codecs = CodecRegistry(make_registry_client(registry_url), load_catalogue())
    codec = codecs.codec(topic)
    encoded = [(r["source"], codec.encode(r)) for r in records]
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": f"hive.ingest.{uuid.uuid4().hex}",
            "enable.idempotence": True,
        }
    )
    producer.init_transactions(30)
    producer.begin_transaction()
    try:
        for key, value in encoded:
            while True:
                try:
                    producer.produce(topic, value, key.encode())
                    break
                except BufferError:
                    producer.poll(0.1)
        producer.commit_transaction(60)
    except Exception:
        producer.abort_transaction(30)
        raise
    return len(encoded)
