"""The breakers do not depend on the order outcomes are read in (issue 17, identical replays).

Outcomes reach the governor from three topics of three partitions each, so the outcomes of a
cell's bots (and of every bot, for the global scope) arrive in any interleaving. What the risk
gate reads after a step of a lockstep replay must be the same whatever that interleaving was:
the breakers judge their outcomes in event-time order (ts, failures first, event_id), a late one
makes them judge again, and the result is published as BREAKER_REJUDGED.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive_governor import Governor, Output
from hive_governor.breakers import (
    DAY_MS,
    REORDER_HORIZON_MS,
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
    snapshot,
    state_of,
    trade,
)

pytestmark = pytest.mark.unit

# Only the cell's breaker trips in the concrete cases: two failures in a minute, a minute open.
CELL_ONLY = BreakerConfig(
    bot=LevelConfig(100, 30_000, DAY_MS, "SHADOW_MODE"),
    cell=LevelConfig(2, 60_000, DAY_MS, "REDUCED_CAPACITY"),
    global_=LevelConfig(100, 300_000, DAY_MS, "SAFE_MODE"),
)


def feed(g: Governor, records: list[tuple[str, dict[str, Any]]]) -> list[Output]:
    outs: list[Output] = []
    for topic, record in records:
        if topic == "trades":
            outs += g.on_trade(record)
        elif topic == "executions":
            outs += g.on_execution(record)
        else:
            outs += g.on_decision(record)
    return outs


def half_open_cell() -> Governor:
    """Cell c1 half-open since T0 + 61 s (opened by a's and b's losses at T0 and T0 + 1 s)."""
    g = governor(CELL_ONLY)
    feed(g, [("trades", trade("a-0", T0, bot="a")), ("trades", trade("b-0", T0 + 1000, bot="b"))])
    g.advance(T0 + 61_000)
    assert state_of(g, "CELL:c1")["state"] == "HALF_OPEN"  # type: ignore[index]
    return g


def cell(g: Governor) -> tuple[Any, ...]:
    b = g.scopes["CELL:c1"].breaker
    return (b.state, b.cause, b.opened_at, b.reset_at, [f.event_id for f in b.window])


def shown(record: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if record is None:
        return None
    return tuple(
        record[k] for k in ("state", "fallback_mode", "cause", "opened_at", "reset_at", "ts_event")
    )


# ------------------------------------------------------------------------ the half-open cell
@pytest.mark.parametrize("loss_first", [True, False])
def test_a_loss_and_a_win_at_the_same_ts_judge_the_loss_first(loss_first: bool) -> None:
    g = half_open_cell()
    loss = ("trades", trade("a-1", T0 + 70_000, bot="a"))
    win = ("trades", trade("b-1", T0 + 70_000, bot="b", pnl=80.0))
    feed(g, [loss, win] if loss_first else [win, loss])
    assert cell(g) == ("OPEN", "PROBE_FAILED", T0 + 70_000, T0 + 130_000, ["a-0", "b-0", "a-1"])
    assert shown(state_of(g, "CELL:c1")) == (
        "OPEN",
        "REDUCED_CAPACITY",
        "PROBE_FAILED",
        T0 + 70_000,
        T0 + 130_000,
        T0 + 70_000,
    )


@pytest.mark.parametrize("loss_first", [True, False])
def test_a_loss_before_a_win_reopens_whatever_was_read_first(loss_first: bool) -> None:
    g = half_open_cell()
    loss = ("trades", trade("a-1", T0 + 70_000, bot="a"))
    win = ("executions", execution("b-fill", T0 + 80_000, "FILLED", bot="b"))
    outs = feed(g, [loss, win] if loss_first else [win, loss])
    assert cell(g) == ("OPEN", "PROBE_FAILED", T0 + 70_000, T0 + 130_000, ["a-0", "b-0", "a-1"])
    record = state_of(g, "CELL:c1")
    assert shown(record) == (
        "OPEN",
        "REDUCED_CAPACITY",
        "PROBE_FAILED",
        T0 + 70_000,
        T0 + 130_000,
        T0 + 70_000,
    )
    assert record is not None and record["cause_event_ids"] == ["a-1"]
    if loss_first:
        assert [a["action"] for a in audits(outs)] == ["BREAKER_REOPENED"]
        return
    # the win was read first and closed the cell; the loss, read late, is judged in its place
    assert [a["action"] for a in audits(outs)] == ["BREAKER_CLOSED", "BREAKER_REJUDGED"]
    closed, reopened = breakers(outs)
    assert (closed["state"], closed["cause"]) == ("CLOSED", "PROBE_OK")
    # ts_init: the event time of the input that made the record, the late loss
    assert (reopened["event_id"], reopened["previous_state"], reopened["ts_init"]) == (
        "CELL:c1:4",
        "CLOSED",
        T0 + 70_000,
    )
    audit = audits(outs, "BREAKER_REJUDGED")[0]
    d = details(audit)
    assert audit["cause_event_id"] == "a-1"
    assert (d["late_event_id"], d["previous_state"], d["state"], d["cause"]) == (
        "a-1",
        "CLOSED",
        "OPEN",
        "PROBE_FAILED",
    )
    assert (d["reset_at"], d["breaker_event_id"]) == (T0 + 130_000, "CELL:c1:4")


@pytest.mark.parametrize("win_first", [True, False])
def test_a_win_before_a_loss_closes_whatever_was_read_first(win_first: bool) -> None:
    g = half_open_cell()
    win = ("trades", trade("b-1", T0 + 70_000, bot="b", pnl=80.0))
    loss = ("decisions", decision("a-stale", T0 + 80_000, ["signal.stale"], bot="a"))
    outs = feed(g, [win, loss] if win_first else [loss, win])
    # closed by the win at 70 s; the stale-data denial at 80 s is the first failure of a new window
    assert cell(g) == ("CLOSED", "PROBE_OK", None, None, ["a-stale"])
    record = state_of(g, "CELL:c1")
    assert record is not None
    assert (record["state"], record["fallback_mode"], record["cause"]) == (
        "CLOSED",
        "NONE",
        "PROBE_OK",
    )
    # failure_count is the count when the record was made: before the denial, or by it
    assert (record["ts_event"], record["cause_event_ids"], record["failure_count"]) == (
        T0 + 70_000,
        ["b-1"],
        0 if win_first else 1,
    )
    expected = ["BREAKER_CLOSED"] if win_first else ["BREAKER_REOPENED", "BREAKER_REJUDGED"]
    assert [a["action"] for a in audits(outs)] == expected


def test_an_outcome_before_reset_at_read_after_it_is_no_probe() -> None:
    """The bug behind one replay in five: another cell's outcome at 70 s moved the clock past
    c1's reset_at (61 s); b's win at 50 s, read next, closed c1 as if it were the probe. It
    happened while c1 was open: it changes nothing, and a's loss at 65 s is the probe."""
    g = half_open_cell_later()
    outs = feed(
        g,
        [
            ("executions", execution("d-fill", T0 + 70_000, "FILLED", bot="d", cell="c2")),
            ("trades", trade("b-1", T0 + 50_000, bot="b", pnl=80.0)),
            ("trades", trade("a-1", T0 + 65_000, bot="a")),
        ],
    )
    assert cell(g) == ("OPEN", "PROBE_FAILED", T0 + 65_000, T0 + 125_000, ["a-0", "b-0", "a-1"])
    assert [a["action"] for a in audits(outs)] == ["BREAKER_HALF_OPEN", "BREAKER_REOPENED"]
    assert [(r["state"], r["ts_event"]) for r in breakers(outs)] == [
        ("HALF_OPEN", T0 + 61_000),
        ("OPEN", T0 + 65_000),
    ]


