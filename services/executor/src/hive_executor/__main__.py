"""Entry point: `python -m hive_executor` (wiring only)."""

from __future__ import annotations

from hive.config import load_settings
from hive.logs import configure_logging
from hive.runtime.service import run_service
from hive_executor.engine import Executor
from hive_executor.service import INPUTS, OUTPUTS, TABLES, ExecutorService
from hive_executor.settings import ExecutorSettings


def main() -> int:
    settings = load_settings(ExecutorSettings)
    configure_logging(settings.service_name)
    engine = Executor(settings.executor_config())
    service = ExecutorService(
        engine,
        settings.governor_watch(),
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
        state_store=service.state_store(),
    )


if __name__ == "__main__":
    raise SystemExit(main())
