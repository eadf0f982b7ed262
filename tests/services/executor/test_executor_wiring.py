"""The executor's Kafka-facing wiring without Kafka: routing, dead letters, the governor watch,
and the recovery store written per batch and read back into a fresh engine."""

from __future__ import annotations

import json
from typing import Any

import fastavro
import pytest

from hive.contracts import load_catalogue
from hive.liveness import GovernorWatch
from hive.runtime import InboundRecord, RejectRecord
from hive.topics import (
    CONTROL_BREAKERS,
    CONTROL_COMMANDS,
    EXECUTOR_STATE,
    HIVE_HEARTBEATS,
    MARKET_BARS,
    ORDERS_DECISIONS,
    ORDERS_INTENTS,
    REGISTRY_BOTS,
)
from hive_executor import Executor
from hive_executor.service import ExecutorService
from hive_executor.settings import ExecutorSettings

from support.executor import EXECUTIONS, config, replay, scenario

pytestmark = pytest.mark.unit

TOPIC_OF = {
    "bot": REGISTRY_BOTS,
    "bar": MARKET_BARS,
    "intent": ORDERS_INTENTS,
    "decision": ORDERS_DECISIONS,
    "command": CONTROL_COMMANDS,
    "breaker": CONTROL_BREAKERS,
}
STATE_SCHEMA = fastavro.parse_schema(json.loads(load_catalogue()[EXECUTOR_STATE].schema_str()))


def inbound(topic: str, value: dict[str, Any], offset: int = 0) -> InboundRecord:
    key = value.get("bot_id") if topic == REGISTRY_BOTS else None
    return InboundRecord(topic, 0, offset, key, value)


def run(service: ExecutorService, events: list[tuple[str, Any]], batch: int = 25):
    """Events through the service in batches, the state writer after each; returns the
    outputs (without state records) and the state records."""
    outputs, states = [], []
    for start in range(0, len(events), batch):
        for n, (kind, rec) in enumerate(events[start : start + batch]):
            outputs += service.handle(inbound(TOPIC_OF[kind], rec, start + n))
        states += service.write_state()
    return outputs, states


def test_the_service_routes_like_the_engine_and_its_store_restores_a_fresh_engine() -> None:
    events = scenario(n_bars=300)
    straight = [(o.topic, o.value) for o in replay(Executor(config()), events)]

    half = len(events) // 2
    first = ExecutorService(Executor(config()), namespace="g1")
    out1, states = run(first, events[:half])
    for s in states:
        fastavro.validation.validate(s.value, STATE_SCHEMA, raise_errors=True)
        assert s.key == s.value["state_key"] and s.value["state_key"].startswith("g1/")
    # A restarted executor reads the latest record per key, then continues.
    latest = {s.value["state_key"]: s.value for s in states}
    second = ExecutorService(Executor(config()), namespace="g1")
    for value in latest.values():
        rec = InboundRecord(EXECUTOR_STATE, 0, 0, value["state_key"], value)
        assert second.owns(rec)
        second.restore(rec)
    out2, _ = run(second, events[half:])
    resumed = [(o.topic, o.value) for o in [*out1, *out2]]
    assert resumed == straight
    # Revisions go on from the stored ones rather than restarting at 1.
    more = second.write_state() or []
    assert all(r.value["revision"] > latest[r.key]["revision"] for r in more if r.key in latest)


def test_another_groups_state_is_not_ours_and_an_unknown_layout_is_refused() -> None:
    service = ExecutorService(Executor(config()), namespace="g1")
    other = {"state_key": "g2/bot:b1", "state_version": 1, "revision": 1, "ts_event": 0,
             "state": "{}", "deleted": False}  # fmt: skip
    assert not service.owns(InboundRecord(EXECUTOR_STATE, 0, 0, None, other))
    newer = {**other, "state_key": "g1/bot:b1", "state_version": 99}
    with pytest.raises(RuntimeError, match="state_version 99"):
        service.restore(InboundRecord(EXECUTOR_STATE, 0, 0, None, newer))


def test_a_silent_governor_rejects_new_entries_and_bad_input_is_a_dead_letter() -> None:
    events = scenario(n_bars=40)
    clock = [1_000_000]
    service = ExecutorService(
        Executor(config()), GovernorWatch(timeout_ms=15_000), clock=lambda: clock[0]
    )
    beat = {"service": "governor", "instance_id": "g", "status": "RUNNING", "ts_event": 990_000}
    assert service.handle(inbound(HIVE_HEARTBEATS, beat)) == []
    intents = [rec for kind, rec in events if kind == "intent"]
    for kind, rec in events:
        if kind != "intent":
            service.handle(inbound(TOPIC_OF[kind], rec))
    accepted = service.handle(inbound(ORDERS_INTENTS, intents[0]))
    assert next(o.value["status"] for o in accepted if o.topic == EXECUTIONS) != "REJECTED"
    clock[0] = 990_000 + 15_001  # the governor's last beat is now too old
    refused = service.handle(inbound(ORDERS_INTENTS, intents[1]))
    assert [(o.value["status"], o.value["reason"]) for o in refused] == [
        ("REJECTED", "governor_silent")
    ]
    with pytest.raises(RejectRecord):
        service.handle(inbound(ORDERS_INTENTS, {"order_id": "x"}))


def test_settings_fail_fast_naming_the_variable(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from hive.config import load_settings

    monkeypatch.setenv("HIVE_EXECUTOR_TIMEFRAME", "H2")
    monkeypatch.setenv("HIVE_EXECUTOR_COMMISSION_PER_LOT", "-1")
    with pytest.raises(SystemExit) as exc:
        load_settings(ExecutorSettings)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "HIVE_EXECUTOR_TIMEFRAME" in err and "HIVE_EXECUTOR_COMMISSION_PER_LOT" in err


def test_the_state_store_keeps_the_newest_record_of_each_own_key_and_restores_them() -> None:
    events = scenario(n_bars=120)
    first = ExecutorService(Executor(config()), namespace="g1")
    _, states = run(first, events)
    second = ExecutorService(Executor(config()), namespace="g1")
    store = second.state_store()
    assert list(store.topics) == [EXECUTOR_STATE]
    records = [InboundRecord(EXECUTOR_STATE, 0, n, s.key, s.value) for n, s in enumerate(states)]
    foreign = {**states[0].value, "state_key": "g2/control"}  # another group's: not restored
    records.append(InboundRecord(EXECUTOR_STATE, 0, len(records), "g2/control", foreign))
    for rec in records:
        store.keep(rec)
    store.restored()
    latest = {s.value["state_key"]: s.value["revision"] for s in states}
    assert second.revisions == {k.removeprefix("g1/"): r for k, r in latest.items()}
    assert second.engine.export_state() == {}  # restoring marks nothing as changed


def test_settings_build_the_engine_config(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hive.config import load_settings

    monkeypatch.setenv("HIVE_EXECUTOR_TIMEFRAME", "M15")
    monkeypatch.setenv("HIVE_EXECUTOR_LEVERAGE", "30")
    cfg = load_settings(ExecutorSettings).executor_config()
    assert (cfg.timeframe, cfg.leverage, cfg.commission_per_lot) == ("M15", 30.0, 3.5)


def test_settings_build_the_governor_watch(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hive.config import load_settings

    monkeypatch.setenv("HIVE_GOVERNOR_TIMEOUT_S", "2.5")
    watch = load_settings(ExecutorSettings).governor_watch()
    assert (watch.timeout_ms, watch.last_beat_ms) == (2_500, None)
