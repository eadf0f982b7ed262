"""A plain fake of the governor's change guard for the learner's unit tests, and a feeder that
carries the learner's proposals to it and its answers back, as the hive's topics would.

The fake answers a proposal (a control.commands record) the way the governor does: applied ->
the control.parameters record of `model.<name>` with the version in force (change id = the
command id); refused (after `per_day` changes on the command's UTC day, or always when
`refuse` is set) -> the governor's CHANGE_REFUSED audit event naming the command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hive.audit import AuditChain
from hive.parameters import EffectiveParameter
from hive.topics import CONTROL_COMMANDS, LEARNER_MODELS
from hive_learner.learner import Learner
from hive_learner.outputs import Output

DAY_MS = 86_400_000


class FakeChangeGuard:
    def __init__(self, per_day: int = 3, *, refuse: str | None = None) -> None:
        self.per_day = per_day
        self.refuse = refuse
        self.chain = AuditChain("governor")
        self.in_force: dict[str, tuple[str, str]] = {}  # name -> (version, change id)
        self.history: dict[str, list[tuple[str | None, str | None]]] = {}
        self.days: dict[int, int] = {}
        self.commands: list[dict[str, Any]] = []
        self.answers: list[tuple[str, dict[str, Any]]] = []  # ("parameters" | "audit", record)

    def answer(self, cmd: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        self.commands.append(dict(cmd))
        name, version = cmd["parameters"]["name"], cmd["parameters"]["value"]
        ts, command_id = int(cmd["ts_event"]), str(cmd["command_id"])
        done = self.days.get(ts // DAY_MS, 0)
        why = self.refuse or (
            f"GLOBAL:global already had {done} changes on that day (UTC); the constitution "
            f"allows {self.per_day} a day"
            if done >= self.per_day
            else None
        )
        if why is not None:
            event = self.chain.append(
                ts_event=ts,
                actor=str(cmd["actor"]),
                role=str(cmd["role"]),
                action="CHANGE_REFUSED",
                scope_level="GLOBAL",
                scope_id="global",
                details={"command_id": command_id, "code": "daily_change_limit", "message": why},
                cause_event_id=command_id,
            )
            self.answers.append(("audit", event))
            return self.answers[-1]
        self.days[ts // DAY_MS] = done + 1
        previous = self.in_force.get(name)
        self.history.setdefault(name, []).append(previous or (None, None))
        self.in_force[name] = (version, command_id)
        record = self.parameter(name, ts, command_id, version, command_id, previous, cmd)
        self.answers.append(("parameters", record))
        return self.answers[-1]

    def rollback(self, name: str, ts: int, rollback_id: str) -> dict[str, Any]:
        """The control.parameters record of rolling back the change in force for `name`."""
        withdrawn = self.in_force.pop(name)
        version, change_id = self.history[name].pop()
        if version is not None and change_id is not None:
            self.in_force[name] = (version, change_id)
        cmd = {"actor": "alice", "reason": "the new model sizes badly"}
        return self.parameter(name, ts, rollback_id, version, change_id, withdrawn, cmd)

    @staticmethod
    def parameter(
        name: str,
        ts: int,
        event_id: str,
        version: str | None,
        change_id: str | None,
        previous: tuple[str, str] | None,
        cmd: Mapping[str, Any],
    ) -> dict[str, Any]:
        return EffectiveParameter(
            event_id=event_id,
            ts=ts,
            scope_level="GLOBAL",
            scope_id="global",
            name=name,
            kind="PARAMETER",
            value=version,
            previous_value=previous[0] if previous else None,
            change_id=change_id,
            actor=str(cmd["actor"]),
            reason=str(cmd["reason"]),
        ).record()


def deliver(learner: Learner, outputs: list[Output], guard: FakeChangeGuard | None) -> list[Output]:
    """The learner's outputs, each proposal followed by what the learner made of the answer."""
    out: list[Output] = []
    for o in outputs:
        out.append(o)
        if o.topic == CONTROL_COMMANDS and guard is not None:
            kind, record = guard.answer(o.value)
            more = (
                learner.on_parameter(record) if kind == "parameters" else learner.on_audit(record)
            )
            out += deliver(learner, more, guard)
    return out


def feed(
    learner: Learner, trades: Iterable[Mapping[str, Any]], guard: FakeChangeGuard | None
) -> list[Output]:
    out: list[Output] = []
    for t in trades:
        out += deliver(learner, learner.on_trade(t), guard)
    return out


def releases(outputs: Iterable[Output]) -> list[dict[str, Any]]:
    return [o.value for o in outputs if o.topic == LEARNER_MODELS]


def proposals(outputs: Iterable[Output]) -> list[dict[str, Any]]:
    return [o.value for o in outputs if o.topic == CONTROL_COMMANDS]
