"""Bars as the executor sees them: bid and ask prices from the bar's basis and spread.

A `market.bars` record has one side of the book (`price_basis`) and a spread in price units.
The executor needs both sides: BUY entries fill at the ask and BUY exits (stop, take-profit,
close) at the bid; SELL entries at the bid and SELL exits at the ask.

- ASK basis (the bundled EURUSD data): ask = price, bid = price - spread;
- BID basis: bid = price, ask = price + spread;
- MID, LAST and UNKNOWN: the price is the middle, half the spread either side.

The spread is the bar's `spread`, or the instrument catalogue's typical spread when it is null,
and is taken as constant over the bar (so bid high = ask high - spread).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.instruments import Instrument, InstrumentCatalogue
from hive_executor.errors import ExecutorInputError

PRICE_BASES = ("UNKNOWN", "BID", "ASK", "MID", "LAST")


@dataclass(frozen=True, slots=True)
class Bar:
    """One closed bar with both sides of the book. `ts_event` is its close time."""

    event_id: str
    symbol: str
    open_time: int
    ts_event: int
    ask_open: float
    ask_high: float
    ask_low: float
    ask_close: float
    spread: float

    @property
    def bid_open(self) -> float:
        return self.ask_open - self.spread

    @property
    def bid_high(self) -> float:
        return self.ask_high - self.spread

    @property
    def bid_low(self) -> float:
        return self.ask_low - self.spread

    @property
    def bid_close(self) -> float:
        return self.ask_close - self.spread

    def to_row(self) -> list[Any]:
        """Compact JSON form for the state (a bar buffer holds thousands)."""
        return [
            self.event_id,
            self.open_time,
            self.ts_event,
            self.ask_open,
            self.ask_high,
            self.ask_low,
            self.ask_close,
            self.spread,
        ]

    @classmethod
    def from_row(cls, symbol: str, row: list[Any]) -> Bar:
        eid, ot, ts, o, h, lo, c, s = row
        return cls(
            str(eid), symbol, int(ot), int(ts), float(o), float(h), float(lo), float(c), float(s)
        )


def _field(record: Mapping[str, Any], name: str) -> Any:
    if name not in record:
        raise ExecutorInputError("invalid_record", f"market.bars: {name} is missing")
    return record[name]


def _price(record: Mapping[str, Any], name: str) -> float:
    value = _field(record, name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ExecutorInputError("invalid_record", f"market.bars: {name} must be a number")
    if value <= 0:
        raise ExecutorInputError("invalid_record", f"market.bars: {name} must be positive")
    return float(value)


def _ms(record: Mapping[str, Any], name: str) -> int:
    value = _field(record, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExecutorInputError("invalid_record", f"market.bars: {name} must be epoch ms")
    return value


def bar_timeframe(record: Mapping[str, Any]) -> str:
    value = _field(record, "timeframe")
    if not isinstance(value, str):
        raise ExecutorInputError("invalid_record", "market.bars: timeframe must be a string")
    return value


def parse_bar(record: Mapping[str, Any], catalogue: InstrumentCatalogue) -> tuple[Bar, Instrument]:
    """The bar of a `market.bars` record (checked), with its instrument."""
    symbol = _field(record, "symbol")
    if not isinstance(symbol, str):
        raise ExecutorInputError("invalid_record", "market.bars: symbol must be a string")
    instrument = catalogue.get(symbol)
    if instrument is None:
        raise ExecutorInputError("unknown_symbol", f"market.bars: unknown symbol {symbol!r}")
    o, h, lo, c = (_price(record, k) for k in ("open", "high", "low", "close"))
    if h < max(o, c, lo) or lo > min(o, c):
        raise ExecutorInputError("invalid_record", "market.bars: high/low do not enclose the bar")
    open_time, ts_event = _ms(record, "open_time"), _ms(record, "ts_event")
    if ts_event <= open_time:
        raise ExecutorInputError("invalid_record", "market.bars: ts_event must follow open_time")
    raw_spread = record.get("spread")
    if raw_spread is None:
        spread = instrument.typical_spread
    elif (
        isinstance(raw_spread, bool)
        or not isinstance(raw_spread, int | float)
        or not math.isfinite(raw_spread)
        or raw_spread < 0
    ):
        raise ExecutorInputError("invalid_record", "market.bars: spread must be >= 0")
    else:
        spread = float(raw_spread)
    basis = record.get("price_basis", "UNKNOWN")
    if basis == "ASK":
        shift = 0.0
    elif basis == "BID":
        shift = spread
    else:  # MID, LAST, UNKNOWN: the quoted price is the middle of the book
        shift = spread / 2.0
    event_id = record.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        event_id = f"{symbol}:{record.get('timeframe')}:{open_time}"
    bar = Bar(
        event_id, symbol, open_time, ts_event, o + shift, h + shift, lo + shift, c + shift, spread
    )
    return bar, instrument
