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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.contracts.readers import RecordReader, read
from hive.instruments import Instrument, InstrumentCatalogue
from hive.topics import MARKET_BARS
from hive_executor.errors import ExecutorInputError
from hive_executor.inputs import input_error


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


def _read(record: Mapping[str, Any]) -> RecordReader:
    return read(MARKET_BARS, record, input_error)


def bar_timeframe(record: Mapping[str, Any]) -> str:
    return _read(record).string("timeframe")


def parse_bar(record: Mapping[str, Any], catalogue: InstrumentCatalogue) -> tuple[Bar, Instrument]:
    """The bar of a `market.bars` record (checked), with its instrument."""
    r = _read(record)
    symbol = r.string("symbol")
    instrument = catalogue.get(symbol)
    if instrument is None:
        raise ExecutorInputError("unknown_symbol", f"{r.topic}: unknown symbol {symbol!r}")
    o, h, lo, c = (r.number(k) for k in ("open", "high", "low", "close"))
    for name, price in (("open", o), ("high", h), ("low", lo), ("close", c)):
        if price <= 0:
            raise ExecutorInputError("invalid_record", f"{r.topic}: {name} must be positive")
    if h < max(o, c, lo) or lo > min(o, c):
        raise ExecutorInputError("invalid_record", f"{r.topic}: high/low do not enclose the bar")
    open_time, ts_event = r.integer("open_time"), r.integer("ts_event")
    if ts_event <= open_time:
        raise ExecutorInputError("invalid_record", f"{r.topic}: ts_event must follow open_time")
    raw_spread = r.opt_number("spread")
    if raw_spread is not None and raw_spread < 0:
        raise ExecutorInputError("invalid_record", f"{r.topic}: spread must be >= 0")
    spread = instrument.typical_spread if raw_spread is None else raw_spread
    basis = r.symbol("price_basis")
    if basis == "ASK":
        shift = 0.0
    elif basis == "BID":
        shift = spread
    else:  # MID, LAST, UNKNOWN: the quoted price is the middle of the book
        shift = spread / 2.0
    event_id = r.string("event_id") or f"{symbol}:{r.string('timeframe')}:{open_time}"
    bar = Bar(
        event_id, symbol, open_time, ts_event, o + shift, h + shift, lo + shift, c + shift, spread
    )
    return bar, instrument
