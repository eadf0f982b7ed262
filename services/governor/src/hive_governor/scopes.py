"""The state of one scope (a bot, a cell, the global scope) as published on control.breakers.

A scope has a circuit breaker and any number of *holds*: states that only an event or a person
lifts, never the breaker's timer. The published record carries the combined state, the most
severe of them (fallback severity NONE < REDUCED_CAPACITY < SHADOW_MODE < SAFE_MODE < HALTED):

| in force                                   | state     | fallback         | cause               | reset_at |
|--------------------------------------------|-----------|------------------|---------------------|----------|
| a hold (see HOLD_CAUSES)                   | OPEN      | the hold's       | the hold's          | null     |
| breaker OPEN (and no hold as severe)       | OPEN      | the level's      | failure kind, PROBE_FAILED | opened_at + reset_timeout |
| breaker HALF_OPEN (and no hold)            | HALF_OPEN | NONE             | RESET_TIMEOUT       | null     |
| nothing                                    | CLOSED    | NONE             | what closed it      | null     |

Holds (bot scope unless said): LOCK (command LOCK: LOCKED, escalation: ESCALATION_LOCKED),
MAX_LOSS (hard stop: MAX_LOSS for the rule set's max loss, MAX_DRAWDOWN for the constitution's
drawdown floor), PAUSE (PAUSED / ESCALATION_PAUSED), DAILY_LOSS, KILL_SWITCH (any scope), HALT
(command HALT, any scope) — all HALTED, in that order of precedence for the cause shown;
SERVICE_SILENT (global scope, SAFE_MODE); ESCALATION_SHADOW (SHADOW_MODE). On a tie in severity a
hold wins over the breaker (it lasts longer, so the record says what will still hold after the
breaker's timer). HALF_OPEN publishes fallback NONE: the probe is real traffic.

A record is published only when the combined state changes (state, fallback, cause, opened_at,
reset_at); a breaker transition under a more severe hold is audited but publishes nothing, so a
half-open probe never un-halts a halted bot. `cause_event_ids` and `command_id` say what made the
published transition (the failures in the window, the command, the snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from hive.constitution import BREAKER_SEVERITY, NO_NEW_POSITIONS
from hive_governor.breakers import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, LevelConfig
from hive_governor.scope_levels import ScopeLevel

# Cause codes of holds, most to least important among the HALTED ones.
HOLD_CAUSES: Final[dict[str, str]] = {
    "ESCALATION_LOCKED": "HALTED",
    "LOCKED": "HALTED",
    "MAX_LOSS": "HALTED",
    "MAX_DRAWDOWN": "HALTED",
    "ESCALATION_PAUSED": "HALTED",
    "PAUSED": "HALTED",
    "DAILY_LOSS": "HALTED",
    "KILL_SWITCH": "HALTED",
    "COMMAND": "HALTED",
    "SERVICE_SILENT": "SAFE_MODE",
    "ESCALATION_SHADOW": "SHADOW_MODE",
}
_RANK: Final = {cause: i for i, cause in enumerate(HOLD_CAUSES)}


def permits(mode: str, *, reduces_exposure: bool) -> bool:
    """What a fallback mode lets through: exits and reductions always; a new position unless
    the mode is SAFE_MODE or HALTED (SHADOW_MODE: simulated only; REDUCED_CAPACITY: halved)."""
    if reduces_exposure:
        return True
    return mode not in NO_NEW_POSITIONS and mode in BREAKER_SEVERITY


@dataclass(frozen=True)
class Hold:
    """A state that only an event or a person lifts (see the module doc)."""

    cause: str
    since: int
    command_id: str | None = None

    @property
    def fallback(self) -> str:
        return HOLD_CAUSES[self.cause]


@dataclass(frozen=True)
class View:
    state: str
    fallback: str
    cause: str | None  # None for CLOSED: the record then names what closed it
    opened_at: int | None
    reset_at: int | None


class ScopeState:
    """One scope: its breaker, its holds (keyed by kind) and its last published record."""

    def __init__(self, level: ScopeLevel, scope_id: str, config: LevelConfig) -> None:
        self.level: ScopeLevel = level
        self.scope_id = scope_id
        self.config = config
        self.breaker = CircuitBreaker(config)
        self.holds: dict[str, Hold] = {}
        self.seq = 0
        self.last: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return f"{self.level}:{self.scope_id}"

    def reconfigure(self, config: LevelConfig) -> None:
        """New breaker settings (a threshold changed); the breaker keeps its state and window."""
        self.config = config
        self.breaker.reconfigure(config)

    def hold(self, kind: str) -> Hold | None:
        return self.holds.get(kind)

    def view(self) -> View:
        top = min(
            self.holds.values(),
            key=lambda h: (-BREAKER_SEVERITY[h.fallback], _RANK[h.cause]),
            default=None,
        )
        b = self.breaker
        if b.state == OPEN and (
            top is None or BREAKER_SEVERITY[self.config.fallback] > BREAKER_SEVERITY[top.fallback]
        ):
            return View(OPEN, self.config.fallback, b.cause, b.opened_at, b.reset_at)
        if top is not None:
            return View(OPEN, top.fallback, top.cause, top.since, None)
        if b.state == HALF_OPEN:
            return View(HALF_OPEN, "NONE", b.cause, b.opened_at, None)
        return View(CLOSED, "NONE", None, None, None)

    @property
    def mode(self) -> str:
        return self.view().fallback

    def publish(
        self,
        *,
        ts: int,
        ts_init: int,
        trigger: str,
        cause_event_ids: tuple[str, ...] | list[str] = (),
        command_id: str | None = None,
        now: int | None = None,
    ) -> dict[str, Any] | None:
        """The control.breakers record for the current combined state, or None when it says
        nothing new. `trigger` is the cause code of what changed (shown for CLOSED)."""
        v = self.view()
        last = self.last
        if last is None and v.state == CLOSED:
            return None  # a scope that never left CLOSED has nothing to say
        if last is not None and (
            last["state"],
            last["fallback_mode"],
            last["cause"] if v.state != CLOSED else None,
            last["opened_at"],
            last["reset_at"],
        ) == (v.state, v.fallback, v.cause, v.opened_at, v.reset_at):
            return None
        self.seq += 1
        record: dict[str, Any] = {
            "event_id": f"{self.key}:{self.seq}",
            "ts_event": ts,
            "ts_init": ts_init,
            "scope_level": self.level,
            "scope_id": self.scope_id,
            "state": v.state,
            "previous_state": None if last is None else last["state"],
            "fallback_mode": v.fallback,
            "failure_count": self.breaker.count(ts if now is None else now),
            "failure_threshold": self.config.threshold,
            "window_ms": self.config.window_ms,
            "reset_timeout_ms": self.config.reset_timeout_ms,
            "opened_at": v.opened_at,
            "reset_at": v.reset_at,
            "transition_seq": self.seq,
            "cause": v.cause if v.cause is not None else trigger,
            "cause_event_ids": list(cause_event_ids),
            "command_id": command_id,
        }
        self.last = record
        return record
