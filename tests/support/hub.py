"""Helpers for the hub's integration, fuzz and browser tests (no tests here): a fresh PostgreSQL
database per test session, API keys, and the hub started as `python -m hive_hub`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Consumer, TopicPartition

from hive.runtime.replay import end_offsets
from hive_hub.auth import digest
from hive_hub.projections.mapping import INPUTS, TABLES

ADMIN_KEY = "test-admin-" + uuid.uuid4().hex
OPERATOR_KEY = "test-operator-" + uuid.uuid4().hex
VIEWER_KEY = "test-viewer-" + uuid.uuid4().hex
WEBHOOK_TOKEN = "tv-" + uuid.uuid4().hex
API_KEYS = {
    "alice": {"role": "admin", "sha256": digest(ADMIN_KEY)},
    "olga": {"role": "operator", "sha256": digest(OPERATOR_KEY)},
    "victor": {"role": "viewer", "sha256": digest(VIEWER_KEY)},
}
HEADERS = {
    "admin": {"Authorization": f"Bearer {ADMIN_KEY}"},
    "operator": {"Authorization": f"Bearer {OPERATOR_KEY}"},
    "viewer": {"X-API-Key": VIEWER_KEY},
}


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@contextlib.contextmanager
def fresh_database(
    endpoints: dict[str, str], prefix: str = "hub_test"
) -> Iterator[tuple[str, str]]:
    """A fresh schema <prefix>_<random> in the project's PostgreSQL database (the hive user may
    not create databases); dropped afterwards. Yields (database URL, schema)."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = endpoints["HIVE_DATABASE_URL"]

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(_plain(url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE SCHEMA "{name}"'))
    try:
        yield url, name
    finally:
        asyncio.run(run(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


def skip_history(bootstrap: str, group: str) -> None:
    """Start `group` at the current end of the event topics (earlier runs' records are not this
    test's); table topics (bots, breakers, models) are still loaded whole."""
    topics = [t for t in INPUTS if t not in TABLES]
    ends = end_offsets(bootstrap, topics)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        offsets = [TopicPartition(t, p, o) for (t, p), o in ends.items()]
        if offsets:
            c.commit(offsets=offsets, asynchronous=False)
    finally:
        c.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningHub:
    url: str
    tag: str
    chain: str
    group: str
    proc: subprocess.Popen[bytes]
    log: Path
    metrics_port: int

    def client(self, role: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=HEADERS.get(role or "", {}), timeout=30)

    def wait_for(self, path: str, until: Any, timeout_s: float = 60, role: str = "viewer") -> Any:
        """GET `path` until `until(json)` is true; returns that json."""
        deadline = time.monotonic() + timeout_s
        last: Any = None
        with self.client(role) as c:
            while time.monotonic() < deadline:
                r = c.get(path)
                if r.status_code == 200:
                    last = r.json()
                    if until(last):
                        return last
                time.sleep(0.3)
        raise AssertionError(
            f"{path}: condition not met in {timeout_s}s; last {last!r}; log {self.log}"
        )


@contextlib.contextmanager
def running_hub(
    endpoints: dict[str, str], database: tuple[str, str], log_dir: Path, **env: str
) -> Iterator[RunningHub]:
    tag = f"hub{uuid.uuid4().hex[:8]}"
    group = f"hive.hub-api.{tag}"
    skip_history(endpoints["HIVE_KAFKA_BOOTSTRAP"], group)
    port, metrics_port = free_port(), free_port()
    chain = f"hub-api-{tag}"
    log = log_dir / f"hub-{tag}.log"
    full = {
        **os.environ,
        **endpoints,
        "HIVE_DATABASE_URL": database[0],
        "HIVE_DATABASE_SCHEMA": database[1],
        "HIVE_HUB_PORT": str(port),
        "HIVE_HUB_METRICS_PORT": str(metrics_port),
        "HIVE_HUB_API_KEYS": json.dumps(API_KEYS),
        "HIVE_HUB_WEBHOOK_SECRETS": json.dumps({f"{tag}-tv": digest(WEBHOOK_TOKEN)}),
        "HIVE_GROUP_ID": group,
        "HIVE_INSTANCE_ID": tag,
        "HIVE_HUB_AUDIT_CHAIN": chain,
        "HIVE_COMMIT_INTERVAL_MS": "200",
        "HIVE_HUB_POLL_MS": "500",
        **env,
    }
    out = log.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "hive_hub"], env=full, stdout=out, stderr=out)
    hub = RunningHub(f"http://127.0.0.1:{port}", tag, chain, group, proc, log, metrics_port)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"the hub exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, (
                f"the hub did not get ready: {log.read_text()[-3000:]}"
            )
            try:
                # /readyz says only ready or not: how far the projections are, a viewer asks.
                ready = httpx.get(f"{hub.url}/readyz", timeout=2).status_code == 200
                r = httpx.get(f"{hub.url}/v1/health", headers=HEADERS["viewer"], timeout=2)
                if ready and r.status_code == 200 and r.json()["projections"].get("tables_loaded"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        print(f"hub {tag} on {hub.url}, log {log}")
        yield hub
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.close()
