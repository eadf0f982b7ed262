"""Entry point: `python -m hive_hub` (uvicorn on HIVE_HUB_HOST:HIVE_HUB_PORT, 127.0.0.1:8080)."""

from __future__ import annotations

import os
import signal
from types import FrameType

import uvicorn

from hive.config import load_settings
from hive.logs import configure_logging
from hive_hub.app import create_app
from hive_hub.settings import HubSettings


def _after_graceful_shutdown(_signum: int, _frame: FrameType | None) -> None:
    return None


def main() -> int:
    settings = load_settings(HubSettings)
    configure_logging(settings.service_name)
    app = create_app(settings)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then restores the handlers it found and
    # raises the signal again; with these no-op handlers that second delivery ends nothing, so
    # a clean stop exits 0 (a supervisor can tell it from a crash).
    signal.signal(signal.SIGTERM, _after_graceful_shutdown)
    signal.signal(signal.SIGINT, _after_graceful_shutdown)
    uvicorn.run(
        app,
        host=settings.hub_host,
        port=settings.hub_port,
        log_level=os.environ.get("HIVE_LOG_LEVEL", "info").lower(),
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
