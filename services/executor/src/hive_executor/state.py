"""The engine's state as JSON texts, one per key, so a restart resumes without double fills.

Keys: `bot:<bot_id>` (definition, account, live orders, finished order ids for de-duplication,
risk-limit block), `market:<symbol>` (the bar buffer and the updates kept for late intents) and
`control` (breakers, seen commands, intents refused for unknown bots, the order counter and the
market clock). Every text carries `state_version`; a text of another version is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from hive_executor.account import Account
from hive_executor.orders import Order
from hive_executor.quotes import Bar

STATE_VERSION = 1
CONTROL_KEY = "control"


class StateError(ValueError):
    """A state text that cannot be imported (wrong version, malformed)."""


def bot_key(bot_id: str) -> str:
    return f"bot:{bot_id}"


def market_key(symbol: str) -> str:
    return f"market:{symbol}"


@dataclass(slots=True)
class BotState:
    bot_id: str
    cell_id: str
    mode: str
    venue: str
    rule_set: str
    status: str
    deleted: bool
    account: Account
    orders: dict[str, Order] = field(default_factory=dict)  # live orders by order_id
    done: dict[str, list[int]] = field(default_factory=dict)  # finished: order_id -> [rev, ts]
    block: str | None = None  # hard-limit breach refusing new entries: daily_loss | max_loss


@dataclass(slots=True)
class MarketState:
    symbol: str
    bars: list[Bar] = field(default_factory=list)
    evicted_through: int = -1  # open time of the newest bar dropped from the buffer
    updates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # signal_id -> updates

    @property
    def last(self) -> Bar | None:
        return self.bars[-1] if self.bars else None


@dataclass(slots=True)
class ControlState:
    breakers: dict[str, list[Any]] = field(default_factory=dict)  # "LEVEL:id" -> [mode, seq]
    commands: list[str] = field(default_factory=list)  # recent command ids, oldest first
    rejected: dict[str, int] = field(default_factory=dict)  # unknown-bot order_id -> ts
    next_number: int = 1  # order creation counter
    clock: int = -1  # latest bar close seen, any symbol


_BOT = TypeAdapter(BotState)
_CONTROL = TypeAdapter(ControlState)


def _wrap(kind: str, body: Any) -> str:
    return json.dumps(
        {"state_version": STATE_VERSION, "kind": kind, "state": body}, separators=(",", ":")
    )


def _unwrap(text: str, kind: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"state {kind}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("state_version") != STATE_VERSION:
        version = data.get("state_version") if isinstance(data, dict) else None
        raise StateError(
            f"state {kind}: state_version {version!r}, this executor reads {STATE_VERSION}"
        )
    if data.get("kind") != kind:
        raise StateError(f"state {kind}: holds {data.get('kind')!r}")
    return data["state"]


def dump_bot(bot: BotState) -> str:
    return _wrap("bot", _BOT.dump_python(bot, mode="json"))


def load_bot(text: str) -> BotState:
    return _BOT.validate_python(_unwrap(text, "bot"))


# A bar never changes once buffered, and the buffer is written after every batch: encode each
# bar once (the same text json.dumps would give inside the whole document).
_ROW_TEXT: dict[str, str] = {}
_ROW_TEXT_MAX = 20_000


def _row_text(bar: Bar) -> str:
    text = _ROW_TEXT.get(bar.event_id)
    if text is None:
        if len(_ROW_TEXT) >= _ROW_TEXT_MAX:
            _ROW_TEXT.clear()
        text = _ROW_TEXT[bar.event_id] = json.dumps(bar.to_row(), separators=(",", ":"))
    return text


def dump_market(market: MarketState) -> str:
    head = json.dumps(
        {"state_version": STATE_VERSION, "kind": "market", "state": {"symbol": market.symbol}},
        separators=(",", ":"),
    )[:-2]  # drop the closing "}}" to append the rest of the state
    tail = json.dumps(
        {"evicted_through": market.evicted_through, "updates": market.updates},
        separators=(",", ":"),
    )[1:]
    return f'{head},"bars":[{",".join(_row_text(b) for b in market.bars)}],{tail}}}'


def load_market(text: str) -> MarketState:
    body = _unwrap(text, "market")
    symbol = str(body["symbol"])
    return MarketState(
        symbol=symbol,
        bars=[Bar.from_row(symbol, row) for row in body["bars"]],
        evicted_through=int(body["evicted_through"]),
        updates={str(k): list(v) for k, v in body["updates"].items()},
    )


def dump_control(control: ControlState) -> str:
    return _wrap("control", _CONTROL.dump_python(control, mode="json"))


def load_control(text: str) -> ControlState:
    return _CONTROL.validate_python(_unwrap(text, "control"))
