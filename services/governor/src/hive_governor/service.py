"""governor: account snapshots, trades, executions, decisions, heartbeats and commands ->
breaker states, system commands and the audit trail.

Restart: the breaker states are read back from the compacted `control.breakers` topic and the
audit chain continues after its last published event; inputs continue from the committed
offsets (outputs and offsets commit in one transaction, `exactly_once`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.state_store import StateStore
from hive.topics import (
    ACCOUNTS_SNAPSHOTS,
    AUDIT_EVENTS,
    CONTROL_BREAKERS,
    CONTROL_COMMANDS,
    CONTROL_PARAMETERS,
    HIVE_HEARTBEATS,
    ORDERS_DECISIONS,
    ORDERS_EXECUTIONS,
    REGISTRY_BOTS,
    TRADES_CLOSED,
)
from hive_governor.errors import GovernorInputError
from hive_governor.governor import Governor, Output

CHAIN_ID = "governor"
INPUTS = [
    REGISTRY_BOTS,
    CONTROL_COMMANDS,
    HIVE_HEARTBEATS,
    ACCOUNTS_SNAPSHOTS,
    TRADES_CLOSED,
    ORDERS_EXECUTIONS,
    ORDERS_DECISIONS,
]
OUTPUTS = [CONTROL_BREAKERS, CONTROL_COMMANDS, CONTROL_PARAMETERS, AUDIT_EVENTS]
TABLES = [REGISTRY_BOTS]

log = logging.getLogger("hive_governor")


def _wall_ms() -> int:
    return int(time.time() * 1000)


class BreakerGauges:
    """The published scope states as Prometheus gauges, for the alert rules and dashboards
    (deploy/prometheus/rules): `hive_breaker_open{scope_level,scope_id}` is 1 while a scope is
    OPEN (breaker tripped or a hold in force), `hive_bot_halted{bot_id}` 1 while a bot is OPEN
    with fallback HALTED (a limit, a halt, a pause or a lock)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.open = Gauge(
            "hive_breaker_open",
            "1 while the scope's state is OPEN (breaker tripped or a hold in force)",
            ["scope_level", "scope_id"],
            registry=registry,
        )
        self.halted = Gauge(
            "hive_bot_halted", "1 while the bot is OPEN with fallback HALTED", ["bot_id"],
            registry=registry,
        )  # fmt: skip

    def observe(self, record: Mapping[str, Any]) -> None:
        level, scope_id = str(record["scope_level"]), str(record["scope_id"])
        is_open = record.get("state") == "OPEN"
        self.open.labels(level, scope_id).set(1 if is_open else 0)
        if level == "BOT":
            halted = is_open and record.get("fallback_mode") == "HALTED"
            self.halted.labels(scope_id).set(1 if halted else 0)


class GovernorService:
    """Routes records to the governor; heartbeats also tick its liveness check (every service
    beats every few seconds, so the check runs at least that often). At start, the runtime
    reads the governor's own state back through `state_store` (restore.py)."""

    def __init__(
        self,
        governor: Governor,
        clock: Callable[[], int] = _wall_ms,
        gauges: BreakerGauges | None = None,
    ) -> None:
        self.governor = governor
        self.clock = clock
        self.gauges = gauges
        g = governor
        self._routes: dict[str, Callable[[InboundRecord], Sequence[Output]]] = {
            REGISTRY_BOTS: lambda r: g.on_bot(None if r.tombstone else r.value, r.key),
            CONTROL_COMMANDS: lambda r: g.on_command(r.value),
            HIVE_HEARTBEATS: self._on_heartbeat,
            ACCOUNTS_SNAPSHOTS: lambda r: g.on_snapshot(r.value),
            TRADES_CLOSED: lambda r: g.on_trade(r.value),
            ORDERS_EXECUTIONS: lambda r: g.on_execution(r.value),
            ORDERS_DECISIONS: lambda r: g.on_decision(r.value),
        }

    def _on_heartbeat(self, rec: InboundRecord) -> list[Output]:
        now = self.clock()
        return [*self.governor.on_heartbeat(rec.value, now), *self.governor.check_liveness(now)]

    def handle(self, rec: InboundRecord) -> list[OutboundRecord]:
        try:
            outputs = self._routes[rec.topic](rec)
        except GovernorInputError as exc:
            raise RejectRecord(exc.reason, str(exc)) from exc
        if self.gauges is not None:
            for o in outputs:
                if o.topic == CONTROL_BREAKERS:
                    self.gauges.observe(o.value)
        return [OutboundRecord(o.topic, o.value, key=o.key) for o in outputs]

    def state_store(self) -> StateStore:
        """Breaker states from the compacted topic; the audit chain (and the change guard's
        history in it) from the governor's own chain, oldest first."""
        governor, gauges = self.governor, self.gauges
        chain = governor.audit.chain
        breakers: dict[str, dict[str, object]] = {}
        own: list[dict[str, object]] = []

        def keep(rec: InboundRecord) -> None:
            if rec.topic == CONTROL_BREAKERS and not rec.tombstone:
                breakers[f"{rec.value['scope_level']}:{rec.value['scope_id']}"] = rec.value
            elif rec.topic == AUDIT_EVENTS and rec.value.get("chain_id") == CHAIN_ID:
                own.append(rec.value)

        def restored() -> None:
            for record in breakers.values():
                governor.restore_breaker(record)
            for event in own:
                governor.restore_audit(event)
            chain.resume_after(own[-1] if own else None)
            if gauges is not None:
                for state in governor.breaker_states():  # what was restored is what is in force
                    gauges.observe(state)
            log.info("restored %d breaker state(s) and %d audit event(s)", len(breakers), len(own))

        return StateStore(topics=(CONTROL_BREAKERS, AUDIT_EVENTS), keep=keep, restored=restored)
