"""FX trading sessions by UTC hour.

The names are the `io.tradinghive.common.Session` symbols of the schemas. The default table
(all UTC, hours are [start, end), no daylight-saving shift — the boundaries are a model, not a
calendar, and are the enricher's configuration):

| UTC hours   | session         | what trades                                                |
|-------------|-----------------|------------------------------------------------------------|
| 23:00-07:00 | ASIA            | Sydney (about 21-06) and Tokyo (about 00-09)               |
| 07:00-12:00 | LONDON          | London open (Tokyo's last hours are counted as London)     |
| 12:00-16:00 | LONDON_NEW_YORK | London and New York overlap, the most liquid hours         |
| 16:00-21:00 | NEW_YORK        | New York after the London close                            |
| 21:00-23:00 | OFF_HOURS       | New York close to the Asian open: rollover, widest spreads |

WEEKEND overrides the hour table from Friday 22:00 to Sunday 21:00 UTC, when the FX market is
closed (the bundled EURUSD 2017 file has no bar opening in that window).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ASIA = "ASIA"
LONDON = "LONDON"
LONDON_NEW_YORK = "LONDON_NEW_YORK"
NEW_YORK = "NEW_YORK"
OFF_HOURS = "OFF_HOURS"
WEEKEND = "WEEKEND"
SESSIONS = (ASIA, LONDON, LONDON_NEW_YORK, NEW_YORK, OFF_HOURS, WEEKEND)

_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS
_WEEK_MS = 7 * _DAY_MS
# 1970-01-01 was a Thursday: shift so that 0 is Monday 00:00 UTC.
_EPOCH_WEEKDAY = 3


def _hour_of_week(weekday: int, hour: int) -> int:
    return weekday * 24 + hour


@dataclass(frozen=True)
class SessionTable:
    """Session per UTC hour of the day, and the weekly closed window.

    `ranges` are (start_hour, end_hour, session) with hours in 0..24; a range may wrap midnight
    (start > end, e.g. (23, 7, 'ASIA')). Together they must cover each hour exactly once.
    `weekend_start` / `weekend_end` are (weekday, hour) with Monday = 0, UTC.
    """

    ranges: tuple[tuple[int, int, str], ...] = (
        (23, 7, ASIA),
        (7, 12, LONDON),
        (12, 16, LONDON_NEW_YORK),
        (16, 21, NEW_YORK),
        (21, 23, OFF_HOURS),
    )
    weekend_start: tuple[int, int] = (4, 22)
    weekend_end: tuple[int, int] = (6, 21)
    _by_hour: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        by_hour: list[str | None] = [None] * 24
        for start, end, name in self.ranges:
            if name not in SESSIONS:
                raise ValueError(f"session table: unknown session {name!r} (known: {SESSIONS})")
            if not (0 <= start <= 24 and 0 <= end <= 24) or start == end:
                raise ValueError(f"session table: bad hours {start}-{end} for {name}")
            hours = range(start, end) if start < end else [*range(start, 24), *range(0, end)]
            for h in hours:
                if by_hour[h] is not None:
                    raise ValueError(f"session table: hour {h} UTC is both {by_hour[h]} and {name}")
                by_hour[h] = name
        missing = [h for h, n in enumerate(by_hour) if n is None]
        if missing:
            raise ValueError(f"session table: hours {missing} UTC have no session")
        object.__setattr__(self, "_by_hour", tuple(by_hour))

    def session_at(self, ts_ms: int) -> str:
        """The session at an epoch-ms UTC instant."""
        if self.is_weekend(ts_ms):
            return WEEKEND
        return self._by_hour[(ts_ms % _DAY_MS) // _HOUR_MS]

    def is_weekend(self, ts_ms: int) -> bool:
        hour_of_week = ((ts_ms // _HOUR_MS) + _EPOCH_WEEKDAY * 24) % (7 * 24)
        start = _hour_of_week(*self.weekend_start)
        end = _hour_of_week(*self.weekend_end)
        if start <= end:
            return start <= hour_of_week < end
        return hour_of_week >= start or hour_of_week < end


DEFAULT_SESSIONS = SessionTable()


def session_at(ts_ms: int, table: SessionTable = DEFAULT_SESSIONS) -> str:
    """The trading session at an epoch-ms UTC instant with the default (or a given) table."""
    return table.session_at(ts_ms)
