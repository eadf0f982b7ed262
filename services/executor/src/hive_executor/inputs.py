"""The executor's inputs, read from Avro records (dicts) into checked, typed values.

Anything a user or an upstream service can get wrong raises `ExecutorInputError` with a reason
code; the service turns it into a dead letter. Business refusals (unknown bot, breaker, limits)
are not input errors: the engine answers them with a REJECTED execution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.bots import BotConfigError, BotRecord, read_record
from hive.constitution import BREAKER_SEVERITY
from hive_executor.errors import ExecutorInputError

SIDES = ("BUY", "SELL")
ORDER_TYPES = ("MARKET", "LIMIT", "STOP")
UPDATE_ACTIONS = (
    "MOVE_SL",
    "MOVE_TP",
    "BREAKEVEN",
    "CLOSE_PARTIAL",
    "CLOSE_ALL",
    "TP_HIT",
    "SL_HIT",
    "CANCEL",
)
SHADOW_REASONS = ("UNKNOWN", "NONE", "BREAKER", "COUNTERFACTUAL", "OPERATOR")
SCOPES = ("BOT", "CELL", "GLOBAL")
FRACTION_TOLERANCE = 1e-6


class _Reader:
    """Field access for one record, every error naming the topic and the field."""

    def __init__(self, record: Mapping[str, Any] | None, topic: str) -> None:
        if not isinstance(record, Mapping):
            raise ExecutorInputError("invalid_record", f"{topic}: a record (mapping) expected")
        self.r = record
        self.topic = topic

    def fail(self, name: str, what: str, reason: str = "invalid_record") -> ExecutorInputError:
        return ExecutorInputError(reason, f"{self.topic}: {name} {what}")

    def raw(self, name: str) -> Any:
        if name not in self.r:
            raise self.fail(name, "is missing")
        return self.r[name]

    def string(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or not value:
            raise self.fail(name, "must be a non-empty string")
        return value

    def opt_string(self, name: str, default: str | None = None) -> str | None:
        value = self.r.get(name, default)
        if value is not None and not isinstance(value, str):
            raise self.fail(name, "must be a string or null")
        return value

    def ms(self, name: str) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, "must be an integer (epoch ms)")
        return value

    def opt_ms(self, name: str) -> int | None:
        value = self.r.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, "must be an integer (epoch ms) or null")
        return value

    def number(self, name: str) -> float:
        value = self.raw(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(name, "must be a finite number")
        return float(value)

    def opt_number(self, name: str) -> float | None:
        value = self.r.get(name)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(name, "must be a finite number or null")
        return float(value)

    def opt_int(self, name: str) -> int | None:
        value = self.r.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, "must be an integer or null")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.r.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, "must be a boolean")
        return value

    def numbers(self, name: str) -> tuple[float, ...]:
        value = self.r.get(name, [])
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise self.fail(name, "must be a list of numbers")
        out = []
        for x in value:
            if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                raise self.fail(name, "must be a list of finite numbers")
            out.append(float(x))
        return tuple(out)

    def choice(self, name: str, allowed: tuple[str, ...], reason: str = "invalid_record") -> str:
        value = self.raw(name)
        if value not in allowed:
            raise self.fail(name, f"must be one of {', '.join(allowed)}, got {value!r}", reason)
        return str(value)


@dataclass(frozen=True)
class Intent:
    event_id: str
    ts_event: int
    order_id: str
    signal_id: str
    revision: int
    bot_id: str
    cell_id: str
    symbol: str
    side: str
    order_type: str
    entry: float | None
    stop_loss: float | None
    take_profits: tuple[float, ...]
    tp_fractions: tuple[float, ...]
    quantity: float
    risk_amount: float | None
    account_currency: str
    mode: str
    venue: str
    shadow: bool
    shadow_reason: str
    expires_at: int | None
    features: dict[str, Any]


def _check_levels(
    r: _Reader, side: str, entry: float | None, sl: float | None, tps: tuple[float, ...]
) -> None:
    """Stop below and take-profits above the entry for a BUY (mirrored for a SELL); a MARKET
    order without a reference price: the stop below every take-profit."""
    sign = 1.0 if side == "BUY" else -1.0
    if entry is None:
        if sl is not None and any((tp - sl) * sign <= 0 for tp in tps):
            raise r.fail(
                "stop_loss", f"{sl} is beyond a take-profit for a {side}", "wrong_side_stop"
            )
        return
    if sl is not None and (entry - sl) * sign <= 0:
        raise r.fail(
            "stop_loss", f"{sl} is on the wrong side of {entry} for a {side}", "wrong_side_stop"
        )
    for tp in tps:
        if (tp - entry) * sign <= 0:
            raise r.fail(
                "take_profits",
                f"{tp} is on the wrong side of {entry} for a {side}",
                "wrong_side_tp",
            )


def parse_intent(record: Mapping[str, Any] | None) -> Intent:
    r = _Reader(record, "orders.intents")
    side = r.choice("side", SIDES, "invalid_side")
    order_type = r.choice("order_type", ORDER_TYPES, "invalid_order_type")
    quantity = r.number("quantity")
    if quantity <= 0:
        raise r.fail("quantity", f"must be positive, got {quantity}", "invalid_quantity")
    entry = r.opt_number("entry")
    if entry is not None and entry <= 0:
        raise r.fail("entry", "must be positive", "invalid_price")
    if order_type != "MARKET" and entry is None:
        raise r.fail("entry", f"is required for a {order_type} order", "missing_entry")
    sl = r.opt_number("stop_loss")
    if sl is not None and sl <= 0:
        raise r.fail("stop_loss", "must be positive", "invalid_price")
    tps = r.numbers("take_profits")
    if any(tp <= 0 for tp in tps):
        raise r.fail("take_profits", "must be positive", "invalid_price")
    _check_levels(r, side, entry, sl, tps)
    fractions = r.numbers("tp_fractions")
    if tps and not fractions:  # the schema: empty = everything at the first take-profit
        fractions = (1.0,) + (0.0,) * (len(tps) - 1)
    if len(fractions) != len(tps):
        raise r.fail(
            "tp_fractions", "must have one fraction per take-profit", "invalid_tp_fractions"
        )
    if fractions and (
        any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > FRACTION_TOLERANCE
    ):
        raise r.fail("tp_fractions", "must be >= 0 and sum to 1", "invalid_tp_fractions")
    risk = r.opt_number("risk_amount")
    features = r.raw("features")
    if not isinstance(features, Mapping):
        raise r.fail("features", "must be a record")
    mode = r.r.get("mode", "PAPER")
    shadow_reason = r.r.get("shadow_reason", "NONE")
    if shadow_reason not in SHADOW_REASONS:
        shadow_reason = "UNKNOWN"
    revision = r.opt_int("signal_revision")
    return Intent(
        event_id=r.string("event_id"),
        ts_event=r.ms("ts_event"),
        order_id=r.string("order_id"),
        signal_id=r.string("signal_id"),
        revision=revision if revision is not None else 0,
        bot_id=r.string("bot_id"),
        cell_id=r.string("cell_id"),
        symbol=r.string("symbol"),
        side=side,
        order_type=order_type,
        entry=entry,
        stop_loss=sl,
        take_profits=tps,
        tp_fractions=fractions,
        quantity=quantity,
        risk_amount=risk,
        account_currency=r.string("account_currency"),
        mode="LIVE" if mode == "LIVE" else "PAPER",  # UNKNOWN must be treated as PAPER
        venue=r.opt_string("venue", "paper") or "paper",
        shadow=r.flag("shadow"),
        shadow_reason=str(shadow_reason),
        expires_at=r.opt_ms("expires_at"),
        features=dict(features),
    )


@dataclass(frozen=True)
class Update:
    """A `signals.updates` record. TP_HIT and SL_HIT are informational: the executor does
    nothing with them (its own fills decide when a level is hit)."""

    event_id: str
    ts_event: int
    action: str
    target_signal_id: str
    symbol: str
    price: float | None
    fraction: float | None
    tp_index: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "ts_event": self.ts_event,
            "action": self.action,
            "target_signal_id": self.target_signal_id,
            "symbol": self.symbol,
            "price": self.price,
            "fraction": self.fraction,
            "tp_index": self.tp_index,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Update:
        return parse_update(data)


def parse_update(record: Mapping[str, Any] | None) -> Update:
    r = _Reader(record, "signals.updates")
    action = r.choice("action", UPDATE_ACTIONS, "unknown_action")
    price = r.opt_number("price")
    fraction = r.opt_number("fraction")
    tp_index = r.opt_int("tp_index")
    if action in ("MOVE_SL", "MOVE_TP") and (price is None or price <= 0):
        raise r.fail("price", f"must be a positive price for {action}", "invalid_price")
    if action == "MOVE_TP" and (tp_index is None or tp_index < 1):
        raise r.fail("tp_index", "must be >= 1 for MOVE_TP", "invalid_tp_index")
    if action == "CLOSE_PARTIAL" and (fraction is None or not 0 < fraction <= 1):
        raise r.fail("fraction", "must be in (0, 1] for CLOSE_PARTIAL", "invalid_fraction")
    return Update(
        event_id=r.string("event_id"),
        ts_event=r.ms("ts_event"),
        action=action,
        target_signal_id=r.string("target_signal_id"),
        symbol=r.string("symbol"),
        price=price,
        fraction=fraction,
        tp_index=tp_index,
    )


def parse_bot(record: Mapping[str, Any] | None) -> BotRecord:
    """A registry.bots record, read by the bot contract (a record it refuses is dead-lettered)."""
    try:
        return read_record(record)
    except BotConfigError as exc:
        raise ExecutorInputError("invalid_record", "; ".join(exc.problems)) from None


@dataclass(frozen=True)
class Breaker:
    scope_level: str
    scope_id: str
    fallback_mode: str
    transition_seq: int


def parse_breaker(record: Mapping[str, Any] | None) -> Breaker:
    r = _Reader(record, "control.breakers")
    mode = r.r.get("fallback_mode")
    state = r.r.get("state")
    if state == "CLOSED":
        mode = "NONE"
    elif mode not in BREAKER_SEVERITY:
        mode = "SAFE_MODE"  # a mode this executor does not know: fail closed, exits still allowed
    seq = r.opt_int("transition_seq")
    return Breaker(
        scope_level=r.choice("scope_level", SCOPES),
        scope_id=r.string("scope_id"),
        fallback_mode=str(mode),
        transition_seq=seq if seq is not None else 0,
    )


@dataclass(frozen=True)
class Command:
    command_id: str
    command: str
    scope_level: str
    scope_id: str
    ts_event: int
    role: str = "UNKNOWN"
    reason: str = ""


def parse_command(record: Mapping[str, Any] | None) -> Command:
    r = _Reader(record, "control.commands")
    return Command(
        command_id=r.string("command_id"),
        command=r.string("command"),
        scope_level=r.choice("scope_level", SCOPES),
        scope_id=r.string("scope_id"),
        ts_event=r.ms("ts_event"),
        role=str((record or {}).get("role") or "UNKNOWN"),
        reason=str((record or {}).get("reason") or ""),
    )
