"""The hub's entry point without a server: settings give uvicorn its log level, and `serve`
runs the app on the configured address with the no-op handlers that make a clean stop exit 0."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from fastapi import FastAPI

from hive_hub import server
from hive_hub.metrics import HttpMetrics
from hive_hub.settings import HubSettings

pytestmark = pytest.mark.unit


def test_uvicorn_gets_the_hive_log_level_in_lower_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIVE_LOG_LEVEL", raising=False)
    assert HubSettings().uvicorn_log_level == "info"
    monkeypatch.setenv("HIVE_LOG_LEVEL", "WARNING")
    assert HubSettings().uvicorn_log_level == "warning"


def test_serve_runs_uvicorn_on_the_configured_address(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    handlers: dict[int, Any] = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setattr(server.signal, "signal", handlers.__setitem__)
    monkeypatch.delenv("HIVE_PROMETHEUS_TARGETS_DIR", raising=False)
    metrics_servers: list[tuple[int, str, Any]] = []

    class _Server:
        server_port = 9464
        closed = False

        def shutdown(self) -> None:
            self.closed = True

        def server_close(self) -> None:
            return None

    fake = _Server()

    def start(port: int, addr: str, registry: Any) -> tuple[_Server, None]:
        metrics_servers.append((port, addr, registry))
        return fake, None

    monkeypatch.setattr(server, "start_http_server", start)
    app = FastAPI()
    app.state.metrics = HttpMetrics()
    settings = HubSettings(hub_host="0.0.0.0", hub_port=9090, log_level="DEBUG")
    assert server.serve(app, settings) == 0
    assert calls == [
        (
            app,
            {
                "host": "0.0.0.0",
                "port": 9090,
                "log_level": "debug",
                "access_log": False,
                "server_header": False,
                "proxy_headers": False,
                "forwarded_allow_ips": None,
            },
        )
    ]
    # The metrics on a port of their own, on the hub's address, stopped with the server.
    assert metrics_servers == [(9464, "0.0.0.0", app.state.metrics.registry)]
    assert fake.closed
    assert set(handlers) == {signal.SIGTERM, signal.SIGINT}
    assert all(h(signal.SIGTERM, None) is None for h in handlers.values())
    calls.clear()
    trusting = HubSettings(hub_trusted_proxies="10.0.0.7, 10.0.0.8", hub_metrics_port=0)
    assert server.serve(app, trusting) == 0
    assert calls[0][1]["proxy_headers"] is True
    assert calls[0][1]["forwarded_allow_ips"] == ["10.0.0.7", "10.0.0.8"]
    assert metrics_servers[-1][:2] == (0, "127.0.0.1")
