"""The hub's runtime: the app served by uvicorn until SIGTERM/SIGINT (what `run_service` is to
the Kafka services)."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn
from fastapi import FastAPI

from hive_hub.settings import HubSettings


def _after_graceful_shutdown(_signum: int, _frame: FrameType | None) -> None:
    return None


def serve(app: FastAPI, settings: HubSettings) -> int:
    """Serve on HIVE_HUB_HOST:HIVE_HUB_PORT; returns the process exit code."""
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then restores the handlers it found and
    # raises the signal again; with these no-op handlers that second delivery ends nothing, so
    # a clean stop exits 0 (a supervisor can tell it from a crash).
    signal.signal(signal.SIGTERM, _after_graceful_shutdown)
    signal.signal(signal.SIGINT, _after_graceful_shutdown)
    uvicorn.run(
        app,
        host=settings.hub_host,
        port=settings.hub_port,
        log_level=settings.uvicorn_log_level,
        access_log=False,
    )
    return 0
