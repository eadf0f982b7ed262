"""Chaos: every service SIGKILLed in turn, and the Kafka broker restarted, mid-replay.

The same five weeks of the bundled sample (EURUSD bars, the sample channel, the sample bots)
are replayed twice through all eight services on the real servers: once undisturbed, once while
each service in turn is killed with SIGKILL (the supervisor restarts it) and the broker is
stopped and started again. The trades, the final balances and the orders must be identical,
with no order filled twice and no order or trade record written twice.

This test owns the whole hive while it runs: a fresh replay deletes and recreates every topic.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from hive.bots import load_bots
from hive.market import read_bundled_eurusd
from hive_risk_gate.cards import CardLoader
from hive_tools import infra
from hive_tools.playback import inputs, merge
from hive_tools.playback.chaos import Disturber, run_drill
from hive_tools.playback.session import SERVICE_NAMES, Session, SessionConfig
from hive_tools.supervise import free_port

pytestmark = pytest.mark.e2e

BARS = 600  # five weeks of hourly bars: 177 channel messages
KILL_EVERY = 50  # bars between kills: all eight are killed within the first 400 bars
KAFKA_AT = 450


@pytest.fixture(scope="module")
def timeline() -> tuple[list, list]:
    bars = list(read_bundled_eurusd())[:BARS]
    end = bars[-1]["ts_event"]
    messages = [
        m
        for m in inputs.read_channels(
            [inputs.ChannelSpec(p, None) for p in inputs.sample_channels()]
        )
        if m["ts_event"] < end
    ]
    items = merge(bars, messages)
    return items, load_bots(inputs.sample_bots(), cards=CardLoader()).to_records(items[0].ts)


def _config(endpoints: dict[str, str], tmp: Path) -> SessionConfig:
    return SessionConfig(
        env=dict(os.environ) | endpoints,
        log_dir=tmp / "logs",
        model_store=tmp / "models",
        hub_port=free_port(),
        admin_key="chaos-admin-" + uuid.uuid4().hex,
        ready_timeout_s=180,
        barrier_timeout_s=180,
    )


def _restart_kafka() -> None:
    settings = infra.InfraSettings()
    infra.down(["kafka"], settings=settings)
    infra.up(["kafka"], settings=settings)


@pytest.mark.timeout(1200)  # two replays, eight restarts with state recovery, a broker restart
def test_kills_and_broker_restart_change_nothing(endpoints, timeline, tmp_path):
    items, bots = timeline
    messages = sum(1 for i in items if i.kind == "message")
    assert messages > 150, "the sample channel has 177 messages in its first five weeks"

    calm = run_drill(_config(endpoints, tmp_path / "calm"), items, bots)
    assert calm.trades, "the undisturbed replay should trade"

    def disturb(session: Session) -> Disturber:
        return Disturber(
            session,
            list(SERVICE_NAMES),
            KILL_EVERY,
            restart_kafka=_restart_kafka,
            kafka_at_bar=KAFKA_AT,
        )

    storm = run_drill(_config(endpoints, tmp_path / "storm"), items, bots, disturb=disturb)
    killed = [e for e in storm.events if "SIGKILL" in e]
    assert len(killed) == len(SERVICE_NAMES), storm.events
    assert any("Kafka" in e for e in storm.events), storm.events
    print(f"calm {calm.seconds:.0f} s, storm {storm.seconds:.0f} s: " + "; ".join(storm.events))

    assert storm.duplicate_orders() == [], "an order was filled twice"
    assert storm.duplicate_records == dict.fromkeys(storm.duplicate_records, 0)
    assert calm.duplicate_orders() == []
    assert storm.balances == calm.balances
    assert len(storm.trades) == len(calm.trades)
    assert storm.trades == calm.trades
    assert storm.fills == calm.fills
