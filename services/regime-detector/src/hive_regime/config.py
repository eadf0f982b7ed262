"""The regime detector's configuration."""

from __future__ import annotations

from dataclasses import dataclass

from hive.market.timeframes import parse_timeframe


@dataclass(frozen=True)
class RegimeConfig:
    """How the per-symbol HMM is fitted and used.

    timeframe: bars used (others are ignored and counted).
    vol_window: bars of the rolling volatility feature (sample std of log returns).
    trend_fast / trend_slow / atr_period: the trend-strength feature
        |EMA(trend_fast) - EMA(trend_slow)| / ATR(atr_period).
    fit_window: feature rows (bars) the HMM is fitted on, the most recent ones.
    min_fit_bars: rows needed before the first fit (no regime before: warm-up).
    refit_every: refit after this many new bars (counted per symbol from its first bar).
    inference_window: rows the forward filter is run over after a refit; it then runs on,
        one step per bar.
    n_states: hidden states (3: CALM, TREND, CHAOS).
    n_iter / tol: EM iterations and convergence threshold of hmmlearn.
    anchor_weight: bars a refit's prior on each state's mean and variance is worth, centred on
        the previous model's state (see `model.py`); 0 fits every window on its own.
    seed: random_state given to hmmlearn (the initialisation itself is deterministic).
    min_covar: floor of the state variances, in standardised feature units.
    regime_history: inferences kept per symbol to tag signals with the regime at their time.
    """

    timeframe: str = "H1"
    vol_window: int = 24
    trend_fast: int = 12
    trend_slow: int = 96
    atr_period: int = 14
    fit_window: int = 2_000
    min_fit_bars: int = 500
    refit_every: int = 500
    inference_window: int = 500
    n_states: int = 3
    n_iter: int = 100
    tol: float = 1e-4
    anchor_weight: float = 1_000.0
    seed: int = 7
    min_covar: float = 1e-3
    regime_history: int = 10_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeframe", parse_timeframe(self.timeframe).name)
        checks = {
            "vol_window": self.vol_window >= 2,
            "trend_fast": 1 <= self.trend_fast < self.trend_slow,
            "atr_period": self.atr_period >= 1,
            "fit_window": self.fit_window >= 10 * self.n_states,
            "min_fit_bars": 10 * self.n_states <= self.min_fit_bars <= self.fit_window,
            "refit_every": self.refit_every >= 1,
            "inference_window": self.inference_window >= 1,
            "n_states": self.n_states == 3,
            "n_iter": self.n_iter >= 1,
            "tol": self.tol > 0,
            "anchor_weight": self.anchor_weight >= 0,
            "min_covar": self.min_covar > 0,
            "regime_history": self.regime_history >= 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"regime config: invalid {', '.join(bad)}")
