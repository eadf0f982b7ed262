"""Read what a run left on the topics, decoded, as plain lists of dicts.

A replay's records sit on a shared broker next to older runs' records, so a run is a range of
offsets: from `start` (the end offsets recorded before the run; `start_offsets` records them)
up to the end offsets at the time of reading. A partition missing from `start` was empty when
it was recorded and is read from its beginning. The bot registry is the exception: it is a
table that was filled before the run, so it is read whole (the latest definition per bot).

Readers use `read_committed` like the services, so aborted transactions never count; records
are de-duplicated by `event_id` (an at-least-once retry repeats the same id) and sorted by
event time. Dead letters are read with their `hive.dlq.*` headers and, where the bytes are
readable, the original record decoded with its source topic's schema.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from hive.change_log import VERDICT_ACTIONS
from hive.contracts import CodecRegistry, SerdeError, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.runtime.records import key_text
from hive.topics import (
    ACCOUNTS_SNAPSHOTS,
    AUDIT_EVENTS,
    CONTROL_BREAKERS,
    CONTROL_PARAMETERS,
    LEARNER_MODELS,
    ORDERS_DECISIONS,
    ORDERS_EXECUTIONS,
    ORDERS_INTENTS,
    REGISTRY_BOTS,
    SIGNALS_PARSED,
    SIGNALS_RAW,
    SIGNALS_SCORED,
    SIGNALS_UPDATES,
    TRADES_CLOSED,
)

Offsets = dict[tuple[str, int], int]


# RunData field per topic of the run (the registry is read separately, whole).
RUN_TOPICS: Final[dict[str, str]] = {
    SIGNALS_RAW: "raw",
    SIGNALS_PARSED: "parsed",
    SIGNALS_UPDATES: "updates",
    SIGNALS_SCORED: "scored",
    ORDERS_DECISIONS: "decisions",
    ORDERS_INTENTS: "intents",
    ORDERS_EXECUTIONS: "executions",
    TRADES_CLOSED: "trades",
    ACCOUNTS_SNAPSHOTS: "snapshots",
    CONTROL_BREAKERS: "breakers",
    # What the hive changed in itself: the change guard's verdicts, the values it put in force,
    # the model releases.
    AUDIT_EVENTS: "change_verdicts",
    CONTROL_PARAMETERS: "parameters",
    LEARNER_MODELS: "models",
}
_NOT_A_SIGNAL_STAGE: Final = (CONTROL_BREAKERS, AUDIT_EVENTS, CONTROL_PARAMETERS, LEARNER_MODELS)
# Dead letters of every stage a signal passes through, the parser's first.
DLQ_TOPICS: Final = tuple(f"{t}.dlq" for t in RUN_TOPICS if t not in _NOT_A_SIGNAL_STAGE)
DLQ_HEADER_PREFIX: Final = "hive.dlq."

# Every topic whose offsets bound a run (what `start_offsets` records).
REPORT_TOPICS: Final = (*RUN_TOPICS, *DLQ_TOPICS)


class ReportError(RuntimeError):
    """The run cannot be read (server unreachable, topic unreadable): one line for the user."""


@dataclass
class RunData:
    """Every record of one run, decoded: plain dicts in event-time order, one list per topic.

    `dead_letters` holds one dict per dead-lettered record: `topic` (the .dlq topic),
    `partition`, `offset`, `key`, `reason`, `error`, `source_topic`, `source_partition`,
    `source_offset`, `service` (from the hive.dlq.* headers) and `value` (the original record
    decoded with the source topic's schema, or None when its bytes are unreadable).
    `change_verdicts` holds only the audit events of the change guard's verdicts
    (hive.change_log.VERDICT_ACTIONS); the run's other audit events are not kept.
    `bots` is the registry: the latest definition per bot_id (the whole table, not only the
    bots of the run). `start` / `end` are the offsets read between (end exclusive).
    """

    raw: list[dict[str, Any]] = field(default_factory=list)
    parsed: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    scored: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    intents: list[dict[str, Any]] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    breakers: list[dict[str, Any]] = field(default_factory=list)
    change_verdicts: list[dict[str, Any]] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    bots: dict[str, dict[str, Any]] = field(default_factory=dict)
    start: Offsets = field(default_factory=dict)
    end: Offsets = field(default_factory=dict)
    missing_topics: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # records no schema could read

    def topic(self, name: str) -> list[dict[str, Any]]:
        """The records of a run topic by its name (signals.raw.v1 -> `raw`)."""
        records: list[dict[str, Any]] = getattr(self, RUN_TOPICS[name])
        return records


def _consumer(bootstrap: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"hive.report.{uuid.uuid4().hex}",  # nothing is ever committed
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "socket.connection.setup.timeout.ms": 5000,
        }
    )


def _check_registry(url: str) -> None:
    try:
        make_registry_client(url).get_subjects()
    except Exception as exc:  # httpx / registry errors of every kind: say which server
        raise ReportError(f"cannot reach the schema registry at {url}: {exc}") from None


def _watermarks(
    consumer: Consumer, bootstrap: str, topics: Iterable[str], timeout_s: float
) -> tuple[dict[tuple[str, int], tuple[int, int]], list[str]]:
    """(low, high) of every partition of `topics`; topics the broker does not have."""
    try:
        meta = consumer.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise ReportError(f"cannot reach Kafka at {bootstrap}: {exc.args[0]}") from None
    marks: dict[tuple[str, int], tuple[int, int]] = {}
    missing: list[str] = []
    for topic in topics:
        info = meta.topics.get(topic)
        if info is None or info.error is not None:
            missing.append(topic)
            continue
        for p in sorted(info.partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout_s)
            marks[(topic, p)] = (int(low), int(high))
    return marks, missing


def start_offsets(bootstrap: str, timeout_s: float = 15.0) -> Offsets:
    """The current end of every report topic: record it before a run, pass it to collect_run."""
    consumer = _consumer(bootstrap)
    try:
        marks, _ = _watermarks(consumer, bootstrap, REPORT_TOPICS, timeout_s)
    finally:
        consumer.close()
    return {tp: high for tp, (low, high) in marks.items() if high > low}


def _read(
    consumer: Consumer,
    ranges: Mapping[tuple[str, int], tuple[int, int]],
    on_message: Callable[[Message], None],
    stall_s: float,
) -> None:
    """Every message in [start, end) of each partition, in offset order per partition. Gives
    up when nothing moves for `stall_s` (a partition that cannot be read)."""
    remaining = {tp: end for tp, (start, end) in ranges.items() if end > start}
    if not remaining:
        return
    consumer.assign([TopicPartition(t, p, ranges[(t, p)][0]) for t, p in remaining])
    last_progress = time.monotonic()
    while remaining:
        if time.monotonic() - last_progress > stall_s:
            left = ", ".join(f"{t}[{p}]" for t, p in sorted(remaining))
            raise ReportError(f"reading the run stalled for {stall_s:.0f} s with {left} left")
        for m in consumer.consume(1000, 0.2):
            last_progress = time.monotonic()
            if m.error() is not None:
                continue
            tp = (str(m.topic()), int(m.partition() or 0))
            if int(m.offset() or 0) < remaining.get(tp, -1):
                on_message(m)
        # Positions, not offsets seen: transaction markers take offsets but are never seen.
        for pos in consumer.position([TopicPartition(t, p) for t, p in remaining]):
            if pos.offset >= remaining[(pos.topic, pos.partition)]:
                del remaining[(pos.topic, pos.partition)]
                last_progress = time.monotonic()


def _headers(m: Message) -> dict[str, str]:
    raw = m.headers() or []
    out: dict[str, str] = {}
    for k, v in raw.items() if isinstance(raw, dict) else raw:
        if v is not None:
            out[str(k)] = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
    return out


def _dead_letter(m: Message, codecs: CodecRegistry) -> dict[str, Any]:
    h = _headers(m)
    p = DLQ_HEADER_PREFIX
    source_topic = h.get(f"{p}source.topic") or str(m.topic()).removesuffix(".dlq")
    value: dict[str, Any] | None
    try:
        value = codecs.codec(source_topic).decode(m.value())
    except (SerdeError, KeyError):
        value = None
    return {
        "topic": str(m.topic()),
        "partition": int(m.partition() or 0),
        "offset": int(m.offset() or 0),
        "key": key_text(m.key()),
        "reason": h.get(f"{p}reason", "unknown"),
        "error": h.get(f"{p}error", ""),
        "source_topic": source_topic,
        "source_partition": h.get(f"{p}source.partition"),
        "source_offset": h.get(f"{p}source.offset"),
        "service": h.get(f"{p}service"),
        "value": value,
    }


def _is_verdict(event: Mapping[str, Any]) -> bool:
    return event.get("action") in VERDICT_ACTIONS


def _order(record: Mapping[str, Any]) -> int:
    ts = record.get("ts_event")
    return int(ts) if isinstance(ts, int) else 0


def collect_run(
    bootstrap: str,
    registry_url: str,
    start: Mapping[tuple[str, int], int] | None = None,
    *,
    timeout_s: float = 15.0,
    stall_s: float = 60.0,
) -> RunData:
    """Read the run's records from `start` (None: from the beginning) to the current end.

    Raises ReportError, with one line to show, when a server cannot be reached or reading
    stalls. Topics the broker does not have are read as empty and listed in `missing_topics`.
    """
    _check_registry(registry_url)
    codecs = CodecRegistry(make_registry_client(registry_url), load_catalogue())
    consumer = _consumer(bootstrap)
    try:
        marks, missing = _watermarks(
            consumer, bootstrap, [*REPORT_TOPICS, REGISTRY_BOTS], timeout_s
        )
        ranges: dict[tuple[str, int], tuple[int, int]] = {}
        for (topic, p), (low, high) in marks.items():
            begin = low if topic == REGISTRY_BOTS or start is None else start.get((topic, p), low)
            ranges[(topic, p)] = (max(begin, low), high)
        data = RunData(
            start={tp: s for tp, (s, _) in ranges.items() if tp[0] != REGISTRY_BOTS},
            end={tp: e for tp, (_, e) in ranges.items() if tp[0] != REGISTRY_BOTS},
            missing_topics=missing,
        )
        by_topic: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in RUN_TOPICS}
        registry: list[tuple[int, int, str | None, dict[str, Any] | None]] = []

        def on_message(m: Message) -> None:
            topic = str(m.topic())
            if topic.endswith(".dlq"):
                data.dead_letters.append(_dead_letter(m, codecs))
                return
            try:
                value = None if m.value() is None else codecs.codec(topic).decode(m.value())
            except SerdeError as exc:
                data.unreadable.append(f"{topic}[{m.partition()}]@{m.offset()}: {exc}")
                return
            if topic == REGISTRY_BOTS:
                registry.append(
                    (int(m.partition() or 0), int(m.offset() or 0), key_text(m.key()), value)
                )
            elif value is not None and (topic != AUDIT_EVENTS or _is_verdict(value)):
                by_topic[topic].setdefault(str(value.get("event_id")), value)

        try:
            _read(consumer, ranges, on_message, stall_s)
        except KafkaException as exc:
            raise ReportError(f"cannot read the run from Kafka at {bootstrap}: {exc}") from None
    finally:
        consumer.close()
    for topic, name in RUN_TOPICS.items():
        setattr(data, name, sorted(by_topic[topic].values(), key=_order))
    for _, _, key, value in sorted(registry, key=lambda r: (r[0], r[1])):
        if value is not None:  # a tombstone keeps the last definition: its limits still apply
            data.bots[str(value.get("bot_id") or key)] = value
    data.dead_letters.sort(key=lambda d: (_order(d["value"] or {}), d["topic"], d["offset"]))
    return data
