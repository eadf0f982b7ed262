"""Hard limits on account state: daily loss from the day's starting balance per rule set, max
loss and drawdown as hard stops, halts that let exits through, FLATTEN on a breach."""

from __future__ import annotations

import pytest

from hive_governor import Governor, permits

from support.governor import (
    T0,
    audits,
    bot,
    breakers,
    command,
    commands,
    details,
    governor,
    losses,
    snapshot,
    state_of,
    trade,
)

pytestmark = pytest.mark.unit


def with_bot(rule_set: str) -> Governor:
    g = governor()
    g.on_bot(bot("b1", "c1", rule_set), "b1")
    return g


def test_ftmo_daily_loss_is_measured_from_the_day_start_balance() -> None:
    # day start 104k: the constitution's 3 % of it (3,120) is tighter than FTMO's 5 % of the
    # 100k initial balance (5,000), so 3,120 binds
    g = with_bot("ftmo_2step")
    assert g.on_snapshot(snapshot(1, T0, 100_881.0, day_start=104_000, peak=104_000)) == []
    outs = g.on_snapshot(snapshot(2, T0 + 1000, 100_880.0, day_start=104_000, peak=104_000))
    [rec] = breakers(outs)
    assert (rec["state"], rec["fallback_mode"], rec["cause"]) == ("OPEN", "HALTED", "DAILY_LOSS")
    assert rec["reset_at"] is None and rec["cause_event_ids"] == ["b1:2"]
    [flatten] = commands(outs)
    assert flatten["command_id"] == flatten["event_id"] == "governor:b1:2:FLATTEN"
    assert (flatten["command"], flatten["scope_level"], flatten["scope_id"]) == (
        "FLATTEN",
        "BOT",
        "b1",
    )
    assert (flatten["actor"], flatten["role"], flatten["origin"]) == (
        "governor",
        "SYSTEM",
        "governor",
    )
    assert flatten["cause_event_id"] == "b1:2" and flatten["ts_event"] == T0 + 1000
    [audit] = audits(outs, "LIMIT_BREACHED")
    d = details(audit)
    assert d["daily_loss_limit"] == pytest.approx(3120) and d["daily_loss_rule"] == "constitution"
    assert (
        d["flatten_command_id"] == "governor:b1:2:FLATTEN"
        and d["breaker_event_id"] == rec["event_id"]
    )


def test_ftmo_profile_binds_when_the_day_started_low() -> None:
    # day start 170k on a 100k account: 3 % = 5,100 > FTMO's 5,000 of the initial balance
    g = with_bot("ftmo_2step")
    assert g.on_snapshot(snapshot(1, T0, 165_001, day_start=170_000, peak=170_000)) == []
    outs = g.on_snapshot(snapshot(2, T0 + 1, 165_000, day_start=170_000, peak=170_000))
    assert details(audits(outs, "LIMIT_BREACHED")[0])["daily_loss_rule"] == "profile"


def test_strict_rule_set_daily_loss_is_1_5_percent_of_the_initial_balance() -> None:
    g = with_bot("strict")
    assert g.on_snapshot(snapshot(1, T0, 98_501)) == []
    outs = g.on_snapshot(snapshot(2, T0 + 1, 98_500))
    assert breakers(outs)[0]["cause"] == "DAILY_LOSS"
    assert details(audits(outs, "LIMIT_BREACHED")[0])["daily_loss_limit"] == pytest.approx(1500)


def test_unknown_bot_is_held_to_the_constitution() -> None:
    g = governor()
    assert g.on_snapshot(snapshot(1, T0, 97_001)) == []
    outs = g.on_snapshot(snapshot(2, T0 + 1, 97_000))
    assert details(audits(outs, "LIMIT_BREACHED")[0])["rule_set"] == "constitution"


