"""Record factories and helpers for the governor's tests (no tests here).

Records start from the schema examples (schemas/examples/*.json), so every input is a complete,
valid record, and only the fields a test is about are changed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hive.limits import load_rule_sets
from hive.topics import AUDIT_EVENTS, CONTROL_BREAKERS, CONTROL_COMMANDS
from hive_governor import Governor, Output
from hive_governor.breakers import BreakerConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schemas" / "examples"
T0 = 1_497_427_200_000  # 2017-06-14 08:00 UTC
RULE_SETS = load_rule_sets()


def _example(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{stem}.json").read_text())
    return data


_EX = {
    s: _example(s)
    for s in (
        "trades_closed",
        "orders_executions",
        "orders_decisions",
        "accounts_snapshots",
        "control_commands",
        "hive_heartbeats",
        "registry_bots",
    )
}


def _from(stem: str, **fields: Any) -> dict[str, Any]:
    record = copy.deepcopy(_EX[stem])
    record.update(fields)
    if "ts_event" in fields:
        record["ts_init"] = fields["ts_event"]
    return record


def governor(config: BreakerConfig | None = None, **kw: Any) -> Governor:
    kw.setdefault("rule_sets", RULE_SETS)
    return Governor(config or BreakerConfig(), **kw)


def trade(
    event_id: str,
    ts: int,
    *,
    bot: str = "b1",
    cell: str = "c1",
    pnl: float = -100.0,
    shadow: bool = False,
) -> dict[str, Any]:
    return _from(
        "trades_closed",
        event_id=event_id,
        trade_id=event_id,
        ts_event=ts,
        exit_time=ts,
        bot_id=bot,
        cell_id=cell,
        pnl=pnl,
        shadow=shadow,
        shadow_reason="BREAKER" if shadow else "NONE",
    )


def execution(
    event_id: str,
    ts: int,
    status: str,
    *,
    bot: str = "b1",
    cell: str = "c1",
    shadow: bool = False,
    limp: bool = False,
) -> dict[str, Any]:
    return _from(
        "orders_executions",
        event_id=event_id,
        ts_event=ts,
        bot_id=bot,
        cell_id=cell,
        status=status,
        shadow=shadow,
        limp=limp,
    )


def decision(
    event_id: str,
    ts: int,
    reasons: Sequence[str] = ("constitution.max_risk_per_position",),
    *,
    bot: str = "b1",
    cell: str = "c1",
    allowed: bool = False,
    breaker_mode: str = "NONE",
) -> dict[str, Any]:
    return _from(
        "orders_decisions",
        event_id=event_id,
        ts_event=ts,
        bot_id=bot,
        cell_id=cell,
        allowed=allowed,
        reasons=list(reasons),
        breaker_mode=breaker_mode,
    )


def snapshot(
    seq: int,
    ts: int,
    equity: float,
    *,
    bot: str = "b1",
    cell: str = "c1",
    balance: float | None = None,
    initial: float = 100_000.0,
    day_start: float = 100_000.0,
    peak: float = 100_000.0,
    day: str = "2017-06-14",
    reason: str = "MARK_TO_MARKET",
    open_positions: int = 1,
) -> dict[str, Any]:
    bal = equity if balance is None else balance
    return _from(
        "accounts_snapshots",
        event_id=f"{bot}:{seq}",
        ts_event=ts,
        bot_id=bot,
        cell_id=cell,
        sequence=seq,
        balance=bal,
        equity=equity,
        unrealized_pnl=equity - bal,
        open_positions=open_positions,
        initial_balance=initial,
        day_start_balance=day_start,
        day_start_equity=day_start,
        peak_equity=peak,
        daily_loss=max(0.0, day_start - equity),
        drawdown=max(0.0, peak - equity),
        total_loss=max(0.0, initial - equity),
        trading_day=day,
        reason=reason,
        realized_pnl_today=bal - day_start,
    )


def command(
    cmd: str,
    ts: int,
    *,
    level: str = "BOT",
    scope_id: str = "b1",
    role: str = "OPERATOR",
    actor: str = "alice",
    reason: str = "operator's reason",
    params: dict[str, str] | None = None,
    command_id: str | None = None,
    origin: str = "hub-api",
) -> dict[str, Any]:
    cid = command_id or f"cmd-{cmd.lower()}-{level.lower()}-{scope_id}-{ts}"
    return _from(
        "control_commands",
        event_id=cid,
        command_id=cid,
        ts_event=ts,
        command=cmd,
        scope_level=level,
        scope_id=scope_id,
        role=role,
        actor=actor,
        reason=reason,
        parameters=params or {},
        origin=origin,
        cause_event_id=None,
    )


def heartbeat(
    service: str, ts: int, *, instance: str = "i1", seq: int = 0, interval_ms: int = 1000
) -> dict[str, Any]:
    return _from(
        "hive_heartbeats",
        event_id=f"{service}:{instance}:{seq}",
        ts_event=ts,
        service=service,
        instance_id=instance,
        sequence=seq,
        interval_ms=interval_ms,
    )


def bot(
    bot_id: str = "b1",
    cell: str = "c1",
    rule_set: str = "ftmo_2step",
    *,
    account_size: float = 100_000.0,
    risk_per_trade: float = 0.01,
) -> dict[str, Any]:
    return _from(
        "registry_bots",
        event_id=f"{bot_id}:1",
        bot_id=bot_id,
        cell_id=cell,
        rule_set=rule_set,
        account_size=account_size,
        risk_per_trade=risk_per_trade,
        rule_overrides={},
    )


# ------------------------------------------------------------------------------ output helpers
def values(outs: Iterable[Output], topic: str) -> list[dict[str, Any]]:
    return [o.value for o in outs if o.topic == topic]


def breakers(outs: Iterable[Output]) -> list[dict[str, Any]]:
    return values(outs, CONTROL_BREAKERS)


def commands(outs: Iterable[Output]) -> list[dict[str, Any]]:
    return values(outs, CONTROL_COMMANDS)


def audits(outs: Iterable[Output], action: str | None = None) -> list[dict[str, Any]]:
    return [a for a in values(outs, AUDIT_EVENTS) if action is None or a["action"] == action]


def details(audit: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(audit["details"])
    return data


def actions(outs: Iterable[Output]) -> list[str]:
    return [a["action"] for a in audits(outs)]


def state_of(g: Governor, key: str) -> dict[str, Any] | None:
    for record in g.breaker_states():
        if f"{record['scope_level']}:{record['scope_id']}" == key:
            return record
    return None


def losses(
    g: Governor,
    n: int,
    start_ts: int,
    *,
    bot: str = "b1",
    cell: str = "c1",
    step: int = 1000,
    tag: str = "",
) -> list[Output]:
    outs: list[Output] = []
    for i in range(n):
        outs += g.on_trade(
            trade(f"{tag}{bot}-loss-{start_ts + i * step}", start_ts + i * step, bot=bot, cell=cell)
        )
    return outs
