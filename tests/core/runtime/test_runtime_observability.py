"""A runtime service serves /healthz, /readyz and /metrics, heartbeats, and is scraped by the
project's real Prometheus."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from hive.contracts import load_catalogue

from support.kafka import consumer, create_topics, drain, producer, register, unique

pytestmark = pytest.mark.integration

CATALOGUE = load_catalogue()
RAW = CATALOGUE["signals.raw.v1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_probes_metrics_heartbeats_and_prometheus_scrape(hive_topics, tmp_path):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    src, dst = unique("test.obs.in"), unique("test.obs.out")
    create_topics(bootstrap, [src, dst, f"{src}.dlq"])
    codec = register(hive_topics["HIVE_SCHEMA_REGISTRY_URL"], src, RAW.schema_str())
    register(hive_topics["HIVE_SCHEMA_REGISTRY_URL"], dst, RAW.schema_str())
    port = _free_port()
    service = f"relay-{uuid.uuid4().hex[:6]}"
    beats = consumer(bootstrap, ["hive.heartbeats.v1"])
    env = {
        **os.environ,
        "HIVE_SERVICE_NAME": service,
        "HIVE_RELAY_SOURCE": src,
        "HIVE_RELAY_TARGET": dst,
        "HIVE_RELAY_SCHEMA": str(RAW.value_schema),
        "HIVE_HTTP_PORT": str(port),
        "HIVE_HEARTBEAT_INTERVAL_S": "0.5",
        "HIVE_LAG_INTERVAL_MS": "1000",
    }
    relay = subprocess.Popen([sys.executable, "-m", "hive.relay"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _get(f"{base}/readyz") == 200, 60, "readiness")
        assert _get(f"{base}/healthz") == 200
        example = json.loads((CATALOGUE.root / "examples" / "signals_raw.json").read_text())
        prod = producer(bootstrap)
        for i in range(20):
            prod.produce(src, codec.encode({**example, "event_id": f"obs-{i}"}), key="k")
        prod.produce(src, b"garbage", key="bad")
        prod.flush()

        def counted() -> str | None:
            text = httpx.get(f"{base}/metrics").text
            return (
                text
                if f'hive_records_produced_total{{service="{service}",topic="{dst}"}} 20.0' in text
                else None
            )

        text = _wait(counted, 60, "metrics to count the relayed records")
        assert f'hive_records_consumed_total{{service="{service}",topic="{src}"}} 21.0' in text
        assert (
            f'hive_dead_letters_total{{reason="deserialization_error",service="{service}",topic="{src}"}} 1.0'
            in text
        )
        assert "hive_handle_seconds_bucket" in text
        _wait(lambda: "hive_consumer_lag{" in httpx.get(f"{base}/metrics").text, 30, "lag gauge")

        mine = [
            m for m in drain(beats, until=10_000, timeout_s=5)
            if m.key() and m.key().decode().startswith(f"{service}:")
        ]  # fmt: skip
        assert len(mine) >= 2, "heartbeats every 0.5 s"

        prom = hive_topics["HIVE_PROMETHEUS_URL"]

        def scraped() -> bool:
            r = httpx.get(f"{prom}/api/v1/query", params={"query": f'up{{job="{service}"}}'})
            result = r.json()["data"]["result"]
            return bool(result) and result[0]["value"][1] == "1"

        _wait(scraped, 60, "Prometheus to scrape the service")
    finally:
        relay.terminate()
        relay.wait(20)
        beats.close()


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0
