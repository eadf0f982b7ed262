"""The circuit breaker's state machine: every transition, alone and through the governor."""

from __future__ import annotations

import pytest

from hive.topics import AUDIT_EVENTS, CONTROL_BREAKERS
from hive_governor.breakers import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    BreakerConfig,
    CircuitBreaker,
    Failure,
    LevelConfig,
)

from support.governor import (
    T0,
    audits,
    breakers,
    command,
    decision,
    details,
    execution,
    governor,
    losses,
    state_of,
    trade,
)

pytestmark = pytest.mark.unit

CFG = LevelConfig(threshold=3, reset_timeout_ms=30_000, window_ms=60_000, fallback="SHADOW_MODE")


def fail(i: int, ts: int, kind: str = "LOSING_TRADE") -> Failure:
    return Failure(f"f{i}", ts, kind)


def opened(b: CircuitBreaker, ts: int = 0) -> CircuitBreaker:
    for i in range(CFG.threshold):
        b.failure(fail(i, ts + i), ts + i)
    assert b.state == OPEN
    return b


# ---------------------------------------------------------------------------- the machine alone
def test_closed_opens_at_the_threshold_with_the_failures_behind_it() -> None:
    b = CircuitBreaker(CFG)
    assert b.failure(fail(1, 1000), 1000) is None
    assert b.failure(fail(2, 2000, "EXECUTION_REJECTED"), 2000) is None
    t = b.failure(fail(3, 3000, "POLICY_VIOLATION"), 3000)
    assert t is not None
    assert (t.previous, t.state, t.cause) == (CLOSED, OPEN, "POLICY_VIOLATION")
    assert t.cause_event_ids == ("f1", "f2", "f3")
    assert (t.opened_at, t.reset_at, t.failure_count) == (3000, 33_000, 3)


def test_failures_are_counted_in_a_sliding_window() -> None:
    b = CircuitBreaker(CFG)
    b.failure(fail(1, 0), 0)
    b.failure(fail(2, 30_000), 30_000)
    # the first one left the 60 s window: two in it, still closed
    assert b.failure(fail(3, 60_000), 60_000) is None
    assert b.count(60_000) == 2
    assert b.failure(fail(4, 61_000), 61_000) is not None


def test_a_failure_older_than_the_window_is_not_counted() -> None:
    b = CircuitBreaker(CFG)
    assert b.failure(fail(1, 0), 100_000) is None
    assert b.count(100_000) == 0


def test_open_ignores_failures_and_goes_half_open_at_reset_at() -> None:
    b = opened(CircuitBreaker(CFG), ts=0)
    assert b.failure(fail(9, 10), 10) is None
    assert b.state == OPEN
    assert not b.due(b.reset_at - 1)  # type: ignore[operator]
    assert b.due(32_000)
    t = b.half_open(32_000)
    assert (t.previous, t.state, t.cause, t.ts) == (OPEN, HALF_OPEN, "RESET_TIMEOUT", 30_002)
    assert t.reset_at is None and t.opened_at == 2


def test_half_open_probe_succeeds() -> None:
    b = opened(CircuitBreaker(CFG))
    b.half_open(40_000)
    t = b.success("win", 40_500, 40_500)
    assert t is not None
    assert (t.previous, t.state, t.cause, t.cause_event_ids) == (
        HALF_OPEN,
        CLOSED,
        "PROBE_OK",
        ("win",),
    )
    assert b.count(40_500) == 0  # a closed breaker starts counting afresh


def test_half_open_probe_fails_and_reopens_with_a_new_timer() -> None:
    b = opened(CircuitBreaker(CFG))
    b.half_open(40_000)
    t = b.failure(fail(7, 41_000), 41_000)
    assert t is not None
    assert (t.previous, t.state, t.cause) == (HALF_OPEN, OPEN, "PROBE_FAILED")
    assert (t.opened_at, t.reset_at, t.cause_event_ids) == (41_000, 71_000, ("f7",))


def test_success_outside_half_open_changes_nothing() -> None:
    b = CircuitBreaker(CFG)
    assert b.success("x", 1, 1) is None
    opened(b)
    assert b.success("x", 5, 5) is None
    assert b.state == OPEN