def half_open_cell_later() -> Governor:
    """Cell c1 open from T0 + 1 s to T0 + 61 s, the clock still at T0 + 1 s."""
    g = governor(CELL_ONLY)
    feed(g, [("trades", trade("a-0", T0, bot="a")), ("trades", trade("b-0", T0 + 1000, bot="b"))])
    assert cell(g)[:4] == ("OPEN", "LOSING_TRADE", T0 + 1000, T0 + 61_000)
    return g


# ------------------------------------------------------------------------ schedule, commands
def test_a_rejudged_open_breaker_half_opens_at_its_new_reset_at() -> None:
    g = governor(CELL_ONLY)
    feed(
        g,
        [
            ("trades", trade("a-1", T0 + 10_000, bot="a")),
            ("trades", trade("a-2", T0 + 20_000, bot="a")),
        ],
    )
    assert cell(g)[:4] == ("OPEN", "LOSING_TRADE", T0 + 20_000, T0 + 80_000)
    outs = feed(g, [("trades", trade("b-1", T0 + 5_000, bot="b"))])
    # in event time the cell opened at a's first loss (its second failure)
    assert cell(g)[:4] == ("OPEN", "LOSING_TRADE", T0 + 10_000, T0 + 70_000)
    [record] = breakers(outs)
    assert (record["state"], record["opened_at"], record["reset_at"]) == (
        "OPEN",
        T0 + 10_000,
        T0 + 70_000,
    )
    assert record["cause_event_ids"] == ["b-1", "a-1"] and record["ts_event"] == T0 + 10_000
    assert [a["action"] for a in audits(outs)] == ["BREAKER_REJUDGED"]
    assert g.advance(T0 + 69_999) == []
    [half] = breakers(g.advance(T0 + 70_000))
    assert (half["state"], half["ts_event"]) == ("HALF_OPEN", T0 + 70_000)
    assert breakers(g.advance(T0 + 80_000)) == []  # the old reset_at is no second half-open


