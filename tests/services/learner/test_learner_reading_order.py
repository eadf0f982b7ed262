"""The learner releases the same models whatever order it reads trades.closed's partitions in
(issue 17, identical replays): the trigger takes trades settled and in (exit time, trade_id)
order, so a run is due at the same trade and trains on the same trades."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from hive.event_order import REORDER_HORIZON_MS
from hive_learner.learner import Learner, LearnerConfig
from hive_learner.promotion import PromotionRules
from hive_learner.settings import LearnerSettings
from hive_learner.store import ModelStore
from hive_learner.synthetic import generate_trades
from hive_learner.train import TrainConfig
from hive_learner.trigger import DAY_MS, RetrainTrigger, TriggerRules

from support.learner import FakeChangeGuard, feed
from support.learner import releases as release_records

pytestmark = pytest.mark.unit

HOUR = 3_600_000
CONFIG = LearnerConfig(
    train=TrainConfig(min_holdout=40),
    promotion=PromotionRules(max_kl=0.5),
    trigger=TriggerRules(
        min_trades=150, every_trades=200, every_ms=7 * DAY_MS, min_new_trades=30, cooldown_ms=DAY_MS
    ),
)


def as_partitions_read(trades: list[dict[str, Any]], drift_ms: int) -> list[dict[str, Any]]:
    """The trades as a consumer of three partitions (by bot) may read them: each partition in
    order, but partition 2 read up to `drift_ms` ahead of partition 1, and 1 ahead of 0."""
    chunks: dict[int, list[dict[str, Any]]] = {}
    start = trades[0]["exit_time"]
    for t in trades:
        chunks.setdefault((t["exit_time"] - start) // drift_ms, []).append(t)
    order = []
    for _, chunk in sorted(chunks.items()):
        for bot in ("syn-bot-2", "syn-bot-1", "syn-bot-0"):
            order += [t for t in chunk if t["bot_id"] == bot]
    return order


def releases(config: LearnerConfig, trades: list[dict[str, Any]], store: ModelStore) -> list[Any]:
    """The release records, the governor's change guard answering every proposal."""
    return release_records(feed(Learner(config, store), trades, FakeChangeGuard()))


@pytest.fixture(scope="module")
def trades() -> list[dict[str, Any]]:
    return generate_trades(700, seed=5, span_days=40.0)


def test_two_reading_orders_release_the_same_models(trades, tmp_path) -> None:
    read = as_partitions_read(trades, 3 * DAY_MS)
    assert read != trades and sorted(read, key=lambda t: (t["exit_time"], t["trade_id"])) == trades
    store = ModelStore(tmp_path)  # one store: the records name the same artifacts
    in_order = releases(CONFIG, trades, store)
    interleaved = releases(CONFIG, read, store)
    assert [
        (r["version"], r["status"], r["trade_count"], r["holdout_count"]) for r in in_order
    ] == [
        ("0001", "CANDIDATE", 110, 40),
        ("0001", "PROMOTED", 110, 40),
        ("0002", "CANDIDATE", 280, 70),
        ("0002", "PROMOTED", 280, 70),
        ("0003", "CANDIDATE", 440, 110),
        ("0003", "PROMOTED", 440, 110),
        ("0004", "CANDIDATE", 600, 150),
        ("0004", "PROMOTED", 600, 150),
        ("0005", "CANDIDATE", 760, 190),
        ("0005", "REJECTED", 760, 190),
    ]
    # the same records: versions, event times, training windows, hashes, metrics, verdicts
    assert interleaved == in_order
    first = in_order[0]
    assert first["trade_count"] + first["holdout_count"] == 150  # min_trades: due at the 150th
    assert first["ts_event"] == trades[149]["exit_time"]  # ... at its exit time


def test_taking_trades_as_read_would_release_different_models(trades, tmp_path) -> None:
    """The control: with nothing held back (settle_ms 0) the same two orders release
    differently, so the test above can fail."""
    eager = dataclasses.replace(CONFIG, trigger=dataclasses.replace(CONFIG.trigger, settle_ms=0))
    in_order = releases(eager, trades, ModelStore(tmp_path / "a"))
    interleaved = releases(
        eager, as_partitions_read(trades, 3 * DAY_MS), ModelStore(tmp_path / "b")
    )
    assert [r["sha256"] for r in interleaved] != [r["sha256"] for r in in_order]


def keys(n: int, step: int = HOUR) -> list[tuple[int, str]]:
    return [(i * step, f"t{i:03d}") for i in range(n)]


def runs(rules: TriggerRules, order: list[tuple[int, str]]) -> list[tuple[tuple[int, str], int]]:
    """(last trade trained on, event time) of every run, in the order they are due."""
    trig = RetrainTrigger(rules)
    out = []
    for exit_time, trade_id in order:
        trig.read(exit_time, trade_id)
        while (upto := trig.next_due()) is not None:
            assert trig.clock_ms is not None
            out.append((upto, trig.clock_ms))
            trig.ran()
    return out


def test_the_trigger_is_due_at_the_same_trades_in_any_order_within_the_horizon() -> None:
    rules = TriggerRules(
        min_trades=10, every_trades=5, every_ms=7 * DAY_MS, min_new_trades=2, cooldown_ms=0,
        settle_ms=2 * DAY_MS,
    )  # fmt: skip
    ordered = keys(200)
    expected = runs(rules, ordered)
    assert [upto for upto, _ in expected[:3]] == [ordered[9], ordered[14], ordered[19]]
    assert len(expected) == 1 + (200 - 48 - 10) // 5  # the last 48 (2 days) are not settled
    # each day of trades read backwards: out of order by up to a day, less than settle_ms
    by_day = [ordered[i : i + 24][::-1] for i in range(0, 200, 24)]
    assert runs(rules, [k for day in by_day for k in day]) == expected


def test_a_trade_counts_once_a_trade_settle_ms_later_is_read() -> None:
    trig = RetrainTrigger(TriggerRules(min_trades=2, settle_ms=DAY_MS))
    for key in [(0, "a"), (HOUR, "b"), (DAY_MS, "c")]:
        trig.read(*key)
    assert trig.next_due() is None  # only "a" (a day older than "c") is settled
    assert (trig.total, trig.upto) == (1, (0, "a"))
    trig.read(DAY_MS + HOUR, "d")
    assert trig.next_due() == (HOUR, "b") and trig.clock_ms == HOUR
    trig.ran()
    # read later than the horizon allows: taken at once, without moving the training point back
    trig.read(0, "late")
    assert trig.next_due() is None and (trig.total, trig.upto) == (3, (HOUR, "b"))


def test_the_settle_time_is_a_setting_defaulting_to_the_reorder_horizon() -> None:
    assert REORDER_HORIZON_MS == 7 * DAY_MS
    assert LearnerSettings().learner_config().trigger.settle_ms == REORDER_HORIZON_MS
    settings = LearnerSettings(learner_settle_ms=HOUR)
    assert settings.learner_config().trigger.settle_ms == HOUR
    with pytest.raises(ValueError, match="event-time intervals"):
        TriggerRules(settle_ms=-1)
