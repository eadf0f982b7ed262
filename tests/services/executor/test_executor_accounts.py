"""Account state per bot: snapshots, commission, swap, margin, the trading day across DST in
Europe/Prague, and the hard-limit guard."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hive.topics import CONTROL_PARAMETERS
from hive_executor import ExecutorInputError
from hive_executor.service import TABLES

from support.executor import T0, H, Harness, bar, flat

pytestmark = pytest.mark.unit


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_the_first_registry_record_opens_the_account() -> None:
    h = Harness()
    out = h.bot(size=50_000.0, ts=T0 - H)
    (snap,) = [o.value for o in out]
    assert (snap["reason"], snap["sequence"], snap["event_id"], snap["ts_event"]) == (
        "INITIAL",
        1,
        "b1:1",
        T0 - H,
    )
    assert snap["balance"] == snap["equity"] == snap["initial_balance"] == 50_000.0
    assert snap["trading_day"] == "2017-06-12"  # 01:00 in Prague
    assert snap["cause_event_id"] == "b1:1"
    # a later definition never resets the account
    assert h.bot(size=10.0, version=2) == []


def test_snapshots_on_fills_closes_and_marks_with_gapless_sequences() -> None:
    h = Harness()
    h.bot()
    h.intent(sl=1.0980, tps=[1.1050], ts=T0)
    h.bars(bar(0, 1.1000, 1.1012, 1.0995, 1.1010))
    change = h.last_snapshot()
    assert change["reason"] == "CHANGE"
    assert change["cause_event_id"] == "o-1:2"  # the FILLED execution
    assert (change["unrealized_pnl"], change["equity"], change["open_positions"]) == (
        100.0,
        100_100.0,
        1,
    )
    assert change["margin_used"] == pytest.approx(1101.0)  # 1 lot x 100,000 x 1.1010 / 100
    assert change["open_risk"] == pytest.approx(200.0)
    h.bars(bar(1, 1.1010, 1.1012, 1.0985, 1.0990))
    mark = h.last_snapshot()
    assert mark["reason"] == "MARK_TO_MARKET"
    assert (mark["equity"], mark["peak_equity"], mark["drawdown"], mark["daily_loss"]) == (
        99_900.0,
        100_100.0,
        200.0,
        100.0,
    )
    assert mark["total_loss"] == 100.0
    assert [s["sequence"] for s in h.snapshots()] == list(range(1, len(h.snapshots()) + 1))


def test_commission_per_lot_per_side() -> None:
    h = Harness(commission_per_lot=3.5)
    h.bot()
    h.intent(qty=2.0, sl=1.0980, tps=[1.1010], ts=T0)
    h.bars(bar(0, 1.1000, 1.1004, 1.0996, 1.1000))
    filled = h.executions()[-1]
    assert filled["commission"] == 7.0
    assert h.last_snapshot()["balance"] == 99_993.0
    h.bars(bar(1, 1.1000, 1.1012, 1.0996, 1.1010))
    closed = h.executions()[-1]
    assert (closed["commission"], closed["realized_pnl"]) == (7.0, 193.0)
    trade = h.trade()
    assert (trade["gross_pnl"], trade["commission"], trade["pnl"]) == (200.0, 14.0, 186.0)
    assert h.last_snapshot()["balance"] == 100_186.0
    assert h.last_snapshot()["realized_pnl_today"] == 186.0


def test_swap_is_charged_at_the_new_york_rollover_three_nights_on_wednesday() -> None:
    h = Harness(swap_long_per_lot=-5.0)
    h.bot()
    tuesday_noon = T0 + 36 * H
    h.intent(sl=1.0900, ts=tuesday_noon)
    h.bars(*(flat(i, 1.1000) for i in range(36, 85)))  # to Thursday 13:00 UTC
    swaps = [s for s in h.snapshots() if s["reason"] == "CHANGE"][1:]
    # 17:00 New York = 21:00 UTC in June: Tuesday one night, Wednesday three
    assert [(s["ts_event"], s["balance"]) for s in swaps] == [
        (T0 + 45 * H, 99_995.0),
        (T0 + 69 * H, 99_980.0),
    ]
    h.command("FLATTEN", scope_level="BOT", scope_id="b1")
    trade = h.trade()
    assert (trade["swap"], trade["pnl"]) == (-20.0, -20.0)
    assert h.last_snapshot()["balance"] == 99_980.0


def test_insufficient_margin_rejects_the_fill() -> None:
    h = Harness()
    h.bot(size=1_000.0)
    h.intent(qty=1.0, sl=1.0980, ts=T0)  # needs 1,100 of margin
    h.bars(flat(0, 1.1000))
    assert [(e["status"], e["reason"]) for e in h.executions()] == [
        ("ACCEPTED", "INTENT_ACCEPTED"),
        ("REJECTED", "insufficient_margin"),
    ]


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # spring forward (26 March 2017): midnight in Prague is 23:00 UTC, then 22:00 UTC
        (
            "2017-03-24T20:00",
            54,
            [
                ("2017-03-25", "2017-03-24T23:00"),
                ("2017-03-26", "2017-03-25T23:00"),
                ("2017-03-27", "2017-03-26T22:00"),
            ],
        ),
        # fall back (29 October 2017): 22:00 UTC, then 23:00 UTC
        (
            "2017-10-27T20:00",
            54,
            [
                ("2017-10-28", "2017-10-27T22:00"),
                ("2017-10-29", "2017-10-28T22:00"),
                ("2017-10-30", "2017-10-29T23:00"),
            ],
        ),
    ],
)
def test_day_boundary_at_midnight_in_prague_across_dst(
    start: str, hours: int, expected: list[tuple[str, str]]
) -> None:
    t0 = ms(start)
    h = Harness()
    h.bot(ts=t0)
    h.intent(sl=1.0800, ts=t0)
    h.bars(*(flat(i, 1.1000, t0=t0) for i in range(hours)))
    days = [s for s in h.snapshots() if s["reason"] == "DAY_BOUNDARY"]
    assert [(s["trading_day"], s["ts_event"]) for s in days] == [
        (day, ms(at)) for day, at in expected
    ]
    assert all(s["day_boundary_tz"] == "Europe/Prague" for s in days)


def test_day_start_balance_and_equity_reset_at_the_boundary() -> None:
    t0 = ms("2017-06-13T20:00")  # 22:00 in Prague
    h = Harness(commission_per_lot=5.0)
    h.bot(ts=t0)
    h.intent(sl=1.0900, ts=t0)
    h.bars(bar(0, 1.1000, 1.1000, 1.1000, 1.1000, t0=t0))
    h.bars(bar(1, 1.1000, 1.1020, 1.1000, 1.1020, t0=t0))
    h.bars(bar(2, 1.1020, 1.1020, 1.1010, 1.1010, t0=t0))  # opens at midnight in Prague
    day = next(s for s in h.snapshots() if s["reason"] == "DAY_BOUNDARY")
    assert (day["trading_day"], day["ts_event"]) == ("2017-06-14", t0 + 2 * H)
    assert (day["day_start_balance"], day["day_start_equity"], day["realized_pnl_today"]) == (
        99_995.0,
        100_195.0,
        0.0,
    )
    mark = h.last_snapshot()  # the boundary's bar still gets its mark, after the boundary
    assert (mark["reason"], mark["equity"], mark["daily_loss"]) == (
        "MARK_TO_MARKET",
        100_095.0,
        0.0,
    )
    assert mark["sequence"] == day["sequence"] + 1


def test_a_weekend_without_bars_gives_one_boundary() -> None:
    friday = ms("2017-06-16T20:00")
    h = Harness()
    h.bot(ts=friday)
    h.bars(flat(0, 1.1, t0=friday), flat(1, 1.1, t0=friday))
    # the market is closed from Friday 22:00 to Sunday 22:00 UTC (Monday 00:00 in Prague)
    h.bars(flat(0, 1.1, t0=ms("2017-06-18T22:00")))
    days = [s for s in h.snapshots() if s["reason"] == "DAY_BOUNDARY"]
    assert [(d["trading_day"], d["ts_event"]) for d in days] == [
        ("2017-06-19", ms("2017-06-18T22:00"))
    ]


def test_day_boundary_follows_the_bots_time_zone() -> None:
    h = Harness()
    h.bot(tz="America/New_York", ts=T0)
    h.bars(*(flat(i, 1.1) for i in range(6)))
    (day,) = [s for s in h.snapshots() if s["reason"] == "DAY_BOUNDARY"]
    assert (day["trading_day"], day["ts_event"]) == ("2017-06-12", T0 + 4 * H)


# ---------------------------------------------------------------- the hard-limit guard


def test_daily_loss_guard_closes_at_the_bar_close_and_refuses_until_the_next_day() -> None:
    h = Harness()
    h.bot()  # ftmo_2step: the constitution's 3 % of the day's start binds (3,000)
    h.intent(qty=10.0, sl=1.0900, ts=T0)
    h.bars(flat(0, 1.1000))
    # the low would be -3,500 at 10 lots; the close is -1,000
    h.bars(bar(1, 1.1000, 1.1000, 1.0965, 1.0990))
    closed = h.executions()[-1]
    assert (closed["status"], closed["reason"], closed["price"]) == (
        "CLOSED",
        "risk_limit.daily_loss",
        1.0990,
    )
    assert h.trade()["exit_reason"] == "RISK_LIMIT"
    refused = h.intent("o-2", signal_id="sig-2", sl=1.0900, ts=T0 + 2 * H)
    assert refused[0].value["reason"] == "risk_limit.daily_loss"
    h.bars(*(flat(i, 1.0990) for i in range(2, 23)))  # 22:00 UTC: midnight in Prague
    assert h.intent("o-3", signal_id="sig-3", sl=1.0900, ts=T0 + 23 * H)[0].value["status"] == (
        "ACCEPTED"
    )


def test_a_daily_loss_change_in_force_tightens_the_guard_from_the_next_bar() -> None:
    h = Harness()
    h.bot()
    h.intent(qty=10.0, sl=1.0900, ts=T0)
    h.bars(flat(0, 1.1000))
    assert CONTROL_PARAMETERS in TABLES
    change = {
        "event_id": "chg-1",
        "ts_event": T0,
        "ts_init": T0,
        "scope_level": "BOT",
        "scope_id": "b1",
        "name": "daily_loss_pct",
        "kind": "PARAMETER",
        "value": "0.5",
        "previous_value": None,
        "change_id": "chg-1",
        "actor": "alice",
        "reason": "test",
    }
    assert h.engine.on_parameter(change, "BOT:b1:daily_loss_pct") == []
    # the low is -1,500 at 10 lots: under the constitution's 3,000, over 0.5 % (500)
    h.bars(bar(1, 1.1000, 1.1000, 1.0985, 1.0995))
    closed = h.executions()[-1]
    assert (closed["status"], closed["reason"]) == ("CLOSED", "risk_limit.daily_loss")
    with pytest.raises(ExecutorInputError):
        h.engine.on_parameter({"name": "daily_loss_pct"}, "BOT:b1:daily_loss_pct")


def test_max_loss_guard_refuses_until_a_resume_for_the_bot() -> None:
    h = Harness()
    h.bot()
    h.intent(qty=10.0, sl=1.0800, ts=T0)
    h.intent(
        "o-s",
        signal_id="sig-s",
        qty=10.0,
        sl=1.0800,
        ts=T0,
        shadow=True,
        shadow_reason="COUNTERFACTUAL",
    )
    h.bars(flat(0, 1.1000))
    h.bars(bar(1, 1.1000, 1.1000, 1.0885, 1.0950))  # worst -11,500: below the 90,000 floor
    assert h.trade()["exit_reason"] == "RISK_LIMIT"
    assert h.statuses("o-s") == ["ACCEPTED", "FILLED"]  # shadow positions are not the account's
    h.bars(*(flat(i, 1.0950) for i in range(2, 30)))  # a new day does not lift it
    assert h.intent("o-2", signal_id="s2", sl=1.09, ts=T0 + 30 * H)[0].value["reason"] == (
        "risk_limit.max_loss"
    )
    h.command("RESUME", scope_level="CELL", scope_id="c1", command_id="r0")
    assert h.intent("o-3", signal_id="s3", sl=1.09, ts=T0 + 30 * H)[0].value["reason"] == (
        "risk_limit.max_loss"
    )
    h.command("RESUME", scope_level="BOT", scope_id="b1", command_id="r1")  # an operator may not
    assert h.intent("o-4", signal_id="s4", sl=1.09, ts=T0 + 30 * H)[0].value["reason"] == (
        "risk_limit.max_loss"
    )
    h.command("RESUME", scope_level="BOT", scope_id="b1", command_id="r2", role="ADMIN")
    assert h.intent("o-5", signal_id="s5", sl=1.09, ts=T0 + 30 * H)[0].value["status"] == (
        "ACCEPTED"
    )


def test_the_guard_bound_loss_beyond_the_limit_is_at_most_the_bar_move() -> None:
    h = Harness()
    h.bot()
    h.intent(qty=10.0, sl=1.0500, ts=T0)
    h.bars(flat(0, 1.1000))
    h.bars(
        *(
            bar(
                i,
                1.1000 - 0.0010 * (i - 1),
                1.1000 - 0.0010 * (i - 1),
                1.0990 - 0.0010 * (i - 1),
                1.0990 - 0.0010 * (i - 1),
            )
            for i in range(1, 10)
        )
    )
    day_start = 100_000.0
    final = h.last_snapshot()
    # the limit is 3,000; the last bar moved 10 pips x 10 lots = 100
    assert day_start - final["equity"] <= 3_000.0 + 100.0
    assert h.trade()["exit_reason"] == "RISK_LIMIT"
