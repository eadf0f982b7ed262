"""The hardened hub on SQLite with an in-memory outbox: request bodies capped before they are
read, keys and tokens checked before any body is read, placeholder and short keys refused at
start, refusals throttled and audited, webhook tokens only in a header, security headers on
every response, /readyz without error text, the OpenAPI schema behind a key, and `hive keys new`
making a key the hub accepts."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from hive_hub.app import create_app
from hive_hub.auth import digest
from hive_hub.db import make_engine
from hive_hub.guard import SECURITY_HEADERS
from hive_hub.outbox import MemoryOutbox
from hive_hub.ratelimit import Coalescer, FailureThrottle
from hive_hub.settings import HubSettings, weak_key

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
KEYS = {
    "admin": "admin-key-0123456789-abcdefghijklmnop",
    "operator": "operator-key-0123456789-abcdefghijklm",
    "viewer": "viewer-key-0123456789-abcdefghijklmno",
}
CAP = 65_536
HEADERS = {
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
BOT = {
    "bot_id": "b1", "cell": "c1", "account_size": 100000, "rule_set": "ftmo_2step",
    "sources": [{"source": "tv"}], "strategy_card": "follow", "risk_per_trade": 1,
}  # fmt: skip


def h(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def make_hub(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        hub_api_keys={n: {"role": n, "sha256": digest(k)} for n, k in KEYS.items()},
        hub_webhook_secrets={"tv": digest("tv-token")},
        **overrides,
    )
    box = MemoryOutbox("hub-api")
    app = create_app(settings, outbox=box, projections=False)

    @app.get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        client.box = box  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[TestClient]:
    yield from make_hub(tmp_path)


def audits(client: TestClient) -> list[dict[str, Any]]:
    return [o.value for o in client.box.sent if o.topic == "audit.events.v1"]  # type: ignore[attr-defined]


def refusals(client: TestClient) -> list[tuple[str, str, int]]:
    return [(e["action"], e["actor"], json.loads(e["details"])["status"]) for e in audits(client)]


def raw(
    client: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    chunks: list[bytes],
    query: str = "",
) -> tuple[int, dict[str, str], bytes, int]:
    """The app called as uvicorn calls it, the body handed over chunk by chunk: returns the
    status, headers, body and how many chunks the app pulled."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < len(chunks):
            pulled += 1
            return {"type": "http.request", "body": chunks[pulled - 1], "more_body": True}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "client": ("198.51.100.7", 40000), "server": ("127.0.0.1", 8080),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()], "state": {},
    }  # fmt: skip

    async def call() -> None:
        await client.app(scope, receive, send)

    assert client.portal is not None
    client.portal.call(call)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    got = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], got, body, pulled


# ---- the body cap, before any body is read -------------------------------------------------------


def test_a_content_length_over_the_cap_is_refused_before_the_body_on_every_route(hub):
    too_big = {"Content-Length": str(CAP + 1)}
    chunk = [b"x" * (CAP + 1)]
    for method, path, who in [
        ("POST", "/healthz", {}),
        ("GET", "/dashboard/", {}),
        ("POST", "/v1/bots", h("admin")),
        ("POST", "/v1/no-such-route", h("viewer")),
    ]:
        status, _, body, pulled = raw(hub, method, path, {**who, **too_big}, chunk)
        assert (status, json.loads(body), pulled) == (
            413,
            {"detail": f"body larger than {CAP} bytes"},
            0,
        ), path
    assert refusals(hub) == [("REQUEST_TOO_LARGE", "anonymous", 413)] * 4
    assert json.loads(audits(hub)[0]["details"]) == {
        "status": 413, "reason": f"body larger than {CAP} bytes", "method": "POST",
        "path": "/healthz", "client": "198.51.100.7", "bytes": CAP + 1,
    }  # fmt: skip
    at_cap = raw(hub, "POST", "/healthz", {"Content-Length": str(CAP)}, [b"x" * CAP])
    assert at_cap[0] == 405  # a body at the cap gets through (and /healthz takes no POST)
    assert raw(hub, "POST", "/healthz", {"Content-Length": "lots"}, [])[:3] == (
        400, {**HEADERS, "content-length": "43", "content-type": "application/json"},
        b'{"detail":"Content-Length is not a number"}',
    )  # fmt: skip