def test_a_late_outcome_older_than_the_horizon_counts_for_nothing() -> None:
    # a window longer than the horizon, so that only the horizon keeps "old" out
    b = CircuitBreaker(LevelConfig(2, 30_000, 8 * DAY_MS, "SHADOW_MODE"))
    newest = T0 + REORDER_HORIZON_MS
    assert b.failure(Failure("new", newest, "LOSING_TRADE"), newest) is None
    assert b.failure(Failure("old", T0, "LOSING_TRADE"), newest) is None
    assert (b.state, [f.event_id for f in b.window]) == ("CLOSED", ["new"])
    t = b.failure(Failure("recent", T0 + 1, "LOSING_TRADE"), newest)
    assert t is not None
    assert (t.previous, t.state, t.cause, t.opened_at, t.late_event_id) == (
        "CLOSED",
        "OPEN",
        "LOSING_TRADE",
        newest,
        "recent",
    )
    assert t.cause_event_ids == ("recent", "new") and t.reset_at == newest + 30_000


def test_a_reset_starts_afresh_and_earlier_outcomes_read_later_are_not_judged_again() -> None:
    g = governor(CELL_ONLY)
    feed(
        g,
        [
            ("trades", trade("a-1", T0 + 10_000, bot="a")),
            ("trades", trade("a-2", T0 + 20_000, bot="a")),
        ],
    )
    g.on_command(command("RESET_BREAKER", T0 + 30_000, level="CELL", scope_id="c1"))
    outs = feed(g, [("trades", trade("b-1", T0 + 5_000, bot="b"))])
    assert breakers(outs) == [] and audits(outs) == []
    assert cell(g) == ("CLOSED", "COMMAND", None, None, ["b-1"])


def test_a_restored_breaker_starts_afresh() -> None:
    first = governor(CELL_ONLY)
    feed(
        first,
        [
            ("trades", trade("a-1", T0 + 10_000, bot="a")),
            ("trades", trade("a-2", T0 + 20_000, bot="a")),
        ],
    )
    again = governor(CELL_ONLY)
    for record in first.breaker_states():
        again.restore_breaker(record)
    outs = feed(again, [("trades", trade("b-1", T0 + 5_000, bot="b"))])
    assert breakers(outs) == []
    assert cell(again)[:4] == ("OPEN", "LOSING_TRADE", T0 + 20_000, T0 + 80_000)


