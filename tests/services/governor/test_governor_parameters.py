"""Changes that apply: the governor publishes the value in force on control.parameters for every
change applied or rolled back (never for a refusal), keeps it across a restart, and uses it
itself (breaker thresholds, limits). Also the bounds of the changeable parameters."""

from __future__ import annotations

from typing import Any

import pytest

from hive.parameters import ParameterBook, effective_bot
from hive.topics import CONTROL_PARAMETERS
from hive_governor import Governor, Output
from hive_governor.service import OUTPUTS

from support.governor import (
    T0,
    audits,
    bot,
    breakers,
    command,
    details,
    governor,
    losses,
    snapshot,
    values,
)

pytestmark = pytest.mark.unit


def change(
    g: Governor,
    name: str,
    value: str,
    ts: int,
    *,
    level: str = "BOT",
    scope_id: str = "b1",
    cid: str | None = None,
) -> list[Output]:
    return g.on_command(
        command(
            "SET_PARAMETER",
            ts,
            level=level,
            scope_id=scope_id,
            params={"name": name, "value": value},
            command_id=cid,
        )
    )


def undo(g: Governor, change_id: str, ts: int, cid: str) -> list[Output]:
    return g.on_command(
        command("ROLLBACK_CHANGE", ts, params={"change_id": change_id}, command_id=cid)
    )


def params(outs: list[Output]) -> list[dict[str, Any]]:
    return values(outs, CONTROL_PARAMETERS)


def test_the_governor_publishes_on_control_parameters() -> None:
    assert OUTPUTS[2] == CONTROL_PARAMETERS


def test_an_applied_change_publishes_the_new_value_before_its_audit_event() -> None:
    g = governor()
    g.on_bot(bot("b1", "c1", risk_per_trade=0.01), "b1")
    outs = change(g, "risk_per_trade", "0.005", T0, cid="chg-1")
    assert [o.topic for o in outs] == [CONTROL_PARAMETERS, "audit.events.v1"]
    assert outs[0].key == "BOT:b1:risk_per_trade"
    assert outs[0].value == {
        "event_id": "chg-1",
        "ts_event": T0,
        "ts_init": T0,
        "scope_level": "BOT",
        "scope_id": "b1",
        "name": "risk_per_trade",
        "kind": "PARAMETER",
        "value": "0.005",
        "previous_value": None,
        "change_id": "chg-1",
        "actor": "alice",
        "reason": "operator's reason",
    }
    assert details(audits(outs)[0])["parameter_event_id"] == "chg-1"
    assert g.parameters.value("risk_per_trade", bot_id="b1") == "0.005"
    # a second change names the value it replaces
    [second] = params(change(g, "risk_per_trade", "0.004", T0 + 1, cid="chg-2"))
    assert (second["value"], second["previous_value"], second["change_id"]) == (
        "0.004",
        "0.005",
        "chg-2",
    )


def test_a_rollback_publishes_the_restored_value_or_null_for_the_owners() -> None:
    g = governor()
    change(g, "risk_per_trade", "0.005", T0, cid="chg-1")
    change(g, "risk_per_trade", "0.004", T0 + 1, cid="chg-2")
    [back] = params(undo(g, "chg-2", T0 + 2, "rb-2"))
    assert (back["event_id"], back["value"], back["previous_value"], back["change_id"]) == (
        "rb-2",
        "0.005",
        "0.004",
        "chg-1",
    )
    assert g.parameters.value("risk_per_trade", bot_id="b1") == "0.005"
    [owner] = params(undo(g, "chg-1", T0 + 3, "rb-1"))
    assert (owner["value"], owner["previous_value"], owner["change_id"]) == (None, "0.005", None)
    assert owner["ts_event"] == T0 + 3
    assert g.parameters.in_force() == []


def test_a_refused_change_or_rollback_publishes_nothing() -> None:
    g = governor()
    assert params(change(g, "risk_per_trade", "0.06", T0)) == []
    assert params(change(g, "max_drawdown", "20", T0 + 1)) == []
    assert params(undo(g, "nope", T0 + 2, "rb-x")) == []
    change(g, "risk_per_trade", "0.005", T0 + 3, cid="chg-1")
    undo(g, "chg-1", T0 + 4, "rb-1")
    assert params(undo(g, "chg-1", T0 + 5, "rb-again")) == []
    assert g.parameters.in_force() == []


