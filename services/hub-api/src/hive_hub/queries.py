"""Read queries over the read models, returning plain dicts (the API's JSON).

Over 400 lines and kept whole: one short function per list or detail endpoint over the same
cursor and filter helpers; each reads on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hive_hub import models as m
from hive_hub.limits_view import lines
from hive_hub.state import effective_state

MAX_LIMIT = 500


def as_dict(obj: Any, drop: Sequence[str] = ()) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in drop}


async def _breakers(s: AsyncSession, level: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = await s.scalars(
        select(m.BreakerRow).where(
            m.BreakerRow.scope_level == level, m.BreakerRow.scope_id.in_(list(ids))
        )
    )
    return {r.scope_id: as_dict(r, ("record",)) for r in rows}


def _bot_view(
    bot: m.BotRow,
    breakers: dict[str, dict[str, Any]],
    cells: dict[str, dict[str, Any]],
    account: dict[str, Any] | None,
    global_breaker: dict[str, Any] | None,
) -> dict[str, Any]:
    own = breakers.get(bot.bot_id)
    view = as_dict(bot, ("definition",))
    view["state"] = effective_state(bot.status, bot.deleted, own)
    view["breaker"] = own
    view["cell_breaker"] = cells.get(bot.cell_id)
    view["global_breaker"] = global_breaker
    view["account"] = account
    return view


async def bots(
    s: AsyncSession, cell_id: str | None = None, include_deleted: bool = False
) -> list[dict[str, Any]]:
    q = select(m.BotRow).order_by(m.BotRow.bot_id)
    if cell_id is not None:
        q = q.where(m.BotRow.cell_id == cell_id)
    if not include_deleted:
        q = q.where(m.BotRow.deleted.is_(False))
    rows = list(await s.scalars(q))
    ids = [b.bot_id for b in rows]
    own = await _breakers(s, "BOT", ids)
    cells = await _breakers(s, "CELL", sorted({b.cell_id for b in rows}))
    glob = (await _breakers(s, "GLOBAL", ["global"])).get("global")
    accounts = await _accounts(s, ids, {b.bot_id: b.rule_set for b in rows})
    return [_bot_view(b, own, cells, accounts.get(b.bot_id), glob) for b in rows]


async def bot(s: AsyncSession, bot_id: str) -> dict[str, Any] | None:
    row = await s.get(m.BotRow, bot_id)
    if row is None:
        return None
    own = await _breakers(s, "BOT", [bot_id])
    cells = await _breakers(s, "CELL", [row.cell_id])
    glob = (await _breakers(s, "GLOBAL", ["global"])).get("global")
    accounts = await _accounts(s, [bot_id], {bot_id: row.rule_set})
    view = _bot_view(row, own, cells, accounts.get(bot_id), glob)
    view["definition"] = row.definition
    view["recent_commands"] = await commands(s, scope_level="BOT", scope_id=bot_id, limit=20)
    positions_q = select(func.count()).where(
        m.OrderRow.bot_id == bot_id, m.OrderRow.status.in_(OPEN_STATUSES)
    )
    view["open_orders"] = int((await s.execute(positions_q)).scalar_one())
    return view


async def cells(s: AsyncSession) -> list[dict[str, Any]]:
    q = (
        select(m.BotRow.cell_id, func.count(), func.sum(m.BotRow.account_size))
        .where(m.BotRow.deleted.is_(False))
        .group_by(m.BotRow.cell_id)
        .order_by(m.BotRow.cell_id)
    )
    rows = (await s.execute(q)).all()
    breakers = await _breakers(s, "CELL", [r[0] for r in rows])
    return [
        {
            "cell_id": c,
            "bots": int(n),
            "account_size": float(total or 0),
            "breaker": breakers.get(c),
        }
        for c, n, total in rows
    ]


async def cell_exists(s: AsyncSession, cell_id: str) -> bool:
    q = select(m.BotRow.bot_id).where(m.BotRow.cell_id == cell_id).limit(1)
    return (await s.execute(q)).first() is not None


async def breakers(
    s: AsyncSession, scope_level: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    q = select(m.BreakerRow).order_by(m.BreakerRow.scope_level, m.BreakerRow.scope_id)
    if scope_level:
        q = q.where(m.BreakerRow.scope_level == scope_level)
    if state:
        q = q.where(m.BreakerRow.state == state)
    return [as_dict(r, ("record",)) for r in await s.scalars(q)]


# ---- signals ------------------------------------------------------------------------------
SIGNAL_LIST_DROP = ("parsed", "market", "regime_probabilities")


def parse_cursor(cursor: str | None) -> tuple[int, str] | None:
    if not cursor:
        return None
    ts, sep, sid = cursor.partition("~")
    # A time beyond a BIGINT would reach the database as an overflow (a 500), not a bad cursor.
    if not sep or not ts.lstrip("-").isdigit() or len(ts.lstrip("-")) > 18:
        raise ValueError("cursor: expected the `next` value of a previous page")
    return int(ts), sid


async def signals(
    s: AsyncSession,
    *,
    source: str | None = None,
    symbol: str | None = None,
    since: int | None = None,
    until: int | None = None,
    cursor: tuple[int, str] | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    t = m.SignalRow
    cols = [c for c in t.__table__.columns if c.key not in SIGNAL_LIST_DROP]
    q: Select[Any] = select(*cols).order_by(t.ts_event.desc(), t.signal_id.desc())
    if source:
        q = q.where(t.source == source)
    if symbol:
        q = q.where(t.symbol == symbol)
    if since is not None:
        q = q.where(t.ts_event >= since)
    if until is not None:
        q = q.where(t.ts_event < until)
    if cursor is not None:
        ts, sid = cursor
        # A row comparison, which an index on (ts_event, signal_id) can seek to; the
        # equivalent OR of two conditions made PostgreSQL scan the page's whole prefix.
        q = q.where(tuple_(t.ts_event, t.signal_id) < tuple_(ts, sid))
    rows = [dict(r._mapping) for r in (await s.execute(q.limit(limit + 1))).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    summary = await _decision_summary(s, [r["signal_id"] for r in rows])
    for r in rows:
        r["decisions"] = summary.get(r["signal_id"], {"allowed": 0, "denied": 0})
    nxt = f"{rows[-1]['ts_event']}~{rows[-1]['signal_id']}" if more and rows else None
    return {"items": rows, "next": nxt}


async def _decision_summary(s: AsyncSession, ids: list[str]) -> dict[str, dict[str, int]]:
    if not ids:
        return {}
    d = m.DecisionRow
    q = (
        select(d.signal_id, d.allowed, func.count())
        .where(d.signal_id.in_(ids))
        .group_by(d.signal_id, d.allowed)
    )
    out: dict[str, dict[str, int]] = {}
    for sid, allowed, n in (await s.execute(q)).all():
        out.setdefault(sid, {"allowed": 0, "denied": 0})["allowed" if allowed else "denied"] += n
    return out


async def signal(s: AsyncSession, signal_id: str) -> dict[str, Any] | None:
    row = await s.get(m.SignalRow, signal_id)
    if row is None:
        return None
    view = as_dict(row)
    view["decisions"] = await decisions(s, signal_id=signal_id, limit=MAX_LIMIT)
    return view


async def decisions(
    s: AsyncSession,
    *,
    signal_id: str | None = None,
    bot_id: str | None = None,
    allowed: bool | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    d = m.DecisionRow
    # One direction for both keys, so ix_decisions_time serves the newest-first page.
    q = select(d).order_by(d.ts_event.desc(), d.event_id.desc())
    if signal_id:
        q = q.where(d.signal_id == signal_id)
    if bot_id:
        q = q.where(d.bot_id == bot_id)
    if allowed is not None:
        q = q.where(d.allowed.is_(allowed))
    out = []
    for r in await s.scalars(q.limit(limit)):
        v = as_dict(r, ("record",))
        v["details"] = r.record.get("details") or {}
        v["policy_bundle_version"] = r.record.get("policy_bundle_version")
        v["confidence_source"] = r.record.get("confidence_source")
        v["model_version"] = r.record.get("model_version")
        v["regime"] = r.record.get("regime")
        out.append(v)
    return out


# ---- trading ------------------------------------------------------------------------------
OPEN_STATUSES = ("FILLED", "PARTIALLY_FILLED", "MODIFIED", "PARTIALLY_CLOSED")


async def trades(
    s: AsyncSession,
    *,
    bot_id: str | None = None,
    cell_id: str | None = None,
    symbol: str | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    t = m.TradeRow
    # One direction for both keys, so ix_trades_time serves the newest-first page.
    q = select(t).order_by(t.exit_time.desc(), t.trade_id.desc())
    for col, val in ((t.bot_id, bot_id), (t.cell_id, cell_id), (t.symbol, symbol)):
        if val:
            q = q.where(col == val)
    if since is not None:
        q = q.where(t.exit_time >= since)
    if until is not None:
        q = q.where(t.exit_time < until)
    return [as_dict(r, ("record",)) for r in await s.scalars(q.limit(limit))]


async def positions(s: AsyncSession, bot_id: str | None = None) -> list[dict[str, Any]]:
    o = m.OrderRow
    q = select(o).where(o.status.in_(OPEN_STATUSES)).order_by(o.bot_id, o.ts_event)
    if bot_id:
        q = q.where(o.bot_id == bot_id)
    out = []
    for r in await s.scalars(q.limit(MAX_LIMIT * 4)):
        v = as_dict(r, ("record",))
        v["take_profits"] = r.record.get("take_profits") or []
        v["opened_at"] = r.ts_event
        out.append(v)
    return out


async def _accounts(
    s: AsyncSession, ids: Sequence[str], rule_sets: dict[str, str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = await s.scalars(select(m.AccountRow).where(m.AccountRow.bot_id.in_(list(ids))))
    out = {}
    for r in rows:
        v = as_dict(r)
        v.update(lines(rule_sets.get(r.bot_id), v))
        out[r.bot_id] = v
    return out


async def accounts(s: AsyncSession) -> list[dict[str, Any]]:
    rule_sets = {
        b: r for b, r in (await s.execute(select(m.BotRow.bot_id, m.BotRow.rule_set))).all()
    }
    rows = await s.scalars(select(m.AccountRow).order_by(m.AccountRow.bot_id))
    out = []
    for r in rows:
        v = as_dict(r)
        v.update(lines(rule_sets.get(r.bot_id), v))
        out.append(v)
    return out


async def equity(
    s: AsyncSession,
    bot_id: str,
    *,
    since: int | None = None,
    until: int | None = None,
    points: int = 1000,
) -> dict[str, Any]:
    b = await s.get(m.BotRow, bot_id)
    rule_set = b.rule_set if b is not None else None
    t = m.SnapshotRow
    q = select(t).where(t.bot_id == bot_id).order_by(t.sequence)
    if since is not None:
        q = q.where(t.ts_event >= since)
    if until is not None:
        q = q.where(t.ts_event < until)
    rows = list(await s.scalars(q))
    step = max(1, -(-len(rows) // points))
    picked = rows[::step]
    if rows and picked[-1] is not rows[-1]:
        picked.append(rows[-1])  # the latest point is always drawn
    series = []
    for r in picked:
        v = {
            k: getattr(r, k)
            for k in ("ts_event", "sequence", "balance", "equity", "day_start_balance",
                      "initial_balance", "peak_equity", "daily_loss", "drawdown", "trading_day")
        }  # fmt: skip
        v.update(lines(rule_set, v))
        series.append(v)
    return {"bot_id": bot_id, "rule_set": rule_set, "total_points": len(rows), "series": series}


# ---- models, audit, commands, services -------------------------------------------------------
async def models(s: AsyncSession, model_name: str | None = None) -> list[dict[str, Any]]:
    t = m.ModelReleaseRow
    q = select(t).order_by(t.model_name, t.ts_event.desc(), t.version.desc())
    if model_name:
        q = q.where(t.model_name == model_name)
    out = []
    for r in await s.scalars(q.limit(MAX_LIMIT)):
        v = as_dict(r, ("record",))
        for k in ("metrics", "trade_count", "holdout_count", "reason", "artifact_uri",
                  "training_window_start", "training_window_end", "change_id"):  # fmt: skip
            v[k] = r.record.get(k)
        out.append(v)
    return out


async def lineage(s: AsyncSession, model_name: str, version: str) -> list[dict[str, Any]]:
    """The version and its ancestors, newest first (a cycle or a missing parent ends it)."""
    chain: list[dict[str, Any]] = []
    seen: set[str] = set()
    current: str | None = version
    while current and current not in seen and len(chain) < 1000:
        seen.add(current)
        row = await s.get(m.ModelReleaseRow, (model_name, current))
        if row is None:
            break
        v = as_dict(row, ("record",))
        v["metrics"] = row.record.get("metrics")
        v["reason"] = row.record.get("reason")
        chain.append(v)
        current = row.parent_version
    return chain


async def audit(
    s: AsyncSession,
    *,
    chain_id: str | None = None,
    scope_level: str | None = None,
    scope_id: str | None = None,
    action: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    t = m.AuditRow
    q = select(t).order_by(t.partition, t.offset.desc())
    for col, val in (
        (t.chain_id, chain_id), (t.scope_level, scope_level), (t.scope_id, scope_id),
        (t.action, action),
    ):  # fmt: skip
        if val:
            q = q.where(col == val)
    return [dict(r.record) for r in await s.scalars(q.limit(limit))]


async def audit_chain(s: AsyncSession, chain_id: str) -> list[dict[str, Any]]:
    t = m.AuditRow
    q = select(t.record).where(t.chain_id == chain_id).order_by(t.partition, t.offset)
    return [dict(r) for r in (await s.scalars(q)).all()]


async def audit_chains(s: AsyncSession) -> list[str]:
    q = select(m.AuditRow.chain_id).distinct().order_by(m.AuditRow.chain_id)
    return list((await s.scalars(q)).all())


async def commands(
    s: AsyncSession,
    *,
    scope_level: str | None = None,
    scope_id: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    c, o = m.CommandRow, m.CommandOutcomeRow
    q = (
        select(c, o.outcome, o.code, o.message)
        .outerjoin(o, o.command_id == c.command_id)
        .order_by(c.ts_event.desc(), c.command_id)
    )
    if scope_level:
        q = q.where(c.scope_level == scope_level)
    if scope_id:
        q = q.where(c.scope_id == scope_id)
    out = []
    for row, outcome, code, message in (await s.execute(q.limit(limit))).all():
        v = as_dict(row)
        v["outcome"] = outcome or "PENDING"
        v["outcome_code"] = code
        v["outcome_message"] = message
        out.append(v)
    return out


async def command_seen(s: AsyncSession, command_id: str) -> bool:
    return await s.get(m.CommandRow, command_id) is not None


async def services(s: AsyncSession) -> list[dict[str, Any]]:
    t = m.ServiceRow
    q = select(t).order_by(t.service, t.ts_event.desc())
    return [as_dict(r) for r in await s.scalars(q.limit(MAX_LIMIT))]