def test_a_chunked_body_is_counted_and_refused_as_soon_as_it_passes_the_cap(hub):
    chunks = [b"{" + b" " * 16_383] + [b" " * 16_384] * 99  # 1.6 MB of JSON, no length
    status, _, body, pulled = raw(hub, "POST", "/v1/bots", h("admin"), chunks)
    # 4 chunks are 65,536 bytes: at the cap; the fifth passes it and nothing more is read.
    assert (status, json.loads(body), pulled) == (
        413,
        {"detail": f"body larger than {CAP} bytes"},
        5,
    )
    assert refusals(hub) == [("REQUEST_TOO_LARGE", "admin", 413)]
    hook = raw(
        hub,
        "POST",
        "/v1/ingest/webhook",
        {"X-Hive-Token": "tv-token", "Content-Type": "text/plain"},
        [b"a" * 40_000] * 10,
        "source=tv",
    )
    assert (hook[0], hook[3]) == (413, 2)
    assert refusals(hub)[-1] == ("REQUEST_TOO_LARGE", "webhook:tv", 413)
    assert [o for o in hub.box.sent if o.topic != "audit.events.v1"] == []


def test_no_body_is_read_without_a_valid_key_or_token(hub):
    chunks = [b"x" * 16_384] * 100
    for path, headers in [
        ("/v1/bots", {}),
        ("/v1/bots", {"Authorization": "Bearer not-a-key"}),
        ("/v1/ingest/webhook", {"X-Hive-Token": "tv-token"}),  # no source
        ("/v1/ingest/webhook?source=tv", {"X-Hive-Token": "wrong"}),
        ("/v1/ingest/webhook?source=a%00b", {"X-Hive-Token": "tv-token"}),
    ]:
        scope_path, _, query = path.partition("?")
        status, _, _, pulled = raw(hub, "POST", scope_path, headers, chunks, query)
        assert (status, pulled) == (401, 0), path
    assert [a for a, _, _ in refusals(hub)] == ["AUTH_FAILED"] * 5
    # A NUL from the caller is written escaped: PostgreSQL refuses it in the read model.
    assert [actor for _, actor, _ in refusals(hub)] == [
        "anonymous", "anonymous", "webhook:", "webhook:tv", "webhook:a\\x00b",
    ]  # fmt: skip


# ---- placeholder and short keys stop the hub at start --------------------------------------------


def test_placeholder_short_and_monotonous_admin_keys_are_refused() -> None:
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )["HIVE_HUB_ADMIN_KEY"]
    assert example == "CHANGE-ME-hub-admin-key"
    placeholder = (
        "is a placeholder (CHANGE-ME or the like), not a key; make one with `hive keys new`"
    )
    for key, why in [
        (example, placeholder),
        ("change-me-0123456789-abcdefghijklmnopqrstuvwxyz", placeholder),
        ("<a long random key from the operators' vault>", placeholder),
        ("PLACEHOLDER-0123456789-abcdefghijklmnopqrstuv", placeholder),
        ("a-long-random-secret", "is 20 characters long, at least 32 needed; make one with `hive keys new`"),
        ("k" * 40, "has fewer than 10 distinct characters; make one with `hive keys new`"),
    ]:  # fmt: skip
        assert weak_key(key) == why, key
        with pytest.raises(
            ValidationError, match="the admin key " + why.replace("(", r"\(").replace(")", r"\)")
        ):
            HubSettings(hub_admin_key=key)
    assert weak_key("0123456789abcdefghijklmnopqrstuv") is None  # 32 characters
    # A known example value's digest is refused where only digests are configured.
    for field, value in [
        ("hub_api_keys", {"x": {"role": "admin", "sha256": digest(example)}}),
        ("hub_webhook_secrets", {"tv": digest("")}),
    ]:
        with pytest.raises(ValidationError, match="the SHA-256 of an example value"):
            HubSettings(**{field: value})


