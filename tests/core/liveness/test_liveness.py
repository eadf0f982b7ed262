"""The governor watch the risk gate and the executor fail closed with."""

from __future__ import annotations

import pytest

from hive.liveness import GovernorWatch

pytestmark = pytest.mark.unit


def beat(ts: int, service: str = "governor", status: str = "RUNNING") -> dict[str, object]:
    return {"service": service, "instance_id": "g1", "ts_event": ts, "status": status}


def test_silent_until_the_first_beat_then_alive_within_the_timeout() -> None:
    watch = GovernorWatch(timeout_ms=15_000)
    assert not watch.alive(1_000)
    watch.observe(beat(10_000))
    assert watch.alive(25_000)
    assert not watch.alive(25_001)
    assert watch.age_ms(12_000) == 2_000


def test_other_services_and_older_beats_do_not_count() -> None:
    watch = GovernorWatch(timeout_ms=1_000)
    watch.observe(beat(10_000, service="executor"))
    assert watch.last_beat_ms is None
    watch.observe(beat(10_000))
    watch.observe(beat(5_000))  # redelivered older beat
    assert watch.last_beat_ms == 10_000


def test_a_stopping_governor_is_not_a_sign_of_life() -> None:
    watch = GovernorWatch(timeout_ms=1_000)
    watch.observe(beat(10_000))
    watch.observe(beat(10_500, status="STOPPING"))
    assert watch.last_beat_ms == 10_000


def test_timeout_zero_turns_the_watch_off() -> None:
    assert GovernorWatch(timeout_ms=0).alive(0)
