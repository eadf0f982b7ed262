"""The input records the governor reads, checked and reduced to what it needs.

Each reader takes the Avro-decoded value (a mapping: enums as strings, timestamps as int epoch
ms) and returns a small frozen dataclass, or raises `GovernorInputError` naming the field.
Fields the governor does not use are not checked: a newer writer may add any. A registry.bots
record is the exception: the bot contract (`hive.bots`) reads it whole, as every consumer does.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.bots import BotConfigError, BotRecord, read_record
from hive_governor.actors import ROLES
from hive_governor.errors import GovernorInputError
from hive_governor.scope_levels import SCOPE_LEVELS

# Enum symbols as the Avro reader gives them (UNKNOWN: a symbol from a newer writer).
_ROLES = ("UNKNOWN", *ROLES)
_LEVELS = ("UNKNOWN", *SCOPE_LEVELS)


def _mapping(record: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(record, Mapping):
        raise GovernorInputError("not_a_record", f"{what}: a record (mapping) expected")
    return record


def _field(rec: Mapping[str, Any], name: str, what: str) -> Any:
    if name not in rec:
        raise GovernorInputError("missing_field", f"{what}.{name}: required")
    return rec[name]


def _str(rec: Mapping[str, Any], name: str, what: str, *, empty: bool = False) -> str:
    value = _field(rec, name, what)
    if not isinstance(value, str) or (not empty and not value):
        raise GovernorInputError("bad_field", f"{what}.{name}: a non-empty string expected")
    return value


def _opt_str(rec: Mapping[str, Any], name: str, what: str) -> str | None:
    value = rec.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise GovernorInputError("bad_field", f"{what}.{name}: a string or null expected")
    return value


def _int(rec: Mapping[str, Any], name: str, what: str) -> int:
    value = _field(rec, name, what)
    if isinstance(value, bool) or not isinstance(value, int):
        raise GovernorInputError("bad_field", f"{what}.{name}: an integer expected")
    return value


def _float(rec: Mapping[str, Any], name: str, what: str) -> float:
    value = _field(rec, name, what)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GovernorInputError("bad_field", f"{what}.{name}: a finite number expected")
    return float(value)


def _bool(rec: Mapping[str, Any], name: str, what: str, default: bool = False) -> bool:
    value = rec.get(name, default)
    if not isinstance(value, bool):
        raise GovernorInputError("bad_field", f"{what}.{name}: true or false expected")
    return value


def _envelope(rec: Mapping[str, Any], what: str) -> tuple[str, int]:
    return _str(rec, "event_id", what), _int(rec, "ts_event", what)


@dataclass(frozen=True)
class Snapshot:
    event_id: str
    ts: int
    bot_id: str
    cell_id: str
    sequence: int
    balance: float
    equity: float
    initial_balance: float
    day_start_balance: float
    peak_equity: float
    trading_day: str
    reason: str
    open_positions: int

    @classmethod
    def read(cls, record: Any) -> Snapshot:
        w = "accounts.snapshots"
        rec = _mapping(record, w)
        event_id, ts = _envelope(rec, w)
        return cls(
            event_id=event_id,
            ts=ts,
            bot_id=_str(rec, "bot_id", w),
            cell_id=_str(rec, "cell_id", w),
            sequence=_int(rec, "sequence", w),
            balance=_float(rec, "balance", w),
            equity=_float(rec, "equity", w),
            initial_balance=_float(rec, "initial_balance", w),
            day_start_balance=_float(rec, "day_start_balance", w),
            peak_equity=_float(rec, "peak_equity", w),
            trading_day=_str(rec, "trading_day", w),
            reason=str(rec.get("reason") or "UNKNOWN"),
            open_positions=_int(rec, "open_positions", w) if "open_positions" in rec else 0,
        )


@dataclass(frozen=True)
class Trade:
    event_id: str
    ts: int
    bot_id: str
    cell_id: str
    pnl: float
    shadow: bool

    @classmethod
    def read(cls, record: Any) -> Trade:
        w = "trades.closed"
        rec = _mapping(record, w)
        event_id, ts = _envelope(rec, w)
        return cls(
            event_id=event_id,
            ts=ts,
            bot_id=_str(rec, "bot_id", w),
            cell_id=_str(rec, "cell_id", w),
            pnl=_float(rec, "pnl", w),
            shadow=_bool(rec, "shadow", w),
        )


@dataclass(frozen=True)
class Execution:
    event_id: str
    ts: int
    bot_id: str
    cell_id: str
    status: str
    shadow: bool
    limp: bool
    reason: str | None

    @classmethod
    def read(cls, record: Any) -> Execution:
        w = "orders.executions"
        rec = _mapping(record, w)
        event_id, ts = _envelope(rec, w)
        return cls(
            event_id=event_id,
            ts=ts,
            bot_id=_str(rec, "bot_id", w),
            cell_id=_str(rec, "cell_id", w),
            status=_str(rec, "status", w),
            shadow=_bool(rec, "shadow", w),
            limp=_bool(rec, "limp", w),
            reason=_opt_str(rec, "reason", w),
        )


@dataclass(frozen=True)
class Decision:
    event_id: str
    ts: int
    bot_id: str
    cell_id: str
    allowed: bool
    reasons: tuple[str, ...]
    breaker_mode: str

    @classmethod
    def read(cls, record: Any) -> Decision:
        w = "orders.decisions"
        rec = _mapping(record, w)
        event_id, ts = _envelope(rec, w)
        reasons = rec.get("reasons") or []
        if not isinstance(reasons, list | tuple) or not all(isinstance(r, str) for r in reasons):
            raise GovernorInputError("bad_field", f"{w}.reasons: a list of strings expected")
        allowed = _field(rec, "allowed", w)
        if not isinstance(allowed, bool):
            raise GovernorInputError("bad_field", f"{w}.allowed: true or false expected")
        return cls(
            event_id=event_id,
            ts=ts,
            bot_id=_str(rec, "bot_id", w),
            cell_id=_str(rec, "cell_id", w),
            allowed=allowed,
            reasons=tuple(reasons),
            breaker_mode=str(rec.get("breaker_mode") or "NONE"),
        )


@dataclass(frozen=True)
class Heartbeat:
    event_id: str
    ts: int  # wall clock of emission
    service: str
    instance_id: str
    interval_ms: int
    status: str

    @classmethod
    def read(cls, record: Any) -> Heartbeat:
        w = "hive.heartbeats"
        rec = _mapping(record, w)
        event_id, ts = _envelope(rec, w)
        interval = rec.get("interval_ms", 0)
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 0:
            raise GovernorInputError("bad_field", f"{w}.interval_ms: an integer >= 0 expected")
        return cls(
            event_id=event_id,
            ts=ts,
            service=_str(rec, "service", w),
            instance_id=_str(rec, "instance_id", w),
            interval_ms=interval,
            status=str(rec.get("status") or "UNKNOWN"),
        )


@dataclass(frozen=True)
class Command:
    event_id: str
    ts: int
    command_id: str
    command: str
    scope_level: str
    scope_id: str
    actor: str
    role: str
    reason: str
    parameters: Mapping[str, str]
    origin: str
    cause_event_id: str | None

    @classmethod
    def read(cls, record: Any) -> Command:
        w = "control.commands"
        rec = _mapping(record, w)
        event_id, ts = _envelope(rec, w)
        params = rec.get("parameters") or {}
        if not isinstance(params, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in params.items()
        ):
            raise GovernorInputError("bad_field", f"{w}.parameters: a map of strings expected")
        role, level = _str(rec, "role", w), _str(rec, "scope_level", w)
        if role not in _ROLES:
            raise GovernorInputError("bad_field", f"{w}.role: one of {', '.join(_ROLES)} expected")
        if level not in _LEVELS:
            raise GovernorInputError(
                "bad_field", f"{w}.scope_level: one of {', '.join(_LEVELS)} expected"
            )
        return cls(
            event_id=event_id,
            ts=ts,
            command_id=_str(rec, "command_id", w),
            command=_str(rec, "command", w),
            scope_level=level,
            scope_id=_str(rec, "scope_id", w, empty=True),
            actor=_str(rec, "actor", w, empty=True),
            role=role,
            reason=_str(rec, "reason", w, empty=True),
            parameters=dict(params),
            origin=_str(rec, "origin", w, empty=True),
            cause_event_id=_opt_str(rec, "cause_event_id", w),
        )


def read_bot(record: Any) -> BotRecord:
    """A registry.bots record, read by the bot contract (a record it refuses is dead-lettered)."""
    try:
        return read_record(record)
    except BotConfigError as exc:
        raise GovernorInputError("bad_field", "; ".join(exc.problems)) from None


class SeenIds:
    """The last `capacity` event_ids of one input topic: a redelivered record changes nothing.

    Bounded so that a year's replay does not grow memory; a duplicate older than the window is
    still harmless where the handling is idempotent by itself (snapshots by sequence)."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._ids)
