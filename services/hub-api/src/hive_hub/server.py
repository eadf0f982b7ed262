"""The hub's runtime: the app served by uvicorn until SIGTERM/SIGINT (what `run_service` is to
the Kafka services), and its Prometheus metrics on a port of their own."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI
from prometheus_client import start_http_server

from hive.runtime.http import write_scrape_target
from hive_hub.settings import HubSettings


def _after_graceful_shutdown(_signum: int, _frame: FrameType | None) -> None:
    return None


def serve(app: FastAPI, settings: HubSettings) -> int:
    """Serve on HIVE_HUB_HOST:HIVE_HUB_PORT, the metrics on HIVE_HUB_HOST:HIVE_HUB_METRICS_PORT;
    returns the process exit code."""
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then restores the handlers it found and
    # raises the signal again; with these no-op handlers that second delivery ends nothing, so
    # a clean stop exits 0 (a supervisor can tell it from a crash).
    signal.signal(signal.SIGTERM, _after_graceful_shutdown)
    signal.signal(signal.SIGINT, _after_graceful_shutdown)
    host = settings.hub_host
    try:
        metrics, _thread = start_http_server(
            settings.hub_metrics_port, addr=host, registry=app.state.metrics.registry
        )
    except OSError as exc:
        print(
            f"HIVE_HUB_METRICS_PORT: cannot listen on {host}:{settings.hub_metrics_port} "
            f"({exc.strerror or exc})",
            file=sys.stderr,
        )
        return 2
    target = _scrape_target(settings, f"{host}:{metrics.server_port}")
    proxies = settings.trusted_proxies
    try:
        uvicorn.run(
            app,
            host=host,
            port=settings.hub_port,
            log_level=settings.uvicorn_log_level,
            access_log=False,
            server_header=False,
            # X-Forwarded-For names the client (whose failures are counted) only when it comes
            # from a proxy we were told to trust.
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
        )
    finally:
        metrics.shutdown()
        metrics.server_close()
        if target is not None:
            target.unlink(missing_ok=True)
    return 0


def _scrape_target(settings: HubSettings, address: str) -> Path | None:
    """Let the local Prometheus scrape the metrics port ($HIVE_PROMETHEUS_TARGETS_DIR), as the
    runtime's health server does for every service (job: the service's name)."""
    folder = os.environ.get("HIVE_PROMETHEUS_TARGETS_DIR")
    if not folder:
        return None
    path = Path(folder) / f"{settings.service_name}-http-{settings.instance_id}.json"
    return write_scrape_target(path, [address], {"job": settings.service_name})
