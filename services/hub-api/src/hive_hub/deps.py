"""FastAPI dependencies: the hub's parts (on app.state), the caller, and role checks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hive_hub.auth import KeyRing, Principal, Role, WebhookSecrets, key_from_headers
from hive_hub.outbox import AuditEntry, Outbox, PublishError
from hive_hub.ratelimit import TokenBuckets
from hive_hub.settings import HubSettings


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
    who = hub.keys.identify(key_from_headers(authorization, x_api_key))
    if who is None:
        raise HTTPException(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = who
    return who


def require(role: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting `role` and above. A mutating call refused for its role is audited
    (who tried what), since that is the interesting case for an operator's audit trail."""

    async def check(
        request: Request, hub: HubDep, who: Annotated[Principal, Depends(principal)]
    ) -> Principal:
        if who.may(role):
            return who
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await hub.emit(
                [],
                AuditEntry(
                    ts=hub.clock(),
                    actor=who.name,
                    role=who.record_role,
                    action="ACCESS_DENIED",
                    scope_level="GLOBAL",
                    scope_id="global",
                    details={"method": request.method, "path": request.url.path, "needs": role},
                ),
            )
        raise HTTPException(403, f"role {role} or higher required, {who.name!r} is {who.role}")

    return check


Viewer = Annotated[Principal, Depends(require("viewer"))]
Operator = Annotated[Principal, Depends(require("operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {401: UNAUTHENTICATED, 403: FORBIDDEN}
