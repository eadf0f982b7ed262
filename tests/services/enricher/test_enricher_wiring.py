"""The enricher's wiring without Kafka: its settings turned into the enricher's configuration,
and a value the configuration refuses stopping the start with one line."""

from __future__ import annotations

import pytest

from hive.market.sessions import DEFAULT_SESSIONS
from hive.topics import MARKET_BARS, SIGNALS_ENRICHED, SIGNALS_PARSED, SIGNALS_UPDATES
from hive_enricher.config import EnricherConfig
from hive_enricher.service import INPUTS, OUTPUTS
from hive_enricher.settings import EnricherSettings

pytestmark = pytest.mark.unit


def test_the_settings_become_the_enricher_config() -> None:
    settings = EnricherSettings(
        enricher_timeframe="4h",
        enricher_stale_after_ms=60_000,
        enricher_wait_horizon_ms=120_000,
        enricher_max_pending=7,
        enricher_max_entry_distance_atr=2.5,
        enricher_max_level_distance_atr=12.0,
        enricher_history_bars=500,
    )
    assert settings.enricher_config() == EnricherConfig(
        timeframe="H4",
        atr_period=14,
        realised_vol_bars=24,
        history_bars=500,
        stale_after_ms=60_000,
        wait_horizon_ms=120_000,
        max_pending=7,
        max_entry_distance_atr=2.5,
        max_level_distance_atr=12.0,
        max_level_distance_frac=None,
        sessions=DEFAULT_SESSIONS,
    )
    assert EnricherSettings().enricher_config() == EnricherConfig()


def test_a_timeframe_the_enricher_refuses_stops_the_start_with_one_line() -> None:
    with pytest.raises(SystemExit) as stop:
        EnricherSettings(enricher_timeframe="H2").enricher_config()
    assert str(stop.value) == (
        "invalid enricher configuration: timeframe 'H2' is not supported: use one of "
        "M1, M5, M15, M30, H1, H4, D1 (or the same as '1m', '15min', '1h', '4h', '1d')"
    )


def test_topics() -> None:
    assert INPUTS == [MARKET_BARS, SIGNALS_PARSED, SIGNALS_UPDATES]
    assert OUTPUTS == [SIGNALS_ENRICHED]
