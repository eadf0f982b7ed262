"""When to train: by trade count and event time, with a cooldown, never by the wall clock.

A training run is due when
- at least `min_trades` usable trades have been seen in all, and
- at least `every_trades` new trades arrived since the last run, or `every_ms` of event time
  passed since it with at least `min_new_trades` new ones, and
- at least `cooldown_ms` of event time passed since the last run (a burst of trades does not
  start a run per batch).
Event time is the greatest exit time seen, so a replay of a year trains at the same points.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 86_400_000


@dataclass(frozen=True)
class TriggerRules:
    min_trades: int = 200
    every_trades: int = 1_000
    every_ms: int = 7 * DAY_MS
    min_new_trades: int = 50
    cooldown_ms: int = DAY_MS

    def __post_init__(self) -> None:
        if min(self.min_trades, self.every_trades, self.min_new_trades) < 1:
            raise ValueError("trade counts must be >= 1")
        if self.every_ms < 0 or self.cooldown_ms < 0:
            raise ValueError("event-time intervals must be >= 0")


class RetrainTrigger:
    def __init__(self, rules: TriggerRules) -> None:
        self.rules = rules
        self.clock_ms: int | None = None  # greatest exit time seen
        self.total = 0
        self.new_since_last = 0
        self.last_run_ms: int | None = None

    def observe(self, exit_time_ms: int) -> None:
        """One more usable trade."""
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
