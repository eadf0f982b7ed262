"""The labelled corpus (tests/data/parser/corpus.jsonl): the parser reads every line exactly.

One parser processes the whole file in order (replies, edits and "latest open" refer to earlier
lines), then each line is checked on its own so a failure names it. Every record it emits must
also be a valid Avro record of its topic and pass the level validation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from hive.instruments import load_instruments
from hive_signal_parser import SignalParser, validate_signal
from hive_signal_parser.evaluate import (
    CorpusError,
    EvalReport,
    evaluate,
    evaluate_file,
    load_corpus,
    score,
)
from hive_signal_parser.validate import REASONS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "data" / "parser" / "corpus.jsonl"
AVRO = ROOT / "schemas" / "avro"
LINES = load_corpus(CORPUS.read_text(encoding="utf-8").splitlines())


def _schema(stem: str) -> Any:
    return fastavro.parse_schema(json.loads((AVRO / f"{stem}.avsc").read_text()))


PARSED = _schema("signals_parsed")
UPDATES = _schema("signals_updates")


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    parser = SignalParser()
    return {line.id: parser.parse(line.raw) for line in LINES}


def test_corpus_size_and_variety():
    assert len(LINES) >= 160
    assert len({line.format for line in LINES}) >= 15
    reasons = {line.expected.get("reject") for line in LINES} - {None}
    assert reasons <= set(REASONS), reasons - set(REASONS)
    # every way of going wrong the brief names is exercised
    for reason in (
        "wrong_side_stop",
        "wrong_side_tp",
        "implausible_level",
        "unknown_symbol",
        "no_direction",
        "not_a_signal",
        "empty_message",
        "invalid_json",
        "low_confidence",
        "unlinked_update",
    ):
        assert reason in reasons, reason


@pytest.mark.parametrize("line", LINES, ids=[line.id for line in LINES])
def test_line(line, results):
    report = EvalReport()
    misses = score(line, results[line.id], report)
    assert not misses, "\n".join(
        f"{m.field}: expected {m.expected!r}, got {m.got!r}" for m in misses
    ) + (f"\nrejection: {results[line.id].rejection}" if results[line.id].rejection else "")


@pytest.mark.parametrize("line", LINES, ids=[line.id for line in LINES])
def test_emitted_records_are_valid(line, results):
    result = results[line.id]
    catalogue = load_instruments()
    assert (result.rejection is None) == bool(result.signals or result.updates)
    if result.rejection is not None:
        assert result.rejection.reason in REASONS
        assert result.rejection.detail
    for rec in result.signals:
        assert validate(rec, PARSED, raise_errors=True)
        assert validate_signal(rec, catalogue[rec["symbol"]]) is None
        assert rec["signal_id"] == f"{rec['source']}:{rec['message_id']}:{rec['signal_index']}"
        assert rec["event_id"] == f"{rec['signal_id']}:r{rec['revision']}"
        assert rec["ts_init"] == rec["ts_event"]
        assert 0.6 <= rec["confidence"] <= 1.0
    for k, upd in enumerate(result.updates):
        assert validate(upd, UPDATES, raise_errors=True)
        assert upd["update_index"] == k
        assert upd["event_id"] == (
            f"{upd['source']}:{upd['message_id']}:r{upd['revision']}:u{upd['update_index']}"
        )


def test_whole_corpus_through_evaluate():
    report = evaluate_file(CORPUS)
    assert report.total == len(LINES)
    assert report.exact_match_rate == 1.0, report.format_text()
    assert all(rate == 1.0 for rate in report.field_rates.values())
    text = report.format_text()
    assert "whole-message exact match" in text
    assert json.dumps(report.to_dict())  # serialisable for `--json` output


def test_evaluate_reports_misses_with_ids():
    lines = [
        json.dumps(
            {"id": line.id, "format": line.format, "raw": line.raw, "expected": line.expected}
        )
        for line in LINES[:3]
    ]
    broken = json.loads(lines[0])
    broken["expected"]["signals"][0]["stop_loss"] = 1.2345
    broken["id"] = "broken"
    report = evaluate([json.dumps(broken), *lines[1:]])
    assert report.exact == 2
    assert report.missed_ids == ["broken"]
    assert [(m.id, m.field, m.expected) for m in report.misses] == [
        ("broken", "signals.stop_loss", 1.2345)
    ]
    assert report.fields["signals.stop_loss"].rate < 1.0


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('{"id": "a", "raw": {}, "expected": {}}\nnot json\n', 1, "raw.source is missing"),
        ('\n{"id": "a"', 2, "not valid JSON"),
        ('{"id": "a", "raw": {"source": "s", "message_id": "1", "text": "x", "posted_at": 1},'
         ' "expected": {"signal": []}}', 1, "unknown keys"),
        ('{"id": "a", "raw": {"source": "s", "message_id": "1", "text": "x", "posted_at": "t"},'
         ' "expected": {}}', 1, "posted_at"),
        ('[1, 2]', 1, "JSON object"),
    ],
)  # fmt: skip
def test_malformed_corpus_lines_name_the_line(tmp_path, content, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(CorpusError, match=message) as err:
        evaluate_file(path)
    assert err.value.line == line
    assert str(err.value).startswith(f"line {line}:")


def test_duplicate_ids_are_refused():
    line = json.dumps({"id": "x", "raw": LINES[0].raw, "expected": {}})
    with pytest.raises(CorpusError, match="already used on line 1"):
        load_corpus([line, line])
