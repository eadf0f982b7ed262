"""The governor's scopes, its event clock and the breakers waiting to half-open.

Every part of the governor (outcomes, limits, escalation, commands, liveness, restart) changes a
scope here and publishes through `publish`, so a record goes out only when the combined state
changes (scopes.py). Breaker transitions are published and audited by `transition`.

- Event clock: the greatest ts_event of the market-time inputs. `advance` moves it (never back)
  and half-opens, in order of reset_at then level (BOT, CELL, GLOBAL), every breaker due;
  `settle` does the same at the clock, for a breaker opened by an outcome read after a later
  input, so it does not wait for the next input to half-open.
- Audit of a transition: BREAKER_OPENED / _REOPENED / _HALF_OPEN / _CLOSED by the governor, or
  BREAKER_RESET by the person whose RESET_BREAKER closed it; `breaker_event_id` names the record
  published (None when a more severe hold is what stays published).
- A late outcome (read after outcomes of its scope with a later event time) makes a breaker
  judge its outcomes again in event-time order (breakers.py); when that changes its state, the
  new state is published like any transition and audited as BREAKER_REJUDGED, naming the late
  outcome (`late_event_id`, also the audit's cause_event_id). A re-judged OPEN breaker half-opens
  at its new reset_at.
- Thresholds: a scope's breaker uses its level's configured threshold unless `threshold` (the
  change guard's value in force, commands/changes.py) names another; `reconfigure` gives every
  existing scope the one now in force, which counts from the next failure on.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from hive.constitution import most_severe
from hive_governor.actors import GOVERNOR
from hive_governor.breakers import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    BreakerConfig,
    LevelConfig,
    Transition,
)
from hive_governor.inputs import Command
from hive_governor.outputs import Auditor, Output, breaker_output
from hive_governor.scope_levels import GLOBAL_ID, SCOPE_LEVELS, ScopeLevel
from hive_governor.scopes import ScopeState

_LEVEL_RANK = {level: i for i, level in enumerate(SCOPE_LEVELS)}
_TRANSITION_ACTIONS = {
    (CLOSED, OPEN): "BREAKER_OPENED",
    (HALF_OPEN, OPEN): "BREAKER_REOPENED",
    (OPEN, HALF_OPEN): "BREAKER_HALF_OPEN",
    (HALF_OPEN, CLOSED): "BREAKER_CLOSED",
    (OPEN, CLOSED): "BREAKER_CLOSED",
}


class Board:
    """Scope states by key ("BOT:b1"), the event clock and the half-open schedule."""

    def __init__(
        self,
        config: BreakerConfig,
        audit: Auditor,
        threshold: Callable[[ScopeLevel, str], int | None] | None = None,
    ) -> None:
        self.config = config
        self.audit = audit
        self.threshold = threshold
        self.scopes: dict[str, ScopeState] = {}
        self.clock: int | None = None
        self._due: list[tuple[int, int, str]] = []  # (reset_at, level rank, scope key)

    # ------------------------------------------------------------------ scopes
    def scope(self, level: ScopeLevel, scope_id: str) -> ScopeState:
        key = f"{level}:{scope_id}"
        scope = self.scopes.get(key)
        if scope is None:
            scope = self.scopes[key] = ScopeState(
                level, scope_id, self.level_config(level, scope_id)
            )
        return scope

    def level_config(self, level: ScopeLevel, scope_id: str) -> LevelConfig:
        """The level's breaker settings with the threshold in force for this scope."""
        config = self.config.for_level(level)
        n = None if self.threshold is None else self.threshold(level, scope_id)
        return config if n is None or n == config.threshold else replace(config, threshold=n)

    def reconfigure(self) -> None:
        """Give every scope the threshold now in force (after a change or a restart)."""
        for scope in self.scopes.values():
            config = self.level_config(scope.level, scope.scope_id)
            if config != scope.config:
                scope.reconfigure(config)

    def over(self, bot_id: str, cell_id: str) -> list[ScopeState]:
        """The scopes a bot's outcome counts at, in the order they trip: bot, cell, global."""
        return [
            self.scope("BOT", bot_id),
            self.scope("CELL", cell_id),
            self.scope("GLOBAL", GLOBAL_ID),
        ]

    def states(self) -> list[dict[str, Any]]:
        """The current (last published) record of every scope that has one."""
        return [dict(s.last) for _, s in sorted(self.scopes.items()) if s.last is not None]

    def mode_for(self, bot_id: str, cell_id: str) -> str:
        """The most severe published fallback over a bot (its own, its cell's, the global)."""
        modes = []
        for key in (f"BOT:{bot_id}", f"CELL:{cell_id}", f"GLOBAL:{GLOBAL_ID}"):
            scope = self.scopes.get(key)
            if scope is not None and scope.last is not None:
                modes.append(str(scope.last["fallback_mode"]))
        return most_severe(modes)

    # ------------------------------------------------------------------ event clock
    def now(self, ts: int) -> int:
        return ts if self.clock is None else max(self.clock, ts)

    def schedule(self, reset_at: int, scope: ScopeState) -> None:
        """Half-open `scope` once the clock reaches `reset_at`."""
        heapq.heappush(self._due, (reset_at, _LEVEL_RANK[scope.level], scope.key))

    def advance(self, ts: int) -> list[Output]:
        """Move the event clock to `ts` (never back); breakers due go HALF_OPEN."""
        if self.clock is None or ts > self.clock:
            self.clock = ts
        outs: list[Output] = []
        while self._due and self._due[0][0] <= self.clock:
            _, _, key = heapq.heappop(self._due)
            scope = self.scopes[key]
            if scope.breaker.due(self.clock):
                t = scope.breaker.half_open(self.clock)
                outs += self.transition(scope, t, ts_init=self.clock)
        return outs

    def settle(self) -> list[Output]:
        """Half-open the breakers already due at the clock (one just opened, read late)."""
        return [] if self.clock is None else self.advance(self.clock)

    # ------------------------------------------------------------------ publishing
    def publish(
        self,
        scope: ScopeState,
        *,
        ts: int,
        trigger: str,
        cause_ids: Iterable[str] = (),
        command_id: str | None = None,
        ts_init: int | None = None,
    ) -> tuple[list[Output], str | None]:
        """The scope's record if its combined state changed, and that record's event_id."""
        record = scope.publish(
            ts=ts,
            ts_init=ts if ts_init is None else ts_init,
            trigger=trigger,
            cause_event_ids=tuple(cause_ids),
            command_id=command_id,
            now=self.now(ts),
        )
        if record is None:
            return [], None
        return [breaker_output(record)], str(record["event_id"])

    def transition(
        self, scope: ScopeState, t: Transition, *, ts_init: int, cmd: Command | None = None
    ) -> list[Output]:
        """Publish and audit a breaker transition (`cmd`: the RESET_BREAKER that caused it)."""
        outs, published = self.publish(
            scope,
            ts=t.ts,
            ts_init=ts_init,
            trigger=t.cause,
            cause_ids=t.cause_event_ids,
            command_id=None if cmd is None else cmd.command_id,
        )
        if t.state == OPEN and t.reset_at is not None:
            self.schedule(t.reset_at, scope)
        if cmd is not None:
            action = "BREAKER_RESET"
        elif t.late_event_id is not None:
            action = "BREAKER_REJUDGED"
        else:
            action = _TRANSITION_ACTIONS[(t.previous, t.state)]
        details = {
            "previous_state": t.previous,
            "state": t.state,
            "cause": t.cause,
            "fallback_mode": scope.config.fallback if t.state == OPEN else "NONE",
            "failure_count": t.failure_count,
            "failure_threshold": scope.config.threshold,
            "window_ms": scope.config.window_ms,
            "reset_at": t.reset_at,
            "cause_event_ids": list(t.cause_event_ids),
            "breaker_event_id": published,  # None: a more severe hold is what is published
        }
        if cmd is not None:
            details.update(command=cmd.command, command_id=cmd.command_id, reason=cmd.reason)
        if t.late_event_id is not None:
            details.update(late_event_id=t.late_event_id)
        cause_event_id = t.late_event_id or (t.cause_event_ids[-1] if t.cause_event_ids else None)
        outs.append(
            self.audit.event(
                ts=t.ts,
                action=action,
                scope_level=scope.level,
                scope_id=scope.scope_id,
                details=details,
                actor=GOVERNOR if cmd is None else cmd.actor,
                role="SYSTEM" if cmd is None else cmd.role,
                cause_event_id=cause_event_id,
            )
        )
        return outs
