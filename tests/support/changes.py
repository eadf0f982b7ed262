"""The change guard's audit events and control.parameters records, built as the governor writes
them (hive_governor.commands.changes), for the readers' tests: the hub, the replay summary,
hive.change_log (no tests here).

`year()` is one small self-modifying year whose every verdict the tests assert:
- Feb 1: the learner's rule skip-chaos-fxvip is deployed (GLOBAL);
- Feb 2: the learner's rule halve-asia-gold is refused (too many active rules);
- Mar 1: alice sets risk_per_trade 0.005 on bot b1 (applied); Mar 2: her max_drawdown change
  is refused by the constitution;
- Apr 1: the learner's rule cut-london-eurusd is deployed, Apr 20 rolled back (it stopped paying);
- Apr 21: a second rollback of it is refused (already rolled back).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hive.audit import AuditChain

DAY = 86_400_000


def ts(day: str) -> int:
    """ "2017-02-01" at 10:00 UTC, epoch ms."""
    return int(datetime.fromisoformat(f"{day}T10:00:00+00:00").astimezone(UTC).timestamp() * 1000)


def evidence(
    trades: int, expectancy_r: float, p_value: float, start: str, end: str
) -> dict[str, Any]:
    """A rule's evidence as hive.rules writes it."""
    return {
        "trades": trades,
        "expectancy_r": expectancy_r,
        "test": "one-sided t-test of mean R < 0",
        "statistic": -2.5,
        "p_value": p_value,
        "window_start": ts(start),
        "window_end": ts(end),
    }


def rule(
    rule_id: str,
    action: str = "skip",
    proof: dict[str, Any] | None = None,
    risk_scale: float | None = None,
    **when: str,
) -> dict[str, Any]:
    """A rule's JSON object as hive.rules writes it (`when`: only the fields set)."""
    out: dict[str, Any] = {
        "rule_id": rule_id,
        "when": {k: when[k] for k in ("source", "regime", "session", "symbol") if k in when},
        "action": action,
        "evidence": proof or evidence(30, -0.3, 0.01, "2017-01-02", "2017-01-31"),
    }
    if risk_scale is not None:
        out["risk_scale"] = risk_scale
    return out


def audit_event(
    seq: int,
    at: int,
    action: str,
    details: dict[str, Any],
    *,
    scope: tuple[str, str] = ("GLOBAL", "global"),
    actor: str = "learner",
    role: str = "SYSTEM",
) -> dict[str, Any]:
    """A governor audit event (hashes are placeholders: readers here do not verify)."""
    return {
        "event_id": f"governor:{seq}",
        "ts_event": at,
        "ts_init": at,
        "chain_id": "governor",
        "sequence": seq,
        "actor": actor,
        "role": role,
        "action": action,
        "scope_level": scope[0],
        "scope_id": scope[1],
        "details": json.dumps(details, sort_keys=True),
        "cause_event_id": f"cmd-{seq}",
        "prev_hash": "0" * 64,
        "hash": f"{seq:064d}",
        "hash_version": 1,
    }


def chained(events: list[dict[str, Any]], chain_id: str) -> list[dict[str, Any]]:
    """The same events as a real, verifiable chain `chain_id` (ids `chain_id:0`, `:1`, ...)."""
    chain = AuditChain(chain_id)
    return [
        chain.append(
            ts_event=e["ts_event"],
            actor=e["actor"],
            role=e["role"],
            action=e["action"],
            scope_level=e["scope_level"],
            scope_id=e["scope_id"],
            details=json.loads(e["details"]),
            cause_event_id=e["cause_event_id"],
        )
        for e in events
    ]


