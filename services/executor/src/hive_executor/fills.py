"""How the paper broker fills against a bar: the conventions, in one place.

Prices: BUY entries at the ask, BUY exits at the bid; SELL entries at the bid, SELL exits at
the ask (see `quotes`). Slippage (`slip`, price units, >= 0) is adverse and applies to every
fill that is a market order at a venue: market entries, triggered stop entries, stop-loss
exits and market closes. Limit entries and take-profits are limit orders: no slippage.

Entries
- MARKET: the open of the first bar whose open time is at or after the intent's time.
- LIMIT (BUY below the market): touched when the bar's ask low reaches the level; filled at
  the level, or at the open when the bar opens beyond it (a gap: the better price).
- STOP (BUY above the market): touched when the ask high reaches the level; filled at the
  level, or at the open when the bar opens beyond it (a gap: the worse price), plus slippage.
- SELL mirrors on the bid.

Exits of an open position in a bar, in this order:
1. At the open. A bar opening beyond the stop fills the stop at the open (the worse price)
   and nothing else happens. A bar opening beyond take-profits fills them at the open (the
   better price, what a resting limit order gets; backtesting.py does the same).
2. Inside the bar, the pessimistic rule: when the bar touches the stop, the stop is taken to
   be hit first, even if it also touches take-profits (the stop closes all that is open).
   Otherwise each take-profit the bar touches fills at its level, in TP order.
A position entered inside the bar (a LIMIT/STOP touched after the open) can be stopped in the
same bar (pessimistic) but cannot reach a take-profit before the next bar: the bar's range may
have come before the entry. A position entered at the open (MARKET, or a pending entry filled
at the open on a gap) is checked against the whole bar, stop first.
"""

from __future__ import annotations

from dataclasses import dataclass

from hive_executor.quotes import Bar


@dataclass(frozen=True, slots=True)
class Hit:
    """A level reached in a bar: the stop (tp_index None) or a take-profit (0-based)."""

    price: float
    tp_index: int | None
    at_open: bool


def market_entry(is_long: bool, bar: Bar, slip: float) -> float:
    return bar.ask_open + slip if is_long else bar.bid_open - slip


def market_exit(is_long: bool, ask: float, spread: float, slip: float) -> float:
    """Closing at market when the ask is `ask`: a long sells at the bid, a short buys the ask."""
    return ask - spread - slip if is_long else ask + slip


def pending_entry(
    is_long: bool, order_type: str, level: float, bar: Bar, slip: float
) -> tuple[float, bool] | None:
    """(fill price, filled at the open) when the bar touches a pending entry, else None."""
    if is_long:
        o, h, lo = bar.ask_open, bar.ask_high, bar.ask_low
        if order_type == "LIMIT":
            if lo <= level:
                return (o, True) if o <= level else (level, False)
        elif h >= level:
            return (o + slip, True) if o >= level else (level + slip, False)
        return None
    o, h, lo = bar.bid_open, bar.bid_high, bar.bid_low
    if order_type == "LIMIT":
        if h >= level:
            return (o, True) if o >= level else (level, False)
    elif lo <= level:
        return (o - slip, True) if o <= level else (level - slip, False)
    return None


def exit_hits(
    is_long: bool,
    stop: float | None,
    take_profits: list[tuple[int, float]],
    bar: Bar,
    slip: float,
    *,
    from_open: bool,
) -> list[Hit]:
    """The levels a bar reaches, in the order they fill (see the module docstring).

    `from_open`: the position was open at the bar's open (else it was entered inside the bar:
    no open check and no take-profit in this bar).
    """
    if is_long:
        o, h, lo = bar.bid_open, bar.bid_high, bar.bid_low
    else:
        o, h, lo = bar.ask_open, bar.ask_high, bar.ask_low
    sign = 1.0 if is_long else -1.0
    hits: list[Hit] = []
    left = take_profits
    if from_open:
        if stop is not None and (o - stop) * sign <= 0:
            return [Hit(o - sign * slip, None, True)]
        left = []
        for idx, tp in take_profits:
            if (o - tp) * sign >= 0:
                hits.append(Hit(o, idx, True))
            else:
                left.append((idx, tp))
    if stop is not None and ((lo <= stop) if is_long else (h >= stop)):
        hits.append(Hit(stop - sign * slip, None, False))
        return hits
    if from_open:
        for idx, tp in left:
            if (h >= tp) if is_long else (lo <= tp):
                hits.append(Hit(tp, idx, False))
    return hits
