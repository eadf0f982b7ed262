"""FastAPI dependencies: the hub's parts (on app.state), the caller, and role checks; and how
a refused request is audited (`Hub.refused`)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hive_hub.auth import KeyRing, Principal, Role, WebhookSecrets, key_from_headers
from hive_hub.metrics import HttpMetrics
from hive_hub.outbox import AuditEntry, Outbox, PublishError
from hive_hub.ratelimit import Coalescer, FailureThrottle, TokenBuckets
from hive_hub.settings import HubSettings

log = logging.getLogger(__name__)

# Refused answers that are audited, and the audit action each is written as.
REFUSAL_ACTIONS = {
    401: "AUTH_FAILED",
    403: "ACCESS_DENIED",
    413: "REQUEST_TOO_LARGE",
    429: "RATE_LIMITED",
}
# These count against the client's failure budget (HIVE_HUB_AUTH_FAILURES per window).
COUNTED = frozenset({401, 403, 413})


class Refusal(HTTPException):
    """An HTTPException that tells the audit trail more than the status (e.g. the command)."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        audit: Mapping[str, Any],
        scope: tuple[str, str] | None = None,  # None: the bot or cell of the path, or global
    ) -> None:
        super().__init__(status_code, detail)
        self.audit = dict(audit)
        self.scope = scope


@dataclass(frozen=True)
class Caller:
    """Who a refused request came from, as far as the hub knows."""

    client: str
    principal: Principal | None = None
    webhook_source: str | None = None

    @property
    def actor(self) -> str:
        if self.principal is not None:
            return self.principal.name
        if self.webhook_source is not None:
            return f"webhook:{self.webhook_source[:128]}"
        return "anonymous"

    @property
    def role(self) -> str:
        if self.principal is not None:
            return self.principal.record_role
        return "SYSTEM" if self.webhook_source is not None else "UNKNOWN"


@dataclass
class Hub:
    """Everything a request handler may need, built once at start (app.state.hub)."""

    settings: HubSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keys: KeyRing
    webhooks: WebhookSecrets
    outbox: Outbox
    buckets: TokenBuckets
    throttle: FailureThrottle
    # 429s are audited once per client, kind and window, the repeats counted (see `refused`).
    repeats: Coalescer
    metrics: HttpMetrics | None = None
    clock: Callable[[], int] = field(default=lambda: int(time.time() * 1000))
    projector: Any = None  # ProjectorThread when the projections run in this process
    # bot_id -> the config_version this process published last (the read model may lag).
    published_versions: dict[str, int] = field(default_factory=dict)

    async def emit(self, records: list[Any], audit: AuditEntry | None) -> dict[str, Any] | None:
        from anyio import to_thread

        try:
            return await to_thread.run_sync(self.outbox.emit, records, audit)
        except PublishError as exc:
            raise HTTPException(503, f"not published, try again: {exc}") from None

    async def refused(
        self,
        caller: Caller,
        status: int,
        reason: str,
        *,
        method: str,
        path: str,
        action: str | None = None,
        scope: tuple[str, str] = ("GLOBAL", "global"),
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Count and audit a refused request. Every 401, 403 and 413 is an audit event (and
        counts against the client's failure budget, which bounds how many one client makes); a
        429 is audited the first time in a window for its client and kind, and its repeats in
        that window are written as one event with their count when the window ends
        (`audit_repeats`), so a client hammering the hub cannot flood the audit chain."""
        action = action or REFUSAL_ACTIONS[status]
        if self.metrics is not None:
            self.metrics.refusals.labels(str(status), action).inc()
        if status in COUNTED:
            self.throttle.fail(caller.client)
        if status == 429 and not self.repeats.admit(
            (caller.client, action, caller.actor, caller.role)
        ):
            return
        await self._audit(
            caller.actor,
            caller.role,
            action,
            scope,
            {
                "status": status,
                "reason": reason[:500],
                "method": method[:16],
                "path": _clean(path),
                "client": caller.client,
                **(details or {}),
            },
        )
        await self.audit_repeats()

    async def audit_repeats(self, *, every: bool = False) -> None:
        """The counted repeats of 429s whose window has ended (`every`: all, at shutdown)."""
        for (client, action, actor, role), count in self.repeats.due(every=every):
            await self._audit(
                actor,
                role,
                action,
                ("GLOBAL", "global"),
                {"status": 429, "client": client, "repeats": count,
                 "window_s": self.repeats.window_s},
            )  # fmt: skip

    async def _audit(
        self, actor: str, role: str, action: str, scope: tuple[str, str], details: dict[str, Any]
    ) -> None:
        from anyio import to_thread

        entry = AuditEntry(
            ts=self.clock(), actor=_clean(actor, 200), role=role, action=action,
            scope_level=scope[0], scope_id=_clean(scope[1], 128), details=details,
        )  # fmt: skip
        try:
            await to_thread.run_sync(self.outbox.emit, [], entry)
        except PublishError as exc:  # the refusal stands; its audit event is what failed
            log.warning("refusal not audited (%s): %s %s", exc, action, details)


def _clean(text: str, limit: int = 300) -> str:
    """Caller-given text as the audit trail keeps it: bounded, without NUL (PostgreSQL refuses
    it in text and JSON)."""
    return text.replace("\x00", "\\x00")[:limit]


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


async def get_session(hub: HubDep) -> AsyncIterator[AsyncSession]:
    async with hub.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

UNAUTHENTICATED = {"description": "No valid API key (Authorization: Bearer <key> or X-API-Key)"}
FORBIDDEN = {"description": "The key's role may not do this"}


def principal(
    request: Request,
    hub: HubDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    # The front door (hive_hub.guard) has identified the caller before the body was read.
    who: Principal | None = getattr(request.state, "principal", None)
    if who is None:
        who = hub.keys.identify(key_from_headers(authorization, x_api_key))
    if who is None:
        raise HTTPException(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = who
    return who


def require(role: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting `role` and above. A refusal is audited like every other one (the
    app's HTTPException handler): who tried what, and which role it needs."""

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.may(role):
            return who
        raise Refusal(
            403,
            f"role {role} or higher required, {who.name!r} is {who.role}",
            audit={"needs": role},
        )

    return check


Viewer = Annotated[Principal, Depends(require("viewer"))]
Operator = Annotated[Principal, Depends(require("operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    413: {"description": "Body larger than HIVE_HUB_MAX_BODY_BYTES"},
    429: {"description": "Too many refused requests from this address (Retry-After)"},
}
