"""The consume-handle-produce loop.

Delivery rules (DESIGN.md "Rules every service follows"):
- at-least-once: a batch's offsets are stored only after every record it produced is
  acknowledged by the broker (or, with `exactly_once`, committed in the same transaction);
- bad input never crashes the loop: it goes to `<topic>.dlq` with the reason in headers;
- transient handler failures are retried with exponential backoff, then dead-lettered;
- SIGTERM finishes the batch in hand, commits and closes.

Over 400 lines and kept whole: offsets, transactions, dead letters, retries and heartbeats share
one consumer and one producer and the order of their calls is the delivery guarantee; spread
over files, that order would be hard to read. Start-up reading is elsewhere (replay.py,
state_store.py).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from hive.config import ServiceSettings
from hive.contracts.serde import CodecRegistry, SerdeError
from hive.runtime.http import HealthServer
from hive.runtime.metrics import ServiceMetrics
from hive.runtime.records import (
    Handler,
    InboundRecord,
    OutboundRecord,
    RejectRecord,
    TransientError,
    key_text,
)
from hive.runtime.replay import Ends, load_tables, restore_handler_state
from hive.runtime.state_store import StateStore, restore_state_store

log = logging.getLogger(__name__)

DLQ_HEADER_PREFIX = "hive.dlq."
# Bound on each transaction call (librdkafka's default is to wait forever).
TRANSACTION_TIMEOUT_S = 30.0
# librdkafka's default `message.max.bytes`: the producer refuses a larger record outright.
PRODUCER_MAX_MESSAGE_BYTES = 1_000_000
# Room for what librdkafka counts beyond key, value and header bytes (varints, attributes).
_RECORD_OVERHEAD = 1024


class TransactionLostError(RuntimeError):
    """An exactly-once batch could not be committed; the service stops and restarts clean."""


class DeliveryFailedError(RuntimeError):
    """The broker did not acknowledge produced records: offsets must not move."""


@dataclass(frozen=True)
class _Encoded:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, str | bytes | None]]


HeartbeatFactory = Callable[["ServiceLoop"], OutboundRecord]
# Called once per batch after its records are handled, before its offsets move: what it returns
# is produced with the batch (in the same transaction with `exactly_once`). For state that is
# cheaper to write once per batch than once per record (the executor's recovery store).
BatchEnd = Callable[[], Iterable[OutboundRecord]]


class ServiceLoop:
    """Runs one handler over its input topics until stopped."""

    def __init__(
        self,
        settings: ServiceSettings,
        inputs: Sequence[str],
        handler: Handler,
        codecs: CodecRegistry,
        *,
        metrics: ServiceMetrics | None = None,
        heartbeat: HeartbeatFactory | None = None,
        restore_state: bool = False,
        after_restore: Callable[[], None] | None = None,
        tables: Sequence[str] = (),
        batch_end: BatchEnd | None = None,
        state_store: StateStore | None = None,
        consumer_overrides: dict[str, Any] | None = None,
        producer_overrides: dict[str, Any] | None = None,
    ) -> None:
        if not inputs:
            raise ValueError("a service loop needs at least one input topic")
        self.settings = settings
        self.inputs = list(inputs)
        self.handler = handler
        self.codecs = codecs
        self.metrics = metrics or ServiceMetrics(settings.service_name)
        self._heartbeat = heartbeat
        self._restore_state = restore_state
        self._after_restore = after_restore
        self._batch_end = batch_end
        self._state_store = state_store
        # Table topics (compacted state: the bot registry, breakers) are loaded whole before
        # any event is handled, so no signal is judged against an empty registry.
        self._tables = [t for t in tables if t in self.inputs]
        self._table_ends: Ends = {}
        self._stop = threading.Event()
        self._assigned = False
        self._lost_at: float | None = None  # monotonic time the partitions were lost, if still
        self._last_beat = 0.0
        self._last_loop = time.monotonic()
        self.heartbeat_seq = 0
        self.last_event_ms: int | None = None
        self._delivery_errors: list[str] = []

        self.consumer = Consumer(self._consumer_conf(consumer_overrides or {}))
        producer_conf = self._producer_conf(producer_overrides or {})
        self._max_message_bytes = int(
            producer_conf.get("message.max.bytes", PRODUCER_MAX_MESSAGE_BYTES)
        )
        self.producer = Producer(producer_conf)
        self.health = HealthServer(
            settings.http_host,
            settings.http_port,
            self.metrics.registry,
            healthy=self._healthy,
            ready=self._ready,
        )

    # -- configuration -------------------------------------------------------------------

    def _consumer_conf(self, overrides: dict[str, Any]) -> dict[str, Any]:
        s = self.settings
        conf: dict[str, Any] = {
            "bootstrap.servers": s.kafka_bootstrap,
            "group.id": s.consumer_group,
            "client.id": f"{s.service_name}-{s.instance_id}",
            "auto.offset.reset": "earliest",
            # We store offsets ourselves after output is acknowledged; librdkafka commits them.
            "enable.auto.commit": True,
            "enable.auto.offset.store": False,
            "auto.commit.interval.ms": s.commit_interval_ms or 1000,
            "isolation.level": "read_committed",
            "enable.partition.eof": False,
            "session.timeout.ms": s.session_timeout_ms,
        }
        if s.lag_interval_ms:
            conf["statistics.interval.ms"] = s.lag_interval_ms
            conf["stats_cb"] = self.metrics.on_stats
        conf.update(overrides)
        return conf

    def _producer_conf(self, overrides: dict[str, Any]) -> dict[str, Any]:
        s = self.settings
        conf: dict[str, Any] = {
            "bootstrap.servers": s.kafka_bootstrap,
            "client.id": f"{s.service_name}-{s.instance_id}",
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": s.linger_ms,
        }
        if s.exactly_once:
            conf["transactional.id"] = f"hive.{s.service_name}.{s.instance_id}"
        conf.update(overrides)
        return conf

    # -- probes --------------------------------------------------------------------------

    def _healthy(self) -> tuple[bool, str]:
        now = time.monotonic()
        if self._lost_at is not None and now - self._lost_at >= self.settings.rejoin_timeout_s:
            return False, f"partitions lost {now - self._lost_at:.1f}s ago and none given back"
        stalled = now - self._last_loop
        limit = max(30.0, 10 * self.settings.poll_timeout_s)
        # A handler stuck longer than this is as good as dead: let the orchestrator restart it.
        return (stalled < limit), f"last loop {stalled:.1f}s ago"

    def _ready(self) -> tuple[bool, str]:
        if self._stop.is_set():
            return False, "stopping"
        if self._assigned:
            return True, "assigned"
        return False, "partitions lost; rejoining" if self._lost_at else "waiting for partitions"

    # -- lifecycle -----------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def _on_signal(signum: int, _frame: object) -> None:
            log.info("signal %d: finishing the batch in hand, then stopping", signum)
            self.stop()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)

    def run(self) -> None:
        """Process until `stop()`; then commit and close. Raises on unrecoverable errors."""
        store = self._state_store
        if store is not None and not store.after_replay:
            # The service's own state first: tables and inputs are judged against it.
            restore_state_store(self.settings.kafka_bootstrap, store, self.codecs)
        self.health.start()
        self.health.register_prometheus_target(
            self.settings.service_name, self.settings.instance_id
        )
        if self.settings.exactly_once:
            self.producer.init_transactions(30)
        if self._tables:
            self._table_ends = load_tables(
                self.settings.kafka_bootstrap, self._tables, self.codecs, self.handler
            )
        if self._restore_state:
            # Stateful handlers: rebuild what they knew at the last commit, then go live.
            restore_handler_state(
                self.settings.kafka_bootstrap,
                self.settings.consumer_group,
                [t for t in self.inputs if t not in self._tables],
                self.codecs,
                self.handler,
            )
        if store is not None and store.after_replay:
            # State the replay moved in memory (outputs of a replay are discarded): what was
            # published overrules it, e.g. the risk gate's audit chain goes on after its last
            # published event, not after the events the replayed commands appended again.
            restore_state_store(self.settings.kafka_bootstrap, store, self.codecs)
        if self._after_restore is not None:
            self._after_restore()  # e.g. the learner goes live once the replay is over
        self.consumer.subscribe(self.inputs, on_assign=self._on_assign, on_lost=self._on_lost)
        try:
            while not self._stop.is_set():
                self._last_loop = time.monotonic()
                self._maybe_heartbeat()
                first = self.consumer.poll(self.settings.poll_timeout_s)
                if first is None:
                    continue
                # Take what is already fetched, without waiting, so latency stays low.
                rest = self.consumer.consume(self.settings.batch_max - 1, 0)
                self._process_batch([first, *rest])
        finally:
            self._close()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self._table_ends:
            # Table partitions continue after what was loaded at start-up, not from older
            # committed offsets: re-reading older records would roll the state back meanwhile.
            committed = {
                (p.topic, p.partition): p.offset for p in consumer.committed(partitions, 30)
            }
            moved = []
            for p in partitions:
                end = self._table_ends.get((p.topic, p.partition))
                if end is not None and committed.get((p.topic, p.partition), -1) < end:
                    p.offset = end
                    moved.append(TopicPartition(p.topic, p.partition, end))
            consumer.assign(partitions)
            if moved:
                # What was loaded is handled: say so, or the group shows a lag there until the
                # next record arrives (a lockstep replay would wait for it forever).
                try:
                    consumer.commit(offsets=moved, asynchronous=False)
                except KafkaException as exc:
                    log.warning("could not commit the loaded table offsets: %s", exc)
        self._assigned = True
        self._lost_at = None
        log.info("assigned %s", [(p.topic, p.partition) for p in partitions])

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """The group session timed out and the partitions went to the group again: rejoining is
        librdkafka's job, and `_healthy` gives up on it after `rejoin_timeout_s`."""
        self._lost_at = time.monotonic()
        self._assigned = False  # not ready: the partitions are the group's again, not ours
        log.warning("lost %d partition(s); rejoining the group", len(partitions))

    def _close(self) -> None:
        try:
            remaining = self.producer.flush(self.settings.shutdown_timeout_s)
            if remaining:
                log.error("%d produced records unacknowledged at shutdown", remaining)
            try:
                self.consumer.commit(asynchronous=False)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError._NO_OFFSET:
                    raise
        finally:
            self.consumer.close()
            self.health.stop()
            log.info("stopped cleanly")

    # -- the batch -----------------------------------------------------------------------

    def _process_batch(self, messages: list[Message]) -> None:
        started = time.perf_counter()
        good = [m for m in messages if self._usable(m)]
        if not good:
            return
        eos = self.settings.exactly_once
        if eos:
            self.producer.begin_transaction()
        for msg in good:
            for out in self._handle(msg):
                self._produce(out)
        if self._batch_end is not None:
            for extra in self._batch_end():
                self._produce(self._encode(extra))
        if eos:
            self._commit_transaction(self._positions(good))
        else:
            self._await_acks()
            self._store_offsets(good)
            if self.settings.commit_interval_ms == 0:
                # Commit every batch (a lockstep replay reads committed offsets to see progress).
                self._commit_stored()
        self.metrics.batch_seconds.labels(self.settings.service_name).observe(
            time.perf_counter() - started
        )

    def _usable(self, msg: Message) -> bool:
        err = msg.error()
        if err is None:
            return True
        if err.fatal():
            raise KafkaException(err)
        log.warning("consumer error: %s", err)
        return False

    def _handle(self, msg: Message) -> list[_Encoded]:
        """Decode, handle and encode one record; any refusal becomes one dead letter."""
        topic = str(msg.topic())
        started = time.perf_counter()
        per_topic = self.metrics.for_topic(topic)
        per_topic.consumed.inc()
        try:
            raw = msg.value()
            # A tombstone (null value) deletes a key of a compacted topic: handlers see {}.
            tombstone = raw is None and self.codecs.is_compacted(topic)
            value = {} if tombstone else self.codecs.codec(topic).decode(raw)
            record = InboundRecord(
                topic=topic,
                partition=int(msg.partition() or 0),
                offset=int(msg.offset() or 0),
                key=key_text(msg.key()),
                value=value,
                headers=_header_map(msg.headers()),
                tombstone=tombstone,
            )
            outputs = self._call_handler(record)
            encoded = [self._encode(o) for o in outputs]
            ts = value.get("ts_event")
            if isinstance(ts, int):
                self.last_event_ms = ts
        except SerdeError as exc:
            encoded = [self._dead_letter(msg, exc.reason, exc.detail)]
        except RejectRecord as exc:
            encoded = [self._dead_letter(msg, exc.reason, exc.detail)]
        except Exception as exc:
            # A handler bug must not stop the service or lose the record: it is parked.
            log.exception("handler failed on %s[%s]@%s", topic, msg.partition(), msg.offset())
            encoded = [self._dead_letter(msg, "handler_error", f"{type(exc).__name__}: {exc}")]
        per_topic.handle_seconds.observe(time.perf_counter() - started)
        return encoded

    def _call_handler(self, record: InboundRecord) -> list[OutboundRecord]:
        s = self.settings
        delay = s.retry_backoff_s
        for attempt in range(1, s.handler_max_attempts + 1):
            try:
                return list(self.handler(record))
            except TransientError as exc:
                if attempt == s.handler_max_attempts or self._stop.is_set():
                    raise RejectRecord("transient_exhausted", f"{attempt} attempts: {exc}") from exc
                self.metrics.retries.labels(s.service_name, record.topic).inc()
                log.warning("transient failure (attempt %d): %s", attempt, exc)
                self._stop.wait(delay)
                delay = min(delay * 2, s.retry_backoff_max_s)
        raise AssertionError("unreachable")  # pragma: no cover

    def _encode(self, out: OutboundRecord) -> _Encoded:
        try:
            data = self.codecs.codec(out.topic).encode(out.value)
        except SerdeError as exc:
            # The handler produced something the contract refuses: park the input, emit nothing.
            raise SerdeError(f"output_{exc.reason}", exc.detail) from exc
        headers: list[tuple[str, str | bytes | None]] = [
            (k, v.encode() if isinstance(v, str) else v) for k, v in out.headers.items()
        ]
        key = out.key.encode() if out.key is not None else None
        return _Encoded(out.topic, key, data, headers)

    def _dead_letter(self, msg: Message, reason: str, detail: str) -> _Encoded:
        topic = str(msg.topic())
        self.metrics.dead_letters.labels(self.settings.service_name, topic, reason).inc()
        log.warning(
            "dead letter %s[%s]@%s: %s %s", topic, msg.partition(), msg.offset(), reason, detail
        )
        p = DLQ_HEADER_PREFIX
        own: list[tuple[str, str | bytes | None]] = [
            (f"{p}reason", reason.encode()),
            (f"{p}error", detail[:4000].encode()),
            (f"{p}source.topic", topic.encode()),
            (f"{p}source.partition", str(msg.partition()).encode()),
            (f"{p}source.offset", str(msg.offset()).encode()),
            (f"{p}service", self.settings.service_name.encode()),
        ]
        raw = msg.headers() or []
        carried: Headers = list(raw.items()) if isinstance(raw, dict) else list(raw)
        key, value, headers = fit_dead_letter(
            msg.key(), msg.value() or b"", carried, own, self._max_message_bytes
        )
        return _Encoded(self.codecs.dlq_topic(topic), key, value, headers)

    def _produce(self, rec: _Encoded) -> None:
        while True:
            try:
                self.producer.produce(
                    rec.topic,
                    rec.value,
                    rec.key,
                    headers=rec.headers,
                    on_delivery=self._on_delivery,
                )
                break
            except BufferError:
                self.producer.poll(0.05)  # local queue full: let deliveries drain, then retry
        self.metrics.for_topic(rec.topic).produced.inc()

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._delivery_errors.append(f"{msg.topic()}: {err}")

    def _await_acks(self) -> None:
        while self.producer.flush(1.0) > 0:
            log.warning("waiting for the broker to acknowledge produced records")
        if self._delivery_errors:
            errors, self._delivery_errors = self._delivery_errors, []
            # Offsets stay where they are: after a restart the batch is processed again.
            raise DeliveryFailedError("; ".join(errors[:5]))

    def _positions(self, messages: Iterable[Message]) -> list[TopicPartition]:
        last: dict[tuple[str, int], int] = {}
        for m in messages:
            last[(str(m.topic()), int(m.partition() or 0))] = int(m.offset() or 0)
        return [TopicPartition(t, p, o + 1) for (t, p), o in last.items()]

    def _commit_transaction(self, positions: list[TopicPartition]) -> None:
        """Offsets and outputs as one transaction, bounded in time.

        After a broker restart or a rebalance the group metadata can be stale and these calls
        would wait forever. Giving up aborts the batch (nothing of it becomes visible) and stops
        the service with an error; its restart reads from the last committed offsets.
        """
        timeout = TRANSACTION_TIMEOUT_S
        try:
            self.producer.send_offsets_to_transaction(
                positions, self.consumer.consumer_group_metadata(), timeout
            )
            self.producer.commit_transaction(timeout)
        except KafkaException as exc:
            with contextlib.suppress(KafkaException):
                self.producer.abort_transaction(timeout)
            raise TransactionLostError(f"batch transaction not committed: {exc}") from exc

    def _commit_stored(self) -> None:
        try:
            self.consumer.commit(asynchronous=True)
        except KafkaException as exc:  # nothing stored yet, or revoked: the next batch commits
            log.debug("commit skipped: %s", exc)

    def _store_offsets(self, messages: list[Message]) -> None:
        try:
            self.consumer.store_offsets(offsets=self._positions(messages))
        except KafkaException as exc:
            # The partition was revoked mid-batch: its new owner reprocesses, ids de-duplicate.
            log.warning("could not store offsets: %s", exc)

    # -- heartbeats ----------------------------------------------------------------------

    def _maybe_heartbeat(self) -> None:
        if self._heartbeat is None:
            return
        now = time.monotonic()
        if now - self._last_beat < self.settings.heartbeat_interval_s:
            return
        self._last_beat = now
        rec = self._encode(self._heartbeat(self))
        self.heartbeat_seq += 1
        if self.settings.exactly_once:
            self.producer.begin_transaction()
            self._produce(rec)
            self.producer.commit_transaction()
        else:
            self._produce(rec)
            self.producer.poll(0)
        self.metrics.heartbeats.labels(self.settings.service_name).inc()


