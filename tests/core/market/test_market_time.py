"""Timeframes, the session table, the spread model, pacing and the live-feed interface."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from hive.market import (
    DEFAULT_SESSIONS,
    FixedSpread,
    LiveFeed,
    SessionSpreadModel,
    SessionTable,
    pace,
    parse_timeframe,
    session_at,
    timeframe_ms,
)

pytestmark = pytest.mark.unit


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("text", "name", "minutes"),
    [
        ("H1", "H1", 60),
        ("h1", "H1", 60),
        ("1h", "H1", 60),
        ("60", "H1", 60),
        ("1hour", "H1", 60),
        ("M15", "M15", 15),
        ("15m", "M15", 15),
        ("15min", "M15", 15),
        ("m1", "M1", 1),
        ("5m", "M5", 5),
        ("30min", "M30", 30),
        ("4h", "H4", 240),
        ("H4", "H4", 240),
        ("D1", "D1", 1440),
        ("1d", "D1", 1440),
    ],
)
def test_timeframes_parse_to_canonical_names(text: str, name: str, minutes: int) -> None:
    tf = parse_timeframe(text)
    assert tf.name == name
    assert tf.ms == timeframe_ms(text) == minutes * 60_000


@pytest.mark.parametrize("text", ["2h", "H2", "1w", "s30", "", "hourly", "0"])
def test_unsupported_timeframes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not supported"):
        parse_timeframe(text)


@pytest.mark.parametrize(
    ("when", "session"),
    [
        ("2017-06-14 00:30", "ASIA"),  # Wednesday
        ("2017-06-14 06:59", "ASIA"),
        ("2017-06-14 07:00", "LONDON"),
        ("2017-06-14 11:59", "LONDON"),
        ("2017-06-14 12:00", "LONDON_NEW_YORK"),
        ("2017-06-14 15:59", "LONDON_NEW_YORK"),
        ("2017-06-14 16:00", "NEW_YORK"),
        ("2017-06-14 20:59", "NEW_YORK"),
        ("2017-06-14 21:00", "OFF_HOURS"),
        ("2017-06-14 23:00", "ASIA"),
        ("2017-06-16 21:30", "OFF_HOURS"),  # Friday before the close
        ("2017-06-16 22:00", "WEEKEND"),  # Friday 22:00: closed
        ("2017-06-17 12:00", "WEEKEND"),  # Saturday
        ("2017-06-18 20:59", "WEEKEND"),  # Sunday before the open
        ("2017-06-18 21:00", "OFF_HOURS"),  # Sunday open
        ("2017-06-18 23:00", "ASIA"),
    ],
)
def test_session_table(when: str, session: str) -> None:
    assert session_at(ms(when)) == session == DEFAULT_SESSIONS.session_at(ms(when))


def test_session_table_is_checked() -> None:
    with pytest.raises(ValueError, match="no session"):
        SessionTable(ranges=((0, 12, "ASIA"),))
    with pytest.raises(ValueError, match="both"):
        SessionTable(ranges=((0, 13, "ASIA"), (12, 0, "LONDON")))
    with pytest.raises(ValueError, match="unknown session"):
        SessionTable(ranges=((0, 24, "SYDNEY"),))
    flat = SessionTable(ranges=((0, 24, "LONDON"),), weekend_start=(5, 0), weekend_end=(0, 0))
    assert flat.session_at(ms("2017-06-16 23:00")) == "LONDON"  # Friday night
    assert flat.session_at(ms("2017-06-18 23:00")) == "WEEKEND"  # Sunday night


def test_spread_model_is_deterministic_and_widens_off_session() -> None:
    model = SessionSpreadModel()
    london, asia, off = ms("2017-06-14 09:00"), ms("2017-06-14 02:00"), ms("2017-06-14 22:00")
    assert model.spread("EURUSD", london) == pytest.approx(0.8 * 0.0001)
    assert model.spread("EURUSD", asia) == pytest.approx(1.5 * 0.8 * 0.0001)
    assert model.spread("EURUSD", off) == pytest.approx(3 * 0.8 * 0.0001)
    assert model.spread("XAUUSD", london) == pytest.approx(2.5 * 0.1)
    assert SessionSpreadModel(widen=False).spread("EURUSD", off) == pytest.approx(0.00008)
    custom = SessionSpreadModel(typical_pips={"FOO": 2.0}, pip_sizes={"FOO": 0.01})
    assert custom.spread("FOO", london) == pytest.approx(0.02)
    assert FixedSpread(0.5).spread("ANY", 0) == 0.5
    with pytest.raises(KeyError, match="not in the instrument catalogue"):
        model.spread("NOPE123", london)


def _records(times: list[int]) -> list[dict[str, Any]]:
    return [{"ts_event": t, "i": i} for i, t in enumerate(times)]


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_pacing_as_fast_as_possible_never_sleeps() -> None:
    fake = FakeTime()
    recs = _records([0, 3_600_000, 7_200_000])
    assert list(pace(recs, 0, sleep=fake.sleep, clock=fake.clock)) == recs
    assert fake.sleeps == []


def test_pacing_scales_event_time() -> None:
    fake = FakeTime()
    recs = _records([0, 3_600_000, 7_200_000, 7_200_000, 10_800_000])
    out = list(pace(recs, 3600, sleep=fake.sleep, clock=fake.clock))  # 1 h of events per s
    assert out == recs
    assert fake.sleeps == pytest.approx([1.0, 1.0, 1.0])
    assert fake.now == pytest.approx(103.0)


def test_pacing_does_not_drift_when_the_consumer_is_slow() -> None:
    fake = FakeTime()
    recs = _records([0, 1000, 2000, 3000])
    got = []
    for rec in pace(recs, 1, sleep=fake.sleep, clock=fake.clock):
        got.append(rec["i"])
        fake.now += 0.4  # the consumer takes 0.4 s per record
    # due at 1, 2, 3 s after the start: sleeps make up only the difference
    assert fake.sleeps == pytest.approx([0.6, 0.6, 0.6])


def test_pacing_caps_long_gaps_and_refuses_disorder() -> None:
    fake = FakeTime()
    weekend = _records([0, 1000, 1000 + 48 * 3_600_000, 1000 + 48 * 3_600_000 + 1000])
    list(pace(weekend, 1, max_gap_s=5, sleep=fake.sleep, clock=fake.clock))
    assert fake.sleeps == pytest.approx([1.0, 5.0, 1.0])
    with pytest.raises(ValueError, match="not in ts_event order"):
        list(pace(_records([2000, 1000]), 1, sleep=fake.sleep, clock=fake.clock))
    with pytest.raises(ValueError, match="speed"):
        list(pace(_records([0]), -1))


class _ReplayAsLive:
    """A minimal adapter, to check the protocol is usable as documented."""

    name = "test"

    def __init__(self, bars: list[dict[str, Any]]) -> None:
        self._bars = bars
        self.subscribed: tuple[Sequence[str], str] | None = None
        self.closed = False

    def subscribe(self, symbols: Sequence[str], timeframe: str) -> None:
        self.subscribed = (symbols, timeframe)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._bars)

    def close(self) -> None:
        self.closed = True


def test_live_feed_protocol() -> None:
    feed = _ReplayAsLive([{"symbol": "EURUSD"}])
    assert isinstance(feed, LiveFeed)
    feed.subscribe(["EURUSD"], "H1")
    assert [b["symbol"] for b in feed] == ["EURUSD"]
    feed.close()
    assert feed.closed
    assert not isinstance(object(), LiveFeed)
