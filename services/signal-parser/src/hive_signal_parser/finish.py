"""Completing a draft into a signal: direction inference, levels from pips, defaults, confidence.

What a message leaves out is inferred or defaulted here, each time with a warning and the
confidence it costs (in hundredths): the direction from the levels, a stop or targets written in
pips from the entry, a market order when no type is given, and the take-profits put in order.
"""

from __future__ import annotations

from hive_signal_parser.model import Draft
from hive_signal_parser.validate import Rejection


def finish_draft(d: Draft, text_mode: bool) -> Rejection | None:  # noqa: PLR0912 - one rule each
    """Inference, defaults and confidence for one draft; a rejection when it cannot be a signal."""
    inst = d.symbol
    assert inst is not None
    if d.conflict:
        return Rejection("conflicting_direction", f"{inst.symbol}: both BUY and SELL are given")
    ref = d.entries[0] if d.entries else None
    if d.direction is None:
        d.direction = infer_direction(ref, d.stop_loss, [v for _, v in d.take_profits])
        if d.direction is None:
            return Rejection(
                "no_direction", f"{inst.symbol}: no BUY/SELL and the levels do not tell it"
            )
        d.direction_inferred = True
        d.note("DIRECTION_INFERRED", 30)
    buy = d.direction == "BUY"
    if d.stop_loss is None and d.sl_pips and ref is not None:
        dist = d.sl_pips * inst.pip_size
        d.stop_loss = round(ref - dist if buy else ref + dist, inst.digits)
        d.note("SL_FROM_PIPS", 10)
    if d.tp_pips and ref is not None:
        for ix, pips in d.tp_pips:
            dist = pips * inst.pip_size
            d.take_profits.append((ix, round(ref + dist if buy else ref - dist, inst.digits)))
        d.note("TP_FROM_PIPS", 10)
    if d.order_type is None:
        d.order_type = "MARKET"
        if d.entries:
            d.note("ORDER_TYPE_ASSUMED_MARKET")
    if d.stop_loss is None:
        if d.sl_open or d.sl_label:
            d.note("SL_OPEN", 10 if text_mode else 0)
        else:
            d.note("SL_MISSING", 20 if text_mode else 0)
    if not d.take_profits:
        if d.tp_open or d.tp_label:
            d.note("TP_OPEN", 10 if text_mode else 0)
        else:
            d.note("TP_MISSING", 25 if text_mode else 0)
    elif d.tp_open:
        d.note("TP_OPEN")
    if d.short_range:
        d.note("SHORT_RANGE_EXPANDED", 5)
    tps = d.take_profits
    if len(tps) > 1:
        previous = 0
        for ix, _ in tps:
            if ix is None:
                break  # an unnumbered TP: keep the written order
            if ix <= previous:
                numbered = {p[0] for p in tps}
                if None not in numbered and len(numbered) == len(tps):
                    d.take_profits = sorted(tps, key=lambda p: p[0] or 0)
                    d.note("TP_REORDERED", 5)
                break
            previous = ix
    return None


def infer_direction(entry: float | None, sl: float | None, tps: list[float]) -> str | None:
    if entry is None or (sl is None and not tps):
        return None
    votes: set[str] = set()
    if sl is not None:
        votes.add("BUY" if sl < entry else "SELL" if sl > entry else "?")
    for tp in tps:
        votes.add("BUY" if tp > entry else "SELL" if tp < entry else "?")
    if len(votes) == 1 and "?" not in votes:
        return votes.pop()
    return None
