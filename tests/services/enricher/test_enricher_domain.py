"""The enricher's domain on crafted bars and signals: no look-ahead, flags, the wait buffer."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from hive.market import read_bundled_eurusd
from hive_enricher import Enricher, EnricherConfig, EnricherInputError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
ENRICHED = fastavro.parse_schema(
    json.loads((ROOT / "schemas/avro/signals_enriched.avsc").read_text(encoding="utf-8"))
)
EXAMPLE_SIGNAL: dict[str, Any] = json.loads(
    (ROOT / "schemas/examples/signals_parsed.json").read_text(encoding="utf-8")
)
H = 3_600_000
MONDAY = 1497225600000  # 2017-06-12 00:00 UTC, a Monday
ATR = 0.001  # every crafted bar has high - low = 10 pips around a flat close


def bar(
    i: int,
    close: float = 1.1,
    symbol: str = "EURUSD",
    spread: float | None = None,
    timeframe: str = "H1",
    start: int = MONDAY,
) -> dict[str, Any]:
    open_time = start + i * H
    return {
        "event_id": f"{symbol}:{timeframe}:{open_time}",
        "ts_event": open_time + H,
        "ts_init": open_time + H,
        "symbol": symbol,
        "timeframe": timeframe,
        "open_time": open_time,
        "open": close,
        "high": close + ATR / 2,
        "low": close - ATR / 2,
        "close": close,
        "volume": None,
        "spread": spread,
        "spread_modelled": False,
        "price_basis": "ASK",
        "feed": "test",
    }


def close_of(i: int) -> int:
    return MONDAY + (i + 1) * H


def signal(ts: int, n: int = 0, **fields: Any) -> dict[str, Any]:
    s = copy.deepcopy(EXAMPLE_SIGNAL)
    s.update(
        {
            "event_id": f"test:{n}:0:r0",
            "signal_id": f"test:{n}:0",
            "message_id": str(n),
            "ts_event": ts,
            "ts_init": ts,
            "timestamp": ts,
            "entry": 1.1,
            "entry_low": None,
            "entry_high": None,
            "stop_loss": 1.097,
            "take_profit": 1.103,
            "take_profits": [1.103, 1.106],
        }
    )
    s.update(fields)
    return s


def valid(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in records:
        assert validate(r, ENRICHED, raise_errors=True)
    return records


def warm(enricher: Enricher, upto: int, **kw: Any) -> None:
    """Bars 0..upto (inclusive), all flat at 1.1 unless told."""
    for i in range(upto + 1):
        assert enricher.on_bar(bar(i, **kw)) == []


def test_the_schema_example_on_the_real_data() -> None:
    enricher = Enricher()
    out: list[dict[str, Any]] = []
    for b in read_bundled_eurusd():
        if b["ts_event"] > EXAMPLE_SIGNAL["ts_event"] and not out:
            out = enricher.on_signal(EXAMPLE_SIGNAL)
        enricher.on_bar(b)
    (rec,) = valid(out)
    m = rec["market"]
    assert rec["event_id"] == rec["signal"]["event_id"] == "fx-vip:18423:0:r0"
    assert rec["ts_event"] == rec["ts_init"] == EXAMPLE_SIGNAL["ts_event"]
    assert rec["signal"] == EXAMPLE_SIGNAL
    # The values of schemas/examples/signals_enriched.json, computed independently.
    assert m["bar_close_time"] == 1497427200000
    assert m["price"] == 1.12092
    assert m["atr14"] == pytest.approx(0.000896, rel=1e-3)
    assert m["realised_vol"] == pytest.approx(0.0005465, rel=1e-3)
    assert m["session"] == "LONDON"
    assert m["sl_pips"] == pytest.approx(33.0)
    assert m["rr"] == pytest.approx([0.97, 1.879, 2.788], abs=1e-3)
    assert m["age_ms"] == -311000
    assert m["pip_size"] == 0.0001
    assert m["spread_pips"] == pytest.approx(0.8)  # modelled: catalogue spread, London
    assert (m["stale"], m["implausible"], m["wrong_side_stop"], m["no_market_data"]) == (
        False,
        False,
        False,
        False,
    )


def test_priced_on_the_last_bar_closed_at_or_before_the_signal() -> None:
    enricher = Enricher()
    warm(enricher, 19)
    t = close_of(19) + 30 * 60_000  # half an hour into bar 20
    (rec,) = valid(enricher.on_signal(signal(t)))
    m = rec["market"]
    assert m["bar_close_time"] == close_of(19)
    assert m["price"] == 1.1
    assert m["waited_ms"] == 0
    assert m["age_ms"] == close_of(19) - t
    assert enricher.stats.priced_on_arrival == 1
    # A signal exactly at a bar's close is priced on that bar.
    (at_close,) = enricher.on_signal(signal(close_of(19), n=1))
    assert at_close["market"]["bar_close_time"] == close_of(19)


def test_no_look_ahead_later_bars_do_not_change_the_price() -> None:
    t = close_of(19) + 30 * 60_000
    on_time = Enricher()
    warm(on_time, 19)
    (first,) = on_time.on_signal(signal(t))
    assert on_time.on_bar(bar(20, close=1.2)) == []  # a later, very different bar: no re-emit

    # The same signal arriving after bars 20..25 (with other prices) were seen.
    late = Enricher()
    warm(late, 19)
    for i in range(20, 26):
        late.on_bar(bar(i, close=1.2 + i / 1000))
    (second,) = late.on_signal(signal(t))
    assert second == first
    assert second["market"]["price"] == 1.1


def test_a_signal_ahead_of_the_bars_waits_for_them() -> None:
    enricher = Enricher()
    warm(enricher, 17)
    t = close_of(19) + 30 * 60_000
    assert enricher.on_signal(signal(t)) == []
    assert enricher.pending == 1 and enricher.stats.waited == 1
    assert enricher.on_bar(bar(18)) == []
    (rec,) = valid(enricher.on_bar(bar(19)))
    assert rec["market"]["bar_close_time"] == close_of(19)
    assert rec["market"]["waited_ms"] == 0  # bar 19 closed before the signal: no event-time wait
    assert enricher.pending == 0 and enricher.stats.released_by_bar == 1
    # Identical to the record of a signal that arrived after the bars.
    other = Enricher()
    warm(other, 19)
    assert other.on_signal(signal(t)) == [rec]


def test_weekend_signal_waits_for_the_open_and_is_priced_on_fridays_close() -> None:
    friday = MONDAY + 4 * 24 * H
    enricher = Enricher()
    for i in range(22):  # Friday 00:00 .. 21:00 opens: the last bar closes at 22:00
        enricher.on_bar(bar(i, start=friday))
    saturday = friday + 24 * H + 10 * H
    assert enricher.on_signal(signal(saturday)) == []
    sunday_open = friday + 2 * 24 * H + 21 * H  # Sunday 21:00 bar, closes 22:00
    (rec,) = valid(enricher.on_bar(bar(0, close=1.15, start=sunday_open)))
    m = rec["market"]
    assert m["price"] == 1.1 and m["bar_close_time"] == friday + 22 * H
    assert m["session"] == "WEEKEND"
    assert m["waited_ms"] == sunday_open + H - saturday
    assert not m["no_market_data"]


def test_wait_is_bounded_by_the_event_time_horizon() -> None:
    enricher = Enricher(EnricherConfig(wait_horizon_ms=2 * H))
    warm(enricher, 9)
    t = close_of(12)  # three bars ahead: waits
    assert enricher.on_signal(signal(t)) == []
    # Signals and updates do not move the market's event time, however late they are.
    assert enricher.on_update({"ts_event": t + 100 * H}) == []
    assert enricher.on_signal(signal(t + 100 * H, n=1, symbol="GBPUSD")) == []
    # Another symbol's bars do; EURUSD's feed stays silent.
    assert enricher.on_bar(bar(13, symbol="GBPUSD")) == []  # watermark = t + 1 h
    assert enricher.on_bar(bar(14, symbol="GBPUSD")) == []  # exactly at the horizon: waits
    (rec,) = valid(enricher.on_bar(bar(15, symbol="GBPUSD")))
    m = rec["market"]
    assert rec["signal"]["symbol"] == "EURUSD"
    assert m["no_market_data"] is True
    assert m["price"] is None and m["atr14"] is None and m["bar_close_time"] is None
    assert m["flag_reasons"][:2] == ["NO_MARKET_DATA", "WAIT_HORIZON"]
    assert m["waited_ms"] == 3 * H
    assert m["sl_distance"] == pytest.approx(0.003)  # known from entry and stop alone
    assert enricher.stats.released_by_horizon == 1 and enricher.pending == 1  # the GBPUSD one
    assert enricher.stats.updates == 1


def test_wait_buffer_is_bounded_and_never_drops() -> None:
    enricher = Enricher(EnricherConfig(max_pending=3, wait_horizon_ms=100 * H))
    warm(enricher, 5)
    outs: list[dict[str, Any]] = []
    for n in range(5):
        outs += enricher.on_signal(signal(close_of(20) + n * 1000, n=n))
    assert enricher.pending == 3
    assert [r["signal"]["message_id"] for r in valid(outs)] == ["0", "1"]  # oldest first
    assert all("WAIT_BUFFER_FULL" in r["market"]["flag_reasons"] for r in outs)
    assert all(r["market"]["no_market_data"] for r in outs)
    rest = valid(enricher.flush())
    assert [r["signal"]["message_id"] for r in rest] == ["2", "3", "4"]
    assert all("FLUSHED" in r["market"]["flag_reasons"] for r in rest)
    assert enricher.pending == 0
    s = enricher.stats
    assert (s.signals, s.enriched, s.waited, s.released_buffer_full, s.released_by_flush) == (
        5,
        5,
        5,
        2,
        3,
    )


def test_symbol_without_any_bars_is_released_by_the_horizon() -> None:
    enricher = Enricher(EnricherConfig(wait_horizon_ms=H))
    assert (
        enricher.on_signal(
            signal(
                MONDAY,
                symbol="XAUUSD",
                entry=1900.0,
                stop_loss=1890.0,
                take_profit=1920.0,
                take_profits=[1920.0],
            )
        )
        == []
    )
    (rec,) = valid(enricher.on_bar(bar(5)))  # EURUSD bar closing 6 h later
    assert rec["signal"]["symbol"] == "XAUUSD"
    assert rec["market"]["no_market_data"] is True
    assert rec["market"]["pip_size"] == 0.1  # from the catalogue
    assert rec["market"]["sl_pips"] == pytest.approx(100.0)
    assert rec["market"]["rr"] == pytest.approx([2.0])


def test_distances_reward_risk_and_spread() -> None:
    enricher = Enricher()
    for i in range(44):
        enricher.on_bar(bar(i, spread=0.00011 if i == 43 else None))
    t = close_of(43) + 60_000  # 20:01 UTC Tuesday: NEW_YORK
    (rec,) = valid(enricher.on_signal(signal(t)))
    m = rec["market"]
    assert m["atr14"] == pytest.approx(ATR, rel=1e-12)
    assert m["sl_distance"] == pytest.approx(0.003)
    assert m["sl_pips"] == pytest.approx(30.0)
    assert m["sl_atr"] == pytest.approx(3.0)
    assert m["entry_distance_atr"] == pytest.approx(0.0)
    assert m["rr"] == pytest.approx([1.0, 2.0])
    assert m["spread"] == 0.00011 and m["spread_pips"] == pytest.approx(1.1)  # from the bar
    assert m["session"] == "NEW_YORK"
    assert m["realised_vol"] == 0.0 and m["realised_vol_bars"] == 24
    assert m["flag_reasons"] == []

    # A market signal without an entry is measured from the price; the spread is modelled.
    enricher.on_bar(bar(44))
    (mkt,) = enricher.on_signal(
        signal(
            close_of(44) + 1,
            n=1,
            entry=None,
            stop_loss=1.098,
            take_profits=[1.104],
            take_profit=1.104,
        )
    )
    m = mkt["market"]
    assert m["sl_distance"] == pytest.approx(0.002) and m["rr"] == pytest.approx([2.0])
    assert m["session"] == "OFF_HOURS"  # 21:00 UTC
    assert m["spread"] == pytest.approx(3 * 0.00008)  # catalogue 0.8 pips, widened x3


def test_stale_and_expired() -> None:
    enricher = Enricher(EnricherConfig(stale_after_ms=H))
    warm(enricher, 19)
    posted = close_of(16) + 5 * 60_000
    # An edit (revision) known 3 h after the original post.
    (edited,) = valid(
        enricher.on_signal(signal(close_of(19) + 60_000, timestamp=posted, revision=1))
    )
    m = edited["market"]
    assert m["age_ms"] == close_of(19) - posted
    assert m["stale"] is True
    assert f"STALE_AGE_{close_of(19) - posted}" in m["flag_reasons"]
    (fresh,) = enricher.on_signal(signal(close_of(19) + 60_000, n=1))
    assert fresh["market"]["stale"] is False
    (expired,) = enricher.on_signal(
        signal(close_of(19) + 60_000, n=2, order_type="LIMIT", entry=1.099, expires_at=close_of(19))
    )
    assert expired["market"]["stale"] is True and "EXPIRED" in expired["market"]["flag_reasons"]


@pytest.mark.parametrize(
    ("fields", "reasons"),
    [
        ({"entry": 1.09, "order_type": "LIMIT", "stop_loss": 1.087}, ["ENTRY_FAR_10.0_ATR"]),
        ({"take_profits": [1.103, 1.14], "take_profit": 1.103}, ["TP2_FAR_40.0_ATR"]),
        (
            {"entry": None, "stop_loss": 0.85, "take_profits": [1.35], "take_profit": 1.35},
            ["SL_FAR_250.0_ATR", "SL_FAR_22.7_PCT", "TP1_FAR_250.0_ATR", "TP1_FAR_22.7_PCT"],
        ),
        ({"take_profits": [1.098], "take_profit": 1.098}, ["TP1_WRONG_SIDE"]),
    ],
)
def test_implausible_levels(fields: dict[str, Any], reasons: list[str]) -> None:
    enricher = Enricher()
    warm(enricher, 19)
    (rec,) = valid(enricher.on_signal(signal(close_of(19) + 1, **fields)))
    assert rec["market"]["implausible"] is True
    assert rec["market"]["flag_reasons"] == reasons
    assert rec["market"]["wrong_side_stop"] is False


@pytest.mark.parametrize(
    ("fields", "reasons"),
    [
        ({"entry": None, "stop_loss": 1.101}, ["SL_ABOVE_PRICE"]),
        ({"entry": 1.1, "stop_loss": 1.101}, ["SL_ABOVE_ENTRY", "SL_ABOVE_PRICE"]),
        (
            {
                "direction": "SELL",
                "entry": None,
                "stop_loss": 1.099,
                "take_profits": [1.095],
                "take_profit": 1.095,
            },
            ["SL_BELOW_PRICE"],
        ),
        (
            {
                "order_type": "LIMIT",
                "entry": 1.098,
                "stop_loss": 1.099,
                "take_profits": [1.1],
                "take_profit": 1.1,
            },
            ["SL_ABOVE_ENTRY"],
        ),
        # A buy stop above the market with its stop between price and entry is fine.
        (
            {
                "order_type": "STOP",
                "entry": 1.103,
                "stop_loss": 1.101,
                "take_profits": [1.107],
                "take_profit": 1.107,
            },
            [],
        ),
    ],
)
def test_wrong_side_stops(fields: dict[str, Any], reasons: list[str]) -> None:
    enricher = Enricher()
    warm(enricher, 19)
    (rec,) = valid(enricher.on_signal(signal(close_of(19) + 1, **fields)))
    assert rec["market"]["wrong_side_stop"] is bool(reasons)
    assert rec["market"]["flag_reasons"] == reasons


def test_atr_warm_up_still_checks_distances_in_percent() -> None:
    enricher = Enricher()
    warm(enricher, 3)
    (rec,) = valid(enricher.on_signal(signal(close_of(3) + 1, stop_loss=0.8)))
    m = rec["market"]
    assert m["atr14"] is None and m["sl_atr"] is None and m["entry_distance_atr"] is None
    assert m["implausible"] is True and m["flag_reasons"] == ["SL_FAR_27.3_PCT"]


def test_unknown_instrument_other_timeframes_and_duplicates() -> None:
    enricher = Enricher()
    for i in range(20):
        enricher.on_bar(bar(i, symbol="FOOBAR", close=250.0))
    (rec,) = valid(
        enricher.on_signal(
            signal(
                close_of(19) + 1,
                symbol="FOOBAR",
                entry=250.0,
                stop_loss=249.0,
                take_profits=[252.0],
                take_profit=252.0,
            )
        )
    )
    m = rec["market"]
    assert m["pip_size"] == 0.01 and m["sl_pips"] == pytest.approx(100.0)
    assert m["spread"] is None and "UNKNOWN_INSTRUMENT" in m["flag_reasons"]

    assert enricher.on_bar(bar(19, symbol="FOOBAR", close=999.0)) == []  # redelivered
    assert enricher.on_bar(bar(30, symbol="FOOBAR", timeframe="M15")) == []
    assert enricher.stats.bars_ignored_duplicate == 1
    assert enricher.stats.bars_ignored_timeframe == 1
    latest = enricher.latest_bar("FOOBAR")
    assert latest is not None and latest.close == 250.0


def test_history_is_bounded() -> None:
    enricher = Enricher(EnricherConfig(history_bars=10))
    warm(enricher, 30)
    (old,) = valid(enricher.on_signal(signal(close_of(5) + 1)))
    assert old["market"]["no_market_data"] is True
    assert "BEFORE_HISTORY" in old["market"]["flag_reasons"]
    (recent,) = enricher.on_signal(signal(close_of(25) + 1, n=1))
    assert recent["market"]["bar_close_time"] == close_of(25)


def test_bad_inputs_raise_with_a_reason() -> None:
    enricher = Enricher()
    with pytest.raises(EnricherInputError) as err:
        enricher.on_signal({"ts_event": 1})
    assert err.value.reason == "signal_missing_symbol"
    with pytest.raises(EnricherInputError, match="signal_missing_ts_event"):
        enricher.on_signal({"symbol": "EURUSD"})
    with pytest.raises(EnricherInputError, match="bar_bad_prices"):
        enricher.on_bar({**bar(0), "high": "x"})
    with pytest.raises(ValueError, match="max_pending"):
        EnricherConfig(max_pending=0)


def _year_signals(bars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A signal 17 minutes into every 50th bar, and one on each of ten Saturdays."""
    out = [
        signal(
            b["ts_event"] + 17 * 60_000,
            n=i,
            entry=None,
            stop_loss=b["close"] - 0.003,
            take_profits=[b["close"] + 0.004],
            take_profit=b["close"] + 0.004,
        )
        for i, b in enumerate(bars[::50])
    ]
    saturday = MONDAY + 5 * 24 * H + 12 * H
    out += [signal(saturday - w * 7 * 24 * H, n=1000 + w) for w in range(10)]
    return sorted(out, key=lambda s: s["ts_event"])


