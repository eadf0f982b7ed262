"""/v1/changes and /v1/rules: the change guard's verdicts, newest first, and the rules the
learner proposed with what became of them. The views are built by plain functions (`change_view`,
`rule_view`) from rows, so they are tested without a database."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hive.change_log import ROLLED_BACK, SET_PARAMETER, rule_id_of, rule_json
from hive.parameters import RULE, RULE_PREFIX
from hive_hub import models as m
from hive_hub.queries import as_dict

ACTIVE: Final = "active"
ROLLED_BACK_STATUS: Final = "rolled_back"
REFUSED_STATUS: Final = "refused"
RULE_STATUSES: Final = (ACTIVE, ROLLED_BACK_STATUS, REFUSED_STATUS)


def change_view(row: Mapping[str, Any], rollback: Mapping[str, Any] | None) -> dict[str, Any]:
    """A verdict as the API shows it; `rollback`: the verdict that rolled the change back."""
    view = dict(row)
    view["rolled_back_by"] = rollback["command_id"] if rollback else None
    view["rolled_back_at"] = rollback["ts_event"] if rollback else None
    return view


def rule_status(proposal: Mapping[str, Any], rollback: Mapping[str, Any] | None) -> str:
    if proposal["verdict"] != "APPLIED":
        return REFUSED_STATUS
    return ROLLED_BACK_STATUS if rollback else ACTIVE


def rule_view(
    proposal: Mapping[str, Any],
    rollback: Mapping[str, Any] | None,
    in_force: Collection[str] = (),
) -> dict[str, Any]:
    """A rule proposal (a SET_PARAMETER verdict on "rule.<id>") with its fate. `in_force`: the
    change ids control.parameters has in force."""
    rule = rule_json(proposal["new_value"])
    status = rule_status(proposal, rollback)
    deployed = status != REFUSED_STATUS
    return {
        "rule_id": rule_id_of(proposal["name"]),
        "change_id": proposal["change_id"],
        "scope_level": proposal["scope_level"],
        "scope_id": proposal["scope_id"],
        "status": status,
        "when": rule.get("when") if rule else None,
        "action": rule.get("action") if rule else None,
        "evidence": rule.get("evidence") if rule else None,
        "rule": rule,
        "value": proposal["new_value"],
        "proposed_at": proposal["ts_event"],
        "proposed_by": proposal["actor"],
        "reason": proposal["reason"],
        "code": proposal["code"],
        "message": proposal["message"],
        "deployed_at": proposal["ts_event"] if deployed else None,
        "rolled_back_at": rollback["ts_event"] if rollback else None,
        "rolled_back_by": rollback["actor"] if rollback else None,
        "rollback_id": rollback["command_id"] if rollback else None,
        "rollback_reason": rollback["reason"] if rollback else None,
        "in_force": proposal["change_id"] in in_force,
    }


async def _rollbacks(s: AsyncSession, change_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The CHANGE_ROLLED_BACK verdict of each change that has one (the guard allows one)."""
    if not change_ids:
        return {}
    t = m.ChangeRow
    q = (
        select(t)
        .where(t.action == ROLLED_BACK, t.change_id.in_(list(change_ids)))
        .order_by(t.ts_event.desc(), t.event_id.desc())
    )
    return {str(r.change_id): as_dict(r) for r in await s.scalars(q)}  # the first one wins


async def changes(
    s: AsyncSession,
    *,
    scope_level: str | None = None,
    scope_id: str | None = None,
    name: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    kind: str | None = None,
    cursor: tuple[int, str] | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    t = m.ChangeRow
    q = select(t).order_by(t.ts_event.desc(), t.event_id.desc())
    for col, val in (
        (t.scope_level, scope_level), (t.scope_id, scope_id), (t.name, name), (t.actor, actor),
        (t.action, action), (t.kind, kind),
    ):  # fmt: skip
        if val:
            q = q.where(col == val)
    if cursor is not None:
        q = q.where(tuple_(t.ts_event, t.event_id) < tuple_(*cursor))
    rows = [as_dict(r) for r in await s.scalars(q.limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    applied = [r["change_id"] for r in rows if r["verdict"] == "APPLIED" and r["change_id"]]
    rollbacks = await _rollbacks(s, applied)
    items = [
        change_view(r, rollbacks.get(r["change_id"]) if r["verdict"] == "APPLIED" else None)
        for r in rows
    ]
    nxt = f"{rows[-1]['ts_event']}~{rows[-1]['event_id']}" if more and rows else None
    return {"items": items, "next": nxt}


async def rules(
    s: AsyncSession,
    *,
    status: str | None = None,
    rule_id: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    t = m.ChangeRow
    rb = aliased(m.ChangeRow)
    rolled = exists().where(rb.change_id == t.change_id, rb.action == ROLLED_BACK)
    q = (
        select(t)
        .where(t.kind == RULE, t.command == SET_PARAMETER)
        .order_by(t.ts_event.desc(), t.event_id.desc())
    )
    if rule_id:
        q = q.where(t.name == RULE_PREFIX + rule_id)
    if status == REFUSED_STATUS:
        q = q.where(t.verdict != "APPLIED")
    elif status == ACTIVE:
        q = q.where(t.verdict == "APPLIED", ~rolled)
    elif status == ROLLED_BACK_STATUS:
        q = q.where(t.verdict == "APPLIED", rolled)
    rows = [as_dict(r) for r in await s.scalars(q.limit(limit))]
    rollbacks = await _rollbacks(s, [r["change_id"] for r in rows if r["verdict"] == "APPLIED"])
    p = m.ParameterRow
    live = select(p.change_id).where(p.kind == RULE, p.value.is_not(None))
    in_force = {str(c) for c in await s.scalars(live) if c}
    return [rule_view(r, rollbacks.get(r["change_id"]), in_force) for r in rows]