def test_the_hub_stops_at_start_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIVE_")}
    for key, why in [
        ("CHANGE-ME-hub-admin-key", "is a placeholder (CHANGE-ME or the like), not a key"),
        ("short-key", "is 9 characters long, at least 32 needed"),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "hive_hub"],
            env={**env, "HIVE_HUB_ADMIN_KEY": key, "HIVE_STATE_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 2
        assert done.stderr.splitlines() == [
            "invalid configuration for HubSettings:",
            f"  HIVE_HUB_ADMIN_KEY: Value error, the admin key {why}; make one with "
            "`hive keys new` (value not shown: a secret)",
        ]
        assert key not in done.stderr and done.stdout == ""


def test_hive_keys_new_makes_a_key_the_hub_accepts(tmp_path: Path) -> None:
    from hive_tools.cli.main import app as hive

    done = CliRunner().invoke(hive, ["keys", "new", "--name", "olga", "--role", "operator"])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert [re.split("[ =]", line, maxsplit=1)[0] for line in lines] == [
        "key", "sha256", "HIVE_HUB_API_KEYS",
    ]  # fmt: skip
    key = lines[0].removeprefix("key     ")
    sha = lines[1].removeprefix("sha256  ")
    assert len(key) == 43 and weak_key(key) is None
    assert sha == hashlib.sha256(key.encode()).hexdigest() == digest(key)
    entry = json.loads(lines[2].removeprefix("HIVE_HUB_API_KEYS=").strip("'"))
    assert entry == {"olga": {"role": "operator", "sha256": sha}}
    settings = HubSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", hub_api_keys=entry
    )
    with TestClient(create_app(settings, outbox=MemoryOutbox(), projections=False)) as c:
        assert c.get("/v1/me", headers={"X-API-Key": key}).json() == {
            "name": "olga",
            "role": "operator",
        }
    other = CliRunner().invoke(hive, ["keys", "new"]).output.splitlines()
    sha_other = other[1].removeprefix("sha256  ")
    assert other[0] != lines[0]
    assert (
        other[2]
        == f'HIVE_HUB_API_KEYS=\'{{"admin": {{"role": "admin", "sha256": "{sha_other}"}}}}\''
    )

    assert HubSettings(hub_admin_key=other[0][8:]).hub_admin_key is not None


def test_the_replay_tooling_generates_a_key_the_hub_accepts() -> None:
    from hive_tools.supervise import admin_key, hive_specs

    key, generated = admin_key({})
    assert generated and weak_key(key) is None and len(key) == 43
    # `make run` gives the hub its metrics port: two hives on one machine never share 9464.
    specs = {s.name: s for s in hive_specs(admin_key=key, hub_port=18080, python="py")}
    hub_env = specs["hub-api"].env
    assert hub_env["HIVE_HUB_ADMIN_KEY"] == key
    assert int(hub_env["HIVE_HUB_METRICS_PORT"]) not in (0, 9464, 18080)
    assert int(hub_env["HIVE_HUB_METRICS_PORT"]) != specs["hub-api"].http_port


# ---- failed authentications throttled and audited ------------------------------------------------


def test_refusals_from_one_address_are_throttled_with_retry_after_and_audited(tmp_path):
    for client in make_hub(tmp_path, hub_auth_failures=3, hub_auth_window_s=60):
        assert client.get("/v1/bots", headers={"X-API-Key": "guess-1"}).status_code == 401
        assert client.get("/v1/bots", headers={"X-API-Key": "guess-2"}).status_code == 401
        # A 403 counts too: the third refusal of this address within the window.
        assert client.post("/v1/bots", headers=h("viewer"), json=BOT).status_code == 403
        for _ in range(3):
            r = client.get("/v1/bots", headers=h("admin"))  # even a valid key
            assert (r.status_code, r.headers["retry-after"], r.json()) == (
                429,
                "60",
                {"detail": "too many refused requests from this address; try again later"},
            )
        # What needs no key is not throttled: the probes and the dashboard's files.
        assert [client.get(p).status_code for p in ("/healthz", "/readyz", "/dashboard/")] == [
            200,
            200,
            200,
        ]
        r = client.post("/v1/ingest/webhook", params={"source": "tv"},
                        headers={"X-Hive-Token": "tv-token"}, content="EURUSD buy")  # fmt: skip
        assert r.status_code == 429
        # Each 401 and 403 is an event; the first 429 of the window too, its repeats counted.
        assert refusals(client) == [
            ("AUTH_FAILED", "anonymous", 401),
            ("AUTH_FAILED", "anonymous", 401),
            ("ACCESS_DENIED", "viewer", 403),
            ("AUTH_THROTTLED", "anonymous", 429),
        ]
        assert json.loads(audits(client)[0]["details"]) == {
            "status": 401, "reason": "authentication required", "method": "GET",
            "path": "/v1/bots", "client": "testclient",
        }  # fmt: skip
        assert audits(client)[2]["role"] == "VIEWER" and audits(client)[0]["role"] == "UNKNOWN"
    # At shutdown the counted repeats are written as one event: the three 429s after the first.
    assert [(e["action"], e["actor"]) for e in audits(client)[4:]] == [
        ("AUTH_THROTTLED", "anonymous")
    ]
    assert json.loads(audits(client)[4]["details"]) == {
        "status": 429, "client": "testclient", "repeats": 3, "window_s": 60.0,
    }  # fmt: skip


