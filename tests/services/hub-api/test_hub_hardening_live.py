"""The hardened hub served by real uvicorn (`hive_hub.server.serve`, as `python -m hive_hub`
runs it) in a process of its own on 127.0.0.1, with SQLite and an in-memory outbox (no Kafka):
a 400 MB chunked body without a key is refused while the server's memory stays flat; an
authenticated 400 MB body is cut at the cap; the metrics answer on their own port only.

The attack of the issue: a 400 MB chunked body with no key took the hub from 96 MB to 1.22 GB
of resident memory before it answered 401."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hive_hub.auth import digest

pytestmark = pytest.mark.integration

ADMIN_KEY = "live-admin-key-0123456789-abcdefghijklmnop"
MB = 1 << 20
SERVE = """
import sys
from hive.config import load_settings
from hive_hub.app import create_app
from hive_hub.outbox import MemoryOutbox
from hive_hub.server import serve
from hive_hub.settings import HubSettings
settings = load_settings(HubSettings)
sys.exit(serve(create_app(settings, outbox=MemoryOutbox(), projections=False), settings))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    metrics_port: int
    targets: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("hub-live")
    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVE_")}
    env |= {
        "HIVE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'hub.db'}",
        "HIVE_HUB_HOST": "127.0.0.1",
        "HIVE_HUB_PORT": str(port),
        "HIVE_HUB_METRICS_PORT": str(metrics_port),
        "HIVE_HUB_API_KEYS": json.dumps({"alice": {"role": "admin", "sha256": digest(ADMIN_KEY)}}),
        "HIVE_HUB_PROJECTIONS": "false",
        "HIVE_PROMETHEUS_TARGETS_DIR": str(tmp / "targets"),
        "HIVE_LOG_LEVEL": "WARNING",
    }
    log = tmp / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVE], env=env, stdout=out, stderr=out)
    hub = Served(proc, port, metrics_port, tmp / "targets", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"{hub.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield hub
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


class PeakRss:
    """Samples the server's VmRSS every 5 ms while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, rss_kb(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, rss_kb(self.pid))


def send_chunked(port: int, path: str, headers: dict[str, str], total: int) -> tuple[bytes, int]:
    """POST `total` bytes as 1 MiB chunks (no Content-Length) on a raw socket, reading whatever
    the server answers meanwhile; returns (the raw answer, the body bytes sent)."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    head += "Content-Type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    piece = f"{MB:x}\r\n".encode() + b" " * MB + b"\r\n"
    answer = b""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(head.encode())
        try:
            while sent < total:
                s.sendall(piece)
                sent += MB
                if select.select([s], [], [], 0)[0]:
                    answer += s.recv(65_536)
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + 30
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            assert time.monotonic() < deadline, answer
            if select.select([s], [], [], 0.5)[0]:
                data = s.recv(65_536)
                if not data:
                    break
                answer += data
    return answer, sent


def status_line(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode()


def body_of(answer: bytes) -> dict[str, object]:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])  # type: ignore[no-any-return]


def test_a_400_mb_chunked_body_without_a_key_is_refused_with_memory_flat(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as c:  # warm every path first
        assert c.post("/v1/bots", content=b"{}").status_code == 401
        assert (
            c.get("/v1/bots", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).status_code == 200
        )
    before = rss_kb(served.proc.pid)
    with PeakRss(served.proc.pid) as rss:
        answer, sent = send_chunked(served.port, "/v1/bots", {}, 400 * MB)
    assert status_line(answer) == "HTTP/1.1 401 Unauthorized"
    assert body_of(answer) == {"detail": "authentication required"}
    assert sent == 400 * MB  # all of it went through the server, which kept none of it
    grew_mb = (rss.peak_kb - before) / 1024
    print(f"hub RSS {before / 1024:.1f} MB, peak {rss.peak_kb / 1024:.1f} MB (+{grew_mb:.1f} MB)")
    assert grew_mb < 20


def test_a_400_mb_body_with_a_key_is_cut_at_the_cap_with_memory_flat(served: Served) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=served.url, timeout=10) as c:
        assert c.post("/v1/bots", headers=auth, content=b"{").status_code == 422
    before = rss_kb(served.proc.pid)
    with PeakRss(served.proc.pid) as rss:
        answer, sent = send_chunked(served.port, "/v1/bots", auth, 400 * MB)
    assert status_line(answer) == "HTTP/1.1 413 Request Entity Too Large"
    assert body_of(answer) == {"detail": "body larger than 65536 bytes"}
    assert (rss.peak_kb - before) / 1024 < 20
    # A declared length over the cap is answered at once: no byte of the body is sent.
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        s.sendall(
            f"POST /v1/bots HTTP/1.1\r\nHost: x\r\nContent-Length: {400 * MB}\r\n\r\n".encode()
        )
        answer = s.recv(65_536)
    assert status_line(answer) == "HTTP/1.1 413 Request Entity Too Large"
    assert sent == 400 * MB


def test_metrics_only_on_their_own_port_and_headers_on_real_answers(served: Served) -> None:
    r = httpx.get(f"{served.url}/metrics", timeout=10)
    assert r.status_code == 404
    assert r.headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert (
        r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    )
    assert r.headers["referrer-policy"] == "no-referrer" and "server" not in r.headers
    before = httpx.get(f"http://127.0.0.1:{served.metrics_port}/metrics", timeout=10).text
    assert (
        httpx.get(f"{served.url}/v1/me", headers={"X-API-Key": "nope"}, timeout=10).status_code
        == 401
    )
    text = httpx.get(f"http://127.0.0.1:{served.metrics_port}/metrics", timeout=10).text
    line = 'hive_hub_http_refusals_total{action="AUTH_FAILED",status="401"}'
    count = {
        ln.split(" ")[0]: float(ln.split(" ")[1])
        for ln in before.splitlines()
        if ln.startswith("hive_hub_")
    }
    after = {
        ln.split(" ")[0]: float(ln.split(" ")[1])
        for ln in text.splitlines()
        if ln.startswith("hive_hub_")
    }
    assert after[line] == count[line] + 1
    # The local Prometheus finds it as it finds every service (job: the service's name).
    target = json.loads((served.targets / "hub-api-http-0.json").read_text())
    assert target == [
        {"targets": [f"127.0.0.1:{served.metrics_port}"], "labels": {"job": "hub-api"}}
    ]


def test_a_clean_stop_exits_0_and_removes_the_scrape_target(served: Served) -> None:
    """Last in the file, as pytest runs it: it stops the module's hub."""
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(30) == 0
    assert not (served.targets / "hub-api-http-0.json").exists()
