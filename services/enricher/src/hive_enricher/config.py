"""The enricher's configuration (all durations are event time, in milliseconds)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hive.market.sessions import DEFAULT_SESSIONS, SessionTable
from hive.market.timeframes import parse_timeframe

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class EnricherConfig:
    """How signals are enriched.

    timeframe: the bars used (bars of other timeframes are ignored and counted).
    atr_period: ATR period (Wilder). The record field is `atr14`, so 14 unless you know why.
    realised_vol_bars: window of the realised volatility, in bars.
    history_bars: bars kept per symbol; a signal older than the oldest kept bar gets no price.
    stale_after_ms: a signal whose age (close time of the bar at its arrival minus its original
        `timestamp`) exceeds this is flagged stale.
    wait_horizon_ms: how far (event time: the latest bar close over all symbols) the market may
        move past a waiting signal's time before the signal is released flagged
        `no_market_data` — for symbols whose feed is silent or absent.
    max_pending: bound of the wait buffer; when full the oldest waiting signal is released
        flagged `no_market_data` (reason WAIT_BUFFER_FULL). Nothing is ever dropped.
    max_entry_distance_atr: entry more than this many ATR from price -> implausible.
    max_level_distance_atr: stop or take-profit more than this many ATR from price -> implausible.
    max_level_distance_frac: any level further than this fraction of price -> implausible
        (also while ATR is still warming up); None = the instrument catalogue's
        `max_level_distance` of the symbol's asset class (0.25 for unknown symbols).
    sessions: the UTC session table.
    """

    timeframe: str = "H1"
    atr_period: int = 14
    realised_vol_bars: int = 24
    history_bars: int = 10_000
    stale_after_ms: int = HOUR_MS
    wait_horizon_ms: int = 2 * HOUR_MS
    max_pending: int = 10_000
    max_entry_distance_atr: float = 5.0
    max_level_distance_atr: float = 30.0
    max_level_distance_frac: float | None = None
    sessions: SessionTable = field(default=DEFAULT_SESSIONS)

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeframe", parse_timeframe(self.timeframe).name)
        checks = {
            "atr_period": self.atr_period >= 1,
            "realised_vol_bars": self.realised_vol_bars >= 2,
            "history_bars": self.history_bars >= 1,
            "stale_after_ms": self.stale_after_ms >= 0,
            "wait_horizon_ms": self.wait_horizon_ms >= 0,
            "max_pending": self.max_pending >= 1,
            "max_entry_distance_atr": self.max_entry_distance_atr > 0,
            "max_level_distance_atr": self.max_level_distance_atr > 0,
            "max_level_distance_frac": self.max_level_distance_frac is None
            or self.max_level_distance_frac > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"enricher config: invalid {', '.join(bad)}")

    @property
    def timeframe_ms(self) -> int:
        return parse_timeframe(self.timeframe).ms
