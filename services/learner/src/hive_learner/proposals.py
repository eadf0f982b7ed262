"""A promotion is a change like any other: proposed to the governor's change guard, decided there.

A candidate that passes the promotion metrics is not promoted by the learner. It is proposed on
control.commands: SET_PARAMETER at GLOBAL scope, `model.<model_name>` = the version, actor and
origin "learner", role SYSTEM, command_id `learner:<model_name>:<version>`, ts_event = the
release's. The governor's change guard applies or refuses it and counts it in the hive's
3 changes a day, like an operator's change. The answer comes back on two topics:

- applied, or rolled back later: the control.parameters record of `model.<model_name>` at
  GLOBAL scope; its value is the version in force (null: none, the cards use their prior);
- refused: the governor's audit event (CHANGE_REFUSED, ...) that names the command_id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hive.change_log import CHANGE_REFUSALS
from hive.parameters import GLOBAL_SCOPE_ID, EffectiveParameter, model_parameter
from hive.topics import CONTROL_COMMANDS
from hive_learner.outputs import Output

LEARNER: Final = "learner"  # actor and origin of the learner's commands
GLOBAL: Final = "GLOBAL"
# A redelivered proposal the governor already decided is refused as a duplicate: that is not
# an answer about the release (the first decision was).
_DUPLICATE = "duplicate_change"


def proposal_id(model_name: str, version: str) -> str:
    """The command_id (and change id, once applied) of a release's proposal."""
    return f"{LEARNER}:{model_name}:{version}"


def proposal(candidate: Mapping[str, Any], reason: str) -> Output:
    """The SET_PARAMETER proposing the release `candidate` (its CANDIDATE record)."""
    model_name, version = str(candidate["model_name"]), str(candidate["version"])
    command_id = proposal_id(model_name, version)
    ts = int(candidate["ts_event"])
    record = {
        "event_id": command_id,
        "ts_event": ts,
        "ts_init": ts,
        "command_id": command_id,
        "command": "SET_PARAMETER",
        "scope_level": GLOBAL,
        "scope_id": GLOBAL_SCOPE_ID,
        "actor": LEARNER,
        "role": "SYSTEM",
        "reason": f"promote {model_name} {version}: {reason}",
        "parameters": {"name": model_parameter(model_name), "value": version},
        "origin": LEARNER,
        "cause_event_id": str(candidate["event_id"]),
    }
    return Output(CONTROL_COMMANDS, f"{GLOBAL}:{GLOBAL_SCOPE_ID}", record)


@dataclass(frozen=True)
class InForce:
    """What a control.parameters record of the model says is in force."""

    version: str | None  # None: no version (the cards' prior)
    change_id: str | None  # the change whose value is in force
    previous: str | None  # the version in force before this record
    event_id: str  # the command that applied the change, or that rolled one back
    ts: int
    actor: str
    reason: str

    @property
    def rolled_back(self) -> bool:
        """The record comes from a rollback: `previous` was withdrawn, not superseded."""
        return self.event_id != self.change_id


def in_force(record: Mapping[str, Any], model_name: str) -> InForce | None:
    """The model's version in force from a control.parameters record; None for another name or
    scope. Raises `RecordError` for a record the schema refuses."""
    param = EffectiveParameter.read(record)
    if param.scope_level != GLOBAL or param.name != model_parameter(model_name):
        return None
    return InForce(
        version=param.value,
        change_id=param.change_id,
        previous=param.previous_value,
        event_id=param.event_id,
        ts=param.ts,
        actor=param.actor,
        reason=param.reason,
    )


@dataclass(frozen=True)
class Refusal:
    command_id: str
    code: str
    message: str
    ts: int


def refusal(record: Mapping[str, Any]) -> Refusal | None:
    """The governor's refusal of a proposed change, from an audit.events record; None for any
    other event (other actions, other chains' events, a duplicate's refusal)."""
    if record.get("action") not in CHANGE_REFUSALS:
        return None
    try:
        details = json.loads(str(record.get("details") or "{}"))
    except json.JSONDecodeError:
        return None
    if not isinstance(details, dict) or details.get("code") == _DUPLICATE:
        return None
    command_id = details.get("command_id")
    if not isinstance(command_id, str):
        return None
    return Refusal(
        command_id,
        str(details.get("code") or ""),
        str(details.get("message") or ""),
        int(record.get("ts_event") or 0),
    )
