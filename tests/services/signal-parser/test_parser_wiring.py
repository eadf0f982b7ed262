"""The signal parser's wiring without Kafka: its settings, its topics, and the handler that
routes a raw message to the parser (signals keyed by symbol, a refusal a dead letter)."""

from __future__ import annotations

import pytest

from hive.config import load_settings
from hive.runtime import InboundRecord, RejectRecord
from hive.topics import SIGNALS_PARSED, SIGNALS_RAW, SIGNALS_UPDATES
from hive_signal_parser.parser import SignalParser
from hive_signal_parser.service import INPUTS, OUTPUTS, make_handler
from hive_signal_parser.settings import ParserSettings

pytestmark = pytest.mark.unit


def _raw(mid: str, text: str) -> InboundRecord:
    value = {
        "source": "fx",
        "message_id": mid,
        "text": text,
        "content_type": "TEXT",
        "posted_at": 1_714_982_400_000,
        "revision": 0,
        "reply_to_message_id": None,
        "edited_at": None,
    }
    return InboundRecord(SIGNALS_RAW, 0, 0, f"fx:{mid}", value)


def test_settings_defaults_and_a_bad_value_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = ParserSettings()
    assert (settings.service_name, settings.parser_min_confidence) == ("signal-parser", 0.6)
    assert settings.parser_restore_state is True
    monkeypatch.setenv("HIVE_PARSER_MIN_CONFIDENCE", "2")
    with pytest.raises(SystemExit) as stop:
        load_settings(ParserSettings)
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "invalid configuration for ParserSettings:\n"
        "  HIVE_PARSER_MIN_CONFIDENCE: Input should be less than or equal to 1 (got '2')\n"
    )


def test_topics_and_the_handler_route_to_the_parser() -> None:
    assert (INPUTS, OUTPUTS) == ([SIGNALS_RAW], [SIGNALS_PARSED, SIGNALS_UPDATES])
    handle = make_handler(SignalParser(min_confidence=0.6))
    out = handle(_raw("1", "EURUSD BUY LIMIT 1.0850\nSL 1.0820\nTP1 1.0880"))
    assert [(o.topic, o.key, o.value["signal_id"]) for o in out] == [
        (SIGNALS_PARSED, "EURUSD", "fx:1:0")
    ]
    with pytest.raises(RejectRecord):
        handle(_raw("2", "good morning, traders"))