def proposal(
    seq: int,
    at: int,
    command_id: str,
    name: str,
    value: str,
    *,
    applied: bool,
    old: str | None = None,
    code: str = "applied",
    message: str | None = None,
    action: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A SET_PARAMETER verdict: applied (with the change's fields) or refused (without)."""
    details: dict[str, Any] = {
        "command": "SET_PARAMETER",
        "command_id": command_id,
        "reason": kw.pop("reason", "backtest says so"),
        "code": code,
        "message": message or (f"{name} = {value}" if applied else code),
        "parameters": {"name": name, "value": value},
    }
    if applied:
        details.update(
            change_id=command_id,
            name=name,
            old_value=old,
            new_value=value,
            day=datetime.fromtimestamp(at / 1000, UTC).date().isoformat(),
            changes_that_day=1,
        )
    verdict = action or ("CHANGE_APPLIED" if applied else "CHANGE_REFUSED")
    return audit_event(seq, at, verdict, details, **kw)


def rollback(
    seq: int,
    at: int,
    command_id: str,
    change: dict[str, Any],
    *,
    refused_code: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A ROLLBACK_CHANGE verdict on the applied `change` (its audit event)."""
    c = json.loads(change["details"])
    details: dict[str, Any] = {
        "command": "ROLLBACK_CHANGE",
        "command_id": command_id,
        "reason": kw.pop("reason", "stopped paying"),
        "code": refused_code or "rolled_back",
        "message": f"{c['name']} back to default" if refused_code is None else refused_code,
        "parameters": {"change_id": c["change_id"]},
        "change_id": c["change_id"],
        "name": c["name"],
        "old_value": c["old_value"],
        "new_value": c["new_value"],
        "day": c["day"],
        "changes_that_day": 1,
    }
    kw.setdefault("scope", (change["scope_level"], change["scope_id"]))
    action = "ROLLBACK_REFUSED" if refused_code else "CHANGE_ROLLED_BACK"
    return audit_event(seq, at, action, details, **kw)


def in_force(
    at: int,
    event_id: str,
    name: str,
    value: str | None,
    *,
    change_id: str | None,
    kind: str = "RULE",
    scope: tuple[str, str] = ("GLOBAL", "global"),
    previous: str | None = None,
    actor: str = "learner",
) -> dict[str, Any]:
    """A control.parameters record."""
    return {
        "event_id": event_id,
        "ts_event": at,
        "ts_init": at,
        "scope_level": scope[0],
        "scope_id": scope[1],
        "name": name,
        "kind": kind,
        "value": value,
        "previous_value": previous,
        "change_id": change_id,
        "actor": actor,
        "reason": "test",
    }


SKIP_CHAOS = rule(
    "skip-chaos-fxvip",
    proof=evidence(41, -0.42, 0.004, "2017-01-02", "2017-01-31"),
    source="fx-vip",
    regime="CHAOS",
)
HALVE_ASIA = rule(
    "halve-asia-gold",
    "risk_scale",
    evidence(25, -0.2, 0.03, "2017-01-02", "2017-02-01"),
    risk_scale=0.5,
    session="ASIA",
    symbol="XAUUSD",
)
CUT_LONDON = rule(
    "cut-london-eurusd",
    proof=evidence(30, -0.25, 0.02, "2017-02-01", "2017-03-31"),
    session="LONDON",
    symbol="EURUSD",
)


def _j(r: dict[str, Any]) -> str:
    return json.dumps(r, sort_keys=True)


def year() -> dict[str, list[dict[str, Any]]]:
    """The audit events (in chain order) and control.parameters records of the year above."""
    deploy_chaos = proposal(
        1, ts("2017-02-01"), "r-1", "rule.skip-chaos-fxvip", _j(SKIP_CHAOS), applied=True
    )
    refuse_asia = proposal(
        2,
        ts("2017-02-02"),
        "r-2",
        "rule.halve-asia-gold",
        _j(HALVE_ASIA),
        applied=False,
        code="max_active_rules",
        message="already 50 active rules (constitution)",
    )
    risk = proposal(
        3,
        ts("2017-03-01"),
        "c-3",
        "risk_per_trade",
        "0.005",
        applied=True,
        old="0.01",
        scope=("BOT", "b1"),
        actor="alice",
        role="ADMIN",
        reason="halve risk",
    )
    drawdown = proposal(
        4,
        ts("2017-03-02"),
        "c-4",
        "max_drawdown",
        "20",
        applied=False,
        action="CONSTITUTION_CHANGE_REFUSED",
        code="constitution",
        message="max_drawdown is part of the constitution and cannot be changed at run time",
        scope=("BOT", "b1"),
        actor="alice",
        role="ADMIN",
    )
    deploy_london = proposal(
        5, ts("2017-04-01"), "r-5", "rule.cut-london-eurusd", _j(CUT_LONDON), applied=True
    )
    undo_london = rollback(6, ts("2017-04-20"), "rb-6", deploy_london)
    undo_again = rollback(
        7, ts("2017-04-21"), "rb-7", deploy_london, refused_code="already_rolled_back"
    )
    audit = [deploy_chaos, refuse_asia, risk, drawdown, deploy_london, undo_london, undo_again]
    parameters = [
        in_force(ts("2017-02-01"), "r-1", "rule.skip-chaos-fxvip", _j(SKIP_CHAOS), change_id="r-1"),
        in_force(
            ts("2017-03-01"),
            "c-3",
            "risk_per_trade",
            "0.005",
            change_id="c-3",
            kind="PARAMETER",
            scope=("BOT", "b1"),
            actor="alice",
        ),
        in_force(
            ts("2017-04-01"), "r-5", "rule.cut-london-eurusd", _j(CUT_LONDON), change_id="r-5"
        ),
        in_force(
            ts("2017-04-20"),
            "rb-6",
            "rule.cut-london-eurusd",
            None,
            change_id=None,
            previous=_j(CUT_LONDON),
        ),
    ]
    return {"audit": audit, "parameters": parameters}