# ------------------------------------------------------------------------ any reading order
SMALL = BreakerConfig(
    bot=LevelConfig(2, 30_000, 120_000, "SHADOW_MODE"),
    cell=LevelConfig(3, 60_000, 120_000, "REDUCED_CAPACITY"),
    global_=LevelConfig(4, 90_000, 120_000, "SAFE_MODE"),
)
BOTS = (("a", "c1"), ("b", "c1"), ("c", "c1"), ("d", "c2"))
KINDS = ("loss", "win", "rejected", "failed", "filled", "stale")


def record_of(i: int, bot_id: str, cell_id: str, ts: int, kind: str) -> tuple[str, dict[str, Any]]:
    eid = f"{bot_id}-{kind}-{i}"
    if kind in ("loss", "win"):
        return "trades", trade(
            eid, ts, bot=bot_id, cell=cell_id, pnl=-10.0 if kind == "loss" else 10.0
        )
    if kind == "stale":
        return "decisions", decision(eid, ts, ["signal.stale"], bot=bot_id, cell=cell_id)
    status = {"rejected": "REJECTED", "failed": "FAILED", "filled": "FILLED"}[kind]
    return "executions", execution(eid, ts, status, bot=bot_id, cell=cell_id)


def judged_state(g: Governor) -> dict[str, Any]:
    """Every breaker's state, and what its last record shows: all but the counters,
    previous_state and ts_init, which say in what order the records were made, and
    cause_event_ids (of failures at the same ts, the one read last is named as the trip when a
    re-judgement shows nothing new to publish). A closed breaker
    is closed whether it published CLOSED or never published (it may have opened and closed in
    one order, and never opened in another, within a step)."""
    states: dict[str, Any] = {}
    for key, scope in sorted(g.scopes.items()):
        b = scope.breaker
        if b.state == "CLOSED":
            states[key] = ("CLOSED", tuple(b.window))
        else:
            states[key] = (b.state, b.cause, b.opened_at, b.reset_at, tuple(b.window))
    for record in g.breaker_states():
        if record["state"] != "CLOSED":
            key = f"{record['scope_level']}:{record['scope_id']}"
            states[key] += (shown(record),)
    return states


def run_steps(steps: list[list[tuple[str, dict[str, Any]]]], ends: list[int]) -> list[Any]:
    """Feed each step's records, then advance to its end (the next message's time)."""
    g = governor(SMALL)
    after = []
    for records, end in zip(steps, ends, strict=True):
        feed(g, records)
        g.advance(end)
        after.append(judged_state(g))
    return after


step = st.lists(
    st.tuples(st.sampled_from(BOTS), st.integers(0, 40), st.sampled_from(KINDS)),
    min_size=1,
    max_size=14,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=4), seed=st.integers(0, 2**32 - 1))
def test_every_step_ends_in_the_same_state_whatever_the_reading_order(
    steps: list[list[tuple[tuple[str, str], int, str]]], seed: int
) -> None:
    # ts on a 5 s grid (ties are frequent); each step spans 200 s, its end is the next message
    records, ends, i = [], [], 0
    for n, events in enumerate(steps):
        start = T0 + n * 200_000
        batch = []
        for (bot_id, cell_id), tick, kind in events:
            batch.append(record_of(i, bot_id, cell_id, start + tick * 5_000, kind))
            i += 1
        records.append(batch)
        ends.append(start + 200_000)
    in_time_order = [sorted(b, key=lambda r: (r[1]["ts_event"], r[1]["event_id"])) for b in records]
    expected = run_steps(in_time_order, ends)
    rng = random.Random(seed)
    for _ in range(3):
        shuffled = [rng.sample(b, len(b)) for b in records]
        assert run_steps(shuffled, ends) == expected


