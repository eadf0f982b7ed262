"""The FastAPI application: read models, the outbox, the projections, the routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from hive_hub import __version__
from hive_hub.auth import KeyRing, WebhookSecrets
from hive_hub.db import make_engine, sessions, upgrade
from hive_hub.deps import Hub
from hive_hub.metrics import HttpMetrics
from hive_hub.outbox import KafkaOutbox, Outbox
from hive_hub.ratelimit import TokenBuckets
from hive_hub.routes import bots_write, control, ingest, read, system
from hive_hub.settings import HubSettings

log = logging.getLogger(__name__)

DESCRIPTION = """Trading Hive hub: bots and cells, control commands, breakers, signals with every
bot's decision and its reasons, trades, positions, equity, model releases and the audit trail.

Every /v1 call needs an API key (`Authorization: Bearer <key>` or `X-API-Key`); roles are
viewer (read), operator (commands) and admin (bot definitions, UNLOCK). Every mutating call is
published to Kafka with an audit event on the hub's chain, in one transaction."""


def create_app(
    settings: HubSettings,
    *,
    outbox: Outbox | None = None,
    projections: bool | None = None,
    migrate: bool = True,
) -> FastAPI:
    """`outbox` None: Kafka. `projections` None: as HIVE_HUB_PROJECTIONS says."""
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
                    settings.kafka_bootstrap, settings.schema_registry_url, settings.hub_audit_chain
                )
            )
            await to_thread.run_sync(kafka.resume_chain)
            box = kafka
        projector = None
        if run_projections:
            from hive_hub.projections.runner import ProjectorThread

            projector = ProjectorThread(settings)
            await to_thread.run_sync(projector.start)
        hub = Hub(
            settings=settings,
            engine=engine,
            sessions=sessions(engine),
            keys=KeyRing.from_settings(settings),
            webhooks=WebhookSecrets(settings.hub_webhook_secrets),
            outbox=box,
            buckets=TokenBuckets(settings.hub_webhook_rate, settings.hub_webhook_burst),
            projector=projector,
        )
        if not len(hub.keys):
            log.warning(
                "no API keys configured (HIVE_HUB_API_KEYS / HIVE_HUB_ADMIN_KEY): every /v1 call is refused"
            )
        app.state.hub = hub
        try:
            yield
        finally:
            if projector is not None:
                await to_thread.run_sync(projector.stop)
            box.close()
            await engine.dispose()

    app = FastAPI(
        title="Trading Hive hub",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
    )
    metrics = HttpMetrics()
    app.state.metrics = metrics
    app.middleware("http")(metrics.middleware)

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
