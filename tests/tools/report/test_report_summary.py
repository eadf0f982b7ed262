"""summarize and format_summary on a hand-built run: every number worked out by hand."""

from __future__ import annotations

import pytest

from hive_tools.report import RunData, format_summary, summarize
from hive_tools.report.summary import breaker_trips

from support.report import DAY, HOUR, RULE_SETS, T0, scenario, snapshot

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def summary():
    return summarize(scenario(), RULE_SETS)


def test_signals_by_outcome_follow_each_raw_message(summary):
    assert summary.raw_messages == 8
    assert summary.signals_by_outcome == {
        "parsed": 3,
        "dead-letter: deserialization_error": 1,
        "dead-letter: not_a_signal": 1,
        "dead-letter: wrong_side_stop": 1,
        "no output": 1,
        "update": 1,
    }
    assert (summary.parsed_signals, summary.signal_revisions, summary.updates) == (3, 3, 1)
    assert summary.dead_letters[("signals.parsed.v1.dlq", "no_market_data")] == 1
    assert summary.dead_letters[("signals.raw.v1.dlq", "wrong_side_stop")] == 1


def test_decisions_by_reason(summary):
    assert (summary.decisions, summary.allowed, summary.denied) == (6, 3, 3)
    assert summary.denied_reasons == {
        "allowlist.symbol": 1,
        "card.regime_filtered": 1,
        "confidence.below_minimum": 1,
        "profile.daily_loss_reached": 1,
    }
    assert summary.allowed_reasons == {"profile.daily_loss_headroom": 1}


def test_modification_decisions_are_not_counted_as_signals_decided():
    data = scenario()
    entry = next(d for d in data.decisions if d["bot_id"] == "ftmo-a")
    data.decisions.append(
        {
            **entry,
            "event_id": "u:ftmo-a",
            "kind": "MODIFICATION",
            "allowed": False,
            "reasons": ["modification.above_risk_per_trade"],
        }
    )
    got = summarize(data, RULE_SETS)
    assert (got.decisions, got.allowed, got.denied) == (6, 3, 3)
    assert "modification.above_risk_per_trade" not in got.denied_reasons
    assert {b.bot_id: b.decisions for b in got.bots}["ftmo-a"] == 3
    assert got.records["orders.decisions.v1"] == 7  # the topic's records, all of them


def test_bots_against_their_limits(summary):
    bots = {b.bot_id: b for b in summary.bots}
    assert sorted(bots) == ["ftmo-a", "ghost-c", "strict-b"]  # old-bot did nothing
    a = bots["ftmo-a"]
    assert (a.rule_set, a.trades, a.wins, a.losses, a.shadow_trades) == ("ftmo_2step", 2, 1, 1, 1)
    assert a.net_pnl == 400.0  # the shadow trade's -1,000 never touched the account
    assert (a.final_balance, a.final_equity, a.initial_balance) == (100_400, 100_400, 100_000)
    assert a.max_daily_loss == 4_400 and a.daily_loss_limit == 3_027.0
    assert a.daily_loss_rule == "constitution"
    assert a.max_drawdown == 4_400 and a.drawdown_limit == 10_090.0
    assert a.daily_loss_used == pytest.approx(4_400 / 3_027)
    assert a.breaches == ("daily_loss 2017-06-14",)
    assert (a.decisions, a.allowed) == (3, 2)

    b = bots["strict-b"]
    assert (b.trades, b.wins, b.losses, b.net_pnl) == (1, 0, 1, -400.0)
    assert (b.max_daily_loss, b.daily_loss_limit, b.daily_loss_rule) == (400, 750.0, "profile")
    assert (b.max_drawdown, b.drawdown_limit, b.drawdown_rule) == (400, 2_000.0, "profile.max_loss")
    assert b.breaches == ()

    c = bots["ghost-c"]  # unknown to the registry: the constitution alone
    assert (c.rule_set, c.daily_loss_limit, c.drawdown_limit) == ("constitution", 600.0, 2_000.0)


def test_sources_and_regimes(summary):
    src = {g.key: g for g in summary.sources}
    fx, gold = src["fx-vip"], src["gold-room"]
    assert (fx.signals, fx.taken, fx.trades, fx.wins, fx.losses, fx.pnl) == (2, 1, 2, 1, 1, 500.0)
    assert fx.avg_r == pytest.approx(-0.05) and fx.win_rate == 0.5
    assert (gold.signals, gold.taken, gold.trades, gold.pnl, gold.avg_r) == (1, 1, 1, -500.0, -1.0)
    reg = {g.key: g for g in summary.regimes}
    assert [g.key for g in summary.regimes] == ["CALM", "TREND", "CHAOS"]
    assert (reg["TREND"].signals, reg["TREND"].taken, reg["TREND"].trades) == (1, 1, 2)
    assert reg["TREND"].pnl == 500.0
    assert (reg["CHAOS"].signals, reg["CHAOS"].taken, reg["CHAOS"].trades) == (1, 0, 0)


