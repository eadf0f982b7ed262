"""`/healthz`, `/readyz` and `/metrics` on a small threaded HTTP server beside the loop."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

Probe = Callable[[], tuple[bool, str]]


class HealthServer:
    """Serves the probes; `port=0` picks a free port (tests), read back from `.port`."""

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        healthy: Probe,
        ready: Probe,
    ) -> None:
        routes: dict[str, Callable[[], tuple[int, str, bytes]]] = {
            "/healthz": lambda: _probe(healthy),
            "/readyz": lambda: _probe(ready),
            "/metrics": lambda: (200, CONTENT_TYPE_LATEST, generate_latest(registry)),
        }

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0])
                status, ctype, body = route() if route else (404, "text/plain", b"not found\n")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # probes every few seconds would drown the service's own log

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        log.info("health and metrics on http://%s:%d", self.host, self.port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def register_prometheus_target(self, job: str, instance: str) -> Path | None:
        """Let the local Prometheus scrape this process ($HIVE_PROMETHEUS_TARGETS_DIR)."""
        folder = os.environ.get("HIVE_PROMETHEUS_TARGETS_DIR")
        if not folder:
            return None
        return write_scrape_target(
            Path(folder) / f"{job}-{instance}.json", [f"{self.host}:{self.port}"], {"job": job}
        )


def write_scrape_target(path: Path, targets: Sequence[str], labels: dict[str, str]) -> Path:
    """A Prometheus file_sd target file, written atomically (Prometheus reads only *.json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([{"targets": list(targets), "labels": labels}], indent=2) + "\n")
    tmp.replace(path)
    return path


def _probe(check: Probe) -> tuple[int, str, bytes]:
    ok, detail = check()
    return (200 if ok else 503), "text/plain", (detail + "\n").encode()
