import json
from pathlib import Path

import pytest

from hive.intake import IntakeError
from hive.intake.telegram import flatten_text, read_telegram_export
from hive.intake.textfile import read_json_lines, read_text_blocks

pytestmark = pytest.mark.unit

DATA = Path(__file__).parents[2] / "data" / "intake"


def test_telegram_export_flattens_entities_skips_service_and_empty_messages():
    records = read_telegram_export(DATA / "telegram_result.json", "gold-vip")
    assert [r["message_id"] for r in records] == ["2", "3", "4"]
    first = records[0]
    assert first["text"] == "🔥 EURUSD BUY NOW 1.0560\nSL 1.0530\nTP1 1.0590\nTP2 1.0620"
    assert first["posted_at"] == 1488356100000 == first["ts_event"]
    assert first["event_id"] == "gold-vip:2:r0" and first["channel_kind"] == "TELEGRAM"
    assert records[1]["reply_to_message_id"] == "2"


def test_telegram_edit_is_revision_one_at_edit_time():
    edited = read_telegram_export(DATA / "telegram_result.json", "gold-vip")[2]
    assert edited["revision"] == 1
    assert edited["posted_at"] == 1488362400000
    assert edited["edited_at"] == edited["ts_event"] == 1488362700000


def test_telegram_bad_message_names_its_id(tmp_path):
    doc = json.loads((DATA / "telegram_result.json").read_text())
    del doc["messages"][3]["date_unixtime"]
    del doc["messages"][3]["date"]
    bad = tmp_path / "result.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(IntakeError, match="message id 4: no 'date'"):
        read_telegram_export(bad, "s")


def test_telegram_not_an_export(tmp_path):
    bad = tmp_path / "result.json"
    bad.write_text('{"chats": []}')
    with pytest.raises(IntakeError, match="not a Telegram chat export"):
        read_telegram_export(bad, "s")
    bad.write_text('{"messages": [\n  {"id": 1,}\n]}')
    with pytest.raises(IntakeError, match="line 2 column"):
        read_telegram_export(bad, "s")


def test_flatten_rejects_unknown_parts():
    with pytest.raises(ValueError):
        flatten_text(["ok", 5])


def test_text_blocks_with_headers_and_start(tmp_path):
    f = tmp_path / "channel.txt"
    f.write_text(
        "@ 2017-03-01T08:15:00Z id=10\nEURUSD BUY 1.0560\nSL 1.0530\n\n\n"
        "@ 2017-03-01T09:00:00Z id=11 reply=10\nclose half\n\n"
        "XAUUSD sell now\n"
    )
    records = read_text_blocks(f, "txt", start_ms=1_488_400_000_000)
    assert [(r["message_id"], r["reply_to_message_id"]) for r in records] == [
        ("10", None),
        ("11", "10"),
        ("3", None),
    ]
    assert records[0]["text"] == "EURUSD BUY 1.0560\nSL 1.0530"
    assert records[0]["posted_at"] == 1488356100000
    assert records[2]["posted_at"] == 1_488_400_000_000 + 2 * 3_600_000


def test_text_block_without_time_needs_start(tmp_path):
    f = tmp_path / "channel.txt"
    f.write_text("@ 2017-03-01T08:15:00Z\nEURUSD BUY\n\nGBPUSD SELL\n")
    with pytest.raises(IntakeError, match="line 4: the block has no '@ <time>' header"):
        read_text_blocks(f, "txt")


def test_text_bad_header_is_named(tmp_path):
    f = tmp_path / "channel.txt"
    f.write_text("@ 2017-03-01T08:15:00Z colour=red\nEURUSD BUY\n")
    with pytest.raises(IntakeError, match=r"line 1: unknown header field\(s\) \['colour'\]"):
        read_text_blocks(f, "txt")
    f.write_text("@ yesterday\nEURUSD BUY\n")
    with pytest.raises(IntakeError, match="line 1: not an ISO-8601 time"):
        read_text_blocks(f, "txt")


def test_json_lines_and_errors_name_the_line(tmp_path):
    f = tmp_path / "m.jsonl"
    f.write_text(
        '{"message_id": 1, "text": "EURUSD BUY", "posted_at": "2017-03-01T08:00:00Z"}\n'
        "\n"
        '{"message_id": 1, "text": "EURUSD BUY 1.05", "posted_at": 1488355200000, '
        '"edited_at": "2017-03-01T08:01:00Z", "revision": 1}\n'
    )
    records = read_json_lines(f, "js")
    assert [r["event_id"] for r in records] == ["js:1:r0", "js:1:r1"]
    assert records[1]["ts_event"] == 1488355260000

    f.write_text(
        '{"message_id": 1, "text": "x", "posted_at": 1}\n{"message_id": 2, "posted_at": 1}\n'
    )
    with pytest.raises(IntakeError, match="line 2: text: Field required"):
        read_json_lines(f, "js")
    f.write_text('{"message_id": 1, "text": "x", "posted_at": 1, "colour": "red"}\n')
    with pytest.raises(IntakeError, match="line 1: colour: Extra inputs"):
        read_json_lines(f, "js")
    f.write_text("{not json}\n")
    with pytest.raises(IntakeError, match="line 1: invalid JSON"):
        read_json_lines(f, "js")


def test_duplicate_message_is_refused(tmp_path):
    f = tmp_path / "m.jsonl"
    line = '{"message_id": 1, "text": "x", "posted_at": 1}\n'
    f.write_text(line * 2)
    with pytest.raises(IntakeError, match="message id 1 revision 0 appears twice"):
        read_json_lines(f, "js")


def test_records_match_the_raw_signal_schema():
    import fastavro

    from hive.contracts import load_catalogue

    schema = fastavro.parse_schema(json.loads(load_catalogue()["signals.raw.v1"].schema_str()))
    for r in read_telegram_export(DATA / "telegram_result.json", "gold-vip"):
        fastavro.validation.validate(r, schema, raise_errors=True)
