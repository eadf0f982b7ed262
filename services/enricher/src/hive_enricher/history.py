"""Per-symbol bar history: the last N bars with the indicators as they stood at each bar."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from hive.market.indicators import RealisedVol, WilderATR


class BarPoint(NamedTuple):
    """What the enricher keeps of a closed bar: its close and the indicators at its close."""

    close_time: int
    open_time: int
    close: float
    spread: float | None
    atr: float | None
    vol: float | None


class SymbolHistory:
    """Closed bars of one symbol in time order, bounded, with ATR and realised volatility."""

    def __init__(self, history_bars: int, atr_period: int, vol_bars: int) -> None:
        self.points: deque[BarPoint] = deque(maxlen=history_bars)
        self.atr = WilderATR(atr_period)
        self.vol = RealisedVol(vol_bars)
        self.dropped = 0  # bars pushed out of the bounded history

    @property
    def last_close_time(self) -> int | None:
        return self.points[-1].close_time if self.points else None

    def add(
        self,
        open_time: int,
        close_time: int,
        *,
        high: float,
        low: float,
        close: float,
        spread: float | None,
    ) -> BarPoint:
        atr = self.atr.update(high, low, close)
        vol = self.vol.update(close)
        if len(self.points) == self.points.maxlen:
            self.dropped += 1
        point = BarPoint(close_time, open_time, close, spread, atr, vol)
        self.points.append(point)
        return point

    def at(self, ts_ms: int) -> BarPoint | None:
        """The last bar closed at or before `ts_ms` (no look-ahead), or None."""
        # Searched from the end: signals nearly always concern the latest bar or the one before.
        for point in reversed(self.points):
            if point.close_time <= ts_ms:
                return point
        return None

    def covers_before(self, ts_ms: int) -> bool:
        """True when bars at or before `ts_ms` may have been pushed out of the history."""
        return self.dropped > 0 and bool(self.points) and self.points[0].close_time > ts_ms