Headers = list[tuple[str, str | bytes | None]]


def _size(key: bytes | None, value: bytes, headers: Headers) -> int:
    hdrs = sum(len(k.encode()) + len(v or b"") for k, v in headers)
    return len(key or b"") + len(value) + hdrs + _RECORD_OVERHEAD


def fit_dead_letter(
    key: bytes | None, value: bytes, carried: Headers, own: Headers, max_bytes: int
) -> tuple[bytes | None, bytes, Headers]:
    """The dead letter as big as the producer takes. An input close to the record size limit
    plus the dead-letter headers would be refused, and a dead letter that cannot be written
    would stop the service on every restart. So its value is cut to fit (the header
    hive.dlq.value.truncated says from how many bytes; the whole record stays on the source
    topic at hive.dlq.source.partition/offset), and if the input's own headers are what does
    not fit, they are dropped (hive.dlq.headers.dropped says how many)."""
    p = DLQ_HEADER_PREFIX
    headers = [*carried, *own]
    if _size(key, value, headers) <= max_bytes:
        return key, value, headers
    if _size(key, b"", headers) > max_bytes // 2:
        headers = [*own, (f"{p}headers.dropped", str(len(carried)).encode())]
    if len(key or b"") > max_bytes // 4:
        headers.append((f"{p}key.truncated", str(len(key or b"")).encode()))
        key = (key or b"")[: max_bytes // 4]
    note: Headers = [(f"{p}value.truncated", str(len(value)).encode())]
    room = max(0, max_bytes - _size(key, b"", [*headers, *note]))
    if len(value) > room:
        value, headers = value[:room], [*headers, *note]
    return key, value, headers


def _header_map(raw: object) -> dict[str, bytes]:
    items = raw.items() if isinstance(raw, dict) else (raw or [])
    assert isinstance(items, Iterable)
    return {str(k): v.encode() if isinstance(v, str) else (v or b"") for k, v in items}