def test_every_order_of_a_cell_and_global_streak_ends_alike() -> None:
    """All 720 orders of six outcomes of three bots around a half-open cell and global scope."""
    lead = [record_of(i, b, "c1", T0 + i * 1000, "loss") for i, b in enumerate("abcd")]
    base_end = T0 + 100_000
    six = [
        record_of(10, "a", "c1", T0 + 100_000, "win"),
        record_of(11, "b", "c1", T0 + 100_000, "loss"),
        record_of(12, "c", "c1", T0 + 95_000, "filled"),
        record_of(13, "a", "c1", T0 + 120_000, "stale"),
        record_of(14, "b", "c1", T0 + 130_000, "rejected"),
        record_of(15, "c", "c1", T0 + 90_000, "loss"),
    ]
    seen = set()
    for order in itertools.permutations(six):
        g = governor(SMALL)
        feed(g, lead)
        g.advance(base_end)
        feed(g, list(order))
        g.advance(T0 + 140_000)
        seen.add(repr(judged_state(g)))
    assert len(seen) == 1


def test_a_trip_read_after_a_later_snapshot_half_opens_at_once() -> None:
    """A bot's losing trade and the next bar's snapshot come on different topics. Read
    snapshot first, the clock is already past the new breaker's reset_at when the trade trips
    it: it half-opens then and there, as it does when the trade is read first, and not at the
    next input (in a replay, the next signal's own decision, judged while it still showed OPEN).
    """
    shown_after: list[Any] = []
    for snapshot_first in (False, True):
        g = governor(CELL_ONLY)
        loss_a, loss_b = trade("a-0", T0, bot="a"), trade("b-0", T0 + 1000, bot="b")
        tick = snapshot(1, T0 + 3_600_000, 100_000.0, bot="a")
        g.on_trade(loss_a)
        if snapshot_first:
            g.on_snapshot(tick)
            g.on_trade(loss_b)
        else:
            g.on_trade(loss_b)
            g.on_snapshot(tick)
        shown_after.append(shown(state_of(g, "CELL:c1")))
    assert shown_after[0] == shown_after[1]
    assert state_of(g, "CELL:c1")["state"] == "HALF_OPEN"  # type: ignore[index]


def record_or_tick(
    i: int, bot_id: str, cell_id: str, ts: int, kind: str
) -> tuple[str, dict[str, Any]]:
    if kind == "tick":  # an account snapshot: moves the event clock, is no outcome
        return "snapshots", snapshot(i, ts, 100_000.0, bot=bot_id, cell=cell_id)
    return record_of(i, bot_id, cell_id, ts, kind)


def run_ticked_steps(steps: list[list[tuple[str, dict[str, Any]]]]) -> list[Any]:
    """Feed each step's records and nothing else: what the gate reads at the next message."""
    g = governor(SMALL)
    after = []
    for records in steps:
        for topic, record in records:
            if topic == "snapshots":
                g.on_snapshot(record)
            else:
                feed(g, [(topic, record)])
        after.append(judged_state(g))
    return after


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.lists(
            st.tuples(st.sampled_from(BOTS), st.integers(0, 40), st.sampled_from((*KINDS, "tick"))),
            min_size=1,
            max_size=14,
        ),
        min_size=1,
        max_size=4,
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_snapshots_and_outcomes_in_any_order_end_each_step_alike(
    steps: list[list[tuple[tuple[str, str], int, str]]], seed: int
) -> None:
    """As above, with account snapshots among the outcomes moving the clock, and no advance to
    the step's end: each step ends with its last bar's snapshot of every bot."""
    records, i = [], 0
    for n, events in enumerate(steps):
        start = T0 + n * 200_000
        batch = []
        for (bot_id, cell_id), tick, kind in events:
            batch.append(record_or_tick(i, bot_id, cell_id, start + tick * 5_000, kind))
            i += 1
        for bot_id, cell_id in BOTS:
            batch.append(record_or_tick(i, bot_id, cell_id, start + 200_000, "tick"))
            i += 1
        records.append(batch)
    in_time_order = [sorted(b, key=lambda r: (r[1]["ts_event"], r[1]["event_id"])) for b in records]
    expected = run_ticked_steps(in_time_order)
    rng = random.Random(seed)
    for _ in range(3):
        shuffled = [rng.sample(b, len(b)) for b in records]
        assert run_ticked_steps(shuffled) == expected
