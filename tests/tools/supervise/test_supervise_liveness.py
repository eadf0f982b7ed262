"""The supervisor kills a child whose /healthz keeps failing (stuck in a call that never returns)."""

from __future__ import annotations

import sys
import time

import pytest

from hive_tools.supervise import Backoff, ChildSpec, Supervisor, free_port

pytestmark = pytest.mark.unit

# Healthy once (it has booted), then its loop "hangs": /healthz answers 503 from then on.
STUCK = """
import http.server, sys
seen = []
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        seen.append(1)
        self.send_response(503 if self.path == "/healthz" and len(seen) > 1 else 200)
        self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def test_an_unhealthy_child_is_killed_and_restarted(tmp_path):
    port = free_port()
    spec = ChildSpec("stuck", [sys.executable, "-c", STUCK, str(port)], http_port=port)
    sup = Supervisor([spec], tmp_path, backoff=Backoff(initial_s=0.1), liveness_interval_s=0.2,
                     liveness_failures=2)  # fmt: skip
    sup.start()
    try:
        deadline = time.monotonic() + 20
        killed: list[str] = []
        while time.monotonic() < deadline and not killed:
            sup.poll()
            killed = sup.check_health()
            time.sleep(0.1)
        assert killed == ["stuck"]
        while time.monotonic() < deadline and sup.status()[0].restarts == 0:
            sup.poll()
            time.sleep(0.1)
        status = sup.status()[0]
        assert status.restarts == 1 and status.last_exit == -9
        assert "unhealthy for 2 probes" in (tmp_path / "stuck.log").read_text()
    finally:
        sup.stop()


def test_a_child_that_never_answered_is_booting_not_stuck(tmp_path):
    port = free_port()
    spec = ChildSpec("slow", [sys.executable, "-c", "import time; time.sleep(30)"], http_port=port)
    sup = Supervisor([spec], tmp_path, liveness_interval_s=0.05, liveness_failures=2)
    sup.start()
    try:
        for _ in range(10):
            assert sup.check_health() == []
            time.sleep(0.06)
        assert sup.status()[0].alive
    finally:
        sup.stop()


def test_a_healthy_child_is_left_alone(tmp_path):
    port = free_port()
    healthy = STUCK.replace("503 if", "200 if")
    assert healthy != STUCK
    spec = ChildSpec("fine", [sys.executable, "-c", healthy, str(port)], http_port=port)
    sup = Supervisor([spec], tmp_path, liveness_interval_s=0.1, liveness_failures=2)
    sup.start()
    try:
        end = time.monotonic() + 2
        while time.monotonic() < end:
            assert sup.check_health() == []
            time.sleep(0.1)
        assert sup.status()[0].alive
    finally:
        sup.stop()
