"""Validation of a parsed signal's levels: the last gate before signals.parsed.

A signal that fails here is never published; the parser rejects the message with the reason.
`validate_signal` checks a finished record (dict in the signals_parsed schema), so tests can
check every record the parser emits with the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hive.instruments import Instrument


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message produced nothing: `reason` is a stable snake_case code for the DLQ header."""

    reason: str
    detail: str


# Every reason code the parser can give, with what it means (README and DLQ headers).
REASONS: dict[str, str] = {
    "empty_message": "no text left after removing decoration",
    "message_too_long": "the text is longer than the parser reads",
    "invalid_record": "the raw record lacks source, message_id or posted_at",
    "invalid_json": "a webhook body that is not a JSON object, or a level that is not a number",
    "not_a_signal": "no trading instruction: chat, commentary with prices, a recap",
    "unknown_symbol": "an instrument that is not in the catalogue, or none named",
    "no_direction": "levels without BUY/SELL that cannot be told from the levels either",
    "conflicting_direction": "BUY and SELL for the same signal",
    "missing_entry": "a LIMIT/STOP order without an entry price",
    "wrong_side_stop": "the stop-loss is not on the losing side of the entry",
    "wrong_side_tp": "a take-profit is not on the winning side of the entry",
    "implausible_level": "a level outside the instrument's plausible range or absurdly far away",
    "low_confidence": "the reading is below the parser's minimum confidence",
    "unlinked_update": "a management instruction that links to no known open signal",
    "foreign_signal": "a management instruction that names a signal of another source",
    "internal_error": "a bug in the parser (the record is kept in the dead-letter topic)",
}

DIRECTIONS = ("BUY", "SELL")
_DIRECTION_SET = frozenset(DIRECTIONS)
_PENDING = frozenset({"LIMIT", "STOP"})
ORDER_TYPES = ("MARKET", "LIMIT", "STOP")


def _level(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"level {value!r} is not a number")
    return float(value)


def _outside(inst: Instrument, name: str, value: float) -> Rejection:
    return Rejection(
        "implausible_level",
        f"{inst.symbol}: {name} {value:g} outside the plausible range "
        f"{inst.price_min:g}..{inst.price_max:g}",
    )


def check_levels(  # noqa: PLR0911, PLR0912 - one return per rule
    inst: Instrument,
    direction: str,
    order_type: str,
    *,
    entries: Sequence[float],
    stop_loss: float | None,
    take_profits: Sequence[float],
) -> Rejection | None:
    """The level rules, on plain values (entries = every entry level given, may be empty)."""
    sym = inst.symbol
    if direction not in _DIRECTION_SET:
        return Rejection("no_direction", f"{sym}: direction {direction!r}")
    if not entries and order_type in _PENDING:
        return Rejection("missing_entry", f"{sym}: {order_type} order without an entry price")
    # plausible range (a NaN fails every comparison, so it is rejected here too)
    pmin, pmax = inst.price_min, inst.price_max
    for v in entries:
        if not pmin <= v <= pmax:
            return _outside(inst, "entry", v)
    if stop_loss is not None and not pmin <= stop_loss <= pmax:
        return _outside(inst, "stop_loss", stop_loss)
    for k, v in enumerate(take_profits, start=1):
        if not pmin <= v <= pmax:
            return _outside(inst, f"TP{k}", v)
    limit = inst.max_level_distance
    buy = direction == "BUY"
    if entries:
        lo, hi = min(entries), max(entries)
        ref = entries[0]
        if (hi - lo) / ref > limit:
            return Rejection(
                "implausible_level", f"{sym}: entry range {lo:g}..{hi:g} is implausibly wide"
            )
        if stop_loss is not None:
            if (buy and stop_loss >= lo) or (not buy and stop_loss <= hi):
                side = "below" if buy else "above"
                return Rejection(
                    "wrong_side_stop",
                    f"{sym} {direction}: stop-loss {stop_loss:g} must be {side} the entry "
                    f"{(lo if buy else hi):g}",
                )
            if abs(stop_loss - ref) / ref > limit:
                return Rejection(
                    "implausible_level",
                    f"{sym}: stop-loss {stop_loss:g} is more than {limit:.0%} from the entry {ref:g}",
                )
        for k, tp in enumerate(take_profits, start=1):
            if (buy and tp <= hi) or (not buy and tp >= lo):
                side = "above" if buy else "below"
                return Rejection(
                    "wrong_side_tp",
                    f"{sym} {direction}: TP{k} {tp:g} must be {side} the entry "
                    f"{(hi if buy else lo):g}",
                )
            if abs(tp - ref) / ref > limit:
                return Rejection(
                    "implausible_level",
                    f"{sym}: TP{k} {tp:g} is more than {limit:.0%} from the entry {ref:g}",
                )
    elif stop_loss is not None and take_profits:
        # a market order without a price: the stop and the targets must still face each other
        for k, tp in enumerate(take_profits, start=1):
            if (buy and tp <= stop_loss) or (not buy and tp >= stop_loss):
                return Rejection(
                    "wrong_side_stop",
                    f"{sym} {direction}: stop-loss {stop_loss:g} is not on the losing side "
                    f"of TP{k} {tp:g}",
                )
            if abs(tp - stop_loss) / stop_loss > 2 * limit:
                return Rejection(
                    "implausible_level",
                    f"{sym}: TP{k} {tp:g} is implausibly far from the stop-loss {stop_loss:g}",
                )
    return None


def validate_signal(  # noqa: PLR0911 - one return per rule
    record: Mapping[str, Any], instrument: Instrument
) -> Rejection | None:
    """None when a ParsedSignal record's levels are consistent and plausible, else the reason."""
    try:
        if record.get("symbol") != instrument.symbol:
            return Rejection(
                "unknown_symbol",
                f"record symbol {record.get('symbol')!r} is not {instrument.symbol}",
            )
        entry = _level(record.get("entry"))
        low = _level(record.get("entry_low"))
        high = _level(record.get("entry_high"))
        sl = _level(record.get("stop_loss"))
        tps = [_level(v) for v in record.get("take_profits") or []]
        first_tp = _level(record.get("take_profit"))
    except TypeError as exc:
        return Rejection("invalid_json", str(exc))
    for v in (entry, low, high, sl, first_tp, *tps):
        if v is not None and not math.isfinite(v):
            return Rejection("implausible_level", f"{instrument.symbol}: level {v} is not finite")
    take_profits = [v for v in tps if v is not None]
    if (first_tp is None) != (not take_profits) or (
        first_tp is not None and first_tp != take_profits[0]
    ):
        return Rejection("implausible_level", "take_profit is not take_profits[0]")
    if (low is None) != (high is None):
        return Rejection("implausible_level", "entry_low and entry_high must be given together")
    entries: list[float] = []
    if entry is not None:
        entries.append(entry)
    if low is not None and high is not None:
        if entry is None or not low <= entry <= high or low >= high:
            return Rejection(
                "implausible_level",
                f"{instrument.symbol}: entry range {low:g}..{high:g} does not hold the entry",
            )
        entries.extend((low, high))
    confidence = record.get("confidence")
    if not isinstance(confidence, int | float) or not 0.0 <= confidence <= 1.0:
        return Rejection("low_confidence", f"confidence {confidence!r} is not in 0..1")
    return check_levels(
        instrument,
        str(record.get("direction")),
        str(record.get("order_type", "MARKET")),
        entries=entries,
        stop_loss=sl,
        take_profits=take_profits,
    )
