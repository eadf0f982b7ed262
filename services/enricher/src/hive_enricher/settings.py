"""enricher settings from the environment (prefix HIVE_), turned into an EnricherConfig."""

from __future__ import annotations

from pydantic import Field

from hive.config import ServiceSettings
from hive_enricher.config import EnricherConfig


class EnricherSettings(ServiceSettings):
    service_name: str = "enricher"
    enricher_timeframe: str = "H1"
    enricher_stale_after_ms: int = Field(3_600_000, ge=0)
    enricher_wait_horizon_ms: int = Field(7_200_000, ge=0)
    enricher_max_pending: int = Field(10_000, ge=1)
    enricher_max_entry_distance_atr: float = Field(5.0, gt=0)
    enricher_max_level_distance_atr: float = Field(30.0, gt=0)
    # Bars kept per symbol. Inputs are consumed per partition, not in event-time order, so
    # when bars run ahead of signals (a backlog, a replay) a signal is priced only while its
    # bar is still kept: keep this above the worst skew (10,000 H1 bars = 1.6 years).
    enricher_history_bars: int = Field(10_000, ge=100)

    def enricher_config(self) -> EnricherConfig:
        """The enricher's configuration; a value it refuses (an unknown timeframe) stops the
        start with one line."""
        try:
            return EnricherConfig(
                timeframe=self.enricher_timeframe,
                stale_after_ms=self.enricher_stale_after_ms,
                wait_horizon_ms=self.enricher_wait_horizon_ms,
                max_pending=self.enricher_max_pending,
                max_entry_distance_atr=self.enricher_max_entry_distance_atr,
                max_level_distance_atr=self.enricher_max_level_distance_atr,
                history_bars=self.enricher_history_bars,
            )
        except ValueError as exc:
            raise SystemExit(f"invalid enricher configuration: {exc}") from None