def test_daily_halt_holds_for_the_day_and_lifts_at_the_next_day_boundary() -> None:
    g = with_bot("strict")
    g.on_snapshot(snapshot(1, T0, 98_000))
    # the same day: more snapshots, still breached: nothing new (one FLATTEN per breach)
    assert g.on_snapshot(snapshot(2, T0 + 1000, 97_900)) == []
    assert g.on_snapshot(snapshot(3, T0 + 2000, 98_400, open_positions=0)) == []
    assert state_of(g, "BOT:b1")["fallback_mode"] == "HALTED"  # type: ignore[index]
    # the next trading day starts from the balance then: the halt is lifted
    outs = g.on_snapshot(
        snapshot(
            4, T0 + 86_400_000, 98_400, day_start=98_400, day="2017-06-15", reason="DAY_BOUNDARY"
        )
    )
    [rec] = breakers(outs)
    assert (rec["state"], rec["fallback_mode"], rec["cause"]) == ("CLOSED", "NONE", "DAY_BOUNDARY")
    [lifted] = audits(outs, "HALT_LIFTED")
    assert details(lifted)["halted_day"] == "2017-06-14"


def test_a_new_day_that_still_breaches_halts_again() -> None:
    g = with_bot("constitution")
    g.on_snapshot(snapshot(1, T0, 96_900))
    # positions carried over midnight: the new day's balance-based limit is already broken
    outs = g.on_snapshot(
        snapshot(
            2,
            T0 + 86_400_000,
            95_000,
            balance=99_000,
            day_start=99_000,
            day="2017-06-15",
            reason="DAY_BOUNDARY",
        )
    )
    assert [a["action"] for a in audits(outs)] == ["HALT_LIFTED", "LIMIT_BREACHED"]
    assert [c["command_id"] for c in commands(outs)] == ["governor:b1:2:FLATTEN"]
    assert state_of(g, "BOT:b1")["cause"] == "DAILY_LOSS"  # type: ignore[index]


@pytest.mark.parametrize(
    ("rule_set", "peak", "equity", "cause"),
    [
        ("strict", 100_000, 96_000, "MAX_LOSS"),  # 4 % of the initial balance
        ("ftmo_2step", 100_000, 90_000, "MAX_DRAWDOWN"),  # equal floors: the constitution's kept
        ("constitution", 120_000, 108_000, "MAX_DRAWDOWN"),  # 10 % below the peak
    ],
)
def test_max_loss_and_drawdown_are_a_hard_stop(
    rule_set: str, peak: float, equity: float, cause: str
) -> None:
    g = with_bot(rule_set)
    # a day start low enough that the daily limit is not what is reached
    outs = g.on_snapshot(snapshot(1, T0, equity, day_start=equity + 1, peak=peak))
    [rec] = breakers(outs)
    assert (rec["state"], rec["fallback_mode"], rec["cause"], rec["reset_at"]) == (
        "OPEN",
        "HALTED",
        cause,
        None,
    )
    assert commands(outs)[0]["command"] == "FLATTEN"
    # not lifted by a new trading day
    assert (
        g.on_snapshot(
            snapshot(
                2,
                T0 + 86_400_000,
                equity,
                day_start=equity,
                day="2017-06-15",
                reason="DAY_BOUNDARY",
            )
        )
        == []
    )
    assert state_of(g, "BOT:b1")["cause"] == cause  # type: ignore[index]


def test_resume_of_a_hard_stop_needs_an_admin_and_a_reason() -> None:
    g = with_bot("strict")
    g.on_snapshot(snapshot(1, T0, 95_000, day_start=95_001))
    outs = g.on_command(command("RESUME", T0 + 1000, role="OPERATOR"))
    assert breakers(outs) == []
    [refused] = audits(outs, "COMMAND_REFUSED")
    assert details(refused)["code"] == "admin_required" and refused["actor"] == "alice"
    outs = g.on_command(command("RESUME", T0 + 2000, role="ADMIN", reason=""))
    assert details(audits(outs, "COMMAND_REFUSED")[0])["code"] == "reason_required"
    outs = g.on_command(
        command("RESUME", T0 + 3000, role="ADMIN", actor="root", reason="account reset by the firm")
    )
    [rec] = breakers(outs)
    assert (rec["state"], rec["cause"], rec["command_id"]) == (
        "CLOSED",
        "COMMAND",
        f"cmd-resume-bot-b1-{T0 + 3000}",
    )
    [applied] = audits(outs, "COMMAND_APPLIED")
    d = details(applied)
    assert (applied["actor"], applied["role"]) == ("root", "ADMIN")
    assert d["reason"] == "account reset by the firm" and d["lifted"] == ["MAX_LOSS"]


