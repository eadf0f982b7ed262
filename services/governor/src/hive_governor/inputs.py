"""The input records the governor reads, checked and reduced to what it needs.

Each reader takes the Avro-decoded value (a mapping: enums as strings, timestamps as int epoch
ms) and returns a small frozen dataclass, read by the shared typed reader
(`hive.contracts.readers`: the schema's types, defaults and enum symbols), or raises
`GovernorInputError` naming the topic and the field. Fields the governor does not use are not
checked: a newer writer may add any. A registry.bots
record is the exception: the bot contract (`hive.bots`) reads it whole, as every consumer does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.bots import BotConfigError, BotRecord, read_record
from hive.contracts.readers import MISSING_FIELD, NOT_A_RECORD, RecordError, RecordReader, read
from hive.topics import (
    ACCOUNTS_SNAPSHOTS,
    CONTROL_COMMANDS,
    HIVE_HEARTBEATS,
    ORDERS_DECISIONS,
    ORDERS_EXECUTIONS,
    TRADES_CLOSED,
)
from hive_governor.errors import GovernorInputError


def input_error(err: RecordError) -> GovernorInputError:
    """A schema error as the governor's input error: not_a_record, missing_field or bad_field."""
    reason = err.reason if err.reason in (NOT_A_RECORD, MISSING_FIELD) else "bad_field"
    return GovernorInputError(reason, err.message)


def _read(topic: str, record: Any) -> RecordReader:
    return read(topic, record, input_error)


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
        r = _read(ACCOUNTS_SNAPSHOTS, record)
        return cls(
            event_id=r.nonempty("event_id"),
            ts=r.integer("ts_event"),
            bot_id=r.nonempty("bot_id"),
            cell_id=r.nonempty("cell_id"),
            sequence=r.integer("sequence"),
            balance=r.number("balance"),
            equity=r.number("equity"),
            initial_balance=r.number("initial_balance"),
            day_start_balance=r.number("day_start_balance"),
            peak_equity=r.number("peak_equity"),
            trading_day=r.nonempty("trading_day"),
            reason=r.symbol("reason"),
            open_positions=r.integer("open_positions"),
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
        r = _read(TRADES_CLOSED, record)
        return cls(
            event_id=r.nonempty("event_id"),
            ts=r.integer("ts_event"),
            bot_id=r.nonempty("bot_id"),
            cell_id=r.nonempty("cell_id"),
            pnl=r.number("pnl"),
            shadow=r.flag("shadow"),
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
        r = _read(ORDERS_EXECUTIONS, record)
        return cls(
            event_id=r.nonempty("event_id"),
            ts=r.integer("ts_event"),
            bot_id=r.nonempty("bot_id"),
            cell_id=r.nonempty("cell_id"),
            status=r.symbol("status"),
            shadow=r.flag("shadow"),
            limp=r.flag("limp"),
            reason=r.opt_string("reason"),
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
        r = _read(ORDERS_DECISIONS, record)
        return cls(
            event_id=r.nonempty("event_id"),
            ts=r.integer("ts_event"),
            bot_id=r.nonempty("bot_id"),
            cell_id=r.nonempty("cell_id"),
            allowed=r.flag("allowed"),
            reasons=r.strings("reasons"),
            breaker_mode=r.symbol("breaker_mode"),
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
        r = _read(HIVE_HEARTBEATS, record)
        interval = r.integer("interval_ms")
        if interval < 0:
            raise GovernorInputError(
                "bad_field", f"{r.topic}: interval_ms must be an integer >= 0, got {interval}"
            )
        return cls(
            event_id=r.nonempty("event_id"),
            ts=r.integer("ts_event"),
            service=r.nonempty("service"),
            instance_id=r.nonempty("instance_id"),
            interval_ms=interval,
            status=r.symbol("status"),
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
        r = _read(CONTROL_COMMANDS, record)
        event_id, ts = r.nonempty("event_id"), r.integer("ts_event")
        parameters, role = r.string_map("parameters"), r.symbol("role")
        return cls(
            event_id=event_id,
            ts=ts,
            command_id=r.nonempty("command_id"),
            command=r.symbol("command"),
            scope_level=r.symbol("scope_level"),
            scope_id=r.string("scope_id"),
            actor=r.string("actor"),
            role=role,
            reason=r.string("reason"),
            parameters=parameters,
            origin=r.string("origin"),
            cause_event_id=r.opt_string("cause_event_id"),
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
