"""One circuit breaker: closed -> open -> half-open -> closed, on event time.

- CLOSED: failures are counted in a sliding window of `window_ms` ending at the governor's
  event clock; the `threshold`-th failure in the window opens the breaker (cause: the kind of
  that failure, e.g. LOSING_TRADE).
- OPEN: the level's fallback is in force until `reset_at = opened_at + reset_timeout_ms`;
  further failures change nothing (the fallback already contains them).
- HALF_OPEN: reached when event time passes reset_at (`half_open`, driven by the governor's
  clock). The next outcome for the scope is the probe: a success closes the breaker
  (PROBE_OK, window cleared), a failure reopens it (PROBE_FAILED, a new reset_at).
- RESET_BREAKER (an operator's command) closes it from OPEN or HALF_OPEN (window cleared).

Defaults per level are DESIGN.md's; the window (not in DESIGN.md) is one day at every level.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Final

from hive.constitution import BREAKER_FALLBACKS
from hive_governor.scope_levels import ScopeLevel

CLOSED: Final = "CLOSED"
OPEN: Final = "OPEN"
HALF_OPEN: Final = "HALF_OPEN"

DAY_MS: Final = 86_400_000


@dataclass(frozen=True)
class LevelConfig:
    """Breaker settings of one level."""

    threshold: int
    reset_timeout_ms: int
    window_ms: int
    fallback: str

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError(f"threshold must be >= 1, got {self.threshold}")
        if self.reset_timeout_ms < 1:
            raise ValueError(f"reset_timeout_ms must be >= 1, got {self.reset_timeout_ms}")
        if self.window_ms < 1:
            raise ValueError(f"window_ms must be >= 1, got {self.window_ms}")
        if self.fallback not in BREAKER_FALLBACKS:
            raise ValueError(
                f"fallback must be one of {', '.join(BREAKER_FALLBACKS)}, got {self.fallback!r}"
            )


DEFAULT_BOT: Final = LevelConfig(5, 30_000, DAY_MS, "SHADOW_MODE")
DEFAULT_CELL: Final = LevelConfig(10, 60_000, DAY_MS, "REDUCED_CAPACITY")
DEFAULT_GLOBAL: Final = LevelConfig(20, 300_000, DAY_MS, "SAFE_MODE")


@dataclass(frozen=True)
class BreakerConfig:
    """Breaker settings per level (`global_` because `global` is a keyword)."""

    bot: LevelConfig = DEFAULT_BOT
    cell: LevelConfig = DEFAULT_CELL
    global_: LevelConfig = DEFAULT_GLOBAL

    def for_level(self, level: ScopeLevel) -> LevelConfig:
        return {"BOT": self.bot, "CELL": self.cell, "GLOBAL": self.global_}[level]


@dataclass(frozen=True)
class Failure:
    """One failure counted by a breaker: its input's event_id, event time and kind."""

    event_id: str
    ts: int
    kind: str  # LOSING_TRADE, EXECUTION_REJECTED, EXECUTION_FAILED, POLICY_VIOLATION, STALE_DATA


@dataclass(frozen=True)
class Transition:
    """A change of a breaker's state, with what the record and the audit need."""

    previous: str
    state: str
    cause: str
    ts: int
    failure_count: int
    cause_event_ids: tuple[str, ...]
    opened_at: int | None
    reset_at: int | None


@dataclass
class CircuitBreaker:
    config: LevelConfig
    state: str = CLOSED
    cause: str | None = None
    opened_at: int | None = None
    reset_at: int | None = None
    window: deque[Failure] = field(default_factory=deque)

    def reconfigure(self, config: LevelConfig) -> None:
        """New settings (a threshold changed at run time): they apply from the next outcome."""
        self.config = config

    def count(self, now: int) -> int:
        self._prune(now)
        return len(self.window)

    def _prune(self, now: int) -> None:
        start = now - self.config.window_ms
        while self.window and self.window[0].ts <= start:
            self.window.popleft()

    def _move(self, state: str, cause: str, ts: int, ids: tuple[str, ...], now: int) -> Transition:
        previous = self.state
        self.state, self.cause = state, cause
        if state == OPEN:
            self.opened_at, self.reset_at = ts, ts + self.config.reset_timeout_ms
        elif state == CLOSED:
            self.window.clear()
            self.opened_at = self.reset_at = None
        else:  # HALF_OPEN keeps opened_at (when it last opened) for the record
            self.reset_at = None
        return Transition(
            previous=previous,
            state=state,
            cause=cause,
            ts=ts,
            failure_count=self.count(now),
            cause_event_ids=ids,
            opened_at=self.opened_at,
            reset_at=self.reset_at,
        )

    def failure(self, failure: Failure, now: int) -> Transition | None:
        """Count one failure at event clock `now` (>= failure.ts); the transition it causes."""
        if self.state == OPEN:
            return None
        if failure.ts <= now - self.config.window_ms:
            return None  # older than the window: it cannot be one of the last window's failures
        self.window.append(failure)
        if self.state == HALF_OPEN:
            return self._move(OPEN, "PROBE_FAILED", failure.ts, (failure.event_id,), now)
        self._prune(now)
        if len(self.window) >= self.config.threshold:
            ids = tuple(f.event_id for f in self.window)
            return self._move(OPEN, failure.kind, failure.ts, ids, now)
        return None

    def success(self, event_id: str, ts: int, now: int) -> Transition | None:
        """A successful outcome: closes a half-open breaker (the probe passed)."""
        if self.state != HALF_OPEN:
            return None
        return self._move(CLOSED, "PROBE_OK", ts, (event_id,), now)

    def due(self, now: int) -> bool:
        return self.state == OPEN and self.reset_at is not None and self.reset_at <= now

    def half_open(self, now: int) -> Transition:
        """OPEN -> HALF_OPEN at reset_at (call when `due(now)`)."""
        assert self.reset_at is not None
        return self._move(HALF_OPEN, "RESET_TIMEOUT", self.reset_at, (), now)

    def reset(self, ts: int, event_id: str, now: int) -> Transition | None:
        """Close by command; None if already closed."""
        if self.state == CLOSED:
            return None
        return self._move(CLOSED, "COMMAND", ts, (event_id,), now)

    def restore(
        self, state: str, cause: str | None, opened_at: int | None, reset_at: int | None
    ) -> None:
        """Take the state a published record shows (restart); the window starts empty."""
        self.state, self.cause, self.window = state, cause, deque()
        self.opened_at, self.reset_at = opened_at, None
        if state == OPEN:
            if reset_at is None:  # not in the record: from opened_at, or due at once
                reset_at = (opened_at or 0) + self.config.reset_timeout_ms
            self.reset_at = reset_at
        elif state == CLOSED:
            self.opened_at = None
