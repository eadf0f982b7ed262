"""One event-time ordered stream of bars and channel messages, as the market would deliver it.

A bar's time is its close; a message's is when it became known (its edit time for an edit).
A bar closing at the same millisecond as a message goes first: the message could have seen it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hive.topics import MARKET_BARS, SIGNALS_RAW

Kind = Literal["bar", "message"]


@dataclass(frozen=True)
class Item:
    ts: int
    kind: Kind
    topic: str
    key: str
    value: Mapping[str, Any]


def merge(bars: Iterable[Mapping[str, Any]], messages: Iterable[Mapping[str, Any]]) -> list[Item]:
    """Bars (keyed by symbol) and raw messages (keyed by source) in event-time order."""
    items = [Item(int(b["ts_event"]), "bar", MARKET_BARS, str(b["symbol"]), b) for b in bars]
    items += [
        Item(int(m["ts_event"]), "message", SIGNALS_RAW, str(m["source"]), m) for m in messages
    ]
    # Stable sort: messages keep their file order at equal times (replies after their signal).
    items.sort(key=lambda i: (i.ts, 0 if i.kind == "bar" else 1))
    return items


def span(items: Sequence[Item]) -> tuple[int, int] | None:
    """First and last event time, or None for an empty timeline."""
    return (items[0].ts, items[-1].ts) if items else None
