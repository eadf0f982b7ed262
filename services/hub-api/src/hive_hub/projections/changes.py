"""Rows for the hive's changes to itself: the change guard's verdicts (from audit.events) and
the values in force (control.parameters). Plain functions, no database, no Kafka."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hive.change_log import ChangeVerdict


def change_row(audit_event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `changes` row of a change guard verdict; None for any other audit event."""
    v = ChangeVerdict.from_audit(audit_event)
    if v is None:
        return None
    return {
        "event_id": v.event_id,
        "command_id": v.command_id,
        "change_id": v.change_id,
        "command": v.command,
        "action": v.action,
        "verdict": v.verdict,
        "scope_level": v.scope_level,
        "scope_id": v.scope_id,
        "name": v.name,
        "kind": v.kind,
        "old_value": v.old_value,
        "new_value": v.new_value,
        "code": v.code,
        "message": v.message,
        "actor": v.actor,
        "role": v.role,
        "reason": v.reason,
        "ts_event": v.ts,
    }


def parameter_row(value: Mapping[str, Any]) -> dict[str, Any]:
    """The `parameters` / `parameter_history` row of a control.parameters record."""
    return {
        "scope_level": str(value["scope_level"]),
        "scope_id": str(value["scope_id"]),
        "name": str(value["name"]),
        "event_id": str(value["event_id"]),
        "kind": str(value["kind"]),
        "value": value.get("value"),
        "previous_value": value.get("previous_value"),
        "change_id": value.get("change_id"),
        "actor": str(value["actor"]),
        "reason": str(value["reason"]),
        "ts_event": int(value["ts_event"]),
    }


def parameter_key(key: str) -> dict[str, str] | None:
    """A control.parameters Kafka key (level:scope_id:name; the name has no ':') as the table's
    primary key; None for a key of another shape."""
    level, sep, rest = key.partition(":")
    scope_id, sep2, name = rest.rpartition(":")
    if not (sep and sep2 and level and scope_id and name):
        return None
    return {"scope_level": level, "scope_id": scope_id, "name": name}
