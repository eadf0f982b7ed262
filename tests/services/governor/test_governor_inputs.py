"""What counts as a failure, a probe or a violation; malformed input raises GovernorInputError."""

from __future__ import annotations

from typing import Any

import pytest

from hive_governor import Governor, GovernorInputError
from hive_governor.failures import decision_outcome, execution_outcome, trade_outcome
from hive_governor.inputs import Decision, Execution, SeenIds, Trade

from support.governor import (
    T0,
    bot,
    command,
    decision,
    execution,
    governor,
    heartbeat,
    snapshot,
    trade,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("pnl", "shadow", "kind", "success"),
    [
        (-1.0, False, "LOSING_TRADE", False),
        (1.0, False, None, True),
        (0.0, False, None, False),
        (-1.0, True, None, False),
        (1.0, True, None, False),
    ],
)
def test_trades(pnl: float, shadow: bool, kind: str | None, success: bool) -> None:
    o = trade_outcome(Trade.read(trade("t", T0, pnl=pnl, shadow=shadow)))
    assert (o.kind, o.success) == (kind, success)


@pytest.mark.parametrize(
    ("status", "shadow", "limp", "kind", "success"),
    [
        ("REJECTED", False, False, "EXECUTION_REJECTED", False),
        ("FAILED", False, False, "EXECUTION_FAILED", False),
        ("FILLED", False, True, "EXECUTION_FAILED", False),  # limp: both venues failed
        ("FILLED", False, False, None, True),
        ("PARTIALLY_FILLED", False, False, None, True),
        ("CLOSED", False, False, None, False),
        ("ACCEPTED", False, False, None, False),
        ("REJECTED", True, False, None, False),
    ],
)
def test_executions(status: str, shadow: bool, limp: bool, kind: str | None, success: bool) -> None:
    o = execution_outcome(Execution.read(execution("e", T0, status, shadow=shadow, limp=limp)))
    assert (o.kind, o.success) == (kind, success)


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("breaker_no_new_positions", None),
        ("governor_silent", None),
        ("risk_limit.daily_loss", None),
        ("insufficient_margin", "EXECUTION_REJECTED"),
        ("invalid_stop", "EXECUTION_REJECTED"),
    ],
)
def test_the_executors_refusals_under_a_hold_are_not_failures(
    reason: str, kind: str | None
) -> None:
    record = {**execution("e", T0, "REJECTED"), "reason": reason}
    assert execution_outcome(Execution.read(record)).kind == kind


@pytest.mark.parametrize(
    ("reasons", "allowed", "mode", "kind"),
    [
        (["constitution.daily_loss_headroom"], False, "NONE", "POLICY_VIOLATION"),
        (["profile.max_risk_per_trade", "signal.stale"], False, "NONE", "POLICY_VIOLATION"),
        (["profile.unknown"], False, "SHADOW_MODE", "POLICY_VIOLATION"),
        (["signal.stale"], False, "REDUCED_CAPACITY", "STALE_DATA"),
        (["signal.no_market_data"], False, "NONE", "STALE_DATA"),
        (["news.blackout", "weekend.no_new_positions"], False, "NONE", None),
        (["card.follow.skipped"], False, "NONE", None),
        (["breaker.reduced_capacity"], True, "REDUCED_CAPACITY", None),
        (["constitution.max_risk_per_position"], False, "HALTED", None),  # the halt working
        (["signal.stale"], False, "SAFE_MODE", None),
    ],
)
def test_decisions(reasons: list[str], allowed: bool, mode: str, kind: str | None) -> None:
    o = decision_outcome(
        Decision.read(decision("d", T0, reasons, allowed=allowed, breaker_mode=mode))
    )
    assert o.kind == kind and not o.success
    assert o.is_violation == (kind == "POLICY_VIOLATION")


def _without(record: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != field}


@pytest.mark.parametrize(
    ("method", "record"),
    [
        ("on_trade", _without(trade("t", T0), "pnl")),
        ("on_trade", {**trade("t", T0), "pnl": float("nan")}),
        ("on_trade", {**trade("t", T0), "shadow": "no"}),
        ("on_execution", _without(execution("e", T0, "FILLED"), "status")),
        ("on_decision", {**decision("d", T0), "reasons": "constitution.x"}),
        ("on_decision", {**decision("d", T0), "allowed": None}),
        ("on_snapshot", _without(snapshot(1, T0, 1.0), "day_start_balance")),
        ("on_snapshot", {**snapshot(1, T0, 1.0), "sequence": 1.5}),
        ("on_snapshot", {**snapshot(1, T0, 1.0), "bot_id": ""}),
        ("on_command", {**command("HALT", T0), "parameters": {"a": 1}}),
        ("on_trade", ["not", "a", "record"]),
        ("on_trade", {**trade("t", T0), "ts_event": True}),
    ],
)
def test_malformed_records_raise_the_input_error(method: str, record: Any) -> None:
    g = governor()
    with pytest.raises(GovernorInputError) as err:
        getattr(g, method)(record)
    assert err.value.reason in {"missing_field", "bad_field", "not_a_record"}


def test_malformed_heartbeat_registry_and_breaker_records() -> None:
    g = governor()
    with pytest.raises(GovernorInputError):
        g.on_heartbeat({**heartbeat("executor", T0), "interval_ms": -1}, T0)
    with pytest.raises(GovernorInputError):
        g.on_bot(_without(bot(), "cell_id"), "b1")
    with pytest.raises(GovernorInputError):
        g.restore_breaker(
            {"scope_level": "PLANET", "scope_id": "x", "transition_seq": 1, "ts_event": 0}
        )
    with pytest.raises(GovernorInputError):
        g.restore_breaker(
            {"scope_level": "BOT", "scope_id": "x", "transition_seq": 0, "ts_event": 0}
        )


def test_the_registry_maps_bots_to_rule_sets_and_tombstones_remove_them() -> None:
    g: Governor = governor()
    g.on_bot(bot("b1", "c1", "strict"), "b1")
    assert g.bots["b1"].rule_set == "strict"
    g.on_bot(None, "b1")
    assert "b1" not in g.bots
    g.on_bot({**bot("b2"), "deleted": True}, "b2")
    assert "b2" not in g.bots


def test_a_bot_record_the_contract_refuses_is_an_input_error_naming_the_field() -> None:
    g = governor()
    with pytest.raises(GovernorInputError) as err:
        g.on_bot({**bot("b1"), "rule_overrides": {"daily_loss_pct": "-1"}}, "b1")
    assert err.value.reason == "bad_field"
    assert "'b1'.rule_overrides: daily_loss_pct must be a decimal number > 0" in str(err.value)
    assert "b1" not in g.bots


def test_seen_ids_are_bounded() -> None:
    seen = SeenIds(capacity=2)
    assert seen.first_time("a") and seen.first_time("b") and not seen.first_time("a")
    assert seen.first_time("c") and len(seen) == 2
    assert seen.first_time("a")  # forgotten: the oldest left the window
    with pytest.raises(ValueError):
        SeenIds(0)
