"""Liveness of the required services from `hive.heartbeats` (wall-clock time by nature).

A required service is alive while any of its instances has beaten within its timeout:
max(heartbeat_timeout_ms, 3 x the instance's interval_ms), measured from the heartbeat's own
ts_event (its wall-clock emission time) to `now_ms`, which the caller passes (the service: the
wall clock; tests: any number), so the check is deterministic. A status (STOPPING included) does
not matter, only silence does: a rolling restart that beats again in time is not an outage.

At start nothing has been heard yet: a service never heard of is *pending* for one timeout
after the first `now_ms` seen, and silent after that. The governor puts the global scope in
SAFE_MODE (cause SERVICE_SILENT) while any required service is silent and lifts it when none is
silent or pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hive_governor.inputs import Heartbeat

SILENCE_INTERVALS = 3  # missed beats before an instance counts as gone


@dataclass(frozen=True)
class LivenessStatus:
    silent: frozenset[str]
    pending: frozenset[str]
    last_beat: dict[str, int | None]


class Liveness:
    def __init__(self, required: Sequence[str], timeout_ms: int = 15_000) -> None:
        if timeout_ms < 1:
            raise ValueError(f"heartbeat timeout must be >= 1 ms, got {timeout_ms}")
        self.required = tuple(dict.fromkeys(s for s in required if s))
        self.timeout_ms = timeout_ms
        self.started_at: int | None = None
        # service -> instance -> (last beat ts, that instance's timeout)
        self._beats: dict[str, dict[str, tuple[int, int]]] = {}

    def _start(self, now_ms: int) -> None:
        if self.started_at is None:
            self.started_at = now_ms

    def observe(self, beat: Heartbeat, now_ms: int) -> None:
        self._start(now_ms)
        if beat.service not in self.required:
            return
        instances = self._beats.setdefault(beat.service, {})
        timeout = max(self.timeout_ms, SILENCE_INTERVALS * beat.interval_ms)
        last = instances.get(beat.instance_id)
        if last is None or beat.ts >= last[0]:  # a redelivered older beat does not go back
            instances[beat.instance_id] = (beat.ts, timeout)
        # Instance ids are new at every process start: forget the long-gone ones.
        for instance, (ts, t) in list(instances.items()):
            if ts < beat.ts - 2 * t:
                del instances[instance]

    def status(self, now_ms: int) -> LivenessStatus:
        self._start(now_ms)
        assert self.started_at is not None
        silent: set[str] = set()
        pending: set[str] = set()
        last_beat: dict[str, int | None] = {}
        for service in self.required:
            instances = self._beats.get(service, {})
            last_beat[service] = max((ts for ts, _ in instances.values()), default=None)
            if not instances:
                (pending if now_ms - self.started_at <= self.timeout_ms else silent).add(service)
            elif all(now_ms - ts > timeout for ts, timeout in instances.values()):
                silent.add(service)
        return LivenessStatus(frozenset(silent), frozenset(pending), last_beat)
