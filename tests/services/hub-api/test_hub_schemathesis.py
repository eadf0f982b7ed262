"""Schemathesis against the hub's OpenAPI schema, on the real PostgreSQL (a fresh schema).

Every operation is fuzzed three times: without a key, with a viewer's key and with an admin's.
No answer may be a 5xx; without a key every /v1 operation but the webhook is 401; with a
viewer's key no mutating operation succeeds (401/403 only) and nothing is published. The
failed-authentication throttle is set out of reach: the fuzzer refuses itself on purpose, from
one address, thousands of times (test_hub_hardening tests the throttle). The
outbox here is in memory: fuzzed admin calls would otherwise put random commands (a kill switch
among them) on the shared control topic other tests' governors read.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings

from hive_hub.app import create_app
from hive_hub.auth import digest
from hive_hub.outbox import MemoryOutbox
from hive_hub.settings import HubSettings

from support.hub import ADMIN_KEY, API_KEYS, VIEWER_KEY, free_port, fresh_database

pytestmark = pytest.mark.integration

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def served(hive_topics):
    with fresh_database(hive_topics, "hub_fuzz") as (url, schema):
        box = MemoryOutbox("hub-api-fuzz")
        s = HubSettings(
            database_url=url,
            database_schema=schema,
            hub_api_keys=API_KEYS,
            hub_webhook_secrets={"tv": digest("tok")},
            hub_webhook_burst=1000,
            hub_auth_failures=1_000_000,
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(s, outbox=box, projections=False), port=port, log_level="warning"
            )
        )
        t = threading.Thread(target=server.run, daemon=True)
        t.start()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, box
        server.should_exit = True
        t.join(10)


FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


def _fuzz(base: str, check) -> int:
    """Run `check(case)` on generated cases of every operation; returns the operations run."""
    schema = schemathesis.openapi.from_url(  # the schema needs a key too
        f"{base}/v1/openapi.json", headers={"X-API-Key": VIEWER_KEY}
    )
    ran = 0
    for result in schema.get_all_operations():
        op = result.ok()

        @given(case=op.as_strategy())
        @FUZZ
        def run(case) -> None:
            check(case)

        run()
        ran += 1
    return ran


def test_no_5xx_and_roles_hold_without_a_key(served):
    base, _ = served

    def check(case) -> None:
        r = case.call(base_url=base)
        where = f"{case.method} {case.formatted_path}"
        assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:300]}"
        if case.path != "/v1/ingest/webhook":
            assert r.status_code == 401, f"{where} without a key: {r.status_code}"

    assert _fuzz(base, check) >= 25


def test_no_5xx_and_no_mutation_for_a_viewer(served):
    base, box = served

    def check(case) -> None:
        published = [o for o in box.sent if o.topic != "audit.events.v1"]
        r = case.call(base_url=base, headers={"X-API-Key": VIEWER_KEY})
        where = f"{case.method} {case.formatted_path}"
        assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:300]}"
        if case.method.upper() in MUTATING and case.path != "/v1/ingest/webhook":
            assert r.status_code in (401, 403), f"viewer reached {where}: {r.status_code}"
            assert [o for o in box.sent if o.topic != "audit.events.v1"] == published

    assert _fuzz(base, check) >= 25


def test_no_5xx_for_an_admin(served):
    base, box = served

    def check(case) -> None:
        r = case.call(base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        where = f"{case.method} {case.formatted_path}"
        assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:300]}"

    assert _fuzz(base, check) >= 25
    print(f"admin fuzz published {len(box.sent)} records (in memory)")
