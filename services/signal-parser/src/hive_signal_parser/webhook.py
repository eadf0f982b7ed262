"""Reading webhook JSON (TradingView-style alerts) into drafts or management actions.

Accepted shapes (keys are matched case-insensitively, `-`/space as `_`; an object nested one level
down, e.g. {"strategy": {...}}, is searched too; a list of such objects is several signals):

    {"symbol": "EURUSD", "action": "buy", "price": 1.0850, "sl": 1.0820, "tp": [1.09, 1.095]}
    {"ticker": "OANDA:XAUUSD", "side": "sell", "type": "limit", "entry": "2350.5",
     "stop_loss": 2360, "tp1": 2340, "tp2": 2330, "expires_at": "2024-05-01T16:00:00Z"}
    {"action": "close", "symbol": "EURUSD"}             -> CLOSE_ALL update
    {"action": "close", "symbol": "EURUSD", "percent": 50}  -> CLOSE_PARTIAL 0.5
    {"action": "move_sl", "signal_id": "tv:123:0", "sl": 1.0860}  -> MOVE_SL, linked EXPLICIT

Levels may be numbers or numeric strings; `tp` may be a number, a list, or "1.09, 1.095".

Kept whole (just under 400 lines): the key tables, the value coercion and the item reader are one
reading of one body shape, and none of it is used by anything else.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hive.instruments import InstrumentCatalogue
from hive_signal_parser.model import Action, Draft
from hive_signal_parser.validate import Rejection

SYMBOL_KEYS = ("symbol", "ticker", "instrument", "pair", "market", "asset", "sym", "coin")
ACTION_KEYS = (
    "action",
    "side",
    "order_action",
    "direction",
    "signal",
    "order",
    "order_side",
    "position",
    "trade",
    "command",
    "cmd",
)
TYPE_KEYS = ("type", "order_type", "ordertype", "entry_type", "kind")
ENTRY_KEYS = (
    "entry",
    "price",
    "entry_price",
    "open",
    "open_price",
    "limit_price",
    "limit",
    "order_price",
    "stop_price",
)
ENTRY_RANGE_KEYS = (("entry_low", "entry_high"), ("entry_min", "entry_max"), ("entry1", "entry2"))
SL_KEYS = ("sl", "stop_loss", "stoploss", "stop", "sl_price", "stop_price_loss", "stop_level")
TP_KEYS = (
    "tp",
    "tps",
    "take_profit",
    "takeprofit",
    "take_profits",
    "targets",
    "target",
    "tp_price",
)
EXPIRY_KEYS = ("expires_at", "expiry", "expiration", "valid_until", "expire", "good_till")
SIGNAL_ID_KEYS = ("signal_id", "target_signal_id")
REF_KEYS = ("ref", "reply_to", "message_id", "original_id", "alert_id_ref", "parent_id")
FRACTION_KEYS = (
    "fraction",
    "percent",
    "pct",
    "qty_percent",
    "close_percent",
    "size_pct",
    "portion",
)
TP_INDEX_KEYS = ("tp_index", "tp_number", "index", "target_index")

_BUY = frozenset({"buy", "long", "enter_long", "entry_long", "open_long", "go_long", "bull"})
_SELL = frozenset({"sell", "short", "enter_short", "entry_short", "open_short", "go_short", "bear"})
_CLOSE = frozenset(
    {
        "close",
        "exit",
        "close_all",
        "closeall",
        "flat",
        "flatten",
        "close_long",
        "close_short",
        "exit_long",
        "exit_short",
        "close_position",
        "closeposition",
        "close_trade",
    }
)
_PARTIAL = frozenset({"close_partial", "partial_close", "partial", "take_partial", "reduce"})
_CANCEL = frozenset({"cancel", "delete", "cancel_order", "remove", "void"})
_BREAKEVEN = frozenset({"breakeven", "break_even", "be", "move_sl_to_be", "sl_to_be", "risk_free"})
_MOVE_SL = frozenset(
    {"move_sl", "update_sl", "modify_sl", "new_sl", "sl_move", "trail_sl", "modify"}
)
_MOVE_TP = frozenset({"move_tp", "update_tp", "modify_tp", "new_tp"})
_TP_HIT = frozenset({"tp_hit", "target_hit", "tp_reached"})
_SL_HIT = frozenset({"sl_hit", "stopped_out", "stop_hit"})


class _InvalidBodyError(ValueError):
    pass


@dataclass(slots=True)
class WebhookReading:
    drafts: list[Draft] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    rejection: Rejection | None = None
    expires_at: list[int | None] = field(default_factory=list)  # per draft


def _key(k: str) -> str:
    return k.strip().lower().replace("-", "_").replace(" ", "_")


def _flatten(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    nested: list[Mapping[str, Any]] = []
    for k, v in obj.items():
        if isinstance(v, Mapping):
            nested.append(v)
        out.setdefault(_key(str(k)), v)
    for sub in nested:
        for k, v in sub.items():
            if not isinstance(v, Mapping):
                out.setdefault(_key(str(k)), v)
    return out


def _first(d: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        v = d.get(k)
        if v is not None and v != "":
            return v
    return None


def _decimal_comma(s: str) -> bool:
    """'1,0850' or '2338,50': one comma as the decimal mark (not '64500,65500', a list)."""
    if s.count(",") != 1 or "." in s:
        return False
    before, after = s.split(",")
    return (
        before.isdigit()
        and after.isdigit()
        and len(after) != 3
        and (len(before) <= 2 or len(after) <= 2)
    )


def _thousands(s: str) -> bool:
    """'64,500' or '1,234,567.5': commas grouping thousands."""
    whole = s.split(".", maxsplit=1)[0]
    groups = whole.split(",")
    return (
        len(groups) > 1
        and 1 <= len(groups[0]) <= 3
        and all(len(x) == 3 and x.isdigit() for x in groups[1:])
        and groups[0].isdigit()
    )


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise _InvalidBodyError(f"{what} {value!r} is not a number")
    if isinstance(value, int | float):
        f = float(value)
    elif isinstance(value, str):
        s = value.strip().replace(" ", "")
        s = s.replace(",", ".") if _decimal_comma(s) else s.replace(",", "")
        try:
            f = float(s)
        except ValueError:
            raise _InvalidBodyError(f"{what} {value!r} is not a number") from None
    else:
        raise _InvalidBodyError(f"{what} {value!r} is not a number")
    if not math.isfinite(f):
        raise _InvalidBodyError(f"{what} {value!r} is not a finite number")
    return f


def _num_list(value: Any, what: str) -> list[float]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [_num(v, what) for v in value if v is not None and v != ""]
    if (
        isinstance(value, str)
        and any(sep in value for sep in (",", ";", "/", "|"))
        and not _decimal_comma(value.strip())
        and not _thousands(value.strip())
    ):
        parts = value.replace(";", ",").replace("/", ",").replace("|", ",").split(",")
        return [_num(p, what) for p in parts if p.strip()]
    return [_num(value, what)]


def _timestamp(value: Any, posted_ms: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("gtc", "none", "never", "null"):
            return None
        try:
            stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return int(_num(value, "expiry"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return (stamp - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)
    v = _num(value, "expiry")
    if v < 1e11:  # epoch seconds
        v *= 1000
    out = int(v)
    return out if out > posted_ms - 86_400_000 * 365 * 50 else None


def parse_body(text: str) -> Any:
    """The JSON value of a webhook body; raises _InvalidBodyError when it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _InvalidBodyError(f"not JSON: {exc}") from None


