"""Pacing a replay: as fast as possible, or scaled real time on the records' event time.

`pace(records, speed)` yields the records unchanged; with `speed` N > 0 it sleeps so that
record i is yielded (ts_i - ts_0) / N after the first one (a drift-free schedule against a
monotonic clock, not a sum of sleeps). `speed` 0 never sleeps. `max_gap_s` caps a single wait
(a weekend gap at speed 1 would otherwise sleep two days); a capped gap shifts the schedule.
The sleep and clock functions are injectable so tests run instantly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

R = TypeVar("R", bound=Mapping[str, Any])


def pace(
    records: Iterable[R],
    speed: float,
    *,
    time_key: str = "ts_event",
    max_gap_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[R]:
    """Yield records at `speed` x real time of their `time_key` (epoch ms); 0 = no waiting."""
    if speed < 0:
        raise ValueError(f"speed must be 0 (as fast as possible) or positive, not {speed}")
    if max_gap_s is not None and max_gap_s < 0:
        raise ValueError(f"max_gap_s must be positive, not {max_gap_s}")
    if speed == 0:
        yield from records
        return
    start_wall: float | None = None
    start_event = 0
    shift = 0.0  # seconds removed from the schedule by capped gaps
    prev_event = 0
    for rec in records:
        event_ms = int(rec[time_key])
        if start_wall is None:
            start_wall, start_event, prev_event = clock(), event_ms, event_ms
            yield rec
            continue
        if event_ms < prev_event:
            raise ValueError(f"records are not in {time_key} order: {event_ms} after {prev_event}")
        gap = (event_ms - prev_event) / 1000.0 / speed
        if max_gap_s is not None and gap > max_gap_s:
            shift += gap - max_gap_s
        prev_event = event_ms
        due = start_wall + (event_ms - start_event) / 1000.0 / speed - shift
        delay = due - clock()
        if delay > 0:
            sleep(delay)
        yield rec
