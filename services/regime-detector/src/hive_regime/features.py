"""Per-bar features of one symbol, computed incrementally (the same code for fit and inference).

- log_return: ln(close_t / close_{t-1});
- rolling_vol: sample std (ddof = 1) of the last `vol_window` log returns (per bar, not
  annualised);
- trend_strength: |EMA(trend_fast) - EMA(trend_slow)| / ATR(atr_period) of closes — how many
  average bar ranges the fast average has drifted away from the slow one. It is persistent,
  unlike a short efficiency ratio, so the HMM's middle state separates on it (on EURUSD 2017
  the TREND state's mean is about 1.5 times the CALM state's).

A row exists once every feature is warm (the slow EMA needs `trend_slow` bars). The HMM sees
(log_return, ln rolling_vol, trend_strength), standardised with the training window's mean and
standard deviation (see `model.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from hive.market.indicators import EMA, RealisedVol, WilderATR

FEATURE_NAMES = ("log_return", "rolling_vol", "trend_strength")


class FeatureRow(NamedTuple):
    close_time: int
    close: float
    log_return: float
    rolling_vol: float
    trend_strength: float

    def as_map(self) -> dict[str, float]:
        return {
            "log_return": self.log_return,
            "rolling_vol": self.rolling_vol,
            "trend_strength": self.trend_strength,
        }


class FeatureTracker:
    """Feeds bars one at a time; gives a FeatureRow once every feature is warm."""

    def __init__(
        self, vol_window: int, trend_fast: int, trend_slow: int, atr_period: int = 14
    ) -> None:
        self._vol = RealisedVol(vol_window)
        self._fast = EMA(trend_fast)
        self._slow = EMA(trend_slow)
        self._atr = WilderATR(atr_period)

    def update(self, close_time: int, high: float, low: float, close: float) -> FeatureRow | None:
        vol = self._vol.update(close)
        fast = self._fast.update(close)
        slow = self._slow.update(close)
        atr = self._atr.update(high, low, close)
        ret = self._vol.returns.last
        if vol is None or ret is None or atr is None or not self._slow.ready:
            return None
        trend = abs(fast - slow) / atr if atr > 0 else 0.0
        return FeatureRow(close_time, close, ret, vol, trend)


def feature_rows(
    bars: Iterable[Mapping[str, Any]],
    vol_window: int = 24,
    trend_fast: int = 12,
    trend_slow: int = 96,
    atr_period: int = 14,
) -> list[FeatureRow]:
    """Feature rows of a symbol's bars in time order (warm-up bars give no row)."""
    tracker = FeatureTracker(vol_window, trend_fast, trend_slow, atr_period)
    rows: list[FeatureRow] = []
    for bar in bars:
        row = tracker.update(
            int(bar["ts_event"]), float(bar["high"]), float(bar["low"]), float(bar["close"])
        )
        if row is not None:
            rows.append(row)
    return rows
