"""A consumer whose partitions were lost (its group session timed out, as when the broker
restarts) and that is given none back within `rejoin_timeout_s` fails /healthz, so the supervisor
or Kubernetes restarts it; partitions given back in time, or never lost, keep it healthy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hive.config import ServiceSettings
from hive.runtime import loop as loop_module
from hive.runtime.loop import ServiceLoop

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(loop_module.time, "monotonic", c.monotonic)
    return c


@pytest.fixture
def loop(clock: Clock) -> Iterator[ServiceLoop]:
    settings = ServiceSettings(
        service_name="rejoin-test", kafka_bootstrap="127.0.0.1:1", rejoin_timeout_s=120
    )
    lp = ServiceLoop(settings, ["t.events"], lambda rec: [], codecs=None)  # type: ignore[arg-type]
    try:
        yield lp
    finally:
        lp.health._server.server_close()
        lp.consumer.close()


def _turn(loop: ServiceLoop, clock: Clock) -> None:
    loop._last_loop = clock.now  # the loop keeps turning (polling) all along


def test_partitions_lost_and_not_given_back_within_the_timeout_fail_healthz(
    loop: ServiceLoop, clock: Clock
) -> None:
    loop._on_lost(loop.consumer, [])
    clock.now += 119.9
    _turn(loop, clock)
    assert loop._healthy() == (True, "last loop 0.0s ago")
    clock.now += 0.1
    _turn(loop, clock)
    assert loop._healthy() == (False, "partitions lost 120.0s ago and none given back")


def test_partitions_given_back_in_time_keep_the_loop_healthy(
    loop: ServiceLoop, clock: Clock
) -> None:
    loop._on_lost(loop.consumer, [])
    clock.now += 60
    loop._on_assign(loop.consumer, [])
    clock.now += 600
    _turn(loop, clock)
    assert loop._healthy() == (True, "last loop 0.0s ago")


def test_a_loop_that_never_lost_its_partitions_is_healthy_while_it_turns(
    loop: ServiceLoop, clock: Clock
) -> None:
    clock.now += 3_600
    _turn(loop, clock)
    assert loop._healthy() == (True, "last loop 0.0s ago")
    clock.now += 30
    assert loop._healthy() == (False, "last loop 30.0s ago")


def test_lost_partitions_make_the_loop_not_ready_until_some_are_given_back(
    loop: ServiceLoop, clock: Clock
) -> None:
    assert loop._ready() == (False, "waiting for partitions")
    loop._on_assign(loop.consumer, [])
    assert loop._ready() == (True, "assigned")
    loop._on_lost(loop.consumer, [])
    assert loop._ready() == (False, "partitions lost; rejoining")
    loop._on_assign(loop.consumer, [])
    assert loop._ready() == (True, "assigned")
