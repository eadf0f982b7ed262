"""Read endpoints (viewer and above): bots, cells, breakers, signals with their decisions,
trades, positions, accounts with equity series, model releases, audit, commands, the change
guard's verdicts and the rules, services."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from hive.audit_anchor import AnchorFile, AuditVerifySettings, verify_trail
from hive_hub import change_queries, queries
from hive_hub.deps import AUTH_RESPONSES, SessionDep, Viewer

router = APIRouter(prefix="/v1", responses=AUTH_RESPONSES)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}

Id = Annotated[str, Path(min_length=1, max_length=300)]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)]
Millis = Annotated[int | None, Query(ge=0, le=10**15, description="epoch ms UTC")]
Text = Annotated[str | None, Query(min_length=1, max_length=200)]
Level = Literal["BOT", "CELL", "GLOBAL"]
Obj = dict[str, Any]


@router.get("/bots", tags=["bots"], summary="Bots with their state, breakers and account")
async def list_bots(
    s: SessionDep, _: Viewer, cell_id: Text = None, include_deleted: bool = False
) -> list[Obj]:
    return await queries.bots(s, cell_id, include_deleted)


@router.get("/bots/{bot_id}", tags=["bots"], responses=NOT_FOUND)
async def get_bot(s: SessionDep, _: Viewer, bot_id: Id) -> Obj:
    found = await queries.bot(s, bot_id)
    if found is None:
        raise HTTPException(404, f"no bot {bot_id!r}")
    return found


@router.get("/cells", tags=["bots"], summary="Cells with their bots and breaker")
async def list_cells(s: SessionDep, _: Viewer) -> list[Obj]:
    return await queries.cells(s)


@router.get("/cells/{cell_id}", tags=["bots"], responses=NOT_FOUND)
async def get_cell(s: SessionDep, _: Viewer, cell_id: Id) -> Obj:
    bots = await queries.bots(s, cell_id)
    if not bots:
        raise HTTPException(404, f"no cell {cell_id!r}")
    return {"cell_id": cell_id, "breaker": bots[0]["cell_breaker"], "bots": bots}


@router.get("/breakers", tags=["breakers"], summary="Breakers (latest state per scope)")
async def list_breakers(
    s: SessionDep,
    _: Viewer,
    scope_level: Level | None = None,
    state: Literal["CLOSED", "OPEN", "HALF_OPEN"] | None = None,
) -> list[Obj]:
    return await queries.breakers(s, scope_level, state)


@router.get("/signals", tags=["signals"], summary="Signals, newest first (keyset pages)")
async def list_signals(
    *,
    s: SessionDep,
    _: Viewer,
    source: Text = None,
    symbol: Text = None,
    since: Millis = None,
    until: Millis = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Limit = 50,
) -> Obj:
    try:
        after = queries.parse_cursor(cursor)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return await queries.signals(
        s, source=source, symbol=symbol, since=since, until=until, cursor=after, limit=limit
    )


@router.get(
    "/signals/{signal_id}",
    tags=["signals"],
    responses=NOT_FOUND,
    summary="A signal: parse, enrichment, regime and every bot's decision with reasons",
)
async def get_signal(s: SessionDep, _: Viewer, signal_id: Id) -> Obj:
    found = await queries.signal(s, signal_id)
    if found is None:
        raise HTTPException(404, f"no signal {signal_id!r}")
    return found


@router.get("/decisions", tags=["signals"], summary="Risk-gate decisions with reasons")
async def list_decisions(
    *,
    s: SessionDep,
    _: Viewer,
    signal_id: Text = None,
    bot_id: Text = None,
    allowed: bool | None = None,
    limit: Limit = 50,
) -> list[Obj]:
    return await queries.decisions(
        s, signal_id=signal_id, bot_id=bot_id, allowed=allowed, limit=limit
    )


@router.get("/trades", tags=["trading"], summary="Closed trades, newest first")
async def list_trades(
    *,
    s: SessionDep,
    _: Viewer,
    bot_id: Text = None,
    cell_id: Text = None,
    symbol: Text = None,
    since: Millis = None,
    until: Millis = None,
    limit: Limit = 50,
) -> list[Obj]:
    return await queries.trades(
        s, bot_id=bot_id, cell_id=cell_id, symbol=symbol, since=since, until=until, limit=limit
    )


@router.get("/positions", tags=["trading"], summary="Open positions")
async def list_positions(s: SessionDep, _: Viewer, bot_id: Text = None) -> list[Obj]:
    return await queries.positions(s, bot_id)


@router.get("/accounts", tags=["trading"], summary="Latest account state per bot, with limits")
async def list_accounts(s: SessionDep, _: Viewer) -> list[Obj]:
    return await queries.accounts(s)


@router.get(
    "/accounts/{bot_id}/equity",
    tags=["trading"],
    summary="Equity series with the daily-loss and max-loss lines",
)
async def equity(
    *,
    s: SessionDep,
    _: Viewer,
    bot_id: Id,
    since: Millis = None,
    until: Millis = None,
    points: Annotated[int, Query(ge=2, le=10_000)] = 1000,
) -> Obj:
    return await queries.equity(s, bot_id, since=since, until=until, points=points)


@router.get("/models", tags=["models"], summary="Model releases (latest status per version)")
async def list_models(s: SessionDep, _: Viewer, model_name: Text = None) -> list[Obj]:
    return await queries.models(s, model_name)


@router.get(
    "/models/{model_name}/{version}/lineage",
    tags=["models"],
    responses=NOT_FOUND,
    summary="A release and its ancestors, newest first",
)
async def lineage(s: SessionDep, _: Viewer, model_name: Id, version: Id) -> list[Obj]:
    chain = await queries.lineage(s, model_name, version)
    if not chain:
        raise HTTPException(404, f"no release {model_name} {version}")
    return chain


@router.get("/audit", tags=["audit"], summary="Audit events, newest first")
async def list_audit(
    *,
    s: SessionDep,
    _: Viewer,
    chain_id: Text = None,
    scope_level: Level | None = None,
    scope_id: Text = None,
    action: Text = None,
    limit: Limit = 50,
) -> list[Obj]:
    return await queries.audit(
        s, chain_id=chain_id, scope_level=scope_level, scope_id=scope_id, action=action, limit=limit
    )


@router.get(
    "/audit/verify",
    tags=["audit"],
    summary="Verify hash chains (one or all): the hub's copy, signatures and anchors",
)
async def verify_audit(s: SessionDep, _: Viewer, chain_id: Text = None) -> Obj:
    """Checks the hub's read-model copy of audit.events (as the hub read it from Kafka, not Kafka
    itself; `hive audit verify` reads Kafka): links, hashes and numbering; each signature with
    the chain's key from HIVE_AUDIT_PUBLIC_KEYS (when set); each anchor of the chain in the
    anchor file (HIVE_AUDIT_ANCHOR_FILE): truncated or rewritten."""
    settings = AuditVerifySettings()
    public_keys = settings.public_keys()
    path = settings.anchor_path()
    try:
        anchors = AnchorFile(path).read()
    except ValueError as exc:
        raise HTTPException(500, "the audit anchor file cannot be read") from exc
    # An anchored chain the copy no longer holds at all is checked too (truncated to nothing).
    chains = (
        [chain_id]
        if chain_id
        else sorted({*await queries.audit_chains(s), *(a.chain_id for a in anchors)})
    )
    out = []
    for chain in chains:
        events = await queries.audit_chain(s, chain)
        mine = [a for a in anchors if a.chain_id == chain]
        problems = verify_trail(events, public_keys=public_keys, anchors=mine)
        out.append(
            {
                "chain_id": chain,
                "events": len(events),
                "anchors": len(mine),
                "ok": not problems,
                "problems": [
                    {"position": p.position, "event_id": p.event_id, "problem": p.problem}
                    for p in problems
                ],
            }
        )
    return {
        "ok": all(c["ok"] for c in out),
        "source": "read-model copy of audit.events",
        "signatures_checked": public_keys is not None,
        "chains": out,
    }


@router.get("/commands", tags=["control"], summary="Commands with the governor's verdict")
async def list_commands(
    *,
    s: SessionDep,
    _: Viewer,
    scope_level: Level | None = None,
    scope_id: Text = None,
    limit: Limit = 50,
) -> list[Obj]:
    return await queries.commands(s, scope_level=scope_level, scope_id=scope_id, limit=limit)


@router.get(
    "/changes",
    tags=["control"],
    summary="Parameter and rule changes with the change guard's verdict, newest first (keyset pages)",
)
async def list_changes(
    *,
    s: SessionDep,
    _: Viewer,
    scope_level: Level | None = None,
    scope_id: Text = None,
    name: Text = None,
    actor: Text = None,
    action: Literal[
        "CHANGE_APPLIED",
        "CHANGE_REFUSED",
        "CONSTITUTION_CHANGE_REFUSED",
        "CHANGE_ROLLED_BACK",
        "ROLLBACK_REFUSED",
    ]
    | None = None,
    kind: Literal["PARAMETER", "RULE"] | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Limit = 50,
) -> Obj:
    try:
        after = queries.parse_cursor(cursor)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return await change_queries.changes(
        s,
        scope_level=scope_level,
        scope_id=scope_id,
        name=name,
        actor=actor,
        action=action,
        kind=kind,
        cursor=after,
        limit=limit,
    )


@router.get(
    "/rules",
    tags=["control"],
    summary="Rules the hive proposed to itself: active, rolled back or refused, newest first",
)
async def list_rules(
    *,
    s: SessionDep,
    _: Viewer,
    status: Literal["active", "rolled_back", "refused"] | None = None,
    rule_id: Text = None,
    limit: Limit = 50,
) -> list[Obj]:
    return await change_queries.rules(s, status=status, rule_id=rule_id, limit=limit)


@router.get("/services", tags=["system"], summary="Latest heartbeat per service instance")
async def list_services(s: SessionDep, _: Viewer) -> list[Obj]:
    return await queries.services(s)
