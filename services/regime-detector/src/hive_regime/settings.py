"""regime-detector settings from the environment (prefix HIVE_), turned into a RegimeConfig."""

from __future__ import annotations

from pydantic import Field

from hive.config import ServiceSettings
from hive_regime.config import RegimeConfig


class RegimeSettings(ServiceSettings):
    service_name: str = "regime-detector"
    regime_timeframe: str = "H1"
    regime_fit_window: int = Field(2_000, ge=30)
    regime_min_fit_bars: int = Field(500, ge=30)
    regime_refit_every: int = Field(500, ge=1)
    regime_seed: int = 7
    # A refit's prior on each state, centred on the previous model, is worth this many bars
    # (0: every refit on its own window alone). See bench/regime/run.py for its effect.
    regime_anchor_weight: float = Field(1_000.0, ge=0)
    # A signal waits for its bar to be classified at most this far (event time) behind bars.
    regime_wait_horizon_ms: int = Field(7_200_000, ge=0)
    # Regimes kept per symbol to tag signals that arrive after later bars (see the enricher).
    regime_history: int = Field(10_000, ge=100)

    def regime_config(self) -> RegimeConfig:
        """The detector's configuration; a value it refuses (an unknown timeframe, fewer fit
        bars than the first fit needs) stops the start with one line."""
        try:
            return RegimeConfig(
                timeframe=self.regime_timeframe,
                fit_window=self.regime_fit_window,
                min_fit_bars=self.regime_min_fit_bars,
                refit_every=self.regime_refit_every,
                seed=self.regime_seed,
                anchor_weight=self.regime_anchor_weight,
                regime_history=self.regime_history,
            )
        except ValueError as exc:
            raise SystemExit(f"invalid regime configuration: {exc}") from None
