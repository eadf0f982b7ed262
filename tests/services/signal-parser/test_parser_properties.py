"""Properties of the parser on generated input (hypothesis).

- it never raises and never hits its own safety net (reason `internal_error`), whatever the text;
- every signal it emits passes `validate_signal` and is a valid Avro record of signals.parsed,
  every update a valid record of signals.updates;
- it is deterministic: the same messages give the same records, on a fresh parser or again on
  the same one (a redelivered message).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive.instruments import load_instruments
from hive_signal_parser import SignalParser, validate_signal
from hive_signal_parser.parser import ParseResult
from hive_signal_parser.validate import REASONS

pytestmark = pytest.mark.unit

AVRO = Path(__file__).resolve().parents[3] / "schemas" / "avro"
PARSED = fastavro.parse_schema(json.loads((AVRO / "signals_parsed.avsc").read_text()))
UPDATES = fastavro.parse_schema(json.loads((AVRO / "signals_updates.avsc").read_text()))
CATALOGUE = load_instruments()
T0 = 1_714_982_400_000

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- strategies ---------------------------------------------------------------------------------
WORDS = [
    "BUY", "SELL", "buy", "sell", "LONG", "short", "Buy Limit", "SELL STOP", "NOW", "market",
    "CMP", "@", "at", "SL", "sl:", "Stop loss", "TP", "TP1", "TP2", "tp3:", "Take profit 2:",
    "Targets:", "Entry", "Entry zone:", "open", "SL open", "TP: open", "close", "Close half",
    "close 50%", "BE", "move SL to", "breakeven", "risk free", "TP1 hit", "SL hit", "cancel",
    "delete limit", "exit", "hit", "✅", "🔥", "❌", "➡️", "📉", "•", "**", "-", "/", ":", "(",
    ")", "|", ",", "pips", "(30 pips)", "RR 1:3", "1:2", "16:00", "valid until 16:00 UTC",
    "expires in 4h", "GTC", "x", "10x", "%", "k", "lot 0.01", "risk 1%", "\n", "\n\n", "1)",
    "2.", "1️⃣", "#", "$", "GOLD", "Gold", "XAUUSD", "EURUSD", "eur/usd", "GBPJPY", "US30",
    "NAS100", "DAX", "BTC/USDT", "ETH", "USOIL", "USDTRY", "PEPE/USDT", "might", "wait", "?",
    "if it breaks", "don't", "no", "Signal #12", "results", "all targets hit", "TP2 & TP3 hit",
    "new TP", "SL to", "close first entries", "take partials", "1,0850", "64,200", "\u2014", "\u2013",
]  # fmt: skip

PRICES = st.one_of(
    st.sampled_from(
        [
            "1.0850",
            "1.0820",
            "1.09",
            "1.0900",
            "0.0700",
            "2350",
            "2340",
            "2360",
            "4785-90",
            "1.0850/1.0830",
            "150.00-153.00",
            "39250",
            "64200",
            "0.6615",
            "155.40",
            "18050",
            "0",
            "00",
            "99999999",
            "1e5",
            "2,350.50",
            "63.5k",
            ".5",
            "1..2",
        ]
    ),
    st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False).map(str),
    st.integers(min_value=0, max_value=99).map(str),
)

signal_like = st.lists(st.one_of(st.sampled_from(WORDS), PRICES), max_size=30).map(" ".join)
any_text = st.one_of(st.text(max_size=300), signal_like)

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(["buy", "sell", "close", "EURUSD", "XAUUSD", "1.0850", "limit", "tp1"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(
                st.sampled_from(
                    [
                        "symbol",
                        "ticker",
                        "action",
                        "side",
                        "price",
                        "entry",
                        "sl",
                        "stop",
                        "tp",
                        "tp1",
                        "tp2",
                        "type",
                        "percent",
                        "signal_id",
                        "expiry",
                        "Symbol",
                    ]
                ),
                st.text(max_size=10),
            ),
            children,
            max_size=8,
        ),
    ),
    max_leaves=20,
)


@st.composite
def json_text(draw: st.DrawFn) -> str:
    value = draw(json_values)
    text = json.dumps(value, allow_nan=True)
    if draw(st.booleans()):  # a damaged body
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:cut] + draw(st.text(max_size=5))
    return text


def raw(text: str, *, mid: str = "1", content_type: str = "TEXT", **extra: Any) -> dict[str, Any]:
    record = {
        "source": "prop",
        "message_id": mid,
        "text": text,
        "content_type": content_type,
        "posted_at": T0,
        "revision": 0,
        "reply_to_message_id": None,
        "edited_at": None,
    }
    record.update(extra)
    return record


def check(result: ParseResult) -> None:
    """What every result must satisfy."""
    assert isinstance(result, ParseResult)
    if result.rejection is not None:
        assert result.rejection.reason != "internal_error", result.rejection.detail
        assert result.rejection.reason in REASONS
        assert not result.signals and not result.updates
    else:
        assert result.signals or result.updates
    for rec in result.signals:
        rejection = validate_signal(rec, CATALOGUE[rec["symbol"]])
        assert rejection is None, (rejection, rec)
        assert validate(rec, PARSED, raise_errors=True)
    for upd in result.updates:
        assert validate(upd, UPDATES, raise_errors=True)


# ---- properties ---------------------------------------------------------------------------------
@SETTINGS
@given(any_text)
def test_never_raises_on_text(text):
    check(SignalParser().parse(raw(text)))


@SETTINGS
@given(st.one_of(json_text(), st.text(max_size=100)), st.sampled_from(["JSON", "TEXT", "UNKNOWN"]))
def test_never_raises_on_json_ish_text(text, content_type):
    check(SignalParser().parse(raw(text, content_type=content_type)))


@SETTINGS
@given(
    st.lists(
        st.tuples(
            signal_like,
            st.one_of(st.none(), st.integers(min_value=0, max_value=12)),
            st.integers(min_value=0, max_value=2),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_conversations_stay_valid_and_deterministic(messages):
    """Messages with replies and edits, parsed twice from scratch, give identical records."""

    def run() -> list[ParseResult]:
        parser = SignalParser()
        out = []
        for k, (text, reply, revision) in enumerate(messages):
            mid = str(k if revision == 0 else max(0, k - 1))
            record = raw(
                text,
                mid=mid,
                revision=revision,
                reply_to_message_id=None if reply is None else str(reply),
                posted_at=T0 + k * 60_000,
                edited_at=None if revision == 0 else T0 + k * 60_000 + 1,
            )
            result = parser.parse(record)
            check(result)
            again = parser.parse(copy.deepcopy(record))  # a redelivered message
            assert again == result
            out.append(result)
        return out

    assert run() == run()


@SETTINGS
@given(
    st.sampled_from(sorted(CATALOGUE.instruments)),
    st.sampled_from(["BUY", "SELL"]),
    st.floats(min_value=0.5, max_value=1.5),
    st.floats(min_value=-0.3, max_value=0.3),
    st.lists(st.floats(min_value=-0.3, max_value=0.3), max_size=4),
)
def test_generated_signals_validate_or_are_rejected_with_a_reason(
    symbol, direction, scale, sl_off, tp_offs
):
    """Any levels at all: either a valid signal comes out, or a level rejection — never a bad one."""
    inst = CATALOGUE[symbol]
    entry = round(inst.price_min + (inst.price_max - inst.price_min) * scale / 2, inst.digits)
    sl = round(entry * (1 + sl_off), inst.digits)
    tps = " ".join(
        f"TP{k} {round(entry * (1 + off), inst.digits)}" for k, off in enumerate(tp_offs, start=1)
    )
    text = f"{symbol} {direction} {entry}\nSL {sl}\n{tps}"
    result = SignalParser().parse(raw(text))
    check(result)
    if result.rejection is None:
        (rec,) = result.signals
        assert rec["symbol"] == symbol and rec["direction"] == direction
        assert rec["entry"] == pytest.approx(entry)
    else:
        assert result.rejection.reason in {
            "wrong_side_stop",
            "wrong_side_tp",
            "implausible_level",
            "low_confidence",
        }, result.rejection


@SETTINGS
@given(any_text)
def test_same_input_same_output(text):
    record = raw(text)
    assert SignalParser().parse(record) == SignalParser().parse(copy.deepcopy(record))