def test_the_values_in_force_survive_a_restart_and_a_redelivered_command_publishes_nothing() -> (
    None
):
    first = governor()
    outs = change(first, "risk_per_trade", "0.005", T0, cid="chg-1")
    outs += change(first, "min_confidence", "0.6", T0 + 1, level="CELL", scope_id="c1", cid="c2")
    outs += undo(first, "c2", T0 + 2, "rb-2")
    again = governor()
    for event in audits(outs):
        again.restore_audit(event)
    assert [(p.key, p.value) for p in again.parameters.in_force()] == [
        ("BOT:b1:risk_per_trade", "0.005")
    ]
    # what the restored governor holds is what the compacted topic says
    book = ParameterBook()
    for o in outs:
        if o.topic == CONTROL_PARAMETERS:
            book.apply(o.value)
    assert [(p.key, p.value) for p in book.in_force()] == [
        (p.key, p.value) for p in again.parameters.in_force()
    ]
    # the same commands delivered again after the restart: refused, nothing published
    redelivered = change(again, "risk_per_trade", "0.005", T0, cid="chg-1")
    assert params(redelivered) == []
    assert details(audits(redelivered)[0])["code"] == "duplicate_change"
    assert params(undo(again, "c2", T0 + 2, "rb-2")) == []


def test_a_breaker_threshold_change_trips_the_breaker_sooner_and_a_rollback_restores_it() -> None:
    g = governor()
    change(g, "breaker.bot.threshold", "3", T0, cid="thr")
    outs = losses(g, 3, T0 + 1000)
    [opened] = [b for b in breakers(outs) if b["scope_level"] == "BOT"]
    assert (opened["state"], opened["failure_threshold"]) == ("OPEN", 3)
    # another bot's breaker, created after the change, uses it too (a global one would too)
    assert breakers(losses(g, 2, T0 + 5000, bot="b2")) == []
    undo(g, "thr", T0 + 9000, "rb-thr")
    assert g.scopes["BOT:b2"].config.threshold == 5
    assert breakers(losses(g, 2, T0 + 10_000, bot="b2", tag="x")) == []  # 4 of 5
    [b2] = [b for b in breakers(losses(g, 1, T0 + 20_000, bot="b2", tag="y"))]
    assert (b2["scope_id"], b2["failure_threshold"]) == ("b2", 5)


def test_a_global_threshold_applies_to_every_bot_without_its_own() -> None:
    g = governor()
    change(g, "breaker.bot.threshold", "2", T0, level="GLOBAL", scope_id="global")
    change(g, "breaker.bot.threshold", "4", T0 + 1, scope_id="b1")
    assert g.board.scope("BOT", "b1").config.threshold == 4
    assert g.board.scope("BOT", "b9").config.threshold == 2
    assert g.board.scope("CELL", "c1").config.threshold == 10


def test_a_threshold_in_force_is_restored_after_a_restart() -> None:
    first = governor()
    outs = change(first, "breaker.cell.threshold", "6", T0, level="CELL", scope_id="c1")
    again = governor()
    again.board.scope("CELL", "c1")  # a scope restored from control.breakers before the chain
    for event in audits(outs):
        again.restore_audit(event)
    assert again.scopes["CELL:c1"].config.threshold == 6


def test_a_daily_loss_change_in_force_tightens_the_bots_limit() -> None:
    g = governor()
    g.on_bot(bot("b1", "c1", "ftmo_2step"), "b1")
    assert audits(g.on_snapshot(snapshot(1, T0, 98_500)), "LIMIT_BREACHED") == []  # 1.5 % < 3 %
    change(g, "daily_loss_pct", "1", T0 + 1)
    [breach] = audits(g.on_snapshot(snapshot(2, T0 + 2, 98_500)), "LIMIT_BREACHED")
    d = details(breach)
    assert (d["daily_loss_limit"], d["daily_loss_rule"]) == (1000.0, "override")


def test_the_governors_overlay_is_the_core_one() -> None:
    g = governor()
    g.on_bot(bot("b1", "c1", risk_per_trade=0.01), "b1")
    change(g, "risk_per_trade", "0.005", T0)
    assert effective_bot(g.bots["b1"], g.parameters).risk_per_trade == 0.5


