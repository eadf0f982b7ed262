"""Escalation of a bot's repeated violations: shadow mode, then paused, then locked.

A violation is a policy violation (a decision denied by a `constitution.` or `profile.` rule,
see failures.py) or a hard-limit breach. Violations are counted per bot in a sliding window of
event time (default one day); the count sets the level:

| violations in the window | level  | published                                        | lifted by            |
|--------------------------|--------|--------------------------------------------------|----------------------|
| >= shadow_at (3)         | SHADOW | OPEN / SHADOW_MODE, cause ESCALATION_SHADOW      | RESUME               |
| >= pause_at (6)          | PAUSED | OPEN / HALTED, cause ESCALATION_PAUSED + PAUSE   | RESUME               |
| >= lock_at (9)           | LOCKED | OPEN / HALTED, cause ESCALATION_LOCKED + LOCK    | UNLOCK (ADMIN, reason) |

The level only rises by itself. A RESUME lifts SHADOW or PAUSED but keeps the count: it is
probation, and the next violation in the window brings the bot back to the level its count
earns. UNLOCK lifts everything and clears the count (a fresh start an admin decided).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Final

NONE: Final = 0
SHADOW: Final = 1
PAUSED: Final = 2
LOCKED: Final = 3
LEVEL_NAMES: Final = ("NONE", "SHADOW", "PAUSED", "LOCKED")
LEVEL_CAUSES: Final = (None, "ESCALATION_SHADOW", "ESCALATION_PAUSED", "ESCALATION_LOCKED")


@dataclass(frozen=True)
class EscalationConfig:
    window_ms: int = 86_400_000
    shadow_at: int = 3
    pause_at: int = 6
    lock_at: int = 9

    def __post_init__(self) -> None:
        if self.window_ms < 1:
            raise ValueError(f"window_ms must be >= 1, got {self.window_ms}")
        if not 1 <= self.shadow_at < self.pause_at < self.lock_at:
            raise ValueError(
                "thresholds must satisfy 1 <= shadow_at < pause_at < lock_at, got "
                f"{self.shadow_at}, {self.pause_at}, {self.lock_at}"
            )

    def level_for(self, count: int) -> int:
        if count >= self.lock_at:
            return LOCKED
        if count >= self.pause_at:
            return PAUSED
        return SHADOW if count >= self.shadow_at else NONE


@dataclass(frozen=True)
class Escalated:
    bot_id: str
    previous: int
    level: int
    count: int
    violation_ids: tuple[str, ...]

    @property
    def cause(self) -> str:
        cause = LEVEL_CAUSES[self.level]
        assert cause is not None
        return cause


@dataclass
class _Ladder:
    level: int = NONE
    violations: deque[tuple[int, str]] = field(default_factory=deque)


class Escalation:
    def __init__(self, config: EscalationConfig | None = None) -> None:
        self.config = config or EscalationConfig()
        self._bots: dict[str, _Ladder] = {}

    def level(self, bot_id: str) -> int:
        ladder = self._bots.get(bot_id)
        return NONE if ladder is None else ladder.level

    def violation(self, bot_id: str, ts: int, event_id: str, now: int) -> Escalated | None:
        """Count one violation at event clock `now`; the escalation it causes, if any."""
        ladder = self._bots.setdefault(bot_id, _Ladder())
        start = now - self.config.window_ms
        if ts <= start:
            return None
        ladder.violations.append((ts, event_id))
        while ladder.violations and ladder.violations[0][0] <= start:
            ladder.violations.popleft()
        count = len(ladder.violations)
        target = self.config.level_for(count)
        if target <= ladder.level:
            return None
        previous, ladder.level = ladder.level, target
        return Escalated(bot_id, previous, target, count, tuple(e for _, e in ladder.violations))

    def resume(self, bot_id: str) -> int:
        """Lift SHADOW or PAUSED (not LOCKED); the level lifted (NONE if nothing)."""
        ladder = self._bots.get(bot_id)
        if ladder is None or ladder.level in (NONE, LOCKED):
            return NONE
        lifted, ladder.level = ladder.level, NONE
        return lifted

    def unlock(self, bot_id: str) -> int:
        """Lift any level and clear the count; the level lifted."""
        ladder = self._bots.pop(bot_id, None)
        return NONE if ladder is None else ladder.level

    def restore(self, bot_id: str, level: int) -> None:
        self._bots.setdefault(bot_id, _Ladder()).level = level
