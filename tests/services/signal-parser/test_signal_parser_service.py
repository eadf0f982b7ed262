"""signal-parser on the real broker: raw messages to parsed signals, updates and dead letters,
and a restart that keeps reply links (state rebuilt from the consumed raw messages)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.intake.records import raw_record
from hive_tools.publish import publish_records

from support.kafka import consumer

pytestmark = pytest.mark.integration

CATALOGUE = load_catalogue()
T0 = 1_497_427_200_000  # 2017-06-14 08:00 UTC


def _raw(source: str, message_id: int, text: str, minutes: int, reply_to: int | None = None):
    return raw_record(
        source=source,
        channel_kind="TEXT",
        message_id=str(message_id),
        text=text,
        posted_at_ms=T0 + minutes * 60_000,
        reply_to=str(reply_to) if reply_to is not None else None,
    )


def _start(group: str, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "HIVE_GROUP_ID": group, "HIVE_COMMIT_INTERVAL_MS": "200"}
    log = (tmp_path / f"parser-{time.monotonic_ns()}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "hive_signal_parser"], env=env, stdout=log, stderr=log
    )


def _gather(
    bootstrap: str, codecs: CodecRegistry, source: str, expect: dict[str, int], timeout_s: float
):
    """Records of `source` per topic until each topic has its expected count."""
    topics = list(expect)
    c = consumer(bootstrap, topics)
    got: dict[str, list] = {t: [] for t in topics}
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and any(len(got[t]) < n for t, n in expect.items()):
            for m in c.consume(500, 0.5):
                if m.error() is not None:
                    continue
                t = m.topic()
                if t.endswith(".dlq"):
                    if m.key() == source.encode():
                        got[t].append(m)
                    continue
                value = codecs.codec(t).decode(m.value())
                if value.get("source") == source:
                    got[t].append(value)
    finally:
        c.close()
    return got


def test_raw_to_parsed_updates_and_dead_letters_and_restart(hive_topics, tmp_path):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), CATALOGUE)
    source = f"it-{uuid.uuid4().hex[:8]}"
    first = [
        _raw(source, 1, "EURUSD BUY NOW 1.1210\nSL 1.1180\nTP1 1.1240\nTP2 1.1270", 0),
        _raw(source, 2, "EURUSD looking strong above 1.1200, waiting for confirmation", 5),
        _raw(source, 3, "GBPUSD SELL 1.2750 SL 1.2700 TP 1.2650", 10),  # stop on the wrong side
        _raw(source, 4, "Move SL to breakeven", 30, reply_to=1),
    ]
    publish_records(first, "signals.raw.v1", lambda r: r["source"], bootstrap, registry)
    group = f"parser-{uuid.uuid4().hex[:6]}"
    parser = _start(group, tmp_path)
    try:
        got = _gather(
            bootstrap,
            codecs,
            source,
            {"signals.parsed.v1": 1, "signals.updates.v1": 1, "signals.raw.v1.dlq": 2},
            timeout_s=90,
        )
    finally:
        parser.send_signal(signal.SIGTERM)
        assert parser.wait(30) == 0

    (parsed,) = got["signals.parsed.v1"]
    assert parsed["signal_id"] == f"{source}:1:0"
    assert parsed["symbol"] == "EURUSD" and parsed["direction"] == "BUY"
    assert parsed["stop_loss"] == pytest.approx(1.1180)
    assert parsed["take_profits"] == pytest.approx([1.1240, 1.1270])
    assert parsed["ts_event"] == T0  # event time from the message, not the clock
    (update,) = got["signals.updates.v1"]
    assert update["action"] == "BREAKEVEN"
    assert update["target_signal_id"] == f"{source}:1:0" and update["link_method"] == "REPLY"
    reasons = sorted(
        dict(m.headers())["hive.dlq.reason"].decode() for m in got["signals.raw.v1.dlq"]
    )
    assert reasons == ["not_a_signal", "wrong_side_stop"]

    # After a restart the parser still knows message 1: a reply to it is linked, not dead-lettered.
    publish_records(
        [_raw(source, 5, "close half", 60, reply_to=1)],
        "signals.raw.v1",
        lambda r: r["source"],
        bootstrap,
        registry,
    )
    parser = _start(group, tmp_path)
    try:
        got = _gather(
            bootstrap,
            codecs,
            source,
            {"signals.updates.v1": 2, "signals.parsed.v1": 1},
            timeout_s=90,
        )
    finally:
        parser.send_signal(signal.SIGTERM)
        assert parser.wait(30) == 0
    updates = got["signals.updates.v1"]
    assert [u["action"] for u in updates] == ["BREAKEVEN", "CLOSE_PARTIAL"]
    assert updates[1]["target_signal_id"] == f"{source}:1:0"
    assert updates[1]["fraction"] == pytest.approx(0.5)
    assert len(got["signals.parsed.v1"]) == 1, "the restart re-emits nothing already published"