def test_reset_closes_open_and_half_open_not_closed() -> None:
    b = CircuitBreaker(CFG)
    assert b.reset(1, "cmd", 1) is None
    opened(b)
    t = b.reset(10, "cmd", 10)
    assert t is not None and (t.previous, t.state, t.cause) == (OPEN, CLOSED, "COMMAND")
    opened(b, ts=100)
    b.half_open(200_000)
    t = b.reset(200_001, "cmd2", 200_001)
    assert t is not None and (t.previous, t.state) == (HALF_OPEN, CLOSED)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0}, "threshold"),
        ({"reset_timeout_ms": 0}, "reset_timeout_ms"),
        ({"window_ms": 0}, "window_ms"),
        ({"fallback": "HALTED"}, "fallback"),
        ({"fallback": "NONE"}, "fallback"),
    ],
)
def test_level_config_refuses_bad_values(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "threshold": 1,
        "reset_timeout_ms": 1,
        "window_ms": 1,
        "fallback": "SAFE_MODE",
    }
    with pytest.raises(ValueError, match=message):
        LevelConfig(**{**base, **kwargs})  # type: ignore[arg-type]


def test_defaults_are_the_design_brief() -> None:
    c = BreakerConfig()
    assert (c.bot.threshold, c.bot.reset_timeout_ms, c.bot.fallback) == (5, 30_000, "SHADOW_MODE")
    assert (c.cell.threshold, c.cell.reset_timeout_ms, c.cell.fallback) == (
        10,
        60_000,
        "REDUCED_CAPACITY",
    )
    assert (c.global_.threshold, c.global_.reset_timeout_ms, c.global_.fallback) == (
        20,
        300_000,
        "SAFE_MODE",
    )


# ---------------------------------------------------------------------------- through the governor
def test_published_transitions_closed_open_half_open_closed() -> None:
    g = governor()
    outs = losses(g, 5, T0)
    [rec] = breakers(outs)
    assert rec["event_id"] == "BOT:b1:1"
    assert (rec["state"], rec["previous_state"], rec["fallback_mode"]) == (
        "OPEN",
        None,
        "SHADOW_MODE",
    )
    assert (rec["failure_count"], rec["failure_threshold"], rec["cause"]) == (5, 5, "LOSING_TRADE")
    assert rec["opened_at"] == T0 + 4000 and rec["reset_at"] == T0 + 34_000
    assert len(rec["cause_event_ids"]) == 5

    # an input before reset_at: still open; the first one at or after it: half-open first
    assert breakers(g.on_trade(trade("early", T0 + 33_999, pnl=50))) == []
    outs = g.on_trade(trade("probe", T0 + 34_000, pnl=50))
    half, closed = breakers(outs)
    assert (half["event_id"], half["state"], half["fallback_mode"]) == (
        "BOT:b1:2",
        "HALF_OPEN",
        "NONE",
    )
    assert half["ts_event"] == T0 + 34_000 and half["previous_state"] == "OPEN"
    assert (closed["state"], closed["cause"], closed["previous_state"]) == (
        "CLOSED",
        "PROBE_OK",
        "HALF_OPEN",
    )
    assert closed["cause_event_ids"] == ["probe"] and closed["transition_seq"] == 3
    assert [a["action"] for a in audits(outs)] == ["BREAKER_HALF_OPEN", "BREAKER_CLOSED"]


def test_half_open_probe_fails_through_the_governor() -> None:
    g = governor()
    losses(g, 5, T0)
    g.advance(T0 + 40_000)
    assert state_of(g, "BOT:b1")["state"] == "HALF_OPEN"  # type: ignore[index]
    outs = g.on_execution(execution("rej", T0 + 41_000, "REJECTED"))
    [rec] = breakers(outs)
    assert (rec["state"], rec["cause"], rec["previous_state"]) == (
        "OPEN",
        "PROBE_FAILED",
        "HALF_OPEN",
    )
    assert rec["reset_at"] == T0 + 71_000
    assert audits(outs)[0]["action"] == "BREAKER_REOPENED"