def read_webhook(text: str, catalogue: InstrumentCatalogue, posted_ms: int) -> WebhookReading:
    reading = WebhookReading()
    try:
        body = parse_body(text)
        items: list[Any] = body if isinstance(body, list) else [body]
        if not items or len(items) > 50:
            raise _InvalidBodyError("expected a JSON object or a list of up to 50 objects")
        for k, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise _InvalidBodyError(f"item {k} is a {type(item).__name__}, not an object")
            _read_item(_flatten(item), catalogue, posted_ms, reading, k)
    except _InvalidBodyError as exc:
        return WebhookReading(rejection=Rejection("invalid_json", str(exc)))
    except RecursionError:
        return WebhookReading(rejection=Rejection("invalid_json", "nested too deeply"))
    return reading


def _read_item(  # noqa: PLR0912, PLR0915 - one branch per key family
    d: dict[str, Any],
    catalogue: InstrumentCatalogue,
    posted_ms: int,
    reading: WebhookReading,
    k: int,
) -> None:
    sym_raw = _first(d, SYMBOL_KEYS)
    inst = None
    if sym_raw is not None:
        if not isinstance(sym_raw, str):
            raise _InvalidBodyError(f"symbol {sym_raw!r} is not a string")
        inst = catalogue.resolve(sym_raw)
        if inst is None:
            reading.rejection = reading.rejection or Rejection(
                "unknown_symbol", f"webhook symbol {sym_raw!r} is not in the catalogue"
            )
            return
    raw_action = _first(d, ACTION_KEYS)
    action = _key(str(raw_action)) if raw_action is not None else ""
    kind = _key(str(_first(d, TYPE_KEYS) or ""))
    compact = action.replace("_", "")

    direction = None
    order_type = None
    if action in _BUY or compact.startswith(("buy", "long")):
        direction = "BUY"
    elif action in _SELL or compact.startswith(("sell", "short")):
        direction = "SELL"
    if direction is not None:
        rest = compact
        for prefix in ("enter", "entry", "open", "go", "buy", "sell", "long", "short"):
            rest = rest.removeprefix(prefix)
        if "limit" in rest or kind in ("limit", "buy_limit", "sell_limit", "pending"):
            order_type = "LIMIT"
        elif "stop" in rest or kind in ("stop", "buy_stop", "sell_stop"):
            order_type = "STOP"
        elif kind in ("market", "mkt", "instant", "now") or rest in ("now", "market", "mkt"):
            order_type = "MARKET"
        draft = Draft(symbol=inst, direction=direction, order_type=order_type)
        entry_val = _first(d, ENTRY_KEYS)
        if entry_val is not None:
            values = _num_list(entry_val, "entry")
            draft.entries.extend(values[:2])
        else:
            for lo_key, hi_key in ENTRY_RANGE_KEYS:
                lo, hi = d.get(lo_key), d.get(hi_key)
                if lo is not None and hi is not None:
                    draft.entries.extend([_num(lo, lo_key), _num(hi, hi_key)])
                    break
        sl_val = _first(d, SL_KEYS)
        if sl_val is not None:
            draft.stop_loss = _num(sl_val, "stop loss")
            draft.sl_label = True
        tps = _num_list(_first(d, TP_KEYS), "take profit")
        indexed: list[tuple[int, float]] = []
        for key, value in d.items():
            for prefix in ("tp", "take_profit_", "takeprofit", "target", "tp_"):
                tail = key[len(prefix) :] if key.startswith(prefix) else ""
                if tail.isdigit() and value is not None and value != "":
                    indexed.append((int(tail), _num(value, key)))
                    break
        indexed.sort()
        draft.take_profits = [(None, v) for v in tps] + [(ix, v) for ix, v in indexed]
        draft.tp_label = bool(draft.take_profits)
        reading.drafts.append(draft)
        reading.expires_at.append(_timestamp(_first(d, EXPIRY_KEYS), posted_ms))
        return

    act = _action(action, compact, d)
    if act is None:
        if not action:
            reading.rejection = reading.rejection or Rejection(
                "no_direction", "no action/side field: expected buy, sell, close, cancel, ..."
            )
        else:
            reading.rejection = reading.rejection or Rejection(
                "not_a_signal", f"action {raw_action!r} is not one the parser knows"
            )
        return
    act.pos = k
    act.symbol = inst
    sid = _first(d, SIGNAL_ID_KEYS)
    ref = _first(d, REF_KEYS)
    if sid is not None:
        act.explicit_signal = "id:" + str(sid)
    elif ref is not None:
        act.explicit_signal = "msg:" + str(ref)
    reading.actions.append(act)


