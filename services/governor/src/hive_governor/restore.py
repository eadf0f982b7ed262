"""Restart: the governor's state put back from what it published (read at start by the runtime,
see `GovernorService.state_store`).

- A control.breakers record (the compacted topic) shows the most severe state of its scope,
  which is restored: its hold (with the bot's escalation level and limit halt), or its breaker
  with its reset_at, and the transition_seq numbering goes on from it. What it hid (a breaker
  under a halt, the violation count) starts afresh; limits are re-checked on the next snapshot.
- The governor's own audit chain, oldest first: changes applied and rolled back are put back
  into the change guard, so the day's count and rollback by id survive a restart; the values
  in force are rebuilt from the guard (commands/changes.py), so they are what the governor
  published on control.parameters. A command delivered again after a restart is known to the
  guard by its id: refused, it publishes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from hive.change_log import APPLIED, ROLLED_BACK
from hive.contracts.readers import RecordReader, read
from hive.topics import CONTROL_BREAKERS
from hive_governor.board import Board
from hive_governor.breakers import CLOSED, HALF_OPEN, OPEN
from hive_governor.change_guard import ChangeGuard
from hive_governor.errors import GovernorInputError
from hive_governor.escalation import LOCKED, PAUSED, SHADOW, Escalation
from hive_governor.inputs import input_error
from hive_governor.limits_watch import LimitsWatch
from hive_governor.scope_levels import ScopeLevel
from hive_governor.scopes import Hold

# Holds by the cause a published record shows.
_HALTED_HOLDS = {
    "LOCKED": "LOCK",
    "PAUSED": "PAUSE",
    "DAILY_LOSS": "DAILY_LOSS",
    "MAX_LOSS": "MAX_LOSS",
    "MAX_DRAWDOWN": "MAX_LOSS",
    "KILL_SWITCH": "KILL_SWITCH",
}
_ESCALATION_LEVELS = {
    "ESCALATION_SHADOW": SHADOW,
    "ESCALATION_PAUSED": PAUSED,
    "ESCALATION_LOCKED": LOCKED,
}


def restore_breaker(
    board: Board, limits: LimitsWatch, escalation: Escalation, record: Mapping[str, Any]
) -> None:
    """Take one control.breakers record (older than the scope's last one: skipped)."""
    r = read(CONTROL_BREAKERS, record, input_error)
    level, scope_id, seq = _breaker_key(r)
    scope = board.scope(level, scope_id)
    if scope.last is not None and seq <= scope.seq:
        return
    scope.seq, scope.last = seq, dict(r.record)
    scope.holds.clear()
    state = r.symbol("state")
    fallback = r.symbol("fallback_mode")
    cause = r.opt_string("cause") or ""
    opened_at = r.opt_integer("opened_at") or r.integer("ts_event")
    scope.breaker.restore(CLOSED, None, None, None)
    if state == HALF_OPEN:
        scope.breaker.restore(HALF_OPEN, cause or "RESET_TIMEOUT", opened_at, None)
    elif state == OPEN and cause in _ESCALATION_LEVELS:
        escalation.restore(scope_id, _ESCALATION_LEVELS[cause])
        scope.holds["ESCALATION"] = Hold(cause, opened_at)
    elif state == OPEN and fallback == "HALTED":
        kind = _HALTED_HOLDS.get(cause, "HALT")
        if kind in ("DAILY_LOSS", "MAX_LOSS"):
            limits.restore(scope_id, cause)
        scope.holds[kind] = Hold(cause if kind != "HALT" else "COMMAND", opened_at)
    elif state == OPEN and cause == "SERVICE_SILENT":
        scope.holds["SILENT"] = Hold(cause, opened_at)
    elif state == OPEN:
        scope.breaker.restore(OPEN, cause, opened_at, r.opt_integer("reset_at"))
        reset_at = scope.breaker.reset_at
        assert reset_at is not None
        board.schedule(reset_at, scope)


def restore_audit(changes: ChangeGuard, chain_id: str, event: Mapping[str, Any]) -> bool:
    """Take one audit event; events of another chain, and other actions, are skipped (False)."""
    if event.get("chain_id") != chain_id:
        return False
    action = event.get("action")
    if action not in (APPLIED, ROLLED_BACK):
        return False
    try:
        d = json.loads(str(event["details"]))
        if action == APPLIED:
            changes.replay_applied(
                change_id=str(d["change_id"]),
                ts=int(event["ts_event"]),
                scope_key=f"{event['scope_level']}:{event['scope_id']}",
                name=str(d["name"]),
                old_value=d.get("old_value"),
                new_value=str(d["new_value"]),
                actor=str(event.get("actor", "")),
                reason=str(d.get("reason", "")),
            )
        else:
            changes.replay_rolled_back(str(d["change_id"]), str(d["command_id"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise GovernorInputError(
            "bad_field", f"audit.events {event.get('event_id')}: details: {exc}"
        ) from None
    return True


def _breaker_key(r: RecordReader) -> tuple[ScopeLevel, str, int]:
    level = cast(ScopeLevel, r.symbol("scope_level", known=True))
    scope_id = r.nonempty("scope_id")
    seq = r.integer("transition_seq")
    if seq < 1:
        raise GovernorInputError("bad_field", f"{r.topic}: transition_seq must be >= 1, got {seq}")
    r.integer("ts_event")
    return level, scope_id, seq
