"""Entry point: `python -m hive_executor`."""

from __future__ import annotations

import logging

from hive.config import load_settings
from hive.liveness import GovernorWatch
from hive.logs import configure_logging
from hive.runtime.records import InboundRecord
from hive.runtime.service import run_service
from hive.runtime.state_store import StateStore
from hive.topics import EXECUTOR_STATE
from hive_executor.engine import Executor, ExecutorConfig
from hive_executor.service import INPUTS, OUTPUTS, TABLES, ExecutorService
from hive_executor.settings import ExecutorSettings

log = logging.getLogger("hive_executor")


def config_from(settings: ExecutorSettings) -> ExecutorConfig:
    return ExecutorConfig(
        timeframe=settings.executor_timeframe,
        slippage_pips=settings.executor_slippage_pips,
        commission_per_lot=settings.executor_commission_per_lot,
        swap_long_per_lot=settings.executor_swap_long_per_lot,
        swap_short_per_lot=settings.executor_swap_short_per_lot,
        leverage=settings.executor_leverage,
        bar_buffer=settings.executor_bar_buffer,
        default_expiry_ms=settings.executor_default_expiry_ms,
    )


def state_store(service: ExecutorService) -> StateStore:
    """The recovery store: the newest record of each state key this instance owns."""
    latest: dict[str, InboundRecord] = {}

    def keep(rec: InboundRecord) -> None:
        if not rec.tombstone and service.owns(rec):
            latest[str(rec.value["state_key"])] = rec

    def restored() -> None:
        for rec in latest.values():
            service.restore(rec)
        log.info("restored %d state key(s) from %s", len(latest), EXECUTOR_STATE)

    return StateStore(topics=(EXECUTOR_STATE,), keep=keep, restored=restored)


def main() -> int:
    settings = load_settings(ExecutorSettings)
    configure_logging(settings.service_name)
    engine = Executor(config_from(settings))
    service = ExecutorService(
        engine,
        GovernorWatch(int(settings.governor_timeout_s * 1000)),
        namespace=settings.consumer_group,
    )
    # The runtime reads the store before the tables: a bot it knows is not opened again as new.
    return run_service(
        settings,
        INPUTS,
        OUTPUTS,
        service.handle,
        tables=TABLES,
        batch_end=service.write_state,
        state_store=state_store(service),
    )


if __name__ == "__main__":
    raise SystemExit(main())
