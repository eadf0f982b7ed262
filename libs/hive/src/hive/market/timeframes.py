"""Bar timeframes: parsing the usual spellings into the canonical names of `market.bars`.

The canonical names are the ones the schema allows: M1, M5, M15, M30, H1, H4, D1. Accepted
spellings (case-insensitive): the canonical name ("H1", "m15"), a count and a unit ("1h",
"15m", "15min", "4H", "1d", "60s" is not a bar timeframe and is refused), and plain minutes
("60" = H1). Anything else raises `ValueError` naming the accepted forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

# canonical name -> length in ms, in increasing order
CANONICAL: dict[str, int] = {
    "M1": MINUTE_MS,
    "M5": 5 * MINUTE_MS,
    "M15": 15 * MINUTE_MS,
    "M30": 30 * MINUTE_MS,
    "H1": HOUR_MS,
    "H4": 4 * HOUR_MS,
    "D1": DAY_MS,
}
_BY_MS = {ms: name for name, ms in CANONICAL.items()}

_UNIT_MS = {
    "m": MINUTE_MS,
    "min": MINUTE_MS,
    "mins": MINUTE_MS,
    "minute": MINUTE_MS,
    "minutes": MINUTE_MS,
    "h": HOUR_MS,
    "hr": HOUR_MS,
    "hour": HOUR_MS,
    "hours": HOUR_MS,
    "d": DAY_MS,
    "day": DAY_MS,
    "days": DAY_MS,
}
_PREFIXED = re.compile(r"^([mhd])(\d+)$", re.IGNORECASE)
_SUFFIXED = re.compile(r"^(\d+)\s*([a-z]+)$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Timeframe:
    """A bar timeframe: its length in ms first (so timeframes sort by length) and its name."""

    ms: int
    name: str

    def __str__(self) -> str:
        return self.name

    @property
    def hours(self) -> float:
        return self.ms / HOUR_MS


def parse_timeframe(text: str | Timeframe) -> Timeframe:
    """'H1', '1h', '60', 'M15', '15m', '15min', 'D1', '1d' -> Timeframe; ValueError otherwise."""
    if isinstance(text, Timeframe):
        return text
    raw = str(text).strip()
    ms: int | None = None
    if raw.isdigit():
        ms = int(raw) * MINUTE_MS
    elif m := _PREFIXED.match(raw):
        ms = int(m.group(2)) * _UNIT_MS[m.group(1).lower()]
    elif m := _SUFFIXED.match(raw):
        unit = _UNIT_MS.get(m.group(2).lower())
        if unit is not None:
            ms = int(m.group(1)) * unit
    name = _BY_MS.get(ms) if ms is not None else None
    if name is None:
        allowed = ", ".join(CANONICAL)
        raise ValueError(
            f"timeframe {text!r} is not supported: use one of {allowed} "
            "(or the same as '1m', '15min', '1h', '4h', '1d')"
        )
    return Timeframe(CANONICAL[name], name)


def timeframe_ms(text: str | Timeframe) -> int:
    """Length of a timeframe in milliseconds."""
    return parse_timeframe(text).ms
