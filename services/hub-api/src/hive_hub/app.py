"""The FastAPI application: read models, the outbox, the projections, the routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from hive.audit_keys import AuditSigner
from hive_hub import __version__
from hive_hub.auth import KeyRing, WebhookSecrets
from hive_hub.db import make_engine, sessions, upgrade
from hive_hub.deps import REFUSAL_ACTIONS, Caller, Hub, Refusal
from hive_hub.guard import Guard, client_of
from hive_hub.metrics import HttpMetrics
from hive_hub.outbox import KafkaOutbox, Outbox
from hive_hub.ratelimit import Coalescer, FailureThrottle, TokenBuckets
from hive_hub.routes import bots_write, control, ingest, read, system
from hive_hub.settings import HubSettings

log = logging.getLogger(__name__)

DESCRIPTION = """Trading Hive hub: bots and cells, control commands, breakers, signals with every
bot's decision and its reasons, trades, positions, equity, model releases and the audit trail.

Every /v1 call, this schema included, needs an API key (`Authorization: Bearer <key>` or
`X-API-Key`); roles are viewer (read), operator (commands) and admin (bot definitions, UNLOCK).
Every mutating call is published to Kafka with an audit event on the hub's chain, in one
transaction; every refused call (401, 403, 413, 429) is audited too."""


class HubApp(FastAPI):
    """FastAPI with the front door (`hive_hub.guard.Guard`) outside its whole middleware stack,
    so its checks and security headers apply to every response, a 500 included."""

    def build_middleware_stack(self) -> ASGIApp:
        return Guard(super().build_middleware_stack(), self)


async def _audited_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """FastAPI's answer to an HTTPException; a refusal (401, 403, 413, 429) is audited once the
    answer is out, as the front door does with its own."""
    hub: Hub = request.app.state.hub
    if exc.status_code == 413:  # the streamed-body limit's own words say less
        exc = StarletteHTTPException(
            413, f"body larger than {hub.settings.hub_max_body_bytes} bytes"
        )
    response = await http_exception_handler(request, exc)
    if exc.status_code in REFUSAL_ACTIONS:
        caller = Caller(
            client_of(request.scope),
            getattr(request.state, "principal", None),
            getattr(request.state, "webhook_source", None),
        )
        response.background = BackgroundTask(
            hub.refused,
            caller,
            exc.status_code,
            str(exc.detail),
            method=request.method,
            path=request.url.path,
            scope=exc.scope if isinstance(exc, Refusal) and exc.scope else _scope_of(request),
            details=exc.audit if isinstance(exc, Refusal) else None,
        )
    return response


async def _housekeeping(hub: Hub, every_s: float) -> None:
    """Forget old failures and audit the counted repeats of windows that have ended."""
    while True:
        await asyncio.sleep(every_s)
        try:
            hub.throttle.prune()
            await hub.audit_repeats()
        except Exception:  # the next round tries again; the API goes on meanwhile
            log.exception("refusal housekeeping failed")


def _scope_of(request: Request) -> tuple[str, str]:
    params = request.path_params
    if isinstance(params.get("bot_id"), str):
        return "BOT", params["bot_id"]
    if isinstance(params.get("cell_id"), str):
        return "CELL", params["cell_id"]
    return "GLOBAL", "global"


def create_app(
    settings: HubSettings,
    *,
    outbox: Outbox | None = None,
    projections: bool | None = None,
    migrate: bool = True,
    audit_signer: AuditSigner | None = None,
) -> FastAPI:
    """`outbox` None: Kafka, its audit chain signed by `audit_signer` (None: unsigned).
    `projections` None: as HIVE_HUB_PROJECTIONS says."""
    run_projections = settings.hub_projections if projections is None else projections

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await to_thread.run_sync(
                lambda: upgrade(settings.database_url, schema=settings.database_schema)
            )
        engine = make_engine(settings.database_url, settings.database_schema)
        box = outbox
        if box is None:
            kafka = await to_thread.run_sync(
                lambda: KafkaOutbox(
                    settings.kafka_bootstrap,
                    settings.schema_registry_url,
                    settings.hub_audit_chain,
                    signer=audit_signer,
                )
            )
            await to_thread.run_sync(kafka.resume_chain)
            box = kafka
        projector = None
        if run_projections:
            from hive_hub.projections.runner import ProjectorThread

            projector = ProjectorThread(settings)
            await to_thread.run_sync(projector.start)
        window = settings.hub_auth_window_s
        hub = Hub(
            settings=settings,
            engine=engine,
            sessions=sessions(engine),
            keys=KeyRing.from_settings(settings),
            webhooks=WebhookSecrets(settings.hub_webhook_secrets),
            outbox=box,
            buckets=TokenBuckets(settings.hub_webhook_rate, settings.hub_webhook_burst),
            throttle=FailureThrottle(settings.hub_auth_failures, window),
            repeats=Coalescer(window),
            metrics=metrics,
            projector=projector,
        )
        if not len(hub.keys):
            log.warning(
                "no API keys configured (HIVE_HUB_API_KEYS / HIVE_HUB_ADMIN_KEY): every /v1 call is refused"
            )
        app.state.hub = hub
        chores = asyncio.create_task(_housekeeping(hub, window))
        try:
            yield
        finally:
            chores.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await chores
            await hub.audit_repeats(every=True)
            if projector is not None:
                await to_thread.run_sync(projector.stop)
            box.close()
            await engine.dispose()

    app = HubApp(
        title="Trading Hive hub",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Behind the key like every /v1 path. No Swagger page: it needs scripts from a CDN and
        # inline ones, which the Content-Security-Policy refuses.
        openapi_url="/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        # Counts a body as it streams and refuses it (413) once it passes the cap; a bigger
        # Content-Length never gets this far (hive_hub.guard).
        max_body_size=settings.hub_max_body_bytes,
    )
    metrics = HttpMetrics()
    app.state.metrics = metrics
    app.middleware("http")(metrics.middleware)

    app.exception_handler(StarletteHTTPException)(_audited_http_error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # One readable line per problem: "body.reason: String should have at least 1 character".
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(
            {"detail": {"message": "invalid request", "problems": problems}}, status_code=422
        )

    @app.middleware("http")
    async def _no_nul(request: Request, call_next: Any) -> Any:
        # PostgreSQL text cannot hold NUL: a path or query value with one would fail in the
        # database (a 500); it is the caller's mistake, so it is answered as one.
        if "\x00" in request.url.path or any(
            "\x00" in k or "\x00" in v for k, v in request.query_params.multi_items()
        ):
            return JSONResponse({"detail": "NUL character in the path or query"}, status_code=400)
        return await call_next(request)

    for r in (read.router, bots_write.router, control.router, ingest.router, system.router):
        app.include_router(r)
    app.mount("/dashboard", StaticFiles(directory=system.DASHBOARD), name="dashboard")
    return app


def app_from_env() -> Any:
    """For `uvicorn --factory hive_hub.app:app_from_env`."""
    from hive.config import load_settings

    return create_app(load_settings(HubSettings))
