"""When to train: by trade count and event time, with a cooldown, never by the wall clock, and
never by the order trades happen to be read in.

Trades are taken in (exit time, trade_id) order once they are *settled*: when a trade with an
exit time `settle_ms` later has been read (default: hive.event_order's reorder horizon, a week).
trades.closed has three partitions, read in any interleaving, so until then a trade with an
earlier exit time may still come. Taking them settled and sorted makes the point where a run is
due, and the trades it trains on (everything up to that point), the same in every reading order:
two replays of a year release the same models. A trade read when it is already older than that
(later than the horizon allows) is taken at once.

A training run is due, at a settled trade, when
- at least `min_trades` usable trades have been taken in all, and
- at least `every_trades` new trades were taken since the last run, or `every_ms` of event time
  passed since it with at least `min_new_trades` new ones, and
- at least `cooldown_ms` of event time passed since the last run (a burst of trades does not
  start a run per batch).
Event time is the exit time of the last trade taken.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from hive.event_order import REORDER_HORIZON_MS

DAY_MS = 86_400_000

TradeKey = tuple[int, str]  # (exit time, trade_id): the order trades are taken in


@dataclass(frozen=True)
class TriggerRules:
    min_trades: int = 200
    every_trades: int = 1_000
    every_ms: int = 7 * DAY_MS
    min_new_trades: int = 50
    cooldown_ms: int = DAY_MS
    settle_ms: int = REORDER_HORIZON_MS

    def __post_init__(self) -> None:
        if min(self.min_trades, self.every_trades, self.min_new_trades) < 1:
            raise ValueError("trade counts must be >= 1")
        if self.every_ms < 0 or self.cooldown_ms < 0 or self.settle_ms < 0:
            raise ValueError("event-time intervals must be >= 0")


class RetrainTrigger:
    def __init__(self, rules: TriggerRules) -> None:
        self.rules = rules
        self.clock_ms: int | None = None  # exit time of the last trade taken
        self.upto: TradeKey | None = None  # the greatest trade taken: a run trains up to it
        self.total = 0
        self.new_since_last = 0
        self.last_run_ms: int | None = None
        self._newest: int | None = None  # greatest exit time read
        self._unsettled: list[TradeKey] = []  # read, not yet taken (a heap)

    def read(self, exit_time_ms: int, trade_id: str) -> None:
        """A usable trade was read; it is taken once settled (`next_due`)."""
        heapq.heappush(self._unsettled, (exit_time_ms, trade_id))
        if self._newest is None or exit_time_ms > self._newest:
            self._newest = exit_time_ms

    def next_due(self) -> TradeKey | None:
        """Take settled trades in order until a run is due; the last trade it trains on, or
        None when none is due (yet). Due stays due until `ran`."""
        while not self.due():
            if not self._unsettled or self._newest is None:
                return None
            if self._unsettled[0][0] > self._newest - self.rules.settle_ms:
                return None
            key = heapq.heappop(self._unsettled)
            self.observe(key[0])
            self.upto = key if self.upto is None else max(self.upto, key)
        return self.upto

    def observe(self, exit_time_ms: int) -> None:
        """One more usable trade taken."""
        self.total += 1
        self.new_since_last += 1
        self.clock_ms = exit_time_ms if self.clock_ms is None else max(self.clock_ms, exit_time_ms)

    def due(self) -> bool:
        r = self.rules
        if self.clock_ms is None or self.total < r.min_trades or self.new_since_last == 0:
            return False
        if self.last_run_ms is None:
            return True
        elapsed = self.clock_ms - self.last_run_ms
        if elapsed < r.cooldown_ms:
            return False
        by_count = self.new_since_last >= r.every_trades
        by_time = elapsed >= r.every_ms and self.new_since_last >= r.min_new_trades
        return by_count or by_time

    def ran(self) -> None:
        """A run happened (or was adopted from the lineage) at the current event time."""
        self.last_run_ms = self.clock_ms
        self.new_since_last = 0
