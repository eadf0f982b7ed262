"""Fuzzing the hub's HTTP API beyond its OpenAPI schema: random and malformed requests against
the real app (bench/fuzz/serve_hub.py, uvicorn, the real PostgreSQL in a fresh schema).

Requests, deterministic by seed: the OpenAPI operations with random path parameters, random
paths under /v1 (unicode, percent escapes, dot segments, very long), random methods, random
query strings (known parameters with wrong types, huge and negative numbers, repeats), bodies
that are valid-ish and mutated, random JSON, malformed JSON, huge bodies, wrong content types,
no/garbage/malformed API keys and the viewer, operator and admin keys, and webhook ingest with
random bodies and tokens.

Invariants checked on every answer: no 5xx and no dropped connection (the process stays up);
a request without a valid key gets no 2xx on /v1 (the webhook, which has its own tokens, and the
OpenAPI document aside); a viewer's mutating request never succeeds, nor an operator's bot
write or UNLOCK. At the end, what the outbox accepted is checked against the same rules.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
METHODS = ["GET"] * 8 + ["POST"] * 6 + ["PUT"] * 2 + ["DELETE"] * 2 + [
    "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO"]  # fmt: skip
ROLES = ["none", "garbage", "malformed", "viewer", "operator", "admin"]
COMMANDS = ["HALT", "RESUME", "FLATTEN", "PAUSE", "LOCK", "UNLOCK", "KILL_SWITCH",
            "RESET_BREAKER", "halt", "", "DROP TABLE", "🔥"]  # fmt: skip
QUERY_KEYS = ["limit", "cursor", "since", "until", "symbol", "source", "bot_id", "cell_id",
              "chain", "points", "status", "q", "sort", "offset", "allowed", "reason", "token",
              "source", "model", "version", "kind", "level", ""]  # fmt: skip
WEIRD = ["", " ", "0", "-1", "1e9", "99999999999999999999999", "NaN", "inf", "null", "true",
         "[]", "{}", "' OR 1=1 --", "../../etc/passwd", "%00", "\x00", "🔥", "é", "a" * 500,
         "2017-06-14T08:00:00Z", "1497427200000", "eyJ4IjoxfQ", "_", "-", "a:b"]  # fmt: skip


@dataclass
class Keys:
    admin: str
    operator: str
    viewer: str
    webhook_source: str
    webhook_token: str


def make_keys() -> Keys:
    return Keys(
        admin="fuzz-admin-" + uuid.uuid4().hex,
        operator="fuzz-operator-" + uuid.uuid4().hex,
        viewer="fuzz-viewer-" + uuid.uuid4().hex,
        webhook_source=f"fuzz-tv-{uuid.uuid4().hex[:8]}",
        webhook_token="tv-" + uuid.uuid4().hex,
    )


@dataclass
class Request:
    method: str
    path: str
    role: str
    headers: dict[str, str] = field(default_factory=dict)
    params: list[tuple[str, str]] = field(default_factory=list)
    content: bytes | None = None
    kind: str = ""


class HubFuzzer:
    def __init__(self, seed: int, keys: Keys, operations: list[tuple[str, str]]) -> None:
        self.rng = random.Random(seed)
        self.keys = keys
        self.operations = operations  # (METHOD, /v1/path/{param}) from the OpenAPI document
        self.bots = [f"fuzz-bot-{i}" for i in range(3)]

    # -- pieces -------------------------------------------------------------------------------

    def _weird(self) -> str:
        r = self.rng
        k = r.random()
        if k < 0.5:
            return r.choice(WEIRD)
        if k < 0.7:
            return str(r.choice([r.randint(-(10**6), 10**6), 2**63, -(2**63), 10**30]))
        return "".join(chr(r.randint(1, 0x2FFF)) for _ in range(r.randint(1, 30)))

    def _segment(self) -> str:
        r = self.rng
        k = r.random()
        if k < 0.3:
            return r.choice([*self.bots, "global", "cell-1", "eurusd", "hub-api", "governor"])
        if k < 0.5:
            return quote(self._weird(), safe="")
        if k < 0.6:
            return r.choice(["..", ".", "%2e%2e", "%2F", "%00", "~", "*", "'", "a" * 2000])
        return r.choice(["BOT", "CELL", "GLOBAL", "pause", "halt", "verify", "equity", "x"])

    def _path(self) -> str:
        r = self.rng
        if self.operations and r.random() < 0.75:
            _, template = r.choice(self.operations)
            parts = []
            for part in template.strip("/").split("/"):
                parts.append(self._segment() if part.startswith("{") else part)
            path = "/" + "/".join(parts)
            if r.random() < 0.1:
                path += r.choice(["/", "/x", "//", "?", "/%20"])
            return path
        depth = r.randint(0, 4)
        return "/v1/" + "/".join(self._segment() for _ in range(depth))

    def _auth(self, role: str) -> dict[str, str]:
        r = self.rng
        k = self.keys
        if role == "admin":
            return r.choice([{"Authorization": f"Bearer {k.admin}"}, {"X-API-Key": k.admin}])
        if role == "operator":
            return r.choice([{"Authorization": f"Bearer {k.operator}"}, {"X-API-Key": k.operator}])
        if role == "viewer":
            return r.choice([{"Authorization": f"bearer {k.viewer}"}, {"X-API-Key": k.viewer}])
        if role == "garbage":
            return r.choice(
                [
                    {"Authorization": f"Bearer {uuid.uuid4().hex}"},
                    {"X-API-Key": self._weird().encode("utf-8", "replace").decode("latin-1")},
                    {"X-API-Key": k.admin[:-1]},
                    {"Authorization": f"Bearer {k.admin} "},
                    {"X-API-Key": k.viewer.upper()},
                    {"X-Hive-Token": k.webhook_token},  # a webhook token is not an API key
                ]
            )
        if role == "malformed":
            return r.choice(
                [
                    {"Authorization": "Bearer"},
                    {"Authorization": "Bearer "},
                    {"Authorization": f"Basic {k.admin}"},
                    {"Authorization": k.admin},
                    {"Authorization": "Bearer " + "a" * 8000},
                    {"X-API-Key": ""},
                    {"Authorization": f"Token {k.operator}"},
                ]
            )
        return {}

    def _json_value(self, depth: int = 0) -> Any:
        r = self.rng
        k = r.randint(0, 7 if depth < 3 else 4)
        if k == 0:
            return None
        if k == 1:
            return r.choice([True, False, 0, -1, 1e308, 2**64, -(2**63), 0.5, 1e-320])
        if k == 2:
            return self._weird()
        if k == 3:
            return r.choice(["paper", "live", "BOT", "GLOBAL", "HALT", "EURUSD", "ftmo_2step"])
        if k == 4:
            return r.uniform(-1e9, 1e9)
        if k == 5:
            return [self._json_value(depth + 1) for _ in range(r.randint(0, 4))]
        return {self._weird(): self._json_value(depth + 1) for _ in range(r.randint(0, 4))}

    def _bot_body(self) -> dict[str, Any]:
        r = self.rng
        body: dict[str, Any] = {
            "bot_id": r.choice(self.bots),
            "cell": r.choice(["cell-1", "cell-2"]),
            "display_name": "fuzz bot",
            "account_size": 100_000,
            "rule_set": r.choice(["ftmo_2step", "ftmo_1step", "nope"]),
            "sources": [{"source": "fuzz-src", "weight": 1.0}],
            "strategy_card": r.choice(["follow", "fade", "🔥"]),
            "risk_per_trade": 1.0,
            "allowed_symbols": ["EURUSD"],
        }
        for _ in range(r.randint(0, 4)):  # mutate a few fields
            key = r.choice([*list(body), "mode", "venue", "status", "rule_overrides",
                            "strategy_parameters", "day_boundary_tz", "account_currency",
                            "expected_version", "extra", "status_reason"])  # fmt: skip
            body[key] = self._json_value(1) if r.random() < 0.6 else self._typed(key)
        if r.random() < 0.1:
            body.pop(r.choice(list(body)), None)
        return body

    def _typed(self, key: str) -> Any:
        r = self.rng
        return {
            "strategy_parameters": {"a": r.choice([1, "x", [1, 2], {"b": None}, 1e308, None])},
            "rule_overrides": {"daily_loss_pct": r.choice(["5", "-1", "abc", ""])},
            "day_boundary_tz": r.choice(["UTC", "Mars/Olympus", "", "Europe/Prague", "+01:00"]),
            "account_size": r.choice([0, -1, 1e12, 1e13, 0.01]),
            "risk_per_trade": r.choice([0, 5, 5.0001, -1, 1e-9]),
            "sources": r.choice([[], [{"source": "", "weight": 0}], [{"source": "s"}] * 101]),
            "allowed_symbols": r.choice([["Gold"], ["EURUSD"] * 501, [""], ["XAUUSD", 1]]),
            "mode": r.choice(["paper", "live", "LIVE"]),
            "expected_version": r.choice([0, 1, 2**40, -5]),
        }.get(key, self._weird())

    def _command_body(self) -> dict[str, Any]:
        r = self.rng
        body: dict[str, Any] = {
            "command": r.choice(COMMANDS),
            "scope_level": r.choice(["BOT", "CELL", "GLOBAL", "bot", "PLANET"]),
            "scope_id": r.choice([*self.bots, "global", "cell-1", "", "x" * 200]),
            "reason": r.choice(["fuzz", "", " ", "x" * 2001, "🔥", "\x00"]),
        }
        if r.random() < 0.3:
            body["command_id"] = r.choice([str(uuid.UUID(int=r.getrandbits(128))), "nope", 1])
        if r.random() < 0.2:
            body[self._weird()] = self._json_value(1)
        return body

    def _body(self, path: str) -> tuple[bytes | None, str | None, str]:
        r = self.rng
        k = r.random()
        if k < 0.1:
            return None, None, "no_body"
        if k < 0.35:
            if "/bots" in path:
                obj: Any = self._bot_body()
            elif "/control" in path:
                obj = (
                    self._command_body() if r.random() < 0.5 else {"reason": r.choice(["fuzz", ""])}
                )
            else:
                obj = self._json_value()
            return json.dumps(obj).encode(), "application/json", "json_mutated"
        if k < 0.5:
            return json.dumps(self._json_value()).encode(), "application/json", "json_random"
        if k < 0.65:
            good = json.dumps(self._bot_body() if "/bots" in path else self._command_body())
            cut = good[: r.randint(0, len(good))] + r.choice(["", "}", "{{", ",", "\x00", "\ud800"])
            return cut.encode("utf-8", "surrogatepass"), "application/json", "json_malformed"
        if k < 0.72:
            size = r.choice([70_000, 70_000, 300_000, 2_000_000])
            blob = json.dumps({"reason": "x" * size, "command": "HALT", "scope_level": "GLOBAL"})
            return blob.encode(), "application/json", "huge"
        if k < 0.78:
            depth = r.choice([100, 1000, 20_000])
            return ("[" * depth + "]" * depth).encode(), "application/json", "deep_json"
        if k < 0.9:
            ctype = r.choice(["text/plain", "application/xml", "multipart/form-data",
                              "application/x-www-form-urlencoded", "image/png", "",
                              "application/json; charset=utf-16", "application/json;;;",
                              "text/plain; charset=latin-1", "*/*"])  # fmt: skip
            data = r.choice([b"reason=fuzz&command=HALT", json.dumps(self._command_body()).encode(),
                             bytes(r.getrandbits(8) for _ in range(64)), "héllo".encode("latin-1")])  # fmt: skip
            return data, ctype or None, "wrong_content_type"
        return (
            bytes(r.getrandbits(8) for _ in range(r.randint(1, 500))),
            "application/json",
            "binary",
        )

    def _params(self) -> list[tuple[str, str]]:
        r = self.rng
        return [(r.choice(QUERY_KEYS), self._weird()) for _ in range(r.randint(0, 5))]

    # -- requests -----------------------------------------------------------------------------

    def webhook(self) -> Request:
        r = self.rng
        k = self.keys
        source = k.webhook_source if r.random() < 0.8 else r.choice(["unknown", "", "UPPER", "🔥"])
        token = k.webhook_token if r.random() < 0.75 else r.choice(["", "bad", k.admin])
        headers: dict[str, str] = {}
        params = [("source", source)]
        if r.random() < 0.5:
            headers["X-Hive-Token"] = token
        else:
            params.append(("token", token))
        if r.random() < 0.2:
            headers["Idempotency-Key"] = r.choice(["abc", "", "a b", "x" * 300, uuid.uuid4().hex])
        kind = r.random()
        if kind < 0.35:
            body = {"ticker": r.choice(["EURUSD", "XAUUSD", 1, None]), "action": r.choice(["buy", "sell", 7]),
                    "price": r.choice([1.085, "1.085", None]), "sl": 1.08, "tp": 1.09,
                    "id": r.choice([1, "a1", None, True, 2**70, ""])}  # fmt: skip
            content, ctype, what = json.dumps(body).encode(), "application/json", "webhook_json"
        elif kind < 0.55:
            content = r.choice(["EURUSD BUY 1.0850 SL 1.0800 TP 1.0900", "close half", "🔥" * 20,
                                " ", "", "\x00\x01", "a" * 70_000]).encode()  # fmt: skip
            ctype, what = "text/plain", "webhook_text"
        else:
            content, ctype, what = self._body("/v1/ingest/webhook")
            what = f"webhook_{what}"
        if ctype:
            headers["Content-Type"] = ctype
        return Request("POST", "/v1/ingest/webhook", "webhook", headers, params, content, what)

    def request(self) -> Request:
        r = self.rng
        if r.random() < 0.15:
            return self.webhook()
        role = r.choice(ROLES)
        path = self._path()
        if self.operations and r.random() < 0.5:
            method = next((m for m, t in self.operations if _matches(t, path)), r.choice(METHODS))
        else:
            method = r.choice(METHODS)
        headers = self._auth(role)
        content = ctype = None
        kind = "no_body"
        if method in MUTATING or r.random() < 0.05:
            content, ctype, kind = self._body(path)
        if ctype:
            headers["Content-Type"] = ctype
        if r.random() < 0.05:
            headers[r.choice(["Accept", "X-Forwarded-For", "Origin", "Cookie"])] = (
                self._weird().encode("utf-8", "replace").decode("latin-1")
            )
        return Request(method, path, role, headers, self._params(), content, kind)


def _matches(template: str, path: str) -> bool:
    t, p = template.strip("/").split("/"), path.strip("/").split("/")
    return len(t) == len(p) and all(a.startswith("{") or a == b for a, b in zip(t, p, strict=True))


# -- the invariants -------------------------------------------------------------------------------


def violation(req: Request, status: int) -> str | None:
    """What is wrong with this answer to this request, if anything."""
    if status >= 500:
        return "5xx"
    ok = 200 <= status < 300
    path = req.path.split("?")[0]
    if not ok or not path.startswith("/v1") or req.role == "webhook":
        return None
    if req.role in ("none", "garbage", "malformed"):
        return "2xx without a valid key"
    if req.method in MUTATING and req.role == "viewer":
        return "viewer mutated"
    if req.role == "operator" and req.method in MUTATING and path.startswith("/v1/bots"):
        return "operator wrote a bot"
    if req.role == "operator" and req.method in MUTATING and "unlock" in req.path.lower():
        return "operator unlocked"
    if req.role == "operator" and req.method in MUTATING and b'"UNLOCK"' in (req.content or b""):
        return "operator unlocked"
    return None


# The audit actions of refused requests (hive_hub.deps.REFUSAL_ACTIONS and the throttle's).
REFUSALS = {"ACCESS_DENIED", "AUTH_FAILED", "REQUEST_TOO_LARGE", "RATE_LIMITED", "AUTH_THROTTLED"}


def outbox_violations(accepted: dict[str, int]) -> list[str]:
    """Accepted records whose role may not have produced them."""
    bad = []
    for k, n in accepted.items():
        _topic, role, what = k.split("|", 2)
        if what in REFUSALS:  # refusals are audited too
            continue
        if role == "VIEWER" or (role == "OPERATOR" and (what == "UNLOCK" or "BOT_" in what)):
            bad.append(f"{k}: {n}")
    return bad


# -- running ----------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_hub(
    env: dict[str, str], keys: Keys, schema: str, port: int, log: Path
) -> subprocess.Popen[bytes]:
    from hive_hub.auth import digest

    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, str(HERE / "serve_hub.py"), str(port)],
        env={
            **os.environ,
            **env,
            "HIVE_DATABASE_SCHEMA": schema,
            "HIVE_HUB_ADMIN_KEY": keys.admin,
            "HIVE_HUB_API_KEYS": json.dumps(
                {
                    "olga": {"role": "operator", "sha256": digest(keys.operator)},
                    "victor": {"role": "viewer", "sha256": digest(keys.viewer)},
                }
            ),
            "HIVE_HUB_WEBHOOK_SECRETS": json.dumps(
                {keys.webhook_source: digest(keys.webhook_token)}
            ),
            "HIVE_HUB_WEBHOOK_RATE": "1000000",
            "HIVE_HUB_WEBHOOK_BURST": "1000000",
            # One address sends thousands of bad keys on purpose: the failed-authentication
            # throttle (429 for every request of that address) would hide every other answer.
            "HIVE_HUB_AUTH_FAILURES": "1000000000",
            "HIVE_HUB_PROJECTIONS": "false",
            "HIVE_LOG_LEVEL": "WARNING",
        },
        stdout=out,
        stderr=out,
    )


async def _drive(base: str, fuzzer: HubFuzzer, count: int, concurrency: int) -> dict[str, Any]:
    import httpx

    statuses: Counter[int] = Counter()
    by_kind: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    transport_errors: Counter[str] = Counter()
    retried: Counter[str] = Counter()
    latencies: list[float] = []
    queue: asyncio.Queue[Request | None] = asyncio.Queue(maxsize=concurrency * 4)

    async def producer() -> None:
        for _ in range(count):
            await queue.put(fuzzer.request())
        for _ in range(concurrency):
            await queue.put(None)

    async def worker(client: httpx.AsyncClient) -> None:
        while (req := await queue.get()) is not None:
            t = time.perf_counter()
            call = {"params": req.params, "headers": req.headers, "content": req.content}
            try:
                try:
                    resp = await client.request(req.method, req.path, **call)  # type: ignore[arg-type]
                except httpx.ReadError:
                    # A pooled keep-alive connection the server had just closed (it does after
                    # an answer that left a body unread): once more on a fresh connection.
                    retried["ReadError"] += 1
                    resp = await client.request(req.method, req.path, **call)  # type: ignore[arg-type]
                status = resp.status_code
            except (httpx.TransportError, httpx.InvalidURL, httpx.LocalProtocolError,
                    UnicodeEncodeError) as exc:  # fmt: skip
                name = type(exc).__name__
                if isinstance(exc, httpx.TransportError) and not isinstance(
                    exc, httpx.LocalProtocolError
                ):
                    transport_errors[name] += 1  # the server dropped us: counted as a failure
                    if len(examples) < 20:
                        examples.append({"violation": f"transport {name}: {exc}", "method": req.method,
                                         "path": req.path[:200], "kind": req.kind})  # fmt: skip
                else:
                    by_kind["client_refused_to_send"] += 1
                continue
            latencies.append(time.perf_counter() - t)
            statuses[status] += 1
            by_kind[req.kind] += 1
            v = violation(req, status)
            if v:
                violations[v] += 1
                if len(examples) < 20:
                    examples.append({"violation": v, "status": status, "method": req.method,
                                     "path": req.path[:200], "role": req.role, "kind": req.kind,
                                     "params": req.params[:5],
                                     "body": (req.content or b"")[:300].decode("utf-8", "replace"),
                                     "answer": resp.text[:300]})  # fmt: skip

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await asyncio.gather(producer(), *(worker(client) for _ in range(concurrency)))
    duration = time.perf_counter() - started
    latencies.sort()
    sent = sum(statuses.values())
    return {
        "requests": count,
        "answered": sent,
        "duration_s": round(duration, 2),
        "requests_per_s": round(sent / max(duration, 1e-9), 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "transport_errors": dict(transport_errors),
        "transport_retried_once": dict(retried),
        "violations": dict(violations),
        "violation_examples": examples,
        "request_kinds": dict(sorted(by_kind.items())),
    }


def run(
    env: dict[str, str], count: int, seed: int, log_dir: Path, concurrency: int = 16
) -> dict[str, Any]:
    """Start the hub (fresh PostgreSQL schema), send `count` fuzzed requests, check it all."""
    import asyncpg
    import httpx

    url = env["HIVE_DATABASE_URL"]
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    schema = f"hub_fuzz_{uuid.uuid4().hex[:10]}"

    async def sql(statement: str) -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(sql(f'CREATE SCHEMA "{schema}"'))
    keys = make_keys()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = log_dir / f"hub-{schema}.log"
    proc = start_hub(env, keys, schema, port, log)
    result: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"the hub exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"the hub is not ready: {log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        spec = httpx.get(  # the schema needs a key
            f"{base}/v1/openapi.json", headers={"X-API-Key": keys.viewer}, timeout=10
        ).json()
        operations = [
            (m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m != "parameters"
        ]
        fuzzer = HubFuzzer(seed, keys, operations)
        result.update(asyncio.run(_drive(base, fuzzer, count, concurrency)))
        alive = proc.poll() is None
        result["hub_alive_at_end"] = alive
        if alive:
            h = httpx.get(f"{base}/healthz", timeout=10)
            result["hub_healthz"] = h.status_code
            accepted = httpx.get(f"{base}/__fuzz/outbox", timeout=10).json()
            result["outbox_accepted"] = dict(sorted(accepted.items()))
            result["outbox_violations"] = outbox_violations(accepted)
        result["operations"] = len(operations)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        result_exit = proc.returncode
        asyncio.run(sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    result.update(seed=seed, concurrency=concurrency, hub_exit_code=result_exit,
                  crashes=0 if result.get("hub_alive_at_end") else 1, hub_log=str(log))  # fmt: skip
    return result
