"""The hub's entry point without a server: settings give uvicorn its log level, and `serve`
runs the app on the configured address with the no-op handlers that make a clean stop exit 0."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from fastapi import FastAPI

from hive_hub import server
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
    app = FastAPI()
    settings = HubSettings(hub_host="0.0.0.0", hub_port=9090, log_level="DEBUG")
    assert server.serve(app, settings) == 0
    assert calls == [
        (app, {"host": "0.0.0.0", "port": 9090, "log_level": "debug", "access_log": False})
    ]
    assert set(handlers) == {signal.SIGTERM, signal.SIGINT}
    assert all(h(signal.SIGTERM, None) is None for h in handlers.values())
