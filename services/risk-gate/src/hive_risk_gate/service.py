"""risk-gate: scored signals -> orders.decisions (every one, with reasons) + orders.intents;
management updates -> orders.decisions (kind MODIFICATION, one per bot holding the signal).

State comes from the other inputs: the bot registry, breaker states, the changes in force
(control.parameters, overlaid on each bot; among them the version of the learner's model in
use), account snapshots,
model releases, closed trades (for the cards), and SWAP_CARD commands, which are audited on
the gate's own chain of audit.events.

Restart: the tables are loaded whole (see TABLES); then the runtime reads back what the gate
published (`restart_store`): audit.events, so the chain continues after its last published
event, and orders.intents and orders.decisions, so the orders it approved and the stops it let
move are known again before the next update is judged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from hive.audit import AuditChain
from hive.bots import BotConfigError
from hive.contracts.readers import RecordError
from hive.liveness import GovernorWatch
from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.records import Handler
from hive.runtime.state_store import StateStore
from hive.topics import (
    ACCOUNTS_SNAPSHOTS,
    AUDIT_EVENTS,
    CONTROL_BREAKERS,
    CONTROL_COMMANDS,
    CONTROL_PARAMETERS,
    HIVE_HEARTBEATS,
    LEARNER_MODELS,
    ORDERS_DECISIONS,
    ORDERS_INTENTS,
    REGISTRY_BOTS,
    SIGNALS_SCORED,
    SIGNALS_UPDATES,
    TRADES_CLOSED,
)
from hive_risk_gate.cards.book import CardSwapError
from hive_risk_gate.gate import RiskGate
from hive_risk_gate.signals import SignalInputError
from hive_risk_gate.updates import UpdateInputError

INPUTS = [
    REGISTRY_BOTS,
    CONTROL_BREAKERS,
    CONTROL_PARAMETERS,
    LEARNER_MODELS,
    ACCOUNTS_SNAPSHOTS,
    TRADES_CLOSED,
    CONTROL_COMMANDS,
    HIVE_HEARTBEATS,
    SIGNALS_SCORED,
    SIGNALS_UPDATES,
]
OUTPUTS = [ORDERS_DECISIONS, ORDERS_INTENTS, AUDIT_EVENTS]
# State loaded whole before the first signal is judged: the registry, breakers, changes in force
# (parameters and rules) and models (compacted), the latest account snapshots, the closed trades
# the cards learn from, and the commands (card swaps), replayed in order so a swapped card survives a restart. Signals are
# not replayed: the only state they leave is the conflict window (15 min), and replaying
# weeks of signals would mean weeks of OPA calls at every start.
TABLES = [
    REGISTRY_BOTS,
    CONTROL_BREAKERS,
    CONTROL_PARAMETERS,
    LEARNER_MODELS,
    ACCOUNTS_SNAPSHOTS,
    TRADES_CLOSED,
    CONTROL_COMMANDS,
]
CHAIN_ID = "risk-gate"


def _wall_ms() -> int:
    return int(time.time() * 1000)


def make_handler(
    gate: RiskGate,
    chain: AuditChain,
    watch: GovernorWatch | None = None,
    clock: Callable[[], int] = _wall_ms,
) -> Handler:
    """`watch`: the governor's heartbeats; while it is silent every new position is denied.
    `clock`: the wall clock in ms (liveness is the one wall-clock input), for tests."""
    governor = watch or GovernorWatch(timeout_ms=0)

    def audit(event: Mapping[str, Any], action: str, details: dict[str, Any]) -> OutboundRecord:
        record = chain.append(
            ts_event=int(event["ts_event"]),
            actor=str(event.get("actor") or "unknown"),
            role=str(event.get("role") or "UNKNOWN"),
            action=action,
            scope_level=str(event.get("scope_level") or "GLOBAL"),
            scope_id=str(event.get("scope_id") or "global"),
            details=details,
            cause_event_id=str(event.get("event_id")),
        )
        return OutboundRecord(AUDIT_EVENTS, record, key=CHAIN_ID)

    def on_signal(rec: InboundRecord) -> list[OutboundRecord]:
        gate.governor_alive = governor.alive(clock())
        try:
            decisions = gate.on_signal(rec.value)
        except SignalInputError as exc:
            raise RejectRecord(exc.reason, str(exc)) from exc
        out = []
        for d in decisions:
            out.append(OutboundRecord(ORDERS_DECISIONS, d.decision, key=d.decision["bot_id"]))
            if d.intent is not None:
                out.append(OutboundRecord(ORDERS_INTENTS, d.intent, key=d.intent["bot_id"]))
            elif d.counterfactual is not None:
                out.append(
                    OutboundRecord(ORDERS_INTENTS, d.counterfactual, key=d.decision["bot_id"])
                )
        return out

    def on_update(rec: InboundRecord) -> list[OutboundRecord]:
        gate.governor_alive = governor.alive(clock())
        try:
            decisions = gate.on_update(rec.value)
        except UpdateInputError as exc:
            raise RejectRecord(exc.reason, str(exc)) from exc
        return [
            OutboundRecord(ORDERS_DECISIONS, d.decision, key=d.decision["bot_id"])
            for d in decisions
        ]

    def on_bot(rec: InboundRecord) -> list[OutboundRecord]:
        try:
            gate.on_bot(None if rec.tombstone else rec.value, rec.key)
        except BotConfigError as exc:
            raise RejectRecord("invalid_bot", "; ".join(exc.problems)) from exc
        return []

    def on_parameter(rec: InboundRecord) -> list[OutboundRecord]:
        try:
            gate.on_parameter(None if rec.tombstone else rec.value, rec.key)
        except RecordError as exc:
            raise RejectRecord(exc.reason, exc.message) from exc
        return []

    def on_command(rec: InboundRecord) -> list[OutboundRecord]:
        cmd = rec.value
        try:
            swaps = gate.on_command(cmd)
        except CardSwapError as exc:
            # A refused command is a decision too: it is audited with its reason.
            return [
                audit(cmd, "CARD_SWAP_REFUSED", {"reason": str(exc), **cmd.get("parameters", {})})
            ]
        return [
            audit({**cmd, "scope_level": "BOT", "scope_id": s["bot_id"]}, "CARD_SWAPPED", s)
            for s in swaps
        ]

    def state(
        apply: Callable[[Mapping[str, Any]], object],
    ) -> Callable[[InboundRecord], list[OutboundRecord]]:
        def handle(rec: InboundRecord) -> list[OutboundRecord]:
            apply(rec.value)
            return []

        return handle

    routes: dict[str, Callable[[InboundRecord], list[OutboundRecord]]] = {
        SIGNALS_SCORED: on_signal,
        SIGNALS_UPDATES: on_update,
        REGISTRY_BOTS: on_bot,
        CONTROL_COMMANDS: on_command,
        CONTROL_PARAMETERS: on_parameter,
        CONTROL_BREAKERS: state(gate.on_breaker),
        LEARNER_MODELS: state(gate.on_model),
        ACCOUNTS_SNAPSHOTS: state(gate.on_snapshot),
        TRADES_CLOSED: state(gate.on_trade),
        HIVE_HEARTBEATS: state(governor.observe),
    }

    def handle(rec: InboundRecord) -> list[OutboundRecord]:
        return routes[rec.topic](rec)

    return handle


def restart_store(gate: RiskGate, chain: AuditChain) -> StateStore:
    """What the gate published, read back after the tables are loaded.

    audit.events: the replayed commands advanced the chain in memory (their audit events were
    discarded, being a replay's output), so it continues after the last event of its own that
    was published. orders.intents and orders.decisions: the held orders and the allowed
    modifications, so updates are judged against the stops they already moved."""
    last: list[Mapping[str, Any]] = []
    intents: list[Mapping[str, Any]] = []
    modifications: list[Mapping[str, Any]] = []

    def keep(rec: InboundRecord) -> None:
        value = rec.value
        if rec.topic == AUDIT_EVENTS:
            if value.get("chain_id") == chain.chain_id:
                last[:] = [value]
        elif rec.topic == ORDERS_INTENTS:
            intents.append(value)
        elif value.get("kind") == "MODIFICATION" and value.get("allowed"):
            modifications.append(value)

    def restored() -> None:
        chain.resume_after(last[0] if last else None)
        gate.restore_held(intents, modifications)

    return StateStore(
        topics=(AUDIT_EVENTS, ORDERS_INTENTS, ORDERS_DECISIONS),
        keep=keep,
        restored=restored,
        after_replay=True,
    )
