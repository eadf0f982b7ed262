"""Fuzz: random and malformed signals.raw records through the real signal parser on the real
broker. Every record is accounted for (>= 1 parsed signal, >= 1 update, or exactly one dead
letter), the parser neither crashes nor restarts and its /healthz is ok at the end.

The generator and the accounting are bench/fuzz/fuzz_raw.py's; `bench/fuzz/run.py` runs the
full 100,000 messages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench" / "fuzz"))
import fuzz_raw  # noqa: E402

COUNT = 10_000


def test_every_fuzzed_raw_message_is_accounted_for(hive_topics, tmp_path):
    r = fuzz_raw.run(hive_topics, COUNT, seed=7, log_dir=tmp_path, timeout_s=120)
    log = Path(r["parser_log"])
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    assert r["published"] == COUNT
    assert r["missing"] == 0, (r["missing_examples"], tail)
    assert set(r["outcomes"]) <= {"parsed", "update", "dead_letter"}, r["outcomes"]
    assert r["parser_alive_at_end"], f"the parser died: {tail}"
    assert r["parser_healthz"].get("status_code") == 200, r["parser_healthz"]
    assert r["parser_exit_code"] == 0, tail  # a clean stop after SIGTERM
    # the malformed Kafka records were dead-lettered by the runtime, with their reasons
    for case, reason in [
        ("not_avro", "deserialization_error"),
        ("truncated_avro", "deserialization_error"),
        ("null_value", "empty_value"),
        ("empty_bytes", "empty_value"),
        ("unknown_schema_id", "unknown_schema"),
    ]:
        got = r["reasons_by_case"].get(case, {})
        assert set(got) == {reason}, (case, got)
    assert "handler_error" not in r["dead_letter_reasons"], r["dead_letter_reasons"]
    assert r["outcomes"].get("parsed", 0) > COUNT // 20 and r["outcomes"].get("update", 0) > 0