def test_breakers_tripped_with_cause_and_end(summary):
    trips = [(t.scope, t.fallback_mode, t.cause, t.ts, t.until) for t in summary.breakers]
    assert trips == [
        ("BOT:strict-b", "SHADOW_MODE", "LOSING_TRADE", T0 + 3 * HOUR, T0 + 3 * HOUR + 30_000),
        ("BOT:ftmo-a", "HALTED", "DAILY_LOSS", T0 + 5 * HOUR, T0 + DAY),
    ]


def test_a_reopened_breaker_is_a_second_trip_and_one_still_open_has_no_end():
    from support.report import breaker

    recs = [
        breaker("cell-x", 1, 1000, "OPEN", "REDUCED_CAPACITY", "LOSING_TRADE", "CELL"),
        breaker("cell-x", 2, 2000, "HALF_OPEN", "NONE", "RESET_TIMEOUT", "CELL"),
        breaker("cell-x", 3, 3000, "OPEN", "REDUCED_CAPACITY", "PROBE_FAILED", "CELL"),
    ]
    trips = breaker_trips(recs)
    assert [(t.cause, t.until) for t in trips] == [("LOSING_TRADE", 2000), ("PROBE_FAILED", None)]


def test_a_trip_judged_again_from_an_earlier_time_replaces_the_provisional_one():
    from support.report import breaker

    # Read in this order: a trip at 5000, then a late failure that makes the trip happen at
    # 4000; then a provisional reopen at 9000 judged away by a late probe that closed at 8000.
    recs = [
        breaker("b", 1, 5000, "OPEN", "SHADOW_MODE", "LOSING_TRADE"),
        breaker("b", 2, 4000, "OPEN", "SHADOW_MODE", "LOSING_TRADE"),
        breaker("b", 3, 7000, "HALF_OPEN", "NONE", "RESET_TIMEOUT"),
        breaker("b", 4, 9000, "OPEN", "SHADOW_MODE", "PROBE_FAILED"),
        breaker("b", 5, 8000, "CLOSED", "NONE", "PROBE_OK"),
    ]
    trips = breaker_trips(recs)
    assert [(t.ts, t.cause, t.until) for t in trips] == [(4000, "LOSING_TRADE", 7000)]


def test_period_spans_the_event_times(summary):
    assert summary.period == (T0, T0 + DAY)


def test_max_loss_breach_is_reported_once():
    snaps = [
        snapshot(
            "s",
            i,
            T0 + i * DAY,
            equity=47_000,
            balance=47_000,
            initial=50_000,
            day_start=47_000,
            peak=50_000,
            day=f"2017-06-{14 + i}",
        )
        for i in range(1, 4)
    ]
    data = RunData(snapshots=snaps)
    data.bots["s"] = {"bot_id": "s", "rule_set": "strict"}
    (b,) = summarize(data, RULE_SETS).bots
    assert b.breaches == ("max_loss 2017-06-15",)
    assert b.drawdown_used == pytest.approx(3_000 / 2_000)


def test_an_empty_run_summarizes_and_formats():
    s = summarize(RunData(), RULE_SETS)
    assert s.period is None and s.bots == [] and s.raw_messages == 0
    text = format_summary(s)
    assert "Run: no records" in text and "(no bot activity)" in text


def test_format_summary_is_aligned_tables(summary):
    text = format_summary(summary)
    assert "Run: 2017-06-14 08:00 -> 2017-06-15 08:00 UTC (event time)" in text
    assert "Signals by outcome (8 raw message(s))" in text
    assert "Decisions (6: 3 allowed, 3 denied)" in text
    for code in ("card.regime_filtered", "allowlist.symbol", "dead-letter: wrong_side_stop"):
        assert code in text
    assert "4,400.00 / 3,027.00" in text and "145.4%" in text
    assert "daily_loss 2017-06-14" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.strip().startswith("bot "))
    rows = [line for line in lines if line.strip().startswith(("ftmo-a", "strict-b", "ghost-c"))]
    # Right-aligned numbers end in the same column as their header.
    col_end = header.index("net P&L") + len("net P&L")
    assert all(r[col_end - 1] != " " for r in rows[:3])
    assert "BOT:ftmo-a" in text and "DAILY_LOSS" in text
