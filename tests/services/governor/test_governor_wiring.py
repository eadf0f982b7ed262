"""The governor's Kafka-facing wiring without Kafka: routing, dead letters, the liveness tick
on heartbeats, and the breaker gauges the alert rules read."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from hive.audit import AuditChain
from hive.runtime import InboundRecord, RejectRecord
from hive.topics import AUDIT_EVENTS, CONTROL_BREAKERS, HIVE_HEARTBEATS, TRADES_CLOSED
from hive_governor import BreakerConfig, Governor
from hive_governor.service import CHAIN_ID, BreakerGauges, GovernorService

from support.governor import trade

pytestmark = pytest.mark.unit


def test_losing_trades_open_the_bot_breaker_and_the_gauges_follow() -> None:
    registry = CollectorRegistry()
    service = GovernorService(
        Governor(BreakerConfig(), rule_sets={}), gauges=BreakerGauges(registry)
    )
    out = []
    for n in range(5):
        rec = trade(f"t{n}", 1_000 + n, pnl=-10.0)
        out += service.handle(InboundRecord(TRADES_CLOSED, 0, n, rec["bot_id"], rec))
    opened = [
        o.value for o in out if o.topic == "control.breakers.v1" and o.value["state"] == "OPEN"
    ]
    assert opened and opened[0]["scope_level"] == "BOT"
    value = registry.get_sample_value(
        "hive_breaker_open", {"scope_level": "BOT", "scope_id": opened[0]["scope_id"]}
    )
    assert value == 1.0
    assert registry.get_sample_value("hive_bot_halted", {"bot_id": opened[0]["scope_id"]}) == 0.0


def test_bad_input_is_a_dead_letter_and_heartbeats_tick_the_liveness_check() -> None:
    now = [0]
    governor = Governor(
        BreakerConfig(), rule_sets={}, required_services=["executor"], heartbeat_timeout_ms=1_000
    )
    service = GovernorService(governor, clock=lambda: now[0])
    with pytest.raises(RejectRecord):
        service.handle(InboundRecord(TRADES_CLOSED, 0, 0, None, {"event_id": "x"}))
    beat = {"event_id": "e:1", "service": "executor", "instance_id": "e", "status": "RUNNING",
            "ts_event": 0, "ts_init": 0, "sequence": 1, "started_at": 0, "interval_ms": 100}  # fmt: skip
    assert not [
        o
        for o in service.handle(InboundRecord(HIVE_HEARTBEATS, 0, 0, None, beat))
        if o.topic == "control.breakers.v1"
    ]
    now[0] = 60_000  # the executor has been silent for a minute; another service's beat ticks
    other = {
        **beat,
        "event_id": "g:1",
        "service": "governor",
        "instance_id": "g",
        "ts_event": 60_000,
    }
    out = service.handle(InboundRecord(HIVE_HEARTBEATS, 0, 1, None, other))
    safe = [o.value for o in out if o.topic == "control.breakers.v1"]
    assert safe and safe[0]["scope_level"] == "GLOBAL" and safe[0]["fallback_mode"] == "SAFE_MODE"


def test_state_store_restores_breakers_and_continues_the_audit_chain() -> None:
    first = GovernorService(Governor(BreakerConfig(), rule_sets={}))
    out = []
    for n in range(5):
        rec = trade(f"t{n}", 1_000 + n, pnl=-10.0)
        out += first.handle(InboundRecord(TRADES_CLOSED, 0, n, rec["bot_id"], rec))
    published = [o for o in out if o.topic in (CONTROL_BREAKERS, AUDIT_EVENTS)]
    assert published

    registry = CollectorRegistry()
    again = Governor(BreakerConfig(), rule_sets={}, chain=AuditChain(CHAIN_ID))
    store = GovernorService(again, gauges=BreakerGauges(registry)).state_store()
    assert tuple(store.topics) == (CONTROL_BREAKERS, AUDIT_EVENTS)
    for n, o in enumerate(published):
        store.keep(InboundRecord(o.topic, 0, n, o.key, dict(o.value)))
    store.keep(InboundRecord(AUDIT_EVENTS, 0, 99, "hub-api", {"chain_id": "hub-api"}))  # not ours
    store.restored()

    assert again.breaker_states() == first.governor.breaker_states()
    [bot] = [s for s in again.breaker_states() if s["scope_level"] == "BOT"]
    assert registry.get_sample_value(
        "hive_breaker_open", {"scope_level": "BOT", "scope_id": bot["scope_id"]}
    ) == (1.0 if bot["state"] == "OPEN" else 0.0)
    last = [o.value for o in published if o.topic == AUDIT_EVENTS][-1]
    assert again.audit.chain.chain_id == CHAIN_ID
    nxt = again.advance(10_000_000)  # the breaker half-opens: audited after the restored chain
    [event] = [o.value for o in nxt if o.topic == AUDIT_EVENTS]
    assert event["prev_hash"] == last["hash"]
