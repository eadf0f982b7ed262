"""Fail closed when the governor goes silent (DESIGN.md: circuit breakers, liveness).

The risk gate and the executor read `hive.heartbeats` and refuse new positions when no
governor heartbeat is younger than the timeout; exits and reductions are never refused.
Liveness is about processes, so this is the one decision input measured on the wall clock:
heartbeats carry wall-clock times and `alive(now_ms)` is given the wall clock by the service
(tests pass their own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GOVERNOR = "governor"


@dataclass
class GovernorWatch:
    """The newest governor heartbeat seen, and whether it is recent enough to trade on.

    `timeout_ms == 0` turns the watch off (the governor is not required): only for running a
    single service in isolation; deployments keep the default.
    """

    timeout_ms: int = 15_000
    last_beat_ms: int | None = None
    _stopping: set[str] = field(default_factory=set)

    @property
    def required(self) -> bool:
        return self.timeout_ms > 0

    def observe(self, heartbeat: Mapping[str, Any]) -> None:
        """Take one `hive.heartbeats` record (other services' beats are ignored)."""
        if heartbeat.get("service") != GOVERNOR:
            return
        instance = str(heartbeat.get("instance_id", ""))
        if heartbeat.get("status") == "STOPPING":
            # A governor that says it is stopping is silent from now on, not in `timeout_ms`.
            self._stopping.add(instance)
            return
        self._stopping.discard(instance)
        ts = heartbeat.get("ts_event")
        if isinstance(ts, int) and (self.last_beat_ms is None or ts > self.last_beat_ms):
            self.last_beat_ms = ts

    def age_ms(self, now_ms: int) -> int | None:
        return None if self.last_beat_ms is None else now_ms - self.last_beat_ms

    def alive(self, now_ms: int) -> bool:
        if not self.required:
            return True
        age = self.age_ms(now_ms)
        return age is not None and age <= self.timeout_ms
