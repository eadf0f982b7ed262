"""Recovery: export -> import gives identical subsequent outputs; dirty tracking; catch-up of
late intents gives the outputs of intents in time; intents older than the bar buffer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hive_executor import STATE_VERSION, Executor, Output, StateError

from support.executor import (
    EXECUTIONS,
    SNAPSHOTS,
    T0,
    TRADES,
    H,
    Harness,
    bar,
    check_record,
    config,
    flat,
    intent,
    replay,
    scenario,
)

pytestmark = pytest.mark.unit

CFG: dict[str, Any] = {
    "commission_per_lot": 3.5,
    "slippage_pips": 0.1,
    "swap_long_per_lot": -5.0,
    "swap_short_per_lot": 1.5,
}


def as_dicts(outputs: list[Output]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(o.topic, o.key, o.value) for o in outputs]


@pytest.fixture(scope="module")
def events() -> list[tuple[str, Any]]:
    return scenario()


@pytest.fixture(scope="module")
def straight(events: list[tuple[str, Any]]) -> list[Output]:
    """The whole scenario through one engine, never restarted."""
    return replay(Executor(config(**CFG)), events)


def test_every_record_of_a_rich_scenario_is_valid_and_the_scenario_covers_the_engine(
    straight: list[Output],
) -> None:
    for out in straight:
        check_record(out)
    reasons = {o.value["exit_reason"] for o in straight if o.topic == TRADES}
    assert {"STOP_LOSS", "TAKE_PROFIT", "BREAKEVEN_STOP", "FLATTEN"} <= reasons
    statuses = {o.value["status"] for o in straight if o.topic == EXECUTIONS}
    assert {"ACCEPTED", "PENDING", "FILLED", "PARTIALLY_CLOSED", "CLOSED", "MODIFIED"} <= statuses
    assert any(o.value["shadow"] for o in straight if o.topic == TRADES)
    assert any(o.value["limp"] for o in straight if o.topic == TRADES)


@pytest.mark.parametrize("cut", [3, 50, 123, 251, 330, 489])
def test_export_import_round_trip_gives_identical_subsequent_outputs(
    events: list[tuple[str, Any]], straight: list[Output], cut: int
) -> None:
    """Export after every event into a compacted store (as the service does), crash at `cut`,
    rebuild a new engine from the store in a shuffled key order, and carry on."""
    engine = Executor(config(**CFG))
    store: dict[str, str] = {}
    before: list[Output] = []
    for event in events[:cut]:
        before += replay(engine, [event])
        for key, text in engine.export_state().items():
            if text:
                store[key] = text
            else:
                store.pop(key, None)
    restarted = Executor(config(**CFG))
    for key in sorted(store, reverse=True):
        restarted.import_state(key, store[key])
    after = replay(restarted, events[cut:])
    assert as_dicts(before) + as_dicts(after) == as_dicts(straight)


def test_export_holds_only_what_changed_and_every_text_has_a_version() -> None:
    h = Harness()
    h.bot()
    first = h.engine.export_state()
    assert set(first) == {"bot:b1"}
    assert h.engine.export_state() == {}
    h.bars(flat(0, 1.1000))
    second = h.engine.export_state()
    assert set(second) == {"bot:b1", "control", "market:EURUSD"}
    for text in second.values():
        assert json.loads(text)["state_version"] == STATE_VERSION


def test_a_text_of_another_version_is_refused() -> None:
    h = Harness()
    h.bot()
    text = json.loads(h.engine.export_state()["bot:b1"])
    text["state_version"] = STATE_VERSION + 1
    with pytest.raises(StateError):
        Executor(config()).import_state("bot:b1", json.dumps(text))


def test_a_restart_never_fills_twice() -> None:
    h = Harness()
    h.bot()
    record = intent(sl=1.0980, ts=T0)
    h.intent(record)
    h.bars(flat(0, 1.1000))
    restarted = Executor(config())
    for key, text in h.engine.export_state().items():
        restarted.import_state(key, text)
    assert restarted.on_intent(record) == []  # redelivered after the crash
    assert restarted.on_bar(flat(0, 1.1000)) == []  # so is the bar


@pytest.mark.parametrize("lag", [1, 5, 40])
def test_a_late_intent_is_caught_up_with_the_outputs_it_would_have_had_in_time(lag: int) -> None:
    bars = [
        bar(i, 1.1000 + 0.0004 * i, 1.1010 + 0.0004 * i, 1.0990 + 0.0004 * i, 1.1004 + 0.0004 * i)
        for i in range(60)
    ]
    records = [
        intent("o-1", sl=1.0980, tps=[1.1010, 1.1030, 1.1060], ts=T0 + 30 * 60_000),
        intent(
            "o-2",
            signal_id="s2",
            order_type="LIMIT",
            entry=1.1010,
            sl=1.0990,
            tps=[1.1040],
            ts=T0 + 2 * H,
        ),
        intent(
            "o-3",
            signal_id="s3",
            order_type="STOP",
            entry=1.1030,
            sl=1.1000,
            tps=[1.1090],
            ts=T0 + 2 * H,
        ),
        intent("o-4", signal_id="s4", side="SELL", sl=1.1120, ts=T0 + 3 * H),
    ]

    def run(delay: int) -> list[Output]:
        h = Harness(**CFG)
        h.bot()
        queue = sorted(records, key=lambda r: r["ts_event"])
        for _i, b in enumerate(bars):
            due = [r for r in queue if r["ts_event"] <= b["open_time"] - (delay - 1) * H]
            for r in due:
                h.intent(r)
                queue.remove(r)
            h.bars(b)
        return h.outputs

    in_time, late = run(0), run(lag)

    def facts(outputs: list[Output]) -> list[Any]:
        return sorted(
            json.dumps(o.value, sort_keys=True) for o in outputs if o.topic in (EXECUTIONS, TRADES)
        )

    assert facts(late) == facts(in_time)
    ends = [o.value for o in in_time if o.topic == SNAPSHOTS][-1]
    late_end = [o.value for o in late if o.topic == SNAPSHOTS][-1]
    assert (late_end["balance"], late_end["equity"]) == (ends["balance"], ends["equity"])


def test_an_intent_older_than_the_bar_buffer_fills_at_the_next_bar_marked_late() -> None:
    h = Harness(bar_buffer=3)
    h.bot()
    h.bars(*(flat(i, 1.1000 + 0.0001 * i) for i in range(5)))
    h.intent(sl=1.0900, ts=T0)  # bars 0 and 1 are gone
    assert h.executions()[-1]["reason"] == "late_intent"
    h.bars(flat(5, 1.1010))
    filled = h.executions()[-1]
    assert (filled["status"], filled["price"], filled["reason"]) == (
        "FILLED",
        1.1010,
        "late_intent",
    )
