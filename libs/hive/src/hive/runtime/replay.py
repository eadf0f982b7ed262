"""Rebuild a service's in-memory state at start-up by replaying its inputs.

A stateful handler (the parser's reply links, the enricher's bar history and waiting signals,
the regime models) is a function of the records it has consumed. Its group's committed
offsets say exactly which records those are, and every output they caused has already been
acknowledged (offsets are stored only after that). So replaying each input partition from
the beginning up to its committed offset, outputs discarded, restores the state the service
had when it last committed; the live loop then continues from those offsets. Nothing is
emitted twice and nothing is lost.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from hive.contracts.serde import CodecRegistry, SerdeError
from hive.runtime.records import Handler, InboundRecord, key_text

log = logging.getLogger(__name__)

Ends = dict[tuple[str, int], int]


def _consumer(bootstrap: str, group: str | None = None) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            # A throw-away group unless told otherwise: nothing is committed by a replay.
            "group.id": group or f"hive.replay.{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )


def end_offsets(bootstrap: str, topics: Sequence[str], timeout_s: float = 30.0) -> Ends:
    """High watermark of every non-empty partition: what is in the topics right now."""
    consumer = _consumer(bootstrap)
    try:
        ends = {}
        for tp in _partitions(consumer, topics, timeout_s):
            low, high = consumer.get_watermark_offsets(tp, timeout_s)
            if high > low:
                ends[(tp.topic, tp.partition)] = high
        return ends
    finally:
        consumer.close()


def committed_offsets(
    bootstrap: str, group: str, topics: Sequence[str], timeout_s: float = 30.0
) -> Ends:
    """Offsets `group` has committed on `topics` (partitions it never committed are absent)."""
    consumer = _consumer(bootstrap, group)
    try:
        parts = _partitions(consumer, topics, timeout_s)
        return {
            (tp.topic, tp.partition): tp.offset
            for tp in consumer.committed(parts, timeout=timeout_s)
            if tp.offset > 0
        }
    finally:
        consumer.close()


def read_until(
    bootstrap: str,
    ends: Ends,
    codecs: CodecRegistry,
    on_record: Callable[[InboundRecord], None],
    timeout_s: float = 120.0,
) -> int:
    """Feed each partition's records below its end offset to `on_record`, in offset order
    per partition; unreadable records are skipped (they went to the dead-letter topic)."""
    if not ends:
        return 0
    remaining = dict(ends)
    consumer = _consumer(bootstrap)
    try:
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in remaining])
        count = 0
        deadline = time.monotonic() + timeout_s
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"state replay stalled with {sorted(remaining)} left")
            for m in consumer.consume(1000, 0.2):
                key = (str(m.topic()), int(m.partition() or 0))
                offset = int(m.offset() or 0)
                if m.error() is not None or offset >= remaining.get(key, -1):
                    continue
                tombstone = m.value() is None and codecs.is_compacted(key[0])
                try:
                    value = {} if tombstone else codecs.codec(key[0]).decode(m.value())
                except SerdeError:
                    continue
                on_record(
                    InboundRecord(
                        key[0], key[1], offset, key_text(m.key()), value, tombstone=tombstone
                    )
                )
                count += 1
            # Positions, not offsets seen: transaction markers take offsets but are never seen.
            for tp in consumer.position([TopicPartition(t, p) for t, p in remaining]):
                if tp.offset >= remaining[(tp.topic, tp.partition)]:
                    del remaining[(tp.topic, tp.partition)]
        return count
    finally:
        consumer.close()


def event_order(record: InboundRecord) -> tuple[int, str, int, int]:
    """Merge order across partitions and topics: event time, then a stable tie-break."""
    return (int(record.value.get("ts_event", 0)), record.topic, record.partition, record.offset)


def restore_handler_state(
    bootstrap: str, group: str, inputs: Sequence[str], codecs: CodecRegistry, handler: Handler
) -> int:
    """Replay the inputs up to `group`'s committed offsets through `handler`, outputs discarded."""
    records: list[InboundRecord] = []
    count = read_until(
        bootstrap, committed_offsets(bootstrap, group, inputs), codecs, records.append
    )
    records.sort(key=event_order)
    for record in records:
        # A record the live loop dead-lettered (any exception) is skipped here the same way.
        with contextlib.suppress(Exception):
            list(handler(record))
    log.info("restored state from %d consumed record(s)", count)
    return count


def load_tables(
    bootstrap: str, tables: Sequence[str], codecs: CodecRegistry, handler: Handler
) -> Ends:
    """Apply every record of the table topics, in offset order, up to their current end;
    returns those end offsets (where live consumption of the tables continues)."""
    ends = end_offsets(bootstrap, tables)

    def apply(record: InboundRecord) -> None:
        with contextlib.suppress(Exception):  # a record the live loop dead-letters
            list(handler(record))

    count = read_until(bootstrap, ends, codecs, apply)
    log.info("loaded %d record(s) of %s", count, ", ".join(tables))
    return ends


def _partitions(
    consumer: Consumer, topics: Sequence[str], timeout_s: float
) -> list[TopicPartition]:
    parts = []
    for topic in topics:
        meta = consumer.list_topics(topic, timeout=timeout_s).topics[topic]
        if meta.error is not None:
            raise RuntimeError(f"cannot read {topic}: {meta.error}")
        parts += [TopicPartition(topic, p) for p in sorted(meta.partitions)]
    return parts
