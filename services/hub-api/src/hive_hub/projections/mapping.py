"""Records -> row writes for the read models. Plain functions, no database, no Kafka.

Every write is an upsert keyed by the record's deterministic id, of one of three kinds:
- a fact (a trade, a decision, a snapshot, a command, an audit event as read, a change guard
  verdict, a parameter record): inserted once, a copy of it changes nothing;
- a latest-wins state (a bot's definition, a breaker, an account, an order, a model version, a
  parameter in force):
  updated only when the incoming record is at least as new by its own counter (config_version,
  transition_seq, sequence, ts_event), so a replayed older record changes nothing either;
- a merge (a signal's parse, enrichment and regime arrive on three topics): each topic writes
  its own columns, each guarded by its own revision counter.

Over 400 lines and kept whole: one short function per topic, all built from the same three
write kinds, and the table at the end that routes each topic to its function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hive.topics import (
    ACCOUNTS_SNAPSHOTS,
    AUDIT_EVENTS,
    CONTROL_BREAKERS,
    CONTROL_COMMANDS,
    CONTROL_PARAMETERS,
    HIVE_HEARTBEATS,
    LEARNER_MODELS,
    ORDERS_DECISIONS,
    ORDERS_EXECUTIONS,
    REGISTRY_BOTS,
    SIGNALS_ENRICHED,
    SIGNALS_PARSED,
    SIGNALS_SCORED,
    TRADES_CLOSED,
)
from hive_hub import models as m
from hive_hub.projections.changes import change_row, parameter_key, parameter_row

INPUTS = (
    REGISTRY_BOTS, CONTROL_BREAKERS, CONTROL_COMMANDS, SIGNALS_PARSED, SIGNALS_ENRICHED,
    SIGNALS_SCORED, ORDERS_DECISIONS, ORDERS_EXECUTIONS, TRADES_CLOSED, ACCOUNTS_SNAPSHOTS,
    LEARNER_MODELS, AUDIT_EVENTS, HIVE_HEARTBEATS, CONTROL_PARAMETERS,
)  # fmt: skip
# Compacted state: loaded whole before the event topics, so nothing shows against an empty registry.
TABLES = (REGISTRY_BOTS, CONTROL_BREAKERS, LEARNER_MODELS, CONTROL_PARAMETERS)

_SIGNAL_COLUMNS = (
    "event_id", "revision", "source", "symbol", "direction", "order_type", "entry", "stop_loss",
    "take_profit", "confidence", "message_id", "ts_event", "parsed",
)  # fmt: skip
_COMMAND_OUTCOMES = {"COMMAND_APPLIED": "APPLIED", "COMMAND_REFUSED": "REFUSED"}


class ProjectionError(ValueError):
    """A record the read models cannot take (a field missing or of the wrong type)."""


@dataclass(frozen=True)
class Upsert:
    """Insert `values`; on a key conflict update `update` columns when `when` (a counter column)
    of the existing row is NULL or not greater than the incoming one. No `update`: insert once."""

    table: str
    values: Mapping[str, Any]
    update: tuple[str, ...] = ()
    when: str | None = None

    @property
    def kind(self) -> tuple[str, tuple[str, ...], str | None]:
        return (self.table, self.update, self.when)


@dataclass(frozen=True)
class Delete:
    table: str
    key: Mapping[str, Any]


Write = Upsert | Delete


@dataclass(frozen=True)
class Source:
    """Where a record was read (the audit copy is keyed by it)."""

    topic: str
    partition: int = 0
    offset: int = 0
    key: str | None = None
    tombstone: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def _all_but(values: Mapping[str, Any], *keys: str) -> tuple[str, ...]:
    return tuple(k for k in values if k not in keys)


def _latest(table: str, values: dict[str, Any], keys: Sequence[str], when: str) -> Upsert:
    return Upsert(table, values, _all_but(values, *keys), when)


def bot(value: Mapping[str, Any], src: Source) -> list[Write]:
    if src.tombstone:
        return [Delete(m.BotRow.__tablename__, {"bot_id": src.key})] if src.key else []
    status = str(value["status"])
    values = {
        "bot_id": str(value["bot_id"]),
        "event_id": str(value["event_id"]),
        "cell_id": str(value["cell_id"]),
        "display_name": value.get("display_name"),
        "config_version": int(value["config_version"]),
        "status": "PAUSED" if status == "UNKNOWN" else status,  # the schema's reader rule
        "status_reason": value.get("status_reason"),
        "mode": "PAPER" if value.get("mode") in (None, "UNKNOWN") else str(value["mode"]),
        "account_size": float(value["account_size"]),
        "account_currency": str(value["account_currency"]),
        "rule_set": str(value["rule_set"]),
        "strategy_card": str(value["strategy_card"]),
        "risk_per_trade": float(value["risk_per_trade"]),
        "deleted": bool(value.get("deleted", False)),
        "updated_by": value.get("updated_by"),
        "ts_event": int(value["ts_event"]),
        "definition": dict(value),
    }
    return [_latest(m.BotRow.__tablename__, values, ("bot_id",), "config_version")]


def breaker(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values = {
        "scope_level": str(value["scope_level"]),
        "scope_id": str(value["scope_id"]),
        "event_id": str(value["event_id"]),
        "state": str(value["state"]),
        "previous_state": value.get("previous_state"),
        "fallback_mode": str(value["fallback_mode"]),
        "cause": value.get("cause"),
        "failure_count": int(value["failure_count"]),
        "failure_threshold": int(value["failure_threshold"]),
        "transition_seq": int(value["transition_seq"]),
        "opened_at": value.get("opened_at"),
        "reset_at": value.get("reset_at"),
        "command_id": value.get("command_id"),
        "ts_event": int(value["ts_event"]),
        "record": dict(value),
    }
    table = m.BreakerRow.__tablename__
    return [_latest(table, values, ("scope_level", "scope_id"), "transition_seq")]


def command(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values = {
        "command_id": str(value["command_id"]),
        "command": str(value["command"]),
        "scope_level": str(value["scope_level"]),
        "scope_id": str(value["scope_id"]),
        "actor": str(value["actor"]),
        "role": str(value["role"]),
        "reason": str(value["reason"]),
        "parameters": dict(value.get("parameters") or {}),
        "origin": str(value["origin"]),
        "cause_event_id": value.get("cause_event_id"),
        "ts_event": int(value["ts_event"]),
    }
    return [Upsert(m.CommandRow.__tablename__, values)]


def _signal_values(signal: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "signal_id": str(signal["signal_id"]),
        "event_id": str(signal["event_id"]),
        "revision": int(signal["revision"]),
        "source": str(signal["source"]),
        "symbol": str(signal["symbol"]),
        "direction": str(signal["direction"]),
        "order_type": str(signal["order_type"]),
        "entry": signal.get("entry"),
        "stop_loss": signal.get("stop_loss"),
        "take_profit": signal.get("take_profit"),
        "confidence": signal.get("confidence"),
        "message_id": str(signal["message_id"]),
        "ts_event": int(signal["timestamp"]),
        "parsed": dict(signal),
    }


def parsed(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values = _signal_values(value)
    return [Upsert(m.SignalRow.__tablename__, values, _SIGNAL_COLUMNS, "revision")]


def enriched(value: Mapping[str, Any], _src: Source) -> list[Write]:
    signal = value["signal"]
    values = {
        **_signal_values(signal),
        "market": dict(value["market"]),
        "enriched_revision": int(signal["revision"]),
    }
    update = ("market", "enriched_revision")
    return [Upsert(m.SignalRow.__tablename__, values, update, "enriched_revision")]


def scored(value: Mapping[str, Any], _src: Source) -> list[Write]:
    signal = value["signal"]
    values = {
        **_signal_values(signal),
        "market": dict(value["market"]) if value.get("market") else None,
        "regime": value.get("regime"),
        "regime_probabilities": dict(value.get("regime_probabilities") or {}),
        "regime_model_version": value.get("regime_model_version"),
        "scored_revision": int(signal["revision"]),
    }
    update = ("regime", "regime_probabilities", "regime_model_version", "scored_revision")
    return [Upsert(m.SignalRow.__tablename__, values, update, "scored_revision")]


def decision(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values = {
        "event_id": str(value["event_id"]),
        "signal_id": str(value["signal_id"]),
        "signal_revision": int(value["signal_revision"]),
        "bot_id": str(value["bot_id"]),
        "cell_id": str(value["cell_id"]),
        "source": str(value["source"]),
        "symbol": str(value["symbol"]),
        "direction": str(value["direction"]),
        "allowed": bool(value["allowed"]),
        "reasons": [str(r) for r in value.get("reasons") or []],
        "strategy_card": value.get("strategy_card"),
        "breaker_mode": value.get("breaker_mode"),
        "confidence_used": value.get("confidence_used"),
        "approved_size": value.get("approved_size"),
        "order_id": value.get("order_id"),
        "ts_event": int(value["ts_event"]),
        "record": dict(value),
    }
    return [Upsert(m.DecisionRow.__tablename__, values)]


def execution(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values = {
        "order_id": str(value["order_id"]),
        "event_id": str(value["event_id"]),
        "sequence": int(value["sequence"]),
        "bot_id": str(value["bot_id"]),
        "cell_id": str(value["cell_id"]),
        "signal_id": value.get("signal_id"),
        "symbol": str(value["symbol"]),
        "side": str(value["side"]),
        "status": str(value["status"]),
        "quantity": value.get("quantity"),
        "remaining_quantity": value.get("remaining_quantity"),
        "avg_entry_price": value.get("avg_entry_price"),
        "stop_loss": value.get("stop_loss"),
        "mode": str(value.get("mode") or "PAPER"),
        "shadow": bool(value.get("shadow", False)),
        "ts_event": int(value["ts_event"]),
        "record": dict(value),
    }
    return [_latest(m.OrderRow.__tablename__, values, ("order_id",), "sequence")]


def trade(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values = {
        "trade_id": str(value["trade_id"]),
        "order_id": str(value["order_id"]),
        "signal_id": value.get("signal_id"),
        "bot_id": str(value["bot_id"]),
        "cell_id": str(value["cell_id"]),
        "symbol": str(value["symbol"]),
        "side": str(value["side"]),
        "entry_time": int(value["entry_time"]),
        "exit_time": int(value["exit_time"]),
        "entry_price": float(value["entry_price"]),
        "exit_price": float(value["exit_price"]),
        "quantity": float(value["quantity"]),
        "pnl": float(value["pnl"]),
        "r_multiple": value.get("r_multiple"),
        "exit_reason": str(value["exit_reason"]),
        "shadow": bool(value.get("shadow", False)),
        "ts_event": int(value["ts_event"]),
        "record": dict(value),
    }
    return [Upsert(m.TradeRow.__tablename__, values)]


def snapshot(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values: dict[str, Any] = {
        "event_id": str(value["event_id"]),
        "bot_id": str(value["bot_id"]),
        "cell_id": str(value["cell_id"]),
        "sequence": int(value["sequence"]),
        "ts_event": int(value["ts_event"]),
        "balance": float(value["balance"]),
        "equity": float(value["equity"]),
        "unrealized_pnl": float(value["unrealized_pnl"]),
        "open_positions": int(value["open_positions"]),
        "initial_balance": float(value["initial_balance"]),
        "day_start_balance": float(value["day_start_balance"]),
        "peak_equity": float(value["peak_equity"]),
        "daily_loss": float(value["daily_loss"]),
        "drawdown": float(value["drawdown"]),
        "trading_day": str(value["trading_day"]),
        "reason": str(value["reason"]),
        "currency": str(value["currency"]),
        "mode": str(value.get("mode") or "PAPER"),
    }
    return [
        Upsert(m.SnapshotRow.__tablename__, values),
        _latest(m.AccountRow.__tablename__, dict(values), ("bot_id",), "sequence"),
    ]


def model_release(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values = {
        "model_name": str(value["model_name"]),
        "version": str(value["version"]),
        "event_id": str(value["event_id"]),
        "parent_version": value.get("parent_version"),
        "status": str(value["status"]),
        "sha256": str(value["sha256"]),
        "ts_event": int(value["ts_event"]),
        "record": dict(value),
    }
    table = m.ModelReleaseRow.__tablename__
    return [_latest(table, values, ("model_name", "version"), "ts_event")]


def audit(value: Mapping[str, Any], src: Source) -> list[Write]:
    values: dict[str, Any] = {
        "partition": src.partition,
        "offset": src.offset,
        "event_id": str(value["event_id"]),
        "chain_id": str(value["chain_id"]),
        "sequence": int(value["sequence"]),
        "ts_event": int(value["ts_event"]),
        "actor": str(value["actor"]),
        "role": str(value["role"]),
        "action": str(value["action"]),
        "scope_level": str(value["scope_level"]),
        "scope_id": str(value["scope_id"]),
        "record": dict(value),
    }
    writes: list[Write] = [Upsert(m.AuditRow.__tablename__, values)]
    change = change_row(value)
    if change is not None:
        writes.append(Upsert(m.ChangeRow.__tablename__, change))
    outcome = _COMMAND_OUTCOMES.get(str(value["action"]))
    if outcome is not None:
        try:
            details = json.loads(str(value.get("details") or "{}"))
        except json.JSONDecodeError:
            details = {}
        command_id = details.get("command_id") if isinstance(details, dict) else None
        if command_id:
            writes.append(
                Upsert(
                    m.CommandOutcomeRow.__tablename__,
                    {
                        "command_id": str(command_id),
                        "outcome": outcome,
                        "code": details.get("code"),
                        "message": details.get("message"),
                        "audit_event_id": values["event_id"],
                        "ts_event": values["ts_event"],
                    },
                )
            )
    return writes


def parameter(value: Mapping[str, Any], src: Source) -> list[Write]:
    """What is in force per key (latest by event time; a null value stays as a row: nothing in
    force, with who took it out and when) and every record as history."""
    if src.tombstone:
        key = parameter_key(src.key or "")
        return [Delete(m.ParameterRow.__tablename__, key)] if key else []
    values = parameter_row(value)
    keys = ("scope_level", "scope_id", "name")
    return [
        _latest(m.ParameterRow.__tablename__, values, keys, "ts_event"),
        Upsert(m.ParameterHistoryRow.__tablename__, dict(values)),
    ]


def heartbeat(value: Mapping[str, Any], _src: Source) -> list[Write]:
    values = {
        "service": str(value["service"]),
        "instance_id": str(value["instance_id"]),
        "status": str(value["status"]),
        "sequence": int(value["sequence"]),
        "ts_event": int(value["ts_event"]),
        "version": value.get("version"),
    }
    return [_latest(m.ServiceRow.__tablename__, values, ("service", "instance_id"), "sequence")]


_BY_TOPIC = {
    REGISTRY_BOTS: bot,
    CONTROL_BREAKERS: breaker,
    CONTROL_COMMANDS: command,
    CONTROL_PARAMETERS: parameter,
    SIGNALS_PARSED: parsed,
    SIGNALS_ENRICHED: enriched,
    SIGNALS_SCORED: scored,
    ORDERS_DECISIONS: decision,
    ORDERS_EXECUTIONS: execution,
    TRADES_CLOSED: trade,
    ACCOUNTS_SNAPSHOTS: snapshot,
    LEARNER_MODELS: model_release,
    AUDIT_EVENTS: audit,
    HIVE_HEARTBEATS: heartbeat,
}


def project(value: Mapping[str, Any], src: Source) -> list[Write]:
    """The row writes one record causes; raises ProjectionError for a record it cannot take."""
    fn = _BY_TOPIC.get(src.topic)
    if fn is None:
        return []
    try:
        return fn(value, src)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProjectionError(f"{src.topic}: {type(exc).__name__}: {exc}") from None


def coalesce(writes: Sequence[Write], keys: Mapping[str, tuple[str, ...]]) -> list[Write]:
    """One write per row and kind within a batch (a multi-row upsert may not touch a row twice):
    the newest by `when` for latest-wins writes (the later one on a tie), the first for facts.
    Deletes split the batch so a bot deleted and re-created keeps its order."""
    out: list[Write] = []
    pending: dict[tuple[Any, ...], Upsert] = {}

    def flush() -> None:
        out.extend(pending.values())
        pending.clear()

    for w in writes:
        if isinstance(w, Delete):
            flush()
            out.append(w)
            continue
        ident = (w.kind, *(w.values[k] for k in keys[w.table]))
        seen = pending.get(ident)
        if seen is None or (w.update and (w.when is None or _newer_or_equal(w, seen))):
            pending[ident] = w
    flush()
    return out


def _newer_or_equal(new: Upsert, old: Upsert) -> bool:
    assert new.when is not None
    a, b = new.values.get(new.when), old.values.get(new.when)
    return a is not None and (b is None or a >= b)