def _action(  # noqa: PLR0911, PLR0912 - one branch per action
    action: str, compact: str, d: Mapping[str, Any]
) -> Action | None:
    price_raw = _first(d, ("price", "sl", "stop_loss", "stop", "tp", "take_profit", "new_price"))
    ix_raw = _first(d, TP_INDEX_KEYS)
    tp_index = int(_num(ix_raw, "tp_index")) if ix_raw is not None else None
    frac_raw = _first(d, FRACTION_KEYS)
    if action in _PARTIAL or (action in _CLOSE and frac_raw is not None):
        if frac_raw is None:
            return Action("CLOSE_PARTIAL", 0, fraction=0.5, guessed=True)
        frac = _num(frac_raw, "fraction")
        if frac > 1.0:
            frac /= 100.0
        if not 0 < frac <= 1.0:
            raise _InvalidBodyError(f"fraction {frac_raw!r} is not in (0, 1] or (0, 100]%")
        if frac >= 1.0:
            return Action("CLOSE_ALL", 0)
        return Action("CLOSE_PARTIAL", 0, fraction=frac)
    if action in _CLOSE:
        return Action("CLOSE_ALL", 0)
    if action in _CANCEL:
        return Action("CANCEL", 0)
    if action in _BREAKEVEN or compact in ("breakeven", "be"):
        return Action("BREAKEVEN", 0)
    if action in _MOVE_SL:
        sl = _first(d, ("sl", "stop_loss", "stop", "new_sl", "price", "new_price"))
        if sl is None:
            raise _InvalidBodyError(f"{action}: no new stop-loss price")
        return Action("MOVE_SL", 0, price=_num(sl, "stop loss"))
    if action in _MOVE_TP:
        tp = _first(d, ("tp", "take_profit", "new_tp", "price", "new_price"))
        if tp is None:
            raise _InvalidBodyError(f"{action}: no new take-profit price")
        return Action(
            "MOVE_TP",
            0,
            price=_num(tp, "take profit"),
            tp_index=tp_index or 1,
            guessed=tp_index is None,
        )
    if action in _TP_HIT:
        price = _num(price_raw, "price") if price_raw is not None else None
        return Action("TP_HIT", 0, price=price, tp_index=tp_index)
    if action in _SL_HIT:
        price = _num(price_raw, "price") if price_raw is not None else None
        return Action("SL_HIT", 0, price=price)
    return None
