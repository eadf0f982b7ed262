"""The executor's inputs, read from Avro records (dicts) into checked, typed values.

Anything a user or an upstream service can get wrong raises `ExecutorInputError` with a reason
code; the service turns it into a dead letter. Business refusals (unknown bot, breaker, limits)
are not input errors: the engine answers them with a REJECTED execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.bots import BotConfigError, BotRecord, read_record
from hive.constitution import BREAKER_SEVERITY
from hive.contracts.readers import UNKNOWN_SYMBOL, RecordError, RecordReader, read
from hive.topics import CONTROL_BREAKERS, CONTROL_COMMANDS, ORDERS_DECISIONS, ORDERS_INTENTS
from hive_executor.errors import ExecutorInputError

FRACTION_TOLERANCE = 1e-6

# An enum field whose unknown symbol has a reason of its own on the dead letter.
_SYMBOL_REASONS = {
    "side": "invalid_side",
    "order_type": "invalid_order_type",
    "action": "unknown_action",
    "modification.action": "unknown_action",
}


def input_error(err: RecordError) -> ExecutorInputError:
    """A schema error as the executor's input error (`invalid_record` unless named above)."""
    reason = "invalid_record"
    if err.reason == UNKNOWN_SYMBOL:
        reason = _SYMBOL_REASONS.get(err.path, reason)
    return ExecutorInputError(reason, err.message)


def _read(topic: str, record: object) -> RecordReader:
    return read(topic, record, input_error)


def _fail(r: RecordReader, name: str, what: str, reason: str) -> ExecutorInputError:
    """A domain refusal of one field, worded like the schema's."""
    return ExecutorInputError(reason, f"{r.topic}: {r.path(name)} {what}")


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
    r: RecordReader, side: str, entry: float | None, sl: float | None, tps: tuple[float, ...]
) -> None:
    """Stop below and take-profits above the entry for a BUY (mirrored for a SELL); a MARKET
    order without a reference price: the stop below every take-profit."""
    sign = 1.0 if side == "BUY" else -1.0
    if entry is None:
        if sl is not None and any((tp - sl) * sign <= 0 for tp in tps):
            raise _fail(
                r, "stop_loss", f"{sl} is beyond a take-profit for a {side}", "wrong_side_stop"
            )
        return
    if sl is not None and (entry - sl) * sign <= 0:
        raise _fail(
            r, "stop_loss", f"{sl} is on the wrong side of {entry} for a {side}", "wrong_side_stop"
        )
    for tp in tps:
        if (tp - entry) * sign <= 0:
            raise _fail(
                r,
                "take_profits",
                f"{tp} is on the wrong side of {entry} for a {side}",
                "wrong_side_tp",
            )


def parse_intent(record: Mapping[str, Any] | None) -> Intent:
    r = _read(ORDERS_INTENTS, record)
    side = r.symbol("side", known=True)
    order_type = r.symbol("order_type", known=True)
    quantity = r.number("quantity")
    if quantity <= 0:
        raise _fail(r, "quantity", f"must be positive, got {quantity}", "invalid_quantity")
    entry = r.opt_number("entry")
    if entry is not None and entry <= 0:
        raise _fail(r, "entry", "must be positive", "invalid_price")
    if order_type != "MARKET" and entry is None:
        raise _fail(r, "entry", f"is required for a {order_type} order", "missing_entry")
    sl = r.opt_number("stop_loss")
    if sl is not None and sl <= 0:
        raise _fail(r, "stop_loss", "must be positive", "invalid_price")
    tps = r.numbers("take_profits")
    if any(tp <= 0 for tp in tps):
        raise _fail(r, "take_profits", "must be positive", "invalid_price")
    _check_levels(r, side, entry, sl, tps)
    fractions = r.numbers("tp_fractions")
    if tps and not fractions:  # the schema: empty = everything at the first take-profit
        fractions = (1.0,) + (0.0,) * (len(tps) - 1)
    if len(fractions) != len(tps):
        raise _fail(
            r, "tp_fractions", "must have one fraction per take-profit", "invalid_tp_fractions"
        )
    if fractions and (
        any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > FRACTION_TOLERANCE
    ):
        raise _fail(r, "tp_fractions", "must be >= 0 and sum to 1", "invalid_tp_fractions")
    features = r.record_of("features").record
    return Intent(
        event_id=r.nonempty("event_id"),
        ts_event=r.integer("ts_event"),
        order_id=r.nonempty("order_id"),
        signal_id=r.nonempty("signal_id"),
        revision=r.integer("signal_revision"),
        bot_id=r.nonempty("bot_id"),
        cell_id=r.nonempty("cell_id"),
        symbol=r.nonempty("symbol"),
        side=side,
        order_type=order_type,
        entry=entry,
        stop_loss=sl,
        take_profits=tps,
        tp_fractions=fractions,
        quantity=quantity,
        risk_amount=r.opt_number("risk_amount"),
        account_currency=r.nonempty("account_currency"),
        mode="LIVE" if r.symbol("mode") == "LIVE" else "PAPER",  # UNKNOWN is treated as PAPER
        venue=r.string("venue") or "paper",
        shadow=r.flag("shadow"),
        shadow_reason=r.symbol("shadow_reason"),
        expires_at=r.opt_integer("expires_at"),
        features=dict(features),
    )