def test_the_repeats_are_audited_when_their_window_ends_while_the_hub_runs(tmp_path):
    import time

    for client in make_hub(tmp_path, hub_auth_failures=1, hub_auth_window_s=1.0):
        assert client.get("/v1/bots").status_code == 401
        answers = [client.get("/v1/bots", headers=h("viewer")) for _ in range(3)]
        assert [(r.status_code, r.headers["retry-after"]) for r in answers] == [(429, "1")] * 3
        time.sleep(2.5)  # the housekeeping runs once a window
        assert [(e["action"], json.loads(e["details"]).get("repeats")) for e in audits(client)] == [
            ("AUTH_FAILED", None),
            ("AUTH_THROTTLED", None),
            ("AUTH_THROTTLED", 2),
        ]
        # The window is over: the address may try again.
        assert client.get("/v1/bots", headers=h("viewer")).status_code == 200


def test_throttle_and_coalescer_windows() -> None:
    now = [0.0]
    t = FailureThrottle(failures=3, window_s=60, clock=lambda: now[0])
    for at in (0.0, 10.0, 20.0):
        now[0] = at
        assert t.retry_after("a") == 0.0
        t.fail("a")
    assert t.retry_after("a") == 40.0 and t.retry_after("b") == 0.0
    now[0] = 59.5
    assert t.retry_after("a") == 0.5
    now[0] = 60.0  # the first failure has left the window
    assert t.retry_after("a") == 0.0
    now[0] = 80.0
    t.prune()
    assert t.retry_after("a") == 0.0 and t._by_client == {}
    c = Coalescer(window_s=10, clock=lambda: now[0])
    now[0] = 0.0
    assert [c.admit(("x",)) for _ in range(4)] == [True, False, False, False]
    assert c.due() == []
    now[0] = 10.0
    assert c.admit(("x",)) is True  # a new window; the last one's three repeats are due
    assert c.due() == [(("x",), 3)]
    assert c.admit(("x",)) is False
    assert c.due(every=True) == [(("x",), 1)] and c.due(every=True) == []


def test_webhook_rate_limit_429s_are_audited_once_per_window(tmp_path):
    for client in make_hub(tmp_path, hub_webhook_burst=1, hub_webhook_rate=0.01):
        tok = {"X-Hive-Token": "tv-token", "Content-Type": "text/plain"}
        url = "/v1/ingest/webhook?source=tv"
        assert client.post(url, headers=tok, content="EURUSD buy").status_code == 202
        assert [client.post(url, headers=tok, content="x").status_code for _ in range(3)] == [
            429
        ] * 3
        got = [(e["action"], e["actor"], e["role"]) for e in audits(client)]
        assert got == [
            ("SIGNAL_INGESTED", "webhook:tv", "SYSTEM"),
            ("RATE_LIMITED", "webhook:tv", "SYSTEM"),
        ]
    assert json.loads(audits(client)[-1]["details"]) == {
        "status": 429,
        "client": "testclient",
        "repeats": 2,
        "window_s": 60.0,
    }
    assert audits(client)[-1]["action"] == "RATE_LIMITED"


# ---- webhook tokens only in a header -------------------------------------------------------------


def test_a_webhook_token_in_the_query_string_is_refused(hub):
    r = hub.post("/v1/ingest/webhook", params={"source": "tv", "token": "tv-token"}, json={"a": 1})
    assert (r.status_code, r.json()) == (
        400,
        {
            "detail": "send the webhook token in the X-Hive-Token header: a token in the URL is "
            "refused (URLs end up in logs)"
        },
    )
    r = hub.post("/v1/ingest/webhook", params={"source": "tv"}, headers={"X-Hive-Token": "tv-token"},
                 json={"symbol": "EURUSD", "action": "buy", "alert_id": 9})  # fmt: skip
    assert (r.status_code, r.json()["event_id"]) == (202, "tv:9:r0")
    spec = hub.get("/v1/openapi.json", headers=h("viewer")).json()
    params = spec["paths"]["/v1/ingest/webhook"]["post"]["parameters"]
    assert [(p["name"], p["in"]) for p in params] == [
        ("source", "query"), ("x-hive-token", "header"), ("idempotency-key", "header"),
    ]  # fmt: skip


# ---- every refusal audited: an operator's UNLOCK ------------------------------------------------


