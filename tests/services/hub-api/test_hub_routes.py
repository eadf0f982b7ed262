"""The API on SQLite with an in-memory outbox (no Kafka): authentication, roles per endpoint,
validation, what is published and audited, the webhook, the rate limit, the bot state view."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from hive_hub.app import create_app
from hive_hub.auth import KeyRing, Principal, digest, key_from_headers
from hive_hub.db import make_engine
from hive_hub.outbox import MemoryOutbox
from hive_hub.projections.mapping import Source, project
from hive_hub.projections.store import apply_batch
from hive_hub.ratelimit import TokenBuckets
from hive_hub.settings import HubSettings
from hive_hub.state import effective_state

pytestmark = pytest.mark.unit

KEYS = {"admin": "a" * 20, "operator": "o" * 20, "viewer": "v" * 20}
BOT = {
    "bot_id": "b1", "cell": "c1", "account_size": 100000, "rule_set": "ftmo_2step",
    "sources": [{"source": "tv"}], "strategy_card": "follow", "risk_per_trade": 1,
}  # fmt: skip


@pytest.fixture
def hub(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    settings = HubSettings(
        database_url=url,
        hub_api_keys={n: {"role": n, "sha256": digest(k)} for n, k in KEYS.items()},
        hub_webhook_secrets={"tv": digest("tok")},
        hub_webhook_burst=2,
        hub_webhook_rate=0.01,
    )
    box = MemoryOutbox("hub-api")
    with TestClient(create_app(settings, outbox=box, projections=False)) as client:
        client.box = box
        client.url = url
        yield client


def h(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def _project(url: str, topic: str, records: list[dict]) -> None:
    """What the projector would do with records the hub published."""

    async def go():
        engine = make_engine(url)
        writes = [w for r in records for w in project(r, Source(topic))]
        await apply_batch(engine, writes)
        await engine.dispose()

    asyncio.run(go())


def test_every_v1_call_needs_a_key_and_the_role(hub):
    assert hub.get("/v1/bots").status_code == 401
    assert hub.get("/v1/bots", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert hub.get("/v1/bots", headers={"X-API-Key": KEYS["viewer"]}).json() == []
    assert hub.post("/v1/bots", headers=h("operator"), json=BOT).status_code == 403
    assert (
        hub.post("/v1/control/kill-switch", headers=h("viewer"), json={"reason": "x"}).status_code
        == 403
    )
    assert not [o for o in hub.box.sent if o.topic != "audit.events.v1"]
    denied = [o.value for o in hub.box.sent]
    assert [(e["action"], e["actor"], e["role"]) for e in denied] == [
        ("AUTH_FAILED", "anonymous", "UNKNOWN"),
        ("AUTH_FAILED", "anonymous", "UNKNOWN"),
        ("ACCESS_DENIED", "operator", "OPERATOR"),
        ("ACCESS_DENIED", "viewer", "VIEWER"),
    ]


def test_the_bot_body_has_a_field_per_key_of_the_bot_contract():
    from hive.bots import BOT_FILE_KEYS
    from hive_hub.routes.bot_body import NOT_IN_BODY, NewBotIn

    body_keys = [k for k in BOT_FILE_KEYS if k not in NOT_IN_BODY]
    assert list(NewBotIn.model_fields) == [*body_keys, "bot_id"]


def test_register_publishes_the_record_and_its_audit_event_together(hub):
    r = hub.post("/v1/bots", headers=h("admin"), json=BOT)
    assert r.status_code == 202, r.text
    bot, audit = hub.box.sent
    assert bot.topic == "registry.bots.v1" and bot.key == "b1"
    assert bot.value["risk_per_trade"] == 0.01 and bot.value["updated_by"] == "admin"
    assert audit.value["action"] == "BOT_REGISTERED" and audit.value["cause_event_id"] == "b1:1"
    bad = hub.post(
        "/v1/bots", headers=h("admin"), json={**BOT, "strategy_card": "nope", "risk_per_trade": 9}
    )
    assert bad.status_code == 422
    assert any("risk_per_trade" in p for p in bad.json()["detail"]["problems"])
    live = hub.post("/v1/bots", headers=h("admin"), json={**BOT, "mode": "live"})
    assert live.status_code == 422


def test_commands_are_checked_published_and_idempotent(hub):
    hub.post("/v1/bots", headers=h("admin"), json=BOT)
    _project(hub.url, "registry.bots.v1", [hub.box.sent[0].value])
    hub.box.sent.clear()
    body = {"reason": "FOMC", "command_id": "00000000-0000-4000-8000-000000000001"}
    r = hub.post("/v1/bots/b1/pause", headers=h("operator"), json=body)
    assert r.status_code == 202, r.text
    cmd, audit = hub.box.sent
    assert (
        cmd.key == "BOT:b1" and cmd.value["command"] == "PAUSE" and cmd.value["role"] == "OPERATOR"
    )
    assert audit.value["action"] == "COMMAND_ISSUED" and audit.value["sequence"] == 1
    _project(hub.url, "control.commands.v1", [cmd.value])
    again = hub.post("/v1/bots/b1/pause", headers=h("operator"), json=body)
    assert again.json()["duplicate"] and len(hub.box.sent) == 2
    assert (
        hub.post("/v1/bots/b1/unlock", headers=h("operator"), json={"reason": "x"}).status_code
        == 403
    )
    assert (
        hub.post("/v1/bots/b1/unlock", headers=h("admin"), json={"reason": "x"}).status_code == 202
    )
    assert (
        hub.post("/v1/cells/nope/halt", headers=h("operator"), json={"reason": "x"}).status_code
        == 404
    )
    ks = hub.post("/v1/control/commands", headers=h("operator"),
                  json={"command": "KILL_SWITCH", "scope_level": "CELL", "scope_id": "c1", "reason": "x"})  # fmt: skip
    assert (
        ks.status_code == 202
        and ks.json()["scope_level"] == "GLOBAL"
        and ks.json()["scope_id"] == "global"
    )
    assert (
        hub.post("/v1/bots/b1/pause", headers=h("operator"), json={"reason": "   "}).status_code
        == 422
    )


def test_a_failed_publish_is_a_503_and_leaves_the_chain_where_it_was(hub):
    hub.box.fail = True
    r = hub.post("/v1/bots", headers=h("admin"), json=BOT)
    assert r.status_code == 503
    assert hub.box.chain.sequence == 0
    hub.box.fail = False
    assert hub.post("/v1/bots", headers=h("admin"), json=BOT).status_code == 202
    assert hub.box.sent[-1].value["sequence"] == 0


def test_webhook_token_body_and_rate_limit(hub):
    url = "/v1/ingest/webhook"
    tok = {"X-Hive-Token": "tok"}
    assert hub.post(url, params={"source": "tv"}, headers={"X-Hive-Token": "bad"}, json={"a": 1}).status_code == 401  # fmt: skip
    assert hub.post(url, params={"source": "other"}, headers=tok, json={"a": 1}).status_code == 401
    r = hub.post(url, params={"source": "tv"}, headers={"X-Hive-Token": "tok"},
                 json={"symbol": "EURUSD", "action": "buy", "alert_id": 77})  # fmt: skip
    assert r.status_code == 202 and r.json()["event_id"] == "tv:77:r0"
    refused = [(o.value["action"], o.value["actor"]) for o in hub.box.sent[:2]]
    assert refused == [("AUTH_FAILED", "webhook:tv"), ("AUTH_FAILED", "webhook:other")]
    raw = hub.box.sent[2].value
    assert raw["content_type"] == "JSON" and raw["channel_kind"] == "WEBHOOK"
    assert json.loads(raw["text"])["alert_id"] == 77
    empty = hub.post(
        url,
        params={"source": "tv"},
        content=" ",
        headers={"Content-Type": "text/plain", **tok},
    )
    assert empty.status_code == 422
    limited = hub.post(url, params={"source": "tv"}, headers=tok, json={"a": 1})
    assert limited.status_code == 429 and "Retry-After" in limited.headers


def test_validation_errors_say_what_is_wrong(hub):
    r = hub.get("/v1/signals", headers=h("viewer"), params={"limit": 0})
    assert r.status_code == 422 and r.json()["detail"]["problems"][0].startswith("query.limit")
    assert hub.get("/v1/signals", headers=h("viewer"), params={"cursor": "zz"}).status_code == 422
    assert hub.get("/v1/bots/nobody", headers=h("viewer")).status_code == 404


def test_keys_roles_buckets_and_state_are_plain_logic():
    key = "k3y-0123456789-abcdefghij-ABCDEFGHIJ"
    ring = KeyRing.from_settings(HubSettings(hub_admin_key=key))
    assert ring.identify(key) == Principal("admin", "admin")
    assert ring.identify("y" * 40) is None
    assert (
        key_from_headers("Bearer abc", None) == "abc"
        and key_from_headers("Basic abc", None) is None
    )
    assert Principal("o", "operator").may("viewer") and not Principal("o", "operator").may("admin")
    now = [0.0]
    b = TokenBuckets(rate=1.0, burst=2, clock=lambda: now[0])
    assert [b.take("s") for _ in range(3)] == [0.0, 0.0, 1.0]
    now[0] = 1.0
    assert b.take("s") == 0.0
    assert (
        effective_state(
            "ACTIVE", False, {"state": "OPEN", "fallback_mode": "HALTED", "cause": "PAUSED"}
        )
        == "PAUSED"
    )
    assert (
        effective_state(
            "ACTIVE",
            False,
            {"state": "OPEN", "fallback_mode": "SHADOW_MODE", "cause": "LOSING_TRADE"},
        )
        == "SHADOW_MODE"
    )
    assert effective_state("LOCKED", False, None) == "LOCKED"
    assert effective_state("ACTIVE", True, None) == "DELETED"


def test_bad_settings_fail_fast():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="hub_api_keys"):
        HubSettings(hub_api_keys='{"x": {"role": "god", "sha256": "00"}}')
    with pytest.raises(ValidationError, match="hub_webhook_secrets"):
        HubSettings(hub_webhook_secrets='{"tv": "plain-secret"}')


def test_fuzz_findings_are_4xx_not_500(hub):
    """Found by bench/fuzz: a NUL in a path or query value reached PostgreSQL (which refuses
    it: a 500), and a webhook body of deeply nested JSON overflowed the decoder (a 500)."""
    for path, params in [
        ("/v1/bots/%00", {}),
        ("/v1/models/x/%00/lineage", {}),
        ("/v1/signals", {"source": "a\x00b"}),
        ("/v1/signals", {"sym\x00bol": "x"}),
    ]:
        r = hub.get(path, params=params, headers=h("viewer"))
        assert r.status_code == 400 and "NUL" in r.json()["detail"], (path, r.text)
    r = hub.post(
        "/v1/ingest/webhook",
        params={"source": "tv"},
        content="[" * 20_000 + "]" * 20_000,
        headers={"Content-Type": "application/json", "X-Hive-Token": "tok"},
    )
    assert r.status_code == 422 and "nested too deeply" in r.text
    assert hub.box.sent == []
