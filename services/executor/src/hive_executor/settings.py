"""executor settings from the environment (prefix HIVE_), and the engine's config built from them."""

from __future__ import annotations

from pydantic import Field

from hive.config import ServiceSettings
from hive.liveness import GovernorWatch
from hive_executor.config import ExecutorConfig


class ExecutorSettings(ServiceSettings):
    service_name: str = "executor"
    # Outputs, the recovery store and the consumed offsets commit in one Kafka transaction:
    # a crash between a fill and its offset can never fill the same order twice.
    exactly_once: bool = True
    executor_timeframe: str = Field("H1", pattern=r"^(M1|M5|M15|M30|H1|H4|D1)$")
    executor_slippage_pips: float = Field(0.1, ge=0, le=100)
    executor_commission_per_lot: float = Field(3.5, ge=0, le=1000)
    executor_swap_long_per_lot: float = Field(0.0, ge=-1000, le=1000)
    executor_swap_short_per_lot: float = Field(0.0, ge=-1000, le=1000)
    executor_leverage: float = Field(100.0, gt=0, le=1000)
    executor_bar_buffer: int = Field(500, ge=10, le=100_000)
    executor_default_expiry_ms: int = Field(86_400_000, gt=0)
    # No governor heartbeat for this long (wall clock): new entries are refused, exits are not.
    # 0 turns the watch off, only for running the executor without a governor.
    governor_timeout_s: float = Field(15.0, ge=0, le=3600)

    def executor_config(self) -> ExecutorConfig:
        """The engine's configuration (what the environment does not set keeps its default)."""
        return ExecutorConfig(
            timeframe=self.executor_timeframe,
            slippage_pips=self.executor_slippage_pips,
            commission_per_lot=self.executor_commission_per_lot,
            swap_long_per_lot=self.executor_swap_long_per_lot,
            swap_short_per_lot=self.executor_swap_short_per_lot,
            leverage=self.executor_leverage,
            bar_buffer=self.executor_bar_buffer,
            default_expiry_ms=self.executor_default_expiry_ms,
        )

    def governor_watch(self) -> GovernorWatch:
        """Fail closed when the governor's heartbeats stop for `governor_timeout_s`."""
        return GovernorWatch(int(self.governor_timeout_s * 1000))