def test_a_successful_execution_is_a_probe_too() -> None:
    g = governor()
    losses(g, 5, T0)
    g.advance(T0 + 40_000)
    outs = g.on_execution(execution("fill", T0 + 41_000, "FILLED"))
    assert [r["cause"] for r in breakers(outs)] == ["PROBE_OK"]


def test_half_open_transition_comes_from_any_input_advancing_the_clock() -> None:
    g = governor()
    losses(g, 5, T0)
    outs = g.on_decision(decision("ok", T0 + 60_000, [], allowed=True))
    [rec] = breakers(outs)
    assert rec["state"] == "HALF_OPEN" and rec["ts_event"] == T0 + 34_000
    assert rec["ts_init"] == T0 + 60_000


def test_every_transition_is_audited_with_its_cause() -> None:
    g = governor()
    outs = losses(g, 5, T0) + g.advance(T0 + 35_000) + losses(g, 1, T0 + 36_000)
    assert [a["action"] for a in audits(outs)] == [
        "BREAKER_OPENED",
        "BREAKER_HALF_OPEN",
        "BREAKER_REOPENED",
    ]
    published = [r["event_id"] for r in breakers(outs)]
    assert [details(a)["breaker_event_id"] for a in audits(outs)] == published
    opened_audit = audits(outs)[0]
    assert details(opened_audit)["cause"] == "LOSING_TRADE"
    assert opened_audit["cause_event_id"] == breakers(outs)[0]["cause_event_ids"][-1]


def test_reset_breaker_command_closes_and_is_audited_with_the_actor() -> None:
    g = governor()
    losses(g, 5, T0)
    outs = g.on_command(command("RESET_BREAKER", T0 + 10_000, actor="bob"))
    [rec] = breakers(outs)
    assert (rec["state"], rec["cause"]) == ("CLOSED", "COMMAND")
    assert rec["command_id"] == "cmd-reset_breaker-bot-b1-" + str(T0 + 10_000)
    [audit] = audits(outs)
    assert (audit["action"], audit["actor"], audit["role"]) == ("BREAKER_RESET", "bob", "OPERATOR")
    # a closed breaker: nothing to reset, refused and audited
    outs = g.on_command(command("RESET_BREAKER", T0 + 11_000))
    assert (
        breakers(outs) == []
        and details(audits(outs, "COMMAND_REFUSED")[0])["code"] == "breaker_closed"
    )


def test_shadow_and_breakeven_trades_count_for_nothing() -> None:
    g = governor()
    for i in range(10):
        assert g.on_trade(trade(f"s{i}", T0 + i, pnl=-5, shadow=True)) == []
        assert g.on_trade(trade(f"z{i}", T0 + i, pnl=0.0)) == []
        assert g.on_execution(execution(f"e{i}", T0 + i, "REJECTED", shadow=True)) == []
    assert g.breaker_states() == []


def test_a_redelivered_input_changes_nothing() -> None:
    g = governor()
    for i in range(4):
        g.on_trade(trade(f"t{i}", T0 + i))
    for i in range(4):  # the same four again
        assert g.on_trade(trade(f"t{i}", T0 + i)) == []
    assert g.breaker_states() == []
    assert breakers(g.on_trade(trade("t4", T0 + 4)))[0]["state"] == "OPEN"


def test_restart_restores_breakers_and_goes_on_numbering() -> None:
    first = governor()
    losses(first, 5, T0)
    records = first.breaker_states()
    again = governor()
    for r in records:
        again.restore_breaker(r)
    assert again.breaker_states() == records
    outs = again.on_trade(trade("after", T0 + 40_000, pnl=10))
    assert [(r["event_id"], r["state"]) for r in breakers(outs)] == [
        ("BOT:b1:2", "HALF_OPEN"),
        ("BOT:b1:3", "CLOSED"),
    ]
    # an older record of the scope (compaction not yet done) does not go back
    again.restore_breaker(records[0])
    assert state_of(again, "BOT:b1")["transition_seq"] == 3  # type: ignore[index]


def test_outputs_use_the_topics_and_keys_of_the_catalogue() -> None:
    g = governor()
    outs = losses(g, 5, T0)
    assert {(o.topic, o.key) for o in outs} == {
        (CONTROL_BREAKERS, "BOT:b1"),
        (AUDIT_EVENTS, "governor"),
    }
