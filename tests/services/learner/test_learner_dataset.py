"""Training data from trades.closed: what counts, how much (signals, shadows, recency), and
when a run is due (trade count and event time, with a cooldown)."""

from __future__ import annotations

import json
from pathlib import Path

import fastavro
import numpy as np
import pytest
from fastavro.validation import validate

from hive_learner.dataset import (
    DAY_MS,
    TradeInputError,
    TrainingSet,
    effective_size,
    example_from_trade,
    example_weights,
)
from hive_learner.synthetic import closed_trade, generate_trades
from hive_learner.trigger import RetrainTrigger, TriggerRules

pytestmark = pytest.mark.unit

EXAMPLE = json.loads(
    (Path(__file__).parents[3] / "schemas/examples/trades_closed.json").read_text()
)


def test_synthetic_trades_are_valid_trades_closed_records():
    schema = fastavro.parse_schema(
        json.loads((Path(__file__).parents[3] / "schemas/avro/trades_closed.avsc").read_text())
    )
    for trade in generate_trades(50, seed=3):
        validate(trade, schema, raise_errors=True)


def test_the_schema_example_reads_as_a_winning_example():
    e = example_from_trade(EXAMPLE)
    assert e is not None
    assert (e.trade_id, e.signal_id, e.exit_time) == (
        EXAMPLE["trade_id"], EXAMPLE["signal_id"], EXAMPLE["exit_time"],
    )  # fmt: skip
    assert e.win and e.r_multiple == pytest.approx(0.9187) and not e.shadow
    assert e.categories[0] == "fx-vip"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"trade_id": None, "event_id": None}, "missing_trade_id"),
        ({"exit_time": "yesterday"}, "bad_exit_time"),
        ({"features": None}, "missing_features"),
        ({"pnl": float("nan")}, "bad_pnl"),
    ],
)
def test_an_unreadable_trade_names_why(change, reason):
    with pytest.raises(TradeInputError) as err:
        example_from_trade({**EXAMPLE, **change})
    assert err.value.reason == reason


def test_closes_that_say_nothing_about_the_signal_are_left_out():
    for reason in ("END_OF_DATA", "FLATTEN", "RISK_LIMIT"):
        assert example_from_trade({**EXAMPLE, "exit_reason": reason}) is None
    for reason in ("STOP_LOSS", "TAKE_PROFIT", "WEEKEND_CLOSE", "SIGNAL_UPDATE"):
        assert example_from_trade({**EXAMPLE, "exit_reason": reason}) is not None


def test_shadow_trades_are_training_data_and_every_signal_counts_once():
    f = EXAMPLE["features"]
    trades = [
        # Signal A: taken by two bots, skipped by a third (a counterfactual shadow fill).
        closed_trade(f, signal_id="A", bot_id="b1", win=True, exit_time=10),
        closed_trade(f, signal_id="A", bot_id="b2", win=True, exit_time=11),
        closed_trade(f, signal_id="A", bot_id="b3", win=True, exit_time=12,
                     shadow_reason="COUNTERFACTUAL"),
        # Signal B: skipped by everyone; only its shadow outcome exists.
        closed_trade(f, signal_id="B", bot_id="b1", win=False, exit_time=13,
                     shadow_reason="COUNTERFACTUAL"),
        # Signal C: a bot under an open breaker (shadow mode).
        closed_trade(f, signal_id="C", bot_id="b1", win=False, exit_time=14,
                     shadow_reason="BREAKER"),
    ]  # fmt: skip
    examples = [example_from_trade(t) for t in trades]
    assert [e.shadow_reason for e in examples if e.shadow] == ["COUNTERFACTUAL"] * 2 + ["BREAKER"]
    w = example_weights(examples, None, None, shadow_weight=1.0)
    per_signal = {s: w[[e.signal_id == s for e in examples]].sum() for s in "ABC"}
    assert per_signal == pytest.approx({"A": 1.0, "B": 1.0, "C": 1.0})
    # An operator who trusts simulated fills less turns them down; real fills keep their share.
    half = example_weights(examples, None, None, shadow_weight=0.5)
    assert half[0] == pytest.approx(1 / 3) and half[2] == pytest.approx(1 / 6)
    assert half[3] == pytest.approx(0.5)


def test_recency_halves_a_trade_per_half_life():
    f = EXAMPLE["features"]
    now = 100 * DAY_MS
    examples = [
        example_from_trade(closed_trade(f, signal_id=s, bot_id="b", win=True, exit_time=t))
        for s, t in (("a", now), ("b", now - 30 * DAY_MS), ("c", now - 60 * DAY_MS))
    ]
    w = example_weights(examples, now, 30.0, 1.0)
    assert w == pytest.approx([1.0, 0.5, 0.25])
    assert effective_size(np.ones(10)) == pytest.approx(10)
    assert effective_size(w) < 3


def test_the_training_set_ignores_redeliveries_and_keeps_exit_time_order():
    trades = generate_trades(200, seed=2)
    ts = TrainingSet(capacity=150)
    added = sum(ts.add(example_from_trade(t)) for t in reversed(trades))
    assert added == len(trades)
    assert sum(ts.add(example_from_trade(t)) for t in trades[:50]) == 0
    examples = ts.examples()
    assert len(examples) == 150  # bounded: the oldest are dropped
    assert [e.order for e in examples] == sorted(e.order for e in examples)
    assert examples[-1].trade_id == trades[-1]["trade_id"]
    assert ts.seen(trades[0]["trade_id"])  # dropped, but still recognised as a duplicate


def test_the_trigger_counts_trades_and_event_time_with_a_cooldown():
    hour = 3_600_000
    rules = TriggerRules(min_trades=10, every_trades=5, every_ms=7 * DAY_MS, min_new_trades=2,
                         cooldown_ms=DAY_MS)  # fmt: skip
    trig = RetrainTrigger(rules)
    t = 0
    for _ in range(9):
        t += hour
        trig.observe(t)
        assert not trig.due()  # fewer than min_trades
    trig.observe(t := t + hour)
    assert trig.due()
    trig.ran()
    # A burst of trades inside the cooldown does not start another run...
    for _ in range(10):
        trig.observe(t := t + 60_000)
    assert not trig.due()
    # ...once the cooldown (event time) is over, the count triggers it.
    trig.observe(t := t + DAY_MS)
    assert trig.due()
    trig.ran()
    # By time: a week later, two new trades are enough.
    trig.observe(t := t + 7 * DAY_MS)
    assert not trig.due()
    trig.observe(t := t + hour)
    assert trig.due()
    # A late trade (earlier exit time) never moves the clock back.
    clock = trig.clock_ms
    trig.observe(0)
    assert trig.clock_ms == clock
