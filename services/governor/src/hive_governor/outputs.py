"""What the governor produces: records for four topics, with their keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.audit import AuditChain
from hive.parameters import EffectiveParameter
from hive.topics import AUDIT_EVENTS, CONTROL_BREAKERS, CONTROL_COMMANDS, CONTROL_PARAMETERS
from hive_governor.actors import GOVERNOR


@dataclass(frozen=True)
class Output:
    topic: str
    key: str
    value: dict[str, Any]


def breaker_output(record: dict[str, Any]) -> Output:
    return Output(CONTROL_BREAKERS, f"{record['scope_level']}:{record['scope_id']}", record)


def command_output(record: dict[str, Any]) -> Output:
    return Output(CONTROL_COMMANDS, f"{record['scope_level']}:{record['scope_id']}", record)


def parameter_output(param: EffectiveParameter) -> Output:
    return Output(CONTROL_PARAMETERS, param.key, param.record())


class Auditor:
    """Appends to the governor's hash chain and wraps each event as an Output."""

    def __init__(self, chain: AuditChain | None = None) -> None:
        self.chain = chain if chain is not None else AuditChain(GOVERNOR)

    def event(
        self,
        *,
        ts: int,
        action: str,
        scope_level: str,
        scope_id: str,
        details: Mapping[str, Any],
        actor: str = GOVERNOR,
        role: str = "SYSTEM",
        cause_event_id: str | None = None,
    ) -> Output:
        event = self.chain.append(
            ts_event=ts,
            actor=actor,
            role=role,
            action=action,
            scope_level=scope_level,
            scope_id=scope_id,
            details=details,
            cause_event_id=cause_event_id,
        )
        return Output(AUDIT_EVENTS, self.chain.chain_id, event)