def test_a_refused_operator_unlock_is_audited(hub):
    r = hub.post("/v1/bots/b1/unlock", headers=h("operator"), json={"reason": "let me"})
    assert (r.status_code, r.json()) == (
        403,
        {"detail": "UNLOCK needs an admin, 'operator' is operator"},
    )
    r = hub.post("/v1/control/commands", headers=h("operator"),
                 json={"command": "UNLOCK", "scope_level": "BOT", "scope_id": "b2", "reason": "again"})  # fmt: skip
    assert r.status_code == 403
    events = audits(hub)
    assert [(e["action"], e["actor"], e["role"], e["scope_level"], e["scope_id"]) for e in events] == [
        ("ACCESS_DENIED", "operator", "OPERATOR", "BOT", "b1"),
        ("ACCESS_DENIED", "operator", "OPERATOR", "BOT", "b2"),
    ]  # fmt: skip
    assert json.loads(events[0]["details"]) == {
        "status": 403, "reason": "UNLOCK needs an admin, 'operator' is operator", "method": "POST",
        "path": "/v1/bots/b1/unlock", "client": "testclient", "command": "UNLOCK",
        "needs": "admin", "reason_given": "let me",
    }  # fmt: skip
    assert [o.topic for o in hub.box.sent] == ["audit.events.v1"] * 2  # no command published


# ---- security headers, probes, the schema, the metrics ----------------------------------------


def test_every_response_carries_the_security_headers(hub):
    answers = [
        hub.get("/healthz"),
        hub.get("/readyz"),
        hub.get("/dashboard/"),
        hub.get("/dashboard/app.js"),
        hub.get("/", follow_redirects=False),
        hub.get("/v1/bots"),
        hub.get("/v1/bots", headers=h("viewer")),
        hub.get("/nope"),
        hub.post("/healthz", content=b"x" * (CAP + 1)),
        hub.get("/boom"),  # an unhandled error: the 500 too
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 307, 401, 200, 404, 413, 500]
    for r in answers:
        assert {k: r.headers.get(k) for k in HEADERS} == HEADERS, r.request.url
    assert dict((k.decode(), v.decode()) for k, v in SECURITY_HEADERS) == HEADERS


def test_the_dashboard_runs_under_the_content_security_policy() -> None:
    """default-src 'self' refuses inline scripts and styles, event-handler attributes and
    other origins: the dashboard has none of them."""
    folder = ROOT / "services/hub-api/src/hive_hub/dashboard"
    html = (folder / "index.html").read_text()
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/dashboard/app.js">']
    assert re.findall(r"<link[^>]*>", html) == [
        '<link rel="stylesheet" href="/dashboard/style.css">'
    ]
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:|https?://", html)
    js = (folder / "app.js").read_text()
    assert not re.search(
        r"\beval\(|new Function|innerHTML|\.style\b|setAttribute\(\"style|https?://(?!www\.w3\.org/2000/svg)",
        js,
    )


def test_readyz_says_only_whether_the_hub_is_ready(hub):
    r = hub.get("/readyz")
    assert (r.status_code, r.json()) == (200, {"ready": True})
    hive = hub.app.state.hub
    good = hive.engine
    # A database nobody listens for (port 1 of this machine): connection refused.
    hive.engine = make_engine("postgresql://hive:secret-password@127.0.0.1:1/hive")
    try:
        r = hub.get("/readyz")
        assert (r.status_code, r.text) == (503, '{"ready":false}')
        health = hub.get("/v1/health", headers=h("viewer")).json()  # a viewer learns why
        assert health["database"]["ok"] is False and "Connect" in health["database"]["detail"]
    finally:
        hub.portal.call(hive.engine.dispose)
        hive.engine = good


def test_the_schema_needs_a_key_no_docs_page_and_no_metrics_on_the_api_port(hub):
    assert hub.get("/v1/openapi.json").status_code == 401
    spec = hub.get("/v1/openapi.json", headers=h("viewer"))
    assert spec.status_code == 200 and "/v1/bots" in spec.json()["paths"]
    assert hub.get("/v1/docs").status_code == 401
    assert hub.get("/v1/docs", headers=h("viewer")).status_code == 404
    assert hub.get("/metrics").status_code == 404
    metrics = hub.app.state.metrics
    text = _exposition(metrics.registry)
    assert 'hive_hub_http_refusals_total{action="AUTH_FAILED",status="401"} 2.0' in text


def _exposition(registry: Any) -> str:
    from prometheus_client import generate_latest

    return generate_latest(registry).decode()


def test_settings_defaults_are_documented() -> None:
    s = HubSettings()
    assert (s.hub_metrics_port, s.hub_max_body_bytes) == (9464, 65_536)
    assert (s.hub_auth_failures, s.hub_auth_window_s, s.trusted_proxies) == (10, 60.0, [])
    import hive_hub.settings as module

    doc = module.__doc__ or ""
    for var in ("HIVE_HUB_METRICS_PORT", "HIVE_HUB_MAX_BODY_BYTES", "HIVE_HUB_AUTH_FAILURES",
                "HIVE_HUB_AUTH_WINDOW_S", "HIVE_HUB_TRUSTED_PROXIES"):  # fmt: skip
        assert var in doc, var
