"""The interface a live market-data feed implements (no live implementation ships yet).

A live feed adapter turns a venue's or data vendor's stream into `market.bars` records, so the
market-feed service can publish them exactly as it publishes a CSV replay. The contract:

- `subscribe(symbols, timeframe)` is called once or more before iteration starts; symbols are
  canonical catalogue symbols (the adapter maps them to the venue's own names), the timeframe
  is a canonical name (see `hive.market.timeframes`).
- Iterating the feed yields `market.bars` records (dicts valid against `market_bars.avsc`):
  only CLOSED bars, each symbol's bars in increasing `open_time` with no duplicates;
  `event_id` = f"{symbol}:{timeframe}:{open_time}", `ts_event` = the bar's close time,
  `ts_init` = the wall clock when the adapter received the bar (the only place a wall clock
  enters the hive), `feed` = the adapter's `name`, `price_basis` set, `spread` from the venue
  or from a `SpreadModel` with `spread_modelled` true.
- Iteration blocks until the next bar; it ends (StopIteration) only after `close()` or when the
  venue ends the stream for good. Transient disconnections are the adapter's to retry;
  a bar missed during an outage is back-filled in order, or skipped, never sent out of order.
- `close()` releases the connection; it is idempotent and may be called from another thread
  to stop a blocked iteration.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class LiveFeed(Protocol):
    """A source of closed bars from a live venue. See the module documentation."""

    name: str

    def subscribe(self, symbols: Sequence[str], timeframe: str) -> None:
        """Ask for closed bars of these symbols at this timeframe."""
        ...

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Closed bars as `market.bars` records, per symbol in time order."""
        ...

    def close(self) -> None:
        """Stop the feed and release its connection (idempotent)."""
        ...
