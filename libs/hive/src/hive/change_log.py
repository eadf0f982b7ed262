"""The change guard's verdicts as read back from the audit trail: what the hive changed in itself.

The governor audits every SET_PARAMETER and ROLLBACK_CHANGE it decides on its chain of
`audit.events` (actions below; `details` is JSON with command, command_id, reason, code, message,
parameters and, once the change is known, change_id, name, old_value, new_value, day). Readers
that show those changes (the hub's /v1/changes and /v1/rules, the replay summary) read them with
`ChangeVerdict.from_audit`, so every reader names and counts them the same way.

- `change_id` is the change the verdict is about: the proposal's own command_id for a
  SET_PARAMETER, the change being undone for a ROLLBACK_CHANGE.
- `old_value` / `new_value` are the value before and after the verdict's command: a refused
  proposal has only the value it proposed (new_value), a rollback's new value is the one it
  restored (None: the owner's own value), a refused rollback changed nothing (both None).
- A rule is a change whose name starts with "rule." (hive.parameters.RULE_PREFIX); its value is
  the rule's JSON: rule_id, when {source, regime, session, symbol}, action, evidence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hive.parameters import PARAMETER, RULE, RULE_PREFIX

APPLIED: Final = "CHANGE_APPLIED"
REFUSED: Final = "CHANGE_REFUSED"
CONSTITUTION_REFUSED: Final = "CONSTITUTION_CHANGE_REFUSED"
ROLLED_BACK: Final = "CHANGE_ROLLED_BACK"
ROLLBACK_REFUSED: Final = "ROLLBACK_REFUSED"
VERDICT_ACTIONS: Final = frozenset(
    {APPLIED, REFUSED, CONSTITUTION_REFUSED, ROLLED_BACK, ROLLBACK_REFUSED}
)
# The governor's audit actions for a proposed change it refused (its change guard's verdicts and
# its command rules'): how a proposer learns "no" (a "yes" shows on control.parameters).
CHANGE_REFUSALS: Final = frozenset({REFUSED, CONSTITUTION_REFUSED, "COMMAND_REFUSED"})
SET_PARAMETER: Final = "SET_PARAMETER"
ROLLBACK_CHANGE: Final = "ROLLBACK_CHANGE"

# The verdict in one word: a proposal is APPLIED or REFUSED, a rollback ROLLED_BACK or REFUSED.
VERDICTS: Final[Mapping[str, str]] = {
    APPLIED: "APPLIED",
    REFUSED: "REFUSED",
    CONSTITUTION_REFUSED: "REFUSED",
    ROLLED_BACK: "ROLLED_BACK",
    ROLLBACK_REFUSED: "REFUSED",
}


def _details(record: Mapping[str, Any]) -> dict[str, Any]:
    raw = record.get("details")
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        parsed = json.loads(str(raw or "{}"))
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def rule_id_of(name: str | None) -> str | None:
    """ "rule.skip-chaos" -> "skip-chaos"; None for a parameter's name."""
    if name is None or not name.startswith(RULE_PREFIX):
        return None
    return name[len(RULE_PREFIX) :]


def rule_json(value: str | None) -> dict[str, Any] | None:
    """A rule's value read as its JSON object; None when it is not one."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


@dataclass(frozen=True)
class ChangeVerdict:
    """One audited verdict of the change guard."""

    event_id: str  # the audit event's
    ts: int
    action: str  # one of VERDICT_ACTIONS
    command: str  # SET_PARAMETER or ROLLBACK_CHANGE
    command_id: str
    change_id: str | None
    scope_level: str
    scope_id: str
    name: str | None
    old_value: str | None
    new_value: str | None
    code: str | None
    message: str | None
    actor: str
    role: str
    reason: str

    @property
    def verdict(self) -> str:
        return VERDICTS[self.action]

    @property
    def kind(self) -> str:
        return RULE if self.rule_id is not None else PARAMETER

    @property
    def rule_id(self) -> str | None:
        return rule_id_of(self.name)

    @property
    def is_proposal(self) -> bool:
        return self.command == SET_PARAMETER

    @classmethod
    def from_audit(cls, record: Mapping[str, Any]) -> ChangeVerdict | None:
        """The verdict an audit event records; None for any other event."""
        action = str(record.get("action"))
        if action not in VERDICT_ACTIONS:
            return None
        d = _details(record)
        params = d.get("parameters")
        params = params if isinstance(params, Mapping) else {}
        rollback = action in (ROLLED_BACK, ROLLBACK_REFUSED)
        command_id = str(d.get("command_id") or record["event_id"])
        if rollback:
            change_id = _text(d.get("change_id") or params.get("change_id"))
            old, new = (
                (d.get("new_value"), d.get("old_value")) if action == ROLLED_BACK else (None, None)
            )
        else:
            change_id = _text(d.get("change_id")) or command_id
            old = d.get("old_value")
            new = d.get("new_value", params.get("value"))
        return cls(
            event_id=str(record["event_id"]),
            ts=int(record["ts_event"]),
            action=action,
            command=str(d.get("command") or (ROLLBACK_CHANGE if rollback else SET_PARAMETER)),
            command_id=command_id,
            change_id=change_id,
            scope_level=str(record["scope_level"]),
            scope_id=str(record["scope_id"]),
            name=_text(d.get("name") or params.get("name")),
            old_value=_text(old),
            new_value=_text(new),
            code=_text(d.get("code")),
            message=_text(d.get("message")),
            actor=str(record["actor"]),
            role=str(record["role"]),
            reason=str(d.get("reason") or ""),
        )