def test_a_resumed_account_still_below_the_floor_halts_again() -> None:
    g = with_bot("strict")
    g.on_snapshot(snapshot(1, T0, 95_000, day_start=95_001))
    g.on_command(command("RESUME", T0 + 1, role="ADMIN"))
    outs = g.on_snapshot(snapshot(2, T0 + 2, 95_000, day_start=95_001))
    assert breakers(outs)[0]["cause"] == "MAX_LOSS"
    assert commands(outs)[0]["command_id"] == "governor:b1:2:FLATTEN"


def test_a_halted_bot_is_never_unhalted_by_a_half_open_probe() -> None:
    g = with_bot("strict")
    losses(g, 5, T0)  # the bot breaker opens: SHADOW_MODE
    outs = g.on_snapshot(snapshot(1, T0 + 5000, 95_000, day_start=95_001))
    assert breakers(outs)[0]["fallback_mode"] == "HALTED"
    # the breaker's timer runs out and a winning trade closes it: audited, nothing published
    outs = g.on_trade(trade("win", T0 + 60_000, pnl=500))
    assert breakers(outs) == []
    assert [a["action"] for a in audits(outs)] == ["BREAKER_HALF_OPEN", "BREAKER_CLOSED"]
    assert all(details(a)["breaker_event_id"] is None for a in audits(outs))
    assert state_of(g, "BOT:b1")["fallback_mode"] == "HALTED"  # type: ignore[index]
    # only the admin's RESUME lifts it
    outs = g.on_command(command("RESUME", T0 + 70_000, role="ADMIN"))
    assert breakers(outs)[0]["state"] == "CLOSED"


def test_a_breaker_open_under_a_halt_shows_when_the_halt_is_lifted() -> None:
    g = with_bot("strict")
    g.on_snapshot(snapshot(1, T0, 95_000, day_start=95_001))
    losses(g, 5, T0 + 1000)
    outs = g.on_command(command("RESUME", T0 + 10_000, role="ADMIN"))
    [rec] = breakers(outs)
    assert (rec["state"], rec["fallback_mode"], rec["cause"]) == (
        "OPEN",
        "SHADOW_MODE",
        "LOSING_TRADE",
    )
    assert rec["reset_at"] == T0 + 5000 + 30_000 and rec["command_id"] is not None


def test_a_halt_always_lets_exits_through() -> None:
    for mode in ("NONE", "REDUCED_CAPACITY", "SHADOW_MODE", "SAFE_MODE", "HALTED", "UNKNOWN"):
        assert permits(mode, reduces_exposure=True)
    assert not permits("HALTED", reduces_exposure=False)
    assert not permits("SAFE_MODE", reduces_exposure=False)
    assert not permits("UNKNOWN", reduces_exposure=False)
    assert permits("SHADOW_MODE", reduces_exposure=False)


def test_older_snapshots_and_redeliveries_change_nothing() -> None:
    g = with_bot("strict")
    assert g.on_snapshot(snapshot(5, T0, 99_000)) == []
    assert g.on_snapshot(snapshot(4, T0 + 1, 90_000)) == []  # an older sequence
    outs = g.on_snapshot(snapshot(6, T0 + 2, 98_000))
    assert len(commands(outs)) == 1
    assert g.on_snapshot(snapshot(6, T0 + 2, 98_000)) == []
