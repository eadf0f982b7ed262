"""Fuzz: random and malformed requests against the real hub app (uvicorn subprocess, the real
PostgreSQL in a fresh schema): random paths under /v1, methods, query strings, malformed and
huge bodies, wrong content types, missing/garbage/malformed keys and every role, webhook ingest
with random bodies. Never a 5xx, the process stays up, nothing mutating succeeds without its
role (per answer, and in what the outbox accepted).

The generator and the checks are bench/fuzz/fuzz_hub.py's; `bench/fuzz/run.py` runs the full
100,000 requests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench" / "fuzz"))
import fuzz_hub  # noqa: E402

COUNT = 3_000  # 80 requests/s on the idle 2-core machine (huge bodies, 16 in flight)


def test_fuzzed_hub_requests_never_5xx_and_roles_hold(hive_topics, tmp_path):
    r = fuzz_hub.run(hive_topics, COUNT, seed=7, log_dir=tmp_path, concurrency=16)
    log = Path(r["hub_log"])
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    assert r["hub_alive_at_end"] and r["hub_healthz"] == 200, tail
    assert r["server_errors_5xx"] == 0, (r["violation_examples"], tail)
    assert not r["transport_errors"], (r["transport_errors"], r["violation_examples"])
    assert not r["violations"], r["violation_examples"]
    assert not r["outbox_violations"], r["outbox_violations"]
    assert r["answered"] >= COUNT * 0.9  # the rest: requests httpx itself refuses to send
    statuses = {int(k) for k in r["statuses"]}
    assert {401, 403, 404, 422}.issubset(statuses), r["statuses"]
    assert any(200 <= s < 300 for s in statuses)
    accepted = r["outbox_accepted"]
    assert any(k.endswith("SIGNAL_INGESTED") for k in accepted), accepted  # webhooks got in
