"""The shared runtime on the real broker: crash safety, dead letters, clean shutdown.

A relay built on the runtime (`python -m hive.relay`) runs as a real subprocess so it can be
SIGKILLed and SIGTERMed like a deployed service.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

from hive.contracts import load_catalogue

from support.kafka import consumer, create_topics, drain, producer, register, unique

pytestmark = pytest.mark.integration

CATALOGUE = load_catalogue()
RAW = CATALOGUE["signals.raw.v1"]


def _example() -> dict:
    return json.loads((CATALOGUE.root / "examples" / f"{RAW.value_schema.stem}.json").read_text())


@pytest.fixture
def relay_topics(hive_topics):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    src, dst = unique("test.relay.in"), unique("test.relay.out")
    create_topics(bootstrap, [src, dst, f"{src}.dlq"])
    schema = RAW.schema_str()
    codec = register(hive_topics["HIVE_SCHEMA_REGISTRY_URL"], src, schema)
    register(hive_topics["HIVE_SCHEMA_REGISTRY_URL"], dst, schema)
    return bootstrap, src, dst, codec


def _start_relay(src: str, dst: str, group: str, **extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "HIVE_RELAY_SOURCE": src,
        "HIVE_RELAY_TARGET": dst,
        "HIVE_RELAY_SCHEMA": str(RAW.value_schema),
        "HIVE_GROUP_ID": group,
        "HIVE_COMMIT_INTERVAL_MS": "200",
        "HIVE_HEARTBEAT_INTERVAL_S": "1",
        **extra,
    }
    return subprocess.Popen([sys.executable, "-m", "hive.relay"], env=env)


def _record(i: int) -> dict:
    rec = _example()
    rec["event_id"] = f"evt-{i}"
    rec["message_id"] = str(i)
    return rec


@pytest.mark.parametrize("exactly_once", [False, True], ids=["at-least-once", "exactly-once"])
def test_sigkill_mid_stream_loses_nothing_and_duplicates_are_identical(relay_topics, exactly_once):
    bootstrap, src, dst, codec = relay_topics
    total = 6000
    prod = producer(bootstrap)

    def feed() -> None:  # paced, so the kill lands in the middle of a live stream
        for i in range(total):
            prod.produce(src, codec.encode(_record(i)), key=f"k{i % 17}")
            if i % 200 == 199:
                prod.flush()
                time.sleep(0.05)
        prod.flush()

    feeder = threading.Thread(target=feed)
    group = f"relay-{uuid.uuid4().hex[:6]}"
    out = consumer(bootstrap, [dst])
    mode = {"HIVE_EXACTLY_ONCE": "true" if exactly_once else "false"}
    relay = _start_relay(src, dst, group, **mode)
    feeder.start()
    try:
        seen = drain(out, until=1500, timeout_s=60)
        assert len(seen) >= 1500, "relay did not start relaying"
        relay.send_signal(signal.SIGKILL)
        relay.wait(10)
        killed_at = len(seen)
        relay = _start_relay(src, dst, group, **mode)
        feeder.join(120)
        # The restarted relay takes over once the killed member's session (10 s) expires.
        wanted = {f"evt-{i}" for i in range(total)}
        got = {codec.decode(m.value())["event_id"] for m in seen}
        deadline = time.monotonic() + 90
        while got != wanted and time.monotonic() < deadline:
            more = drain(out, until=1, timeout_s=1)
            seen += more
            got |= {codec.decode(m.value())["event_id"] for m in more}
        seen += drain(out, until=total, timeout_s=3)  # stragglers: late duplicates, if any
    finally:
        relay.terminate()
        relay.wait(20)
        out.close()

    assert killed_at < total, "the kill must happen mid-stream"
    by_id: dict[str, bytes] = {}
    for m in seen:
        value = codec.decode(m.value())
        prior = by_id.setdefault(value["event_id"], m.value())
        assert prior == m.value(), f"duplicate {value['event_id']} differs from the first copy"
    assert set(by_id) == {f"evt-{i}" for i in range(total)}
    if exactly_once:
        # Transactions: the killed relay's open transaction is aborted, readers never see it.
        assert len(seen) == total, f"{len(seen) - total} duplicate(s) under exactly-once"
    else:
        # Duplicates come only from the uncommitted tail at the kill, not from a full replay.
        assert len(seen) - total < total / 2


def test_malformed_record_goes_to_dlq_with_reason_and_loop_goes_on(relay_topics):
    bootstrap, src, dst, codec = relay_topics
    prod = producer(bootstrap)
    prod.produce(src, b"\x00\x00\x00\x00\x07not avro at all", key="bad")
    prod.produce(src, b"plain text, no wire format", key="bad2")
    prod.produce(src, codec.encode(_record(1)), key="good")
    prod.flush()
    relay = _start_relay(src, dst, f"relay-{uuid.uuid4().hex[:6]}")
    dlq = consumer(bootstrap, [f"{src}.dlq"])
    out = consumer(bootstrap, [dst])
    try:
        dead = drain(dlq, until=2, timeout_s=60)
        good = drain(out, until=1, timeout_s=60)
    finally:
        relay.terminate()
        assert relay.wait(20) == 0
        dlq.close()
        out.close()
    assert len(good) == 1 and codec.decode(good[0].value())["event_id"] == "evt-1"
    assert sorted(m.key() for m in dead) == [b"bad", b"bad2"]
    for m in dead:
        headers = dict(m.headers())
        assert headers["hive.dlq.reason"] == b"deserialization_error"
        assert headers["hive.dlq.source.topic"] == src.encode()
        assert headers["hive.dlq.service"] == b"relay"
        assert int(headers["hive.dlq.source.offset"]) >= 0
        assert headers["hive.dlq.error"]
    # The original bytes are kept, so the record can be inspected or replayed.
    assert {m.value() for m in dead} == {
        b"\x00\x00\x00\x00\x07not avro at all",
        b"plain text, no wire format",
    }


def test_sigterm_finishes_and_commits_offsets(relay_topics):
    bootstrap, src, dst, codec = relay_topics
    prod = producer(bootstrap)
    for i in range(300):
        prod.produce(src, codec.encode(_record(i)), key=f"k{i % 5}")
    prod.flush()
    group = f"relay-{uuid.uuid4().hex[:6]}"
    relay = _start_relay(src, dst, group)
    out = consumer(bootstrap, [dst])
    try:
        assert len(drain(out, until=300, timeout_s=60)) == 300
    finally:
        out.close()
    relay.send_signal(signal.SIGTERM)
    assert relay.wait(20) == 0, "SIGTERM must end the relay cleanly with exit code 0"

    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        parts = [TopicPartition(src, p) for p in range(3)]
        committed = probe.committed(parts, timeout=10)
        ends = [probe.get_watermark_offsets(p, timeout=10)[1] for p in parts]
    finally:
        probe.close()
    assert [c.offset for c in committed] == ends, "every consumed offset is committed on SIGTERM"
