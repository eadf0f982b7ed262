"""`hive ingest` publishes to the real broker, all at once, readable by the parser's contract."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client

from support.kafka import consumer, drain

pytestmark = pytest.mark.integration

DATA = Path(__file__).parents[2] / "data" / "intake"


def test_ingest_telegram_export_publishes_every_message(hive_topics):
    source = f"cli-{uuid.uuid4().hex[:8]}"
    out = subprocess.run(
        ["hive", "ingest", "telegram-export", str(DATA / "telegram_result.json"), "--source", source],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "published 3 message(s)" in out.stdout
    codecs = CodecRegistry(
        make_registry_client(hive_topics["HIVE_SCHEMA_REGISTRY_URL"]), load_catalogue()
    )
    c = consumer(hive_topics["HIVE_KAFKA_BOOTSTRAP"], ["signals.raw.v1"])
    try:
        mine = [
            codecs.codec("signals.raw.v1").decode(m.value())
            for m in drain(c, until=100_000, timeout_s=8)
            if m.key() == source.encode()
        ]
    finally:
        c.close()
    assert [r["message_id"] for r in mine] == ["2", "3", "4"]
    assert mine[2]["revision"] == 1 and mine[1]["reply_to_message_id"] == "2"


def test_bad_file_publishes_nothing(hive_topics, tmp_path):
    source = f"cli-{uuid.uuid4().hex[:8]}"
    doc = json.loads((DATA / "telegram_result.json").read_text())
    doc["messages"][-1]["text"] = 42  # the last message is broken: nothing may be published
    bad = tmp_path / "result.json"
    bad.write_text(json.dumps(doc))
    out = subprocess.run(
        ["hive", "ingest", "telegram-export", str(bad), "--source", source],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    assert "message id 5" in out.stderr
    c = consumer(hive_topics["HIVE_KAFKA_BOOTSTRAP"], ["signals.raw.v1"])
    try:
        assert not [m for m in drain(c, until=100_000, timeout_s=5) if m.key() == source.encode()]
    finally:
        c.close()
