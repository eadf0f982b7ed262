"""Rebuild in-memory state from topics at start-up: read them from the beginning to the end
they had when we started, in offset order per partition.

Services whose outputs are a function of their inputs (the parser's link table, the
executor's positions) restore their state from their own outputs this way, so a restart
after a crash continues exactly where the published records left off.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from hive.contracts.serde import CodecRegistry, SerdeError

log = logging.getLogger(__name__)


def replay_topics(
    bootstrap: str,
    topics: Sequence[str],
    codecs: CodecRegistry,
    on_record: Callable[[str, dict[str, Any]], None],
    timeout_s: float = 60.0,
) -> int:
    """Feed every record now in `topics` to `on_record(topic, value)`; returns the count."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            # A throw-away group: nothing is committed, nobody else is affected.
            "group.id": f"hive.replay.{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        remaining = _end_offsets(consumer, topics, timeout_s)
        if not remaining:
            return 0
        assignment = [TopicPartition(t, p, OFFSET_BEGINNING) for t, p in remaining]
        consumer.assign(assignment)
        count = 0
        deadline = time.monotonic() + timeout_s
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"state replay stalled with {sorted(remaining)} left")
            for m in consumer.consume(1000, 0.2):
                key = (str(m.topic()), int(m.partition() or 0))
                if m.error() is not None or int(m.offset() or 0) >= remaining.get(key, -1):
                    continue
                try:
                    value = codecs.codec(key[0]).decode(m.value())
                except SerdeError as exc:
                    log.warning("skipping unreadable %s@%s in replay: %s", key, m.offset(), exc)
                    continue
                on_record(key[0], value)
                count += 1
            # Positions, not offsets seen: transaction markers take offsets but are never seen.
            for tp in consumer.position([TopicPartition(t, p) for t, p in remaining]):
                if tp.offset >= remaining[(tp.topic, tp.partition)]:
                    del remaining[(tp.topic, tp.partition)]
        return count
    finally:
        consumer.close()


def _end_offsets(
    consumer: Consumer, topics: Sequence[str], timeout_s: float
) -> dict[tuple[str, int], int]:
    """High watermark of every non-empty partition, taken once: records after it are live."""
    ends = {}
    for topic in topics:
        meta = consumer.list_topics(topic, timeout=timeout_s).topics[topic]
        if meta.error is not None:
            raise RuntimeError(f"cannot read {topic}: {meta.error}")
        for p in meta.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout_s)
            if high > low:
                ends[(topic, p)] = high
    return ends
