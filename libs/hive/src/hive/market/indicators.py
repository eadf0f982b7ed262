"""Incremental bar indicators in plain Python: one `update` per closed bar, O(window) at most.

Conventions (the enricher's and the regime detector's, checked in the tests against a separate
numpy/pandas computation):

- True range (TR) of bar t >= 1: max(high_t - low_t, |high_t - close_{t-1}|, |low_t - close_{t-1}|).
  The first bar has no previous close and therefore no TR (the TA-Lib convention).
- ATR(n), Wilder: the first value is the mean of the first n TRs (bars 1..n), available at bar
  n (0-based); then ATR_t = (ATR_{t-1} * (n - 1) + TR_t) / n. Gaps (weekends) count as bars.
- Realised volatility over n bars: the sample standard deviation (ddof = 1) of the last n
  one-bar log returns ln(close_t / close_{t-1}), available at bar n. It is a fraction per bar,
  NOT annualised; `annualise` converts it with sqrt(bars per year) when a yearly figure is
  wanted (FX: 260 trading days of 24 hours).
- EMA(n): alpha = 2 / (n + 1), seeded with the first close (EMA_0 = close_0), then
  EMA_t = EMA_{t-1} + alpha * (close_t - EMA_{t-1}); `ready` after n bars.
- Efficiency ratio over n bars (Kaufman): |close_t - close_{t-n}| / sum of |close_i - close_{i-1}|
  over those n steps, in [0, 1]: 1 = a straight line, near 0 = back and forth. 0 when flat.
"""

from __future__ import annotations

import itertools
import math
from collections import deque

FX_TRADING_DAYS_PER_YEAR = 260


class WilderATR:
    """Average true range with Wilder's smoothing."""

    def __init__(self, period: int = 14) -> None:
        if period < 1:
            raise ValueError(f"ATR period must be >= 1, not {period}")
        self.period = period
        self._prev_close: float | None = None
        self._seed_sum = 0.0
        self._seed_n = 0
        self.value: float | None = None

    def update(self, high: float, low: float, close: float) -> float | None:
        prev = self._prev_close
        self._prev_close = close
        if prev is None:
            return self.value
        tr = max(high - low, abs(high - prev), abs(low - prev))
        if self.value is None:
            self._seed_sum += tr
            self._seed_n += 1
            if self._seed_n == self.period:
                self.value = self._seed_sum / self.period
        else:
            self.value = (self.value * (self.period - 1) + tr) / self.period
        return self.value


class LogReturns:
    """One-bar log returns of closes; the last `window` kept."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._prev_close: float | None = None
        self.last: float | None = None
        self.values: deque[float] = deque(maxlen=window)

    def update(self, close: float) -> float | None:
        prev = self._prev_close
        self._prev_close = close
        if prev is None:
            self.last = None
            return None
        self.last = math.log(close / prev)
        self.values.append(self.last)
        return self.last


class RealisedVol:
    """Sample standard deviation (ddof = 1) of the last `window` one-bar log returns."""

    def __init__(self, window: int = 24) -> None:
        if window < 2:
            raise ValueError(f"realised volatility window must be >= 2, not {window}")
        self.window = window
        self.returns = LogReturns(window)
        self.value: float | None = None

    def update(self, close: float) -> float | None:
        self.returns.update(close)
        values = self.returns.values
        if len(values) < self.window:
            return self.value
        mean = math.fsum(values) / self.window
        ss = math.fsum((r - mean) * (r - mean) for r in values)
        self.value = math.sqrt(ss / (self.window - 1))
        return self.value


class EMA:
    """Exponential moving average of closes, seeded with the first value."""

    def __init__(self, period: int) -> None:
        if period < 1:
            raise ValueError(f"EMA period must be >= 1, not {period}")
        self.period = period
        self.alpha = 2.0 / (period + 1)
        self.count = 0
        self.value: float | None = None

    @property
    def ready(self) -> bool:
        return self.count >= self.period

    def update(self, x: float) -> float:
        self.count += 1
        self.value = x if self.value is None else self.value + self.alpha * (x - self.value)
        return self.value


class EfficiencyRatio:
    """Kaufman's efficiency ratio over `window` bars."""

    def __init__(self, window: int = 24) -> None:
        if window < 1:
            raise ValueError(f"efficiency ratio window must be >= 1, not {window}")
        self.window = window
        self._closes: deque[float] = deque(maxlen=window + 1)
        self.value: float | None = None

    def update(self, close: float) -> float | None:
        self._closes.append(close)
        if len(self._closes) <= self.window:
            return self.value
        closes = self._closes
        path = math.fsum(abs(b - a) for a, b in itertools.pairwise(closes))
        net = abs(closes[-1] - closes[0])
        self.value = net / path if path > 0 else 0.0
        return self.value


def bars_per_year(timeframe_ms: int, trading_days: int = FX_TRADING_DAYS_PER_YEAR) -> float:
    """Bars in a trading year: trading_days x 24 h / timeframe (FX trades around the clock)."""
    return trading_days * 86_400_000 / timeframe_ms


def annualise(vol_per_bar: float, timeframe_ms: int) -> float:
    """Per-bar volatility to a yearly one: x sqrt(bars per year) (H1 FX: sqrt(6240) = 79.0)."""
    return vol_per_bar * math.sqrt(bars_per_year(timeframe_ms))