# ------------------------------------------------------------------------------ bounds
@pytest.mark.parametrize(
    ("name", "value", "level", "scope_id", "code"),
    [
        ("card.prior", "0.7", "BOT", "b1", "applied"),
        ("card.skip_regimes", '["CHAOS","RANGE"]', "GLOBAL", "global", "applied"),
        ("card.Prior", "0.7", "BOT", "b1", "unknown_parameter"),
        ("card.prior", " ", "BOT", "b1", "invalid_value"),
        ("card.prior", "x" * 501, "BOT", "b1", "invalid_value"),
        ("allowed_symbols", "EURUSD", "BOT", "b1", "applied"),
        ("allowed_symbols", "EURUSD, XAUUSD", "CELL", "c1", "applied"),
        ("allowed_symbols", "USDJPY", "BOT", "b1", "not_narrowing"),  # not on b1's own list
        ("allowed_symbols", "USDJPY", "CELL", "c1", "applied"),  # narrows each bot's list
        ("allowed_symbols", "EURUSD,NOPE", "GLOBAL", "global", "invalid_value"),
        ("allowed_symbols", "EURUSD,EURUSD", "BOT", "b1", "invalid_value"),
        ("allowed_symbols", " , ", "BOT", "b1", "invalid_value"),
        ("breaker.bot.threshold", "1", "BOT", "b1", "applied"),
        ("breaker.bot.threshold", "5", "GLOBAL", "global", "applied"),
        ("breaker.bot.threshold", "6", "BOT", "b1", "outside_constitution"),
        ("breaker.bot.threshold", "0", "BOT", "b1", "outside_constitution"),
        ("breaker.bot.threshold", "2.5", "BOT", "b1", "invalid_value"),
        ("breaker.bot.threshold", "3", "CELL", "c1", "wrong_scope"),
        ("breaker.cell.threshold", "10", "CELL", "c1", "applied"),
        ("breaker.cell.threshold", "11", "CELL", "c1", "outside_constitution"),
        ("breaker.cell.threshold", "3", "BOT", "b1", "wrong_scope"),
        ("breaker.global.threshold", "20", "GLOBAL", "global", "applied"),
        ("breaker.global.threshold", "21", "GLOBAL", "global", "outside_constitution"),
        ("breaker.global.threshold", "3", "CELL", "c1", "wrong_scope"),
        ("min_confidence", "0.40", "GLOBAL", "global", "applied"),
        ("min_confidence", "1.01", "BOT", "b1", "outside_constitution"),
        ("max_risk_per_position_pct", "5", "BOT", "b1", "applied"),
        ("max_risk_per_position_pct", "5.5", "BOT", "b1", "outside_constitution"),
        ("daily_loss_pct", "3", "CELL", "c1", "applied"),
        ("max_loss_pct", "10", "BOT", "b1", "applied"),
        ("rule.r1", '{"action":"skip"}', "BOT", "b1", "invalid_rule"),  # no rule_id in it
    ],
)
def test_the_bounds_of_each_changeable_parameter(
    name: str, value: str, level: str, scope_id: str, code: str
) -> None:
    g = governor()
    g.on_bot({**bot("b1", "c1"), "allowed_symbols": ["EURUSD", "XAUUSD"]}, "b1")
    outs = change(g, name, value, T0, level=level, scope_id=scope_id)
    [audit] = audits(outs)
    assert details(audit)["code"] == code, details(audit)["message"]
    assert len(params(outs)) == (1 if code == "applied" else 0)


def test_messages_name_the_bounds() -> None:
    g = governor()
    g.on_bot({**bot("b1", "c1"), "allowed_symbols": ["EURUSD", "XAUUSD"]}, "b1")
    msg = details(audits(change(g, "breaker.bot.threshold", "6", T0))[0])["message"]
    assert msg == (
        "breaker.bot.threshold must be in [1, 5] (failures in the window; tighter than "
        "DESIGN.md's 5 only), got 6"
    )
    msg = details(audits(change(g, "allowed_symbols", "USDJPY,EURUSD", T0 + 1))[0])["message"]
    assert msg == (
        "allowed_symbols may only narrow the bot's own list (EURUSD, XAUUSD): USDJPY is not on it"
    )
    msg = details(audits(change(g, "rule.r1", "{}", T0 + 2))[0])["message"]
    assert (
        msg == "rule.r1: rule_id must be 1-120 letters, digits, '.', '_' or '-' (no ':'), got None"
    )
