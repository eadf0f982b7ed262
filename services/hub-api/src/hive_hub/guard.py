"""The hub's front door: a pure ASGI middleware around the whole application (outside even its
500 handler), so that no route runs, and no byte of a body is read, before a request has passed.

For every HTTP request, in this order:

1. every response it gets carries the security headers (`SECURITY_HEADERS`);
2. on a route that needs a key or a token (`/v1/...`), a client address that has earned
   HIVE_HUB_AUTH_FAILURES refusals (401, 403, 413) within HIVE_HUB_AUTH_WINDOW_S is answered
   429 with Retry-After, whatever key it sends;
3. a Content-Length above HIVE_HUB_MAX_BODY_BYTES is answered 413, on every route (a body sent
   without one, chunked, is counted as it streams by the application's own limit, FastAPI's
   `max_body_size`, and refused with 413 as soon as the running total passes the cap);
4. `/v1/...` needs a valid API key (`Authorization: Bearer` or `X-API-Key`) and
   `/v1/ingest/webhook` its source's token in the `X-Hive-Token` header: 401 otherwise. A token
   in the query string is refused (400): URLs end up in logs and browser histories.

The caller it identified is left in the request's state (`principal`, `webhook_source`) for
the routes. Every refusal but the 400s is audited (`Hub.refused`) once it has been answered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hive_hub.auth import key_from_headers
from hive_hub.deps import Caller

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from hive_hub.deps import Hub

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
WEBHOOK_PATH = "/v1/ingest/webhook"
IN_QUERY_REFUSED = (
    "send the webhook token in the X-Hive-Token header: a token in the URL is refused "
    "(URLs end up in logs)"
)


def guarded(path: str) -> bool:
    """Whether a path needs an API key (or, the webhook, a source token)."""
    return path == "/v1" or path.startswith("/v1/")


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass
class _Refused:
    status: int
    detail: str
    caller: Caller
    headers: dict[str, str] = field(default_factory=dict)
    action: str | None = None
    audited: bool = True
    details: dict[str, Any] = field(default_factory=dict)


class Guard:
    """`owner` is the application whose state holds the hub (app.state.hub, set at start)."""

    def __init__(self, app: ASGIApp, owner: Starlette) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        hub: Hub | None = getattr(self.owner.state, "hub", None)
        if hub is None:  # not started: nothing is served, nothing is read
            await JSONResponse({"detail": "the hub is not ready"}, 503)(scope, receive, send)
            return
        refused = self._check(scope, hub)
        if refused is None:
            await self.app(scope, receive, send)
            return
        response = JSONResponse({"detail": refused.detail}, refused.status, refused.headers)
        await response(scope, receive, send)
        if refused.audited:
            await hub.refused(
                refused.caller,
                refused.status,
                refused.detail,
                method=scope["method"],
                path=scope["path"],
                action=refused.action,
                details=refused.details,
            )

    def _check(self, scope: Scope, hub: Hub) -> _Refused | None:
        path: str = scope["path"]
        headers = Headers(scope=scope)
        caller = Caller(client_of(scope))
        needs_key = guarded(path)
        if needs_key and (wait := hub.throttle.retry_after(caller.client)) > 0:
            return _Refused(
                429,
                "too many refused requests from this address; try again later",
                caller,
                {"Retry-After": str(max(1, math.ceil(wait)))},
                action="AUTH_THROTTLED",
            )
        limit = hub.settings.hub_max_body_bytes
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return _Refused(400, "Content-Length is not a number", caller, audited=False)
            if int(length) > limit:
                return _Refused(
                    413, f"body larger than {limit} bytes", caller, details={"bytes": int(length)}
                )
        if not needs_key:
            return None
        if path.rstrip("/") == WEBHOOK_PATH:
            return _check_token(scope, headers, hub, caller)
        return _check_key(scope, headers, hub, caller)


def _check_token(scope: Scope, headers: Headers, hub: Hub, caller: Caller) -> _Refused | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), True)
    if "token" in query:
        return _Refused(400, IN_QUERY_REFUSED, caller, audited=False)
    source = (query.get("source") or [""])[0]
    caller = Caller(caller.client, webhook_source=source)
    if not hub.webhooks.check(source, headers.get("x-hive-token")):
        return _Refused(401, "unknown source or wrong token", caller)
    scope.setdefault("state", {})["webhook_source"] = source
    return None


def _check_key(scope: Scope, headers: Headers, hub: Hub, caller: Caller) -> _Refused | None:
    who = hub.keys.identify(
        key_from_headers(headers.get("authorization"), headers.get("x-api-key"))
    )
    if who is None:
        return _Refused(401, "authentication required", caller, {"WWW-Authenticate": "Bearer"})
    scope.setdefault("state", {})["principal"] = who
    return None


def _with_security_headers(send: Send) -> Send:
    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {bytes(k).lower() for k, _ in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            message = {**message, "headers": headers}
        await send(message)

    return secured