def _interleaved(
    bars: list[dict[str, Any]], signals: list[dict[str, Any]], lag_ms: int
) -> list[dict[str, Any]]:
    """Bars and signals merged on event time, the bars read `lag_ms` late."""
    enricher = Enricher(EnricherConfig(wait_horizon_ms=72 * H))
    out: list[dict[str, Any]] = []
    j = 0
    for b in bars:
        while j < len(signals) and signals[j]["ts_event"] < b["ts_event"] + lag_ms:
            out += enricher.on_signal(signals[j])
            j += 1
        out += enricher.on_bar(b)
    for s in signals[j:]:
        out += enricher.on_signal(s)
    return out + enricher.flush()


def test_a_replay_gives_the_same_records_whatever_the_interleaving() -> None:
    bars = list(read_bundled_eurusd())
    signals = _year_signals(bars)
    first = _interleaved(bars, signals, lag_ms=0)
    assert first == _interleaved(bars, signals, lag_ms=0)
    assert len(first) == len(signals)
    valid(first)
    by_id = {r["event_id"]: r for r in first}
    # Bars read a day late, or every signal read before any bar: the same records.
    for lag in (24 * H, 400 * 24 * H):
        late = _interleaved(bars, signals, lag_ms=lag)
        assert {r["event_id"]: r for r in late} == by_id
    weekend = [r for r in first if r["market"]["session"] == "WEEKEND"]
    assert len(weekend) == 10
    assert all(
        r["market"]["waited_ms"] > 24 * H and not r["market"]["no_market_data"] for r in weekend
    )
