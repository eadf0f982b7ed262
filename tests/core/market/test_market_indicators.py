"""Incremental indicators against an independent computation on the shared EURUSD data.

The references below are written separately from `hive.market.indicators` (vectorised numpy,
and pandas where it is installed) and must agree to 1e-9 relative on all 6,225 bars.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from hive.market import read_bundled_eurusd
from hive.market.indicators import EMA, EfficiencyRatio, RealisedVol, WilderATR, annualise
from hive_enricher import Enricher, EnricherConfig

pytestmark = pytest.mark.unit

RTOL = 1e-9


@pytest.fixture(scope="module")
def bars() -> list[dict[str, Any]]:
    return list(read_bundled_eurusd())


@pytest.fixture(scope="module")
def ohlc(bars: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    high = np.array([b["high"] for b in bars])
    low = np.array([b["low"] for b in bars])
    close = np.array([b["close"] for b in bars])
    return high, low, close


def reference_atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> np.ndarray:
    """Wilder ATR: TR from the second bar, seeded with the mean of the first n TRs."""
    prev = close[:-1]
    tr = np.maximum.reduce([high[1:] - low[1:], np.abs(high[1:] - prev), np.abs(low[1:] - prev)])
    out = np.full(len(close), np.nan)
    out[n] = tr[:n].mean()
    for i in range(n + 1, len(close)):
        out[i] = out[i - 1] + (tr[i - 1] - out[i - 1]) / n
    return out


def reference_vol(close: np.ndarray, n: int) -> np.ndarray:
    r = np.diff(np.log(close))
    windows = np.lib.stride_tricks.sliding_window_view(r, n)
    out = np.full(len(close), np.nan)
    out[n:] = windows.std(axis=1, ddof=1)
    return out


def _stream(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values])


def test_wilder_atr14_matches_the_reference(ohlc: tuple[np.ndarray, ...]) -> None:
    high, low, close = ohlc
    atr = WilderATR(14)
    ours = _stream([atr.update(h, lo, c) for h, lo, c in zip(high, low, close, strict=True)])
    ref = reference_atr(high, low, close, 14)
    assert np.isnan(ours[:14]).all() and not np.isnan(ours[14:]).any()
    np.testing.assert_allclose(ours[14:], ref[14:], rtol=RTOL, atol=0)
    # A sanity anchor: EURUSD H1 ATR in 2017 is about 5 to 30 pips.
    assert 0.0005 < float(np.median(ours[14:])) < 0.003


def test_realised_vol_matches_the_reference(ohlc: tuple[np.ndarray, ...]) -> None:
    _, _, close = ohlc
    vol = RealisedVol(24)
    ours = _stream([vol.update(c) for c in close])
    ref = reference_vol(close, 24)
    assert np.isnan(ours[:24]).all() and not np.isnan(ours[24:]).any()
    np.testing.assert_allclose(ours[24:], ref[24:], rtol=RTOL, atol=0)


def test_pandas_reference_agrees_too(ohlc: tuple[np.ndarray, ...]) -> None:
    pd = pytest.importorskip("pandas")
    high, low, close = (pd.Series(a) for a in ohlc)
    prev = close.shift(1)
    tr = pd.concat([high - low, (high - prev).abs(), (low - prev).abs()], axis=1).max(
        axis=1, skipna=False
    )
    seeded = tr.copy()
    seeded.iloc[14] = tr.iloc[1:15].mean()
    atr_ref = seeded.iloc[14:].ewm(alpha=1 / 14, adjust=False).mean()
    vol_ref = np.log(close).diff().rolling(24).std()

    atr, vol = WilderATR(14), RealisedVol(24)
    atr_ours, vol_ours = [], []
    for h, lo, c in zip(*ohlc, strict=True):
        atr_ours.append(atr.update(h, lo, c))
        vol_ours.append(vol.update(c))
    np.testing.assert_allclose(_stream(atr_ours)[14:], atr_ref.to_numpy(), rtol=RTOL, atol=0)
    np.testing.assert_allclose(_stream(vol_ours)[24:], vol_ref.to_numpy()[24:], rtol=RTOL, atol=0)


def test_enricher_reports_the_reference_values_at_each_bar(
    bars: list[dict[str, Any]], ohlc: tuple[np.ndarray, ...]
) -> None:
    """The enricher's per-bar history carries exactly the reference ATR and volatility."""
    high, low, close = ohlc
    enricher = Enricher(EnricherConfig())
    atr_ref = reference_atr(high, low, close, 14)
    vol_ref = reference_vol(close, 24)
    for i, bar in enumerate(bars):
        enricher.on_bar(bar)
        point = enricher.latest_bar("EURUSD")
        assert point is not None
        if i >= 24:
            assert math.isclose(point.atr or 0.0, atr_ref[i], rel_tol=RTOL)
            assert math.isclose(point.vol or 0.0, vol_ref[i], rel_tol=RTOL)


def test_ema_and_efficiency_ratio(ohlc: tuple[np.ndarray, ...]) -> None:
    _, _, close = ohlc
    ema, er = EMA(12), EfficiencyRatio(10)
    ema_ours = [ema.update(c) for c in close]
    er_ours = _stream([er.update(c) for c in close])
    alpha = 2 / 13
    ref = np.empty(len(close))
    ref[0] = close[0]
    for i in range(1, len(close)):
        ref[i] = alpha * close[i] + (1 - alpha) * ref[i - 1]
    np.testing.assert_allclose(ema_ours, ref, rtol=RTOL, atol=0)
    net = np.abs(close[10:] - close[:-10])
    path = np.convolve(np.abs(np.diff(close)), np.ones(10), mode="valid")
    np.testing.assert_allclose(er_ours[10:], net / path, rtol=RTOL, atol=0)
    assert ((er_ours[10:] >= 0) & (er_ours[10:] <= 1)).all()


def test_annualisation_is_sqrt_of_bars_per_year() -> None:
    # H1 FX: 260 trading days x 24 bars = 6,240 bars a year.
    assert annualise(0.001, 3_600_000) == pytest.approx(0.001 * math.sqrt(6240))
    assert annualise(0.01, 86_400_000) == pytest.approx(0.01 * math.sqrt(260))
