"""One circuit breaker: closed -> open -> half-open -> closed, on event time.

- CLOSED: failures are counted in a sliding window of `window_ms` ending at the failure's event
  time; the `threshold`-th failure in the window opens the breaker (cause: the kind of that
  failure, e.g. LOSING_TRADE).
- OPEN: the level's fallback is in force until `reset_at = opened_at + reset_timeout_ms`;
  further failures change nothing (the fallback already contains them).
- HALF_OPEN: reached when event time passes reset_at (`half_open`, driven by the governor's
  clock). The next outcome for the scope is the probe: a success closes the breaker
  (PROBE_OK, window cleared), a failure reopens it (PROBE_FAILED, a new reset_at).
- RESET_BREAKER (an operator's command) closes it from OPEN or HALF_OPEN (window cleared).

Reading order does not matter. The outcomes of a scope come from three topics of three
partitions each, so they are read in an arbitrary interleaving; the breaker's state is
nevertheless a function of its outcomes taken in event-time order (`Judged`: ts, then failures
before successes at the same ts, then event_id) and of the event clock. Each breaker keeps the
outcomes of the last `REORDER_HORIZON_MS` of event time and a checkpoint of its state before
them. An outcome that sorts after everything already judged (and is not older than a half-open
the clock already made) is applied as it comes; a late one is put in its place and the breaker
is judged again from the checkpoint (`Transition.late_event_id` says so, the board publishes the
new state if it differs). An outcome older than the newest one of the scope by the horizon or
more is too late and counts for nothing. A command's reset and a restart's restore start a new
checkpoint with nothing after it.

Defaults per level are DESIGN.md's; the window (not in DESIGN.md) is one day at every level.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Final

from hive import event_order
from hive.constitution import BREAKER_FALLBACKS
from hive_governor.scope_levels import ScopeLevel

CLOSED: Final = "CLOSED"
OPEN: Final = "OPEN"
HALF_OPEN: Final = "HALF_OPEN"

DAY_MS: Final = 86_400_000

# How late (in event time, behind the newest outcome of its scope) an outcome may be read and
# still be judged in its place (hive.event_order says why a week). It is longer than the
# default window (one day), so an outcome too late to be judged could not count in it anyway.
REORDER_HORIZON_MS: Final = event_order.REORDER_HORIZON_MS

FAILURE_RANK: Final = 0  # at the same ts a failure is judged before a success: the safe side
SUCCESS_RANK: Final = 1
SUCCESS: Final = "SUCCESS"


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


@dataclass(frozen=True, order=True)
class Judged:
    """An outcome as a breaker orders them: event time, failures first, event_id, kind."""

    ts: int
    rank: int  # FAILURE_RANK or SUCCESS_RANK
    event_id: str
    kind: str  # the failure's kind, or SUCCESS


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
    late_event_id: str | None = None  # set when a late outcome made the breaker judge again


@dataclass
class _Machine:
    """The state and its rules; `since` and `cause_ids`: the transition that led to it."""

    config: LevelConfig
    state: str = CLOSED
    cause: str | None = None
    opened_at: int | None = None
    reset_at: int | None = None
    window: deque[Failure] = field(default_factory=deque)  # in event-time order
    since: int | None = None
    cause_ids: tuple[str, ...] = ()

    def copy(self) -> _Machine:
        return replace(self, window=deque(self.window))

    def reconfigure(self, config: LevelConfig) -> None:
        """New settings (a threshold changed at run time): they apply from the next outcome."""
        self.config = config

    def count(self, now: int) -> int:
        start = now - self.config.window_ms
        return sum(1 for f in self.window if f.ts > start)

    def move(self, state: str, cause: str, ts: int, ids: tuple[str, ...], now: int) -> Transition:
        previous = self.state
        self.state, self.cause, self.since, self.cause_ids = state, cause, ts, ids
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

    def due(self, now: int) -> bool:
        return self.state == OPEN and self.reset_at is not None and self.reset_at <= now

    def half_open(self, now: int) -> Transition:
        assert self.reset_at is not None
        return self.move(HALF_OPEN, "RESET_TIMEOUT", self.reset_at, (), now)

    def judge(self, o: Judged, now: int) -> Transition | None:
        """Apply one outcome (the half-open due before it already made)."""
        if o.rank == SUCCESS_RANK:
            if self.state != HALF_OPEN:
                return None
            return self.move(CLOSED, "PROBE_OK", o.ts, (o.event_id,), now)
        if self.state == OPEN:
            return None
        self.window.append(Failure(o.event_id, o.ts, o.kind))
        if self.state == HALF_OPEN:
            return self.move(OPEN, "PROBE_FAILED", o.ts, (o.event_id,), now)
        start = o.ts - self.config.window_ms
        while self.window and self.window[0].ts <= start:
            self.window.popleft()
        if len(self.window) >= self.config.threshold:
            ids = tuple(f.event_id for f in self.window)
            return self.move(OPEN, o.kind, o.ts, ids, now)
        return None

    def replay(self, outcomes: list[Judged]) -> None:
        """Judge `outcomes` (sorted) one after the other, half-opening in event time between."""
        for o in outcomes:
            if self.due(o.ts):
                self.half_open(o.ts)
            self.judge(o, o.ts)


class CircuitBreaker:
    """A breaker's current state (`state`, `cause`, `opened_at`, `reset_at`, `window`), its
    checkpoint and the outcomes judged since (see the module doc)."""

    def __init__(self, config: LevelConfig) -> None:
        self.config = config
        self._now = _Machine(config)
        self._checkpoint = _Machine(config)
        self._outcomes: list[Judged] = []  # since the checkpoint, sorted
        self._newest: int | None = None  # greatest ts of an outcome judged since the checkpoint
        self._half_opened: int | None = None  # event time of the last half-open by the clock

    @property
    def state(self) -> str:
        return self._now.state

    @property
    def cause(self) -> str | None:
        return self._now.cause

    @property
    def opened_at(self) -> int | None:
        return self._now.opened_at

    @property
    def reset_at(self) -> int | None:
        return self._now.reset_at

    @property
    def window(self) -> deque[Failure]:
        return self._now.window

    def reconfigure(self, config: LevelConfig) -> None:
        """New settings (a threshold changed at run time), from the next outcome on. The
        checkpoint takes them too: an outcome read late after the change is judged with them."""
        self.config = config
        self._now.reconfigure(config)
        self._checkpoint.reconfigure(config)

    def count(self, now: int) -> int:
        """Failures in the window ending at `now`."""
        return self._now.count(now)

    def failure(self, failure: Failure, now: int) -> Transition | None:
        """Count one failure at event clock `now` (>= failure.ts); the transition it causes."""
        return self._judge(Judged(failure.ts, FAILURE_RANK, failure.event_id, failure.kind), now)

    def success(self, event_id: str, ts: int, now: int) -> Transition | None:
        """A successful outcome: closes a half-open breaker (the probe passed)."""
        return self._judge(Judged(ts, SUCCESS_RANK, event_id, SUCCESS), now)

    def _judge(self, o: Judged, now: int) -> Transition | None:
        if self._newest is not None and o.ts <= self._newest - REORDER_HORIZON_MS:
            return None  # too late to be judged in its place (module doc)
        in_order = (not self._outcomes or o > self._outcomes[-1]) and (
            self._half_opened is None or o.ts >= self._half_opened
        )
        bisect.insort(self._outcomes, o)
        t = self._now.judge(o, now) if in_order else self._rejudge(o, now)
        if self._newest is None or o.ts > self._newest:
            self._newest = o.ts
            self._fold(self._newest - REORDER_HORIZON_MS)
        return t

    def _rejudge(self, late: Judged, now: int) -> Transition | None:
        """Judge all outcomes again from the checkpoint, then half-open at `now` if due."""
        before = self._now
        m = self._checkpoint.copy()
        m.replay(self._outcomes)
        self._half_opened = None
        if m.due(now):
            self._half_opened = m.half_open(now).ts
        self._now = m
        shown = (m.state, m.cause if m.state != CLOSED else None, m.opened_at, m.reset_at)
        if shown == (
            before.state,
            before.cause if before.state != CLOSED else None,
            before.opened_at,
            before.reset_at,
        ):
            return None
        return Transition(
            previous=before.state,
            state=m.state,
            cause=m.cause or "REJUDGED",
            ts=late.ts if m.since is None else m.since,
            failure_count=m.count(now),
            cause_event_ids=m.cause_ids,
            opened_at=m.opened_at,
            reset_at=m.reset_at,
            late_event_id=late.event_id,
        )

    def _fold(self, cut: int) -> None:
        """Move the outcomes at or before `cut` into the checkpoint."""
        k = 0
        while k < len(self._outcomes) and self._outcomes[k].ts <= cut:
            k += 1
        if k:
            self._checkpoint.replay(self._outcomes[:k])
            del self._outcomes[:k]

    def _start_checkpoint(self) -> None:
        self._checkpoint = self._now.copy()
        self._outcomes, self._newest, self._half_opened = [], None, None

    def due(self, now: int) -> bool:
        return self._now.due(now)

    def half_open(self, now: int) -> Transition:
        """OPEN -> HALF_OPEN at reset_at (call when `due(now)`)."""
        t = self._now.half_open(now)
        self._half_opened = t.ts
        return t

    def reset(self, ts: int, event_id: str, now: int) -> Transition | None:
        """Close by command (a new checkpoint); None if already closed."""
        if self.state == CLOSED:
            return None
        t = self._now.move(CLOSED, "COMMAND", ts, (event_id,), now)
        self._start_checkpoint()
        return t

    def restore(
        self, state: str, cause: str | None, opened_at: int | None, reset_at: int | None
    ) -> None:
        """Take the state a published record shows (restart, a new checkpoint); the window
        starts empty."""
        m = _Machine(self.config, state, cause, opened_at, None, deque(), opened_at)
        if state == OPEN:
            if reset_at is None:  # not in the record: from opened_at, or due at once
                reset_at = (opened_at or 0) + self.config.reset_timeout_ms
            m.reset_at = reset_at
        elif state == CLOSED:
            m.opened_at = m.since = None
        self._now = m
        self._start_checkpoint()
