"""Calendar rules in event time: the trading day of a bot and the FX swap rollover.

Trading day: it starts at midnight in the bot's `day_boundary_tz` (FTMO: Europe/Prague, so
23:00 UTC in winter and 22:00 UTC in summer). A day boundary is detected by market bars only
(the first bar whose open time is at or after the boundary); intents, updates and commands never
move the account's day, because commands carry wall-clock times.

Swap rollover: 17:00 America/New_York on Monday to Friday (DST handled by the zone); the
rollover on `triple_weekday` (Wednesday by default) counts three nights, for the weekend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ROLLOVER_TZ = "America/New_York"
ROLLOVER_HOUR = 17


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(ts_ms: int, tz: str) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000.0, UTC).astimezone(zone(tz))


def _epoch_ms(dt: datetime) -> int:
    return round(dt.timestamp() * 1000)


def trading_day(ts_ms: int, tz: str) -> date:
    """The trading day (local date in `tz`) that contains the instant."""
    return _local(ts_ms, tz).date()


def day_start_ms(day: date, tz: str) -> int:
    """The instant the trading day starts: local midnight in `tz`, as epoch ms UTC."""
    return _epoch_ms(datetime.combine(day, time(0), tzinfo=zone(tz)))


def next_boundary_ms(ts_ms: int, tz: str) -> int:
    """Start of the trading day after the one containing `ts_ms`."""
    return day_start_ms(trading_day(ts_ms, tz) + timedelta(days=1), tz)


def _rollover_on(day: date) -> int:
    return _epoch_ms(datetime.combine(day, time(ROLLOVER_HOUR), tzinfo=zone(ROLLOVER_TZ)))


def next_rollover_ms(after_ms: int) -> int:
    """The first weekday 17:00 New York rollover strictly after `after_ms`."""
    day = _local(after_ms, ROLLOVER_TZ).date()
    while True:
        if day.weekday() < 5:
            at = _rollover_on(day)
            if at > after_ms:
                return at
        day += timedelta(days=1)


def swap_nights(rollover_ms: int, triple_weekday: int) -> int:
    """Nights charged at a rollover: 3 on the triple-swap weekday, else 1."""
    return 3 if _local(rollover_ms, ROLLOVER_TZ).weekday() == triple_weekday else 1
