"""Focused rules of the signal parser: linking, edits, ranges, validation, confidence, restart."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hive.instruments import load_instruments
from hive_signal_parser import SignalParser, validate_signal
from hive_signal_parser.parser import ParseResult

pytestmark = pytest.mark.unit

T0 = 1_714_982_400_000  # 2024-05-06 08:00 UTC
MIN = 60_000


def raw(mid: Any, text: str, *, minute: int = 0, source: str = "fx", **extra: Any) -> dict:
    record = {
        "source": source,
        "message_id": str(mid),
        "text": text,
        "content_type": "TEXT",
        "posted_at": T0 + minute * MIN,
        "revision": 0,
        "reply_to_message_id": None,
        "edited_at": None,
    }
    record.update(extra)
    return record


def one_signal(result: ParseResult) -> dict:
    assert result.rejection is None, result.rejection
    assert len(result.signals) == 1 and not result.updates
    return result.signals[0]


def reason(result: ParseResult) -> str | None:
    return result.rejection.reason if result.rejection else None


@pytest.fixture
def parser() -> SignalParser:
    return SignalParser()


# ---- reading ------------------------------------------------------------------------------------
def test_a_clean_signal_reads_completely_with_full_confidence(parser):
    sig = one_signal(
        parser.parse(raw(1, "EURUSD BUY LIMIT 1.0850\nSL 1.0820\nTP1 1.0880\nTP2 1.0910"))
    )
    assert sig["symbol"] == "EURUSD" and sig["direction"] == "BUY" and sig["order_type"] == "LIMIT"
    assert sig["entry"] == 1.0850 and sig["stop_loss"] == 1.0820
    assert sig["take_profits"] == [1.0880, 1.0910] and sig["take_profit"] == 1.0880
    assert sig["confidence"] == 1.0 and sig["warnings"] == []
    assert sig["signal_id"] == "fx:1:0" and sig["event_id"] == "fx:1:0:r0"
    assert sig["ts_event"] == sig["ts_init"] == sig["timestamp"] == T0
    assert sig["parser_version"].startswith("signal-parser 0.1.0 / instruments ")


def test_short_form_range_expands_and_costs_confidence(parser):
    sig = one_signal(parser.parse(raw(1, "XAUUSD SELL 4785-90\nSL 4797\nTP 4780\nTP 4770")))
    assert (sig["entry"], sig["entry_low"], sig["entry_high"]) == (4785.0, 4785.0, 4790.0)
    assert "SHORT_RANGE_EXPANDED" in sig["warnings"]
    assert sig["confidence"] < 1.0
    fx = one_signal(parser.parse(raw(2, "EURUSD BUY 1.0850-30 SL 1.0800 TP 1.0900")))
    assert (fx["entry"], fx["entry_low"], fx["entry_high"]) == (1.0850, 1.0830, 1.0850)


def test_a_full_second_number_is_not_a_short_form(parser):
    sig = one_signal(parser.parse(raw(1, "XAUUSD SELL NOW 2331.5 - 2334\nSL 2339\nTP 2327")))
    assert (sig["entry_low"], sig["entry_high"]) == (2331.5, 2334.0)
    assert "SHORT_RANGE_EXPANDED" not in sig["warnings"]


def test_tp_range_is_two_take_profits_and_tp_open_is_noted(parser):
    sig = one_signal(
        parser.parse(raw(1, "USDJPY buy 149.20\nTp 150.00-153.00\nTP open\nSl 148.50"))
    )
    assert sig["take_profits"] == [150.0, 153.0]
    assert "TP_OPEN" in sig["warnings"]


def test_missing_stop_loss_is_a_warning_and_lower_confidence(parser):
    sig = one_signal(parser.parse(raw(1, "SELL USOIL 79.80 TP 78.90")))
    assert sig["stop_loss"] is None
    assert "SL_MISSING" in sig["warnings"]
    assert sig["confidence"] == pytest.approx(0.8)


def test_annotations_are_not_levels(parser):
    sig = one_signal(
        parser.parse(raw(1, "EURCHF buy 0.9780 sl 0.9750 tp 0.9830 (50 pips) RR 1:1.7 risk 1%"))
    )
    assert sig["take_profits"] == [0.9830] and sig["stop_loss"] == 0.9750
    assert {"PIPS_ANNOTATION_IGNORED", "RR_ANNOTATION_IGNORED"} <= set(sig["warnings"])


def test_expiry_is_relative_to_the_message_time(parser):
    sig = one_signal(
        parser.parse(raw(1, "GBPJPY BUY LIMIT 193.40 SL 192.90 TP 194.20\nExpires in 4h"))
    )
    assert sig["expires_at"] == T0 + 4 * 3_600_000
    sig = one_signal(
        parser.parse(raw(2, "GBPJPY BUY LIMIT 193.40 SL 192.90 TP 194.20\nvalid until 06:00 UTC"))
    )
    assert sig["expires_at"] == T0 + 22 * 3_600_000  # 08:00 now: 06:00 is tomorrow
    sig = one_signal(parser.parse(raw(3, "GBPJPY BUY LIMIT 193.40 SL 192.90 TP 194.20 GTC")))
    assert sig["expires_at"] is None


def test_multiple_signals_in_one_message_are_indexed(parser):
    result = parser.parse(
        raw(7, "EURUSD BUY 1.0765 SL 1.0740 TP 1.0800\nGBPUSD SELL 1.2540 SL 1.2570 TP 1.2490")
    )
    assert [s["signal_index"] for s in result.signals] == [0, 1]
    assert [s["signal_id"] for s in result.signals] == ["fx:7:0", "fx:7:1"]
    assert [s["symbol"] for s in result.signals] == ["EURUSD", "GBPUSD"]


def test_timestamps_may_be_datetimes(parser):
    posted = dt.datetime(2024, 5, 6, 8, 0, tzinfo=dt.UTC)
    record = raw(1, "EURUSD BUY 1.0850 SL 1.0820 TP 1.0880", posted_at=posted)
    sig = one_signal(parser.parse(record))
    assert sig["timestamp"] == sig["ts_event"] == T0


# ---- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("EURUSD BUY 1.0770 SL 1.0790 TP 1.0820", "wrong_side_stop"),
        ("EURUSD SELL 1.0770 SL 1.0750 TP 1.0720", "wrong_side_stop"),
        ("GBPUSD SELL 1.2520 SL 1.2560 TP 1.2580", "wrong_side_tp"),
        ("GBPUSD BUY 1.2520 SL 1.2490 TP 1.2500", "wrong_side_tp"),
        ("EURUSD BUY 1.0850 SL 1.0820 Tp 0.0700", "implausible_level"),
        ("EURUSD BUY 1.0770 SL 1.0740 TP 1.3770", "implausible_level"),
        ("XAUUSD BUY 2350 SL 2340 TP 23600", "implausible_level"),
        ("USDTRY BUY 32.40 SL 32.10 TP 32.90", "unknown_symbol"),
        ("BUY 1.0850 SL 1.0820 TP 1.0900", "unknown_symbol"),
        ("GBPCHF\nSL 1.1350\nTP 1.1450", "no_direction"),
        ("EURUSD looking bullish above 1.0850, wait for confirmation", "not_a_signal"),
        ("Might buy GBPJPY around 193.00 later today", "not_a_signal"),
        ("Don't buy gold here", "not_a_signal"),
        ("🔥🔥🔥", "empty_message"),
        ("", "empty_message"),
        ("GBPCAD BUY LIMIT\nSL 1.7050\nTP 1.7180", "missing_entry"),
    ],
)
def test_invalid_messages_are_rejected_with_the_reason(parser, text, why):
    result = parser.parse(raw(1, text))
    assert reason(result) == why, result
    assert not result.signals and not result.updates


def test_validate_signal_checks_a_record():
    parser = SignalParser()
    sig = one_signal(parser.parse(raw(1, "EURUSD BUY 1.0850 SL 1.0820 TP 1.0880")))
    eurusd = load_instruments()["EURUSD"]
    assert validate_signal(sig, eurusd) is None
    bad = dict(sig, stop_loss=1.0900)
    assert validate_signal(bad, eurusd).reason == "wrong_side_stop"
    bad = dict(sig, take_profits=[1.0800], take_profit=1.0800)
    assert validate_signal(bad, eurusd).reason == "wrong_side_tp"
    bad = dict(sig, take_profits=[0.07], take_profit=0.07)
    assert validate_signal(bad, eurusd).reason == "implausible_level"
    bad = dict(sig, entry_low=1.0860, entry_high=1.0870)  # the range must hold the entry
    assert validate_signal(bad, eurusd).reason == "implausible_level"
    bad = dict(sig, take_profit=None)
    assert validate_signal(bad, eurusd).reason == "implausible_level"
    bad = dict(sig, entry=float("nan"))
    assert validate_signal(bad, eurusd).reason == "implausible_level"


# ---- confidence ---------------------------------------------------------------------------------
def test_low_confidence_is_a_rejection_and_the_threshold_is_configurable():
    text = "GOLD BUY NOW"  # no SL, no TP
    assert reason(SignalParser().parse(raw(1, text))) == "low_confidence"
    lenient = SignalParser(min_confidence=0.5)
    sig = one_signal(lenient.parse(raw(1, text)))
    assert sig["confidence"] == pytest.approx(0.55)
    assert {"SL_MISSING", "TP_MISSING"} <= set(sig["warnings"])


def test_guessed_direction_costs_confidence(parser):
    sig = one_signal(parser.parse(raw(1, "EURGBP\nEntry 0.8575\nSL 0.8600\nTP 0.8540")))
    assert sig["direction"] == "SELL"
    assert "DIRECTION_INFERRED" in sig["warnings"]
    assert sig["confidence"] == pytest.approx(0.7)


# ---- linking ------------------------------------------------------------------------------------
def test_reply_links_to_the_replied_signal_not_the_latest(parser):
    parser.parse(raw(1, "EURUSD BUY 1.0850 SL 1.0820 TP 1.0880 TP 1.0910", minute=0))
    parser.parse(raw(2, "EURUSD SELL 1.0900 SL 1.0930 TP 1.0860", minute=5))
    result = parser.parse(raw(3, "TP1 hit, move SL to entry", minute=9, reply_to_message_id="1"))
    assert [(u["action"], u["target_signal_id"], u["link_method"]) for u in result.updates] == [
        ("TP_HIT", "fx:1:0", "REPLY"),
        ("BREAKEVEN", "fx:1:0", "REPLY"),
    ]
    assert result.updates[0]["tp_index"] == 1
    assert [u["event_id"] for u in result.updates] == ["fx:3:r0:u0", "fx:3:r0:u1"]
    assert all(u["symbol"] == "EURUSD" and u["direction"] == "BUY" for u in result.updates)


def test_without_reply_the_latest_open_signal_of_symbol_or_source(parser):
    parser.parse(raw(1, "EURUSD BUY 1.0850 SL 1.0820 TP 1.0880", minute=0))
    parser.parse(raw(2, "XAUUSD SELL 2335 SL 2342 TP 2325", minute=5))
    by_symbol = parser.parse(raw(3, "Close half EURUSD", minute=9))
    (upd,) = by_symbol.updates
    assert (upd["action"], upd["target_signal_id"], upd["link_method"]) == (
        "CLOSE_PARTIAL",
        "fx:1:0",
        "LATEST_OPEN",
    )
    assert upd["fraction"] == 0.5
    by_source = parser.parse(raw(4, "Close now", minute=12))
    assert [u["target_signal_id"] for u in by_source.updates] == ["fx:2:0"]
    # fx:2 is closed now: the next source-wide close goes to fx:1
    assert [u["target_signal_id"] for u in parser.parse(raw(5, "exit", minute=13)).updates] == [
        "fx:1:0"
    ]
    assert reason(parser.parse(raw(6, "close all", minute=14))) == "unlinked_update"


def test_other_sources_never_link(parser):
    parser.parse(raw(1, "EURUSD BUY 1.0850 SL 1.0820 TP 1.0880", source="a"))
    assert reason(parser.parse(raw(2, "Move SL to BE", source="b"))) == "unlinked_update"
    result = parser.parse(raw(3, "Move SL to BE", source="b", reply_to_message_id="1"))
    assert reason(result) == "unlinked_update"


def test_a_reply_to_a_reply_follows_the_chain(parser):
    parser.parse(raw(1, "GOLD SELL 2335 SL 2342 TP 2325 TP 2318"))
    parser.parse(raw(2, "TP1 hit ✅", reply_to_message_id="1", minute=3))
    result = parser.parse(raw(3, "TP2 hit ✅", reply_to_message_id="2", minute=6))
    assert [(u["target_signal_id"], u["tp_index"]) for u in result.updates] == [("fx:1:0", 2)]


def test_edit_is_a_new_revision_of_the_same_signal(parser):
    first = one_signal(parser.parse(raw(9, "EURUSD SELL 1.0790 SL 1.0820 TP 1.0750")))
    edit = raw(9, "EURUSD SELL 1.0795 SL 1.0825 TP 1.0750", revision=1, edited_at=T0 + 5 * MIN)
    second = one_signal(parser.parse(edit))
    assert second["signal_id"] == first["signal_id"] == "fx:9:0"
    assert (second["revision"], second["event_id"]) == (1, "fx:9:0:r1")
    assert second["ts_event"] == second["ts_init"] == T0 + 5 * MIN
    assert second["timestamp"] == T0
    assert second["entry"] == 1.0795
    # updates now see the edited levels
    upd = parser.parse(raw(10, "SL hit", reply_to_message_id="9", minute=8))
    assert upd.updates[0]["target_signal_id"] == "fx:9:0"


def test_edit_into_a_cancellation_cancels_its_own_signal(parser):
    parser.parse(raw(5, "US30 SELL 39300 SL 39450 TP 39100"))
    result = parser.parse(raw(5, "Cancelled ❌", revision=1, edited_at=T0 + MIN))
    (upd,) = result.updates
    assert (upd["action"], upd["target_signal_id"], upd["link_method"]) == (
        "CANCEL",
        "fx:5:0",
        "EXPLICIT",
    )
    assert upd["event_id"] == "fx:5:r1:u0"


def test_replaying_the_consumed_messages_restores_linking_after_a_restart():
    """The service restarts by replaying the raw messages it had consumed (outputs discarded)."""
    consumed = [
        raw(1, "GBPJPY BUY 193.50 SL 193.00 TP 194.20"),
        raw(2, "EURJPY SELL 167.20 SL 167.80 TP 166.40", minute=2),
        raw(3, "close EURJPY", minute=4),
    ]
    fresh = SignalParser()
    assert reason(fresh.parse(raw(4, "Move SL to 193.80", reply_to_message_id="1"))) == (
        "unlinked_update"
    )
    restarted = SignalParser()
    for message in consumed:
        restarted.parse(message)
    reply = restarted.parse(raw(4, "Move SL to 193.80", reply_to_message_id="1", minute=6))
    assert [(u["action"], u["target_signal_id"], u["price"]) for u in reply.updates] == [
        ("MOVE_SL", "fx:1:0", 193.80)
    ]
    # EURJPY was closed before the restart: the latest open of the source is GBPJPY
    latest = restarted.parse(raw(5, "close now", minute=8))
    assert [u["target_signal_id"] for u in latest.updates] == ["fx:1:0"]


def test_a_redelivered_update_is_identical_on_the_same_parser_and_after_a_restart():
    signal = raw(1, "EURUSD BUY 1.0850 SL 1.0820 TP 1.0880")
    close = raw(2, "close all", minute=3)
    parser = SignalParser()
    parser.parse(signal)
    first = parser.parse(close)
    assert parser.parse(close) == first  # redelivery on the same parser: no unlinked_update
    restarted = SignalParser()
    for message in (signal, close):  # the restart replays what was consumed
        restarted.parse(message)
    assert restarted.parse(close) == first  # then the redelivered copy: same records, no DLQ


def test_implausible_update_prices_are_rejected(parser):
    parser.parse(raw(1, "EURUSD BUY 1.0850 SL 1.0820 TP 1.0880"))
    assert reason(parser.parse(raw(2, "Move SL to 12.50", reply_to_message_id="1"))) == (
        "implausible_level"
    )
    assert reason(parser.parse(raw(3, "Move SL to 1.0950", reply_to_message_id="1"))) == (
        "wrong_side_stop"
    )


# ---- webhooks -----------------------------------------------------------------------------------
def test_webhook_signal_and_explicit_cancel(parser):
    body = '{"ticker": "OANDA:XAUUSD", "side": "sell", "type": "limit", "entry": "2338.50", "stop_loss": 2346, "tp1": 2330, "tp2": 2322}'
    sig = one_signal(parser.parse(raw("a1", body, content_type="JSON")))
    assert (sig["symbol"], sig["direction"], sig["order_type"]) == ("XAUUSD", "SELL", "LIMIT")
    assert sig["take_profits"] == [2330.0, 2322.0] and sig["confidence"] == 1.0
    cancel = parser.parse(
        raw("a2", '{"action": "cancel", "signal_id": "fx:a1:0"}', content_type="JSON")
    )
    assert [(u["action"], u["link_method"]) for u in cancel.updates] == [("CANCEL", "EXPLICIT")]
    assert reason(parser.parse(raw("a3", "{not json", content_type="JSON"))) == "invalid_json"


def test_an_update_naming_another_sources_signal_is_refused_and_links_nothing(parser):
    opened = one_signal(parser.parse(raw(1, "EURUSD BUY 1.0850 SL 1.0800 TP 1.0950")))
    assert opened["signal_id"] == "fx:1:0"
    for action, body in (
        ("close_all", '{"action": "close", "signal_id": "fx:1:0"}'),
        ("move_sl", '{"action": "move_sl", "signal_id": "fx:1:0", "sl": 1.0500}'),
    ):
        result = parser.parse(raw("w1", body, source="attacker-webhook", content_type="JSON"))
        assert not result.updates
        assert (result.rejection.reason, result.rejection.detail) == (
            "foreign_signal",
            f"{action} on fx:1:0: the signal is source 'fx''s, not 'attacker-webhook''s",
        )
    # the owner still manages it: it is still open
    own = parser.parse(raw("w2", '{"action": "close", "signal_id": "fx:1:0"}', content_type="JSON"))
    assert [(u["action"], u["target_signal_id"]) for u in own.updates] == [("CLOSE_ALL", "fx:1:0")]


# ---- robustness ---------------------------------------------------------------------------------
def test_bad_records_are_rejected_not_raised(parser):
    assert reason(parser.parse({"text": "EURUSD BUY"})) == "invalid_record"
    assert reason(parser.parse(raw(1, "x", posted_at=None))) == "invalid_record"
    assert reason(parser.parse(raw(1, "EURUSD BUY " * 5000))) == "message_too_long"


def test_a_bug_becomes_an_internal_error_rejection(parser, monkeypatch):
    import hive_signal_parser.parser as module

    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("kaputt")

    monkeypatch.setattr(module, "scan_text", boom)
    result = parser.parse(raw(1, "EURUSD BUY 1.0850"))
    assert reason(result) == "internal_error"
    assert "kaputt" in result.rejection.detail


@pytest.mark.parametrize(
    "text",
    [
        "tp" + " " * 15_000 + "x",
        "tp 1 " * 3_000,
        "close half " * 1_400,
        "valid until" + " \n" * 7_000,
        "EURUSD BUY " + "1.0850 - " * 1_600,
    ],
    ids=["spaces", "tp-indices", "partials", "blank-lines", "ranges"],
)
def test_pathological_text_is_read_in_linear_time(parser, text):
    """No pattern backtracks over long runs (a 16k message must not stall the partition)."""
    import time

    start = time.process_time()
    result = parser.parse(raw(1, text, reply_to_message_id="0"))
    assert time.process_time() - start < 2.0
    assert result.rejection is not None


def test_a_time_no_calendar_holds_is_an_invalid_record_not_an_unencodable_signal(parser):
    """Found by bench/fuzz: posted_at = the largest long with 'Expires in 6 hours' gave an
    expires_at beyond a long, so the parsed signal failed its own schema."""
    text = "GBPCHF SELL LIMIT 1.1420\nSL 1.1460\nTP 1.1360\nExpires in 6 hours"
    for field in ("posted_at", "edited_at"):
        for ms in (2**63 - 1, -(2**63), 253_402_300_800_000):
            r = parser.parse(raw(f"{field}{ms}", text, **{field: ms}))
            assert reason(r) == "invalid_record" and field in r.rejection.detail
    s = one_signal(parser.parse(raw(9, text, posted_at=253_402_300_799_999 - 7 * 3_600_000)))
    assert s["expires_at"] == 253_402_300_799_999 - 3_600_000