@dataclass(frozen=True)
class Update:
    """A management update the risk gate allowed for one bot (an `orders.decisions` record of
    kind MODIFICATION): what to do to that bot's orders of the signal `target_signal_id`.

    `event_id` is the decision's. `bot_id` None (state kept by an executor before updates were
    decisions) reaches every bot's orders of the signal; `source` None is not checked."""

    event_id: str
    ts_event: int
    action: str
    target_signal_id: str
    symbol: str
    price: float | None
    fraction: float | None
    tp_index: int | None
    bot_id: str | None = None
    source: str | None = None

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
            "bot_id": self.bot_id,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Update:
        """An update as `to_json` kept it in the executor's state."""
        return cls(
            event_id=str(data["event_id"]),
            ts_event=int(data["ts_event"]),
            action=str(data["action"]),
            target_signal_id=str(data["target_signal_id"]),
            symbol=str(data["symbol"]),
            price=data.get("price"),
            fraction=data.get("fraction"),
            tp_index=data.get("tp_index"),
            bot_id=data.get("bot_id"),
            source=data.get("source"),
        )

    def reaches(self, bot_id: str) -> bool:
        return self.bot_id is None or self.bot_id == bot_id


def parse_modification(record: Mapping[str, Any] | None) -> Update | None:
    """An `orders.decisions` record: the update to apply when it is an allowed MODIFICATION;
    None for an entry decision, a denied modification or TP_HIT / SL_HIT (nothing to do)."""
    r = _read(ORDERS_DECISIONS, record)
    if r.symbol("kind") != "MODIFICATION" or not r.flag("allowed"):
        return None
    mod = r.opt_record_of("modification")
    if mod is None:
        raise _fail(r, "modification", "is required for a MODIFICATION", "invalid_record")
    action = mod.symbol("action", known=True)
    if action in ("TP_HIT", "SL_HIT"):
        return None  # informational: the executor's own fills decide when levels are hit
    price = mod.opt_number("price")
    fraction = mod.opt_number("fraction")
    tp_index = mod.opt_integer("tp_index")
    if action in ("MOVE_SL", "MOVE_TP") and (price is None or price <= 0):
        raise _fail(mod, "price", f"must be a positive price for {action}", "invalid_price")
    if action == "MOVE_TP" and (tp_index is None or tp_index < 1):
        raise _fail(mod, "tp_index", "must be >= 1 for MOVE_TP", "invalid_tp_index")
    if action == "CLOSE_PARTIAL" and (fraction is None or not 0 < fraction <= 1):
        raise _fail(mod, "fraction", "must be in (0, 1] for CLOSE_PARTIAL", "invalid_fraction")
    return Update(
        event_id=r.nonempty("event_id"),
        ts_event=r.integer("ts_event"),
        action=action,
        target_signal_id=r.nonempty("signal_id"),
        symbol=r.nonempty("symbol"),
        price=price,
        fraction=fraction,
        tp_index=tp_index,
        bot_id=r.nonempty("bot_id"),
        source=r.nonempty("source"),
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
    r = _read(CONTROL_BREAKERS, record)
    mode = r.symbol("fallback_mode")
    if r.symbol("state") == "CLOSED":
        mode = "NONE"
    elif mode not in BREAKER_SEVERITY:
        mode = "SAFE_MODE"  # a mode this executor does not know: fail closed, exits still allowed
    return Breaker(
        scope_level=r.symbol("scope_level", known=True),
        scope_id=r.nonempty("scope_id"),
        fallback_mode=mode,
        transition_seq=r.integer("transition_seq"),
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
    r = _read(CONTROL_COMMANDS, record)
    return Command(
        command_id=r.nonempty("command_id"),
        command=r.symbol("command"),
        scope_level=r.symbol("scope_level", known=True),
        scope_id=r.nonempty("scope_id"),
        ts_event=r.integer("ts_event"),
        role=r.symbol("role"),
        reason=r.string("reason"),
    )
