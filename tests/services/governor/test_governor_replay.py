"""A losing streak replayed through the governor (plain Python, no Kafka): the bot breakers trip
first, then their cell's, then the global one, with the fallback modes of each level."""

from __future__ import annotations

import pytest

from hive_governor import Output

from support.governor import T0, breakers, governor, state_of, trade

pytestmark = pytest.mark.unit


def key(record: dict[str, object]) -> str:
    return f"{record['scope_level']}:{record['scope_id']}"


def replay(g_trades: list[tuple[str, str]]) -> tuple[list[Output], list[list[Output]]]:
    """Feed one losing trade per (bot, cell), one second apart; all outputs and per input."""
    g = governor()
    per_input = [
        g.on_trade(trade(f"loss-{i}", T0 + i * 1000, bot=b, cell=c))
        for i, (b, c) in enumerate(g_trades)
    ]
    return [o for outs in per_input for o in outs], per_input


def test_streak_in_one_cell_then_another_trips_bot_cell_global_in_order() -> None:
    streak = (
        [("x1", "X")] * 5 + [("x2", "X")] * 5 + [("y1", "Y")] * 5 + [("y2", "Y")] * 5
    )  # 20 losses: 10 in X, 10 in Y
    outs, per_input = replay(streak)
    published = [(key(r), r["state"], r["fallback_mode"]) for r in breakers(outs)]
    assert published == [
        ("BOT:x1", "OPEN", "SHADOW_MODE"),
        ("BOT:x2", "OPEN", "SHADOW_MODE"),
        ("CELL:X", "OPEN", "REDUCED_CAPACITY"),
        ("BOT:y1", "OPEN", "SHADOW_MODE"),
        ("BOT:y2", "OPEN", "SHADOW_MODE"),
        ("CELL:Y", "OPEN", "REDUCED_CAPACITY"),
        ("GLOBAL:global", "OPEN", "SAFE_MODE"),
    ]
    # the 10th and the 20th loss each trip several levels: bot first, then cell, then global
    assert [key(r) for r in breakers(per_input[9])] == ["BOT:x2", "CELL:X"]
    assert [key(r) for r in breakers(per_input[19])] == ["BOT:y2", "CELL:Y", "GLOBAL:global"]
    glob = breakers(per_input[19])[-1]
    assert (glob["failure_count"], glob["failure_threshold"], glob["reset_timeout_ms"]) == (
        20,
        20,
        300_000,
    )
    assert len(glob["cause_event_ids"]) == 20


def test_interleaved_bots_of_one_cell() -> None:
    streak = [("a", "C"), ("b", "C")] * 5  # a's 5th loss is the 9th, b's 5th the 10th
    _, per_input = replay(streak)
    assert [key(r) for r in breakers(per_input[8])] == ["BOT:a"]
    assert [key(r) for r in breakers(per_input[9])] == ["BOT:b", "CELL:C"]
    assert breakers(per_input[9])[1]["fallback_mode"] == "REDUCED_CAPACITY"


def test_losses_across_several_cells_trip_global_without_any_cell() -> None:
    # four cells, five losses each (one bot per cell): every bot trips, no cell reaches 10,
    # the 20th loss trips the global breaker
    streak = [(f"bot{c}", f"cell{c}") for c in range(4) for _ in range(5)]
    outs, per_input = replay(streak)
    levels = [r["scope_level"] for r in breakers(outs)]
    assert levels == ["BOT", "BOT", "BOT", "BOT", "GLOBAL"]
    assert [key(r) for r in breakers(per_input[19])] == ["BOT:bot3", "GLOBAL:global"]


def test_the_replay_is_deterministic_and_modes_combine_over_a_bot() -> None:
    streak = [("x1", "X")] * 5 + [("x2", "X")] * 5 + [("y1", "Y")] * 10
    a, _ = replay(streak)
    b, _ = replay(streak)
    assert a == b  # same ids, same records, same audit chain
    g = governor()
    for i, (bot_id, cell) in enumerate(streak):
        g.on_trade(trade(f"loss-{i}", T0 + i * 1000, bot=bot_id, cell=cell))
    assert g.mode_for("x1", "X") == "SAFE_MODE"  # global safe mode is the most severe
    assert state_of(g, "CELL:X")["fallback_mode"] == "REDUCED_CAPACITY"  # type: ignore[index]


def test_after_the_timeouts_levels_half_open_in_the_order_they_reset() -> None:
    g = governor()
    streak = [("x1", "X")] * 5 + [("x2", "X")] * 5 + [("y1", "Y")] * 10
    for i, (bot_id, cell) in enumerate(streak):
        g.on_trade(trade(f"loss-{i}", T0 + i * 1000, bot=bot_id, cell=cell))
    outs = g.advance(T0 + 400_000)
    half = [(key(r), r["ts_event"]) for r in breakers(outs)]
    # reset_at = opened_at + the level's timeout: x1 34 s, x2 39 s, y1 44 s, X 69 s, Y 79 s,
    # global 319 s after T0
    assert [k for k, _ in half] == [
        "BOT:x1",
        "BOT:x2",
        "BOT:y1",
        "CELL:X",
        "CELL:Y",
        "GLOBAL:global",
    ]
    assert [ts for _, ts in half] == sorted(ts for _, ts in half)
    assert all(r["state"] == "HALF_OPEN" for r in breakers(outs))
