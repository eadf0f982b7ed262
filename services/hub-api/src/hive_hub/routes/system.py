"""Probes, who-am-I and the dashboard's files.

/healthz and /readyz answer without a key (orchestrator probes) and say nothing but the status:
why the hub is not ready (a database error's text, say) is logged, and /v1/health tells a
viewer. The dashboard's static shell answers without a key too; it holds no data: every figure
it shows comes from the /v1 API with the user's key. /metrics is not here: it has a port of its
own (HIVE_HUB_METRICS_PORT, hive_hub.server).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from sqlalchemy import text

from hive_hub import __version__
from hive_hub.deps import AUTH_RESPONSES, HubDep, Viewer

log = logging.getLogger(__name__)
router = APIRouter()
DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"


async def _db_ok(hub: HubDep) -> tuple[bool, str]:
    try:
        async with hub.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as exc:  # any failure is "not ready", with the reason
        return False, f"{type(exc).__name__}: {exc}"


def _projections(hub: HubDep) -> dict[str, Any]:
    p = hub.projector
    if p is None:
        return {"in_process": False}
    return {
        "in_process": True,
        "alive": p.alive,
        "error": repr(p.error) if p.error else None,
        **p.projector.status(),
    }


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(hub: HubDep) -> JSONResponse:
    db_ok, detail = await _db_ok(hub)
    proj = _projections(hub)
    ok = db_ok and (not proj["in_process"] or bool(proj["alive"]))
    if not ok:
        log.warning("not ready: database %s; projections %s", detail, proj)
    return JSONResponse({"ready": ok}, status_code=200 if ok else 503)


@router.get("/v1/health", tags=["system"], responses=AUTH_RESPONSES, summary="Hub status")
async def health(hub: HubDep, who: Viewer) -> dict[str, Any]:
    db_ok, detail = await _db_ok(hub)
    return {
        "version": __version__,
        "database": {"ok": db_ok, "detail": detail, "dialect": hub.engine.dialect.name},
        "projections": _projections(hub),
        "audit_chain": {
            "chain_id": hub.outbox.chain.chain_id,
            "next_sequence": hub.outbox.chain.sequence,
        },
        "poll_ms": hub.settings.hub_poll_ms,
    }


@router.get(
    "/v1/me", tags=["system"], responses=AUTH_RESPONSES, summary="The caller's name and role"
)
async def me(who: Viewer) -> dict[str, str]:
    return {"name": who.name, "role": who.role}


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/dashboard/")


@router.get("/dashboard/", include_in_schema=False)
async def dashboard() -> FileResponse:
    return FileResponse(DASHBOARD / "index.html", headers={"Cache-Control": "no-cache"})
