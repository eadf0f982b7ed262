"""The regime detector's wiring without Kafka: its settings turned into the detector's
configuration, and a value the configuration refuses stopping the start with one line."""

from __future__ import annotations

import pytest

from hive.topics import MARKET_BARS, MARKET_REGIMES, SIGNALS_ENRICHED, SIGNALS_SCORED
from hive_regime.config import RegimeConfig
from hive_regime.service import INPUTS, OUTPUTS
from hive_regime.settings import RegimeSettings

pytestmark = pytest.mark.unit


def test_the_settings_become_the_regime_config() -> None:
    settings = RegimeSettings(
        regime_timeframe="m15",
        regime_fit_window=800,
        regime_min_fit_bars=300,
        regime_refit_every=100,
        regime_seed=11,
        regime_anchor_weight=250.0,
        regime_history=2_000,
    )
    assert settings.regime_config() == RegimeConfig(
        timeframe="M15",
        vol_window=24,
        trend_fast=12,
        trend_slow=96,
        atr_period=14,
        fit_window=800,
        min_fit_bars=300,
        refit_every=100,
        inference_window=500,
        n_states=3,
        n_iter=100,
        tol=1e-4,
        anchor_weight=250.0,
        seed=11,
        min_covar=1e-3,
        regime_history=2_000,
    )
    assert RegimeSettings().regime_config() == RegimeConfig()


def test_a_value_the_detector_refuses_stops_the_start_with_one_line() -> None:
    with pytest.raises(SystemExit) as stop:
        RegimeSettings(regime_min_fit_bars=3_000).regime_config()
    assert str(stop.value) == "invalid regime configuration: regime config: invalid min_fit_bars"
    with pytest.raises(ValueError, match="anchor_weight"):
        RegimeConfig(anchor_weight=-1.0)


def test_topics() -> None:
    assert INPUTS == [MARKET_BARS, SIGNALS_ENRICHED]
    assert OUTPUTS == [MARKET_REGIMES, SIGNALS_SCORED]
