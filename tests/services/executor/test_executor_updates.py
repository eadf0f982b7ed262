"""Updates (the risk gate's allowed MODIFICATION decisions) on open positions and pending
entries: breakeven, move SL/TP, partial and full closes, cancel, late updates, updates that
arrive before their signal's intent, refused and foreign ones, and intent revisions."""

from __future__ import annotations

import pytest

from support.executor import (
    EXECUTIONS,
    T0,
    H,
    Harness,
    allowed_for,
    bar,
    flat,
    outputs_of,
    update,
)

pytestmark = pytest.mark.unit

HALF = H // 2


def long_position(**cfg: object) -> Harness:
    """BUY 1 lot filled at 1.1000 on bar 0, SL 1.0980, TPs 1.1050 and 1.1080."""
    h = Harness(**cfg)
    h.bot()
    h.intent(sl=1.0980, tps=[1.1050, 1.1080], ts=T0)
    h.bars(bar(0, 1.1000, 1.1004, 1.0996, 1.1002))
    return h


def test_breakeven_moves_the_stop_to_the_entry_and_a_later_stop_is_a_breakeven_stop() -> None:
    h = long_position()
    assert h.update("BREAKEVEN", ts=T0 + H + HALF) == []  # acts at the next bar's open
    h.bars(bar(1, 1.1000, 1.1020, 1.0995, 1.1015))
    assert h.statuses()[-1] == "FILLED"
    h.bars(bar(2, 1.1015, 1.1018, 1.0995, 1.1000))
    modified, closed = h.executions()[-2:]
    assert (modified["status"], modified["stop_loss"], modified["reason"]) == (
        "MODIFIED",
        1.1000,
        "UPDATE_BREAKEVEN",
    )
    assert modified["ts_event"] == T0 + 3 * H
    # the cause is the gate's decision: the update's event_id + ':' + the bot
    assert modified["cause_event_id"] == f"test:BREAKEVEN:{T0 + H + HALF}:b1"
    assert closed["reason"] == "BREAKEVEN_STOP"
    trade = h.trade()
    assert (trade["exit_reason"], trade["pnl"], trade["initial_stop_loss"]) == (
        "BREAKEVEN_STOP",
        0.0,
        1.0980,
    )


def test_breakeven_on_the_wrong_side_of_the_price_is_refused() -> None:
    h = long_position()
    h.update("BREAKEVEN", ts=T0 + H)
    h.bars(bar(1, 1.0990, 1.0995, 1.0985, 1.0990))  # below the entry: a stop there would fill
    refused = h.executions()[-1]
    assert (refused["status"], refused["reason"], refused["stop_loss"]) == (
        "REJECTED",
        "invalid_stop",
        1.0980,
    )
    assert refused["remaining_quantity"] == 1.0  # the position is still open


def test_move_sl_and_move_tp() -> None:
    h = long_position()
    h.update("MOVE_SL", ts=T0 + H, price=1.0990, event_id="u1")
    h.update("MOVE_TP", ts=T0 + H, price=1.1030, tp_index=1, event_id="u2")
    h.bars(bar(1, 1.1000, 1.1031, 1.0995, 1.1020))
    kinds = [(e["status"], e["reason"]) for e in h.executions()[2:]]
    assert kinds == [
        ("MODIFIED", "UPDATE_MOVE_SL"),
        ("MODIFIED", "UPDATE_MOVE_TP"),
        ("PARTIALLY_CLOSED", "TP1_HIT"),
    ]
    assert h.executions()[-1]["price"] == 1.1030
    h.update("MOVE_SL", ts=T0 + 2 * H, price=1.1025, event_id="u3")  # above the bid: refused
    h.update("MOVE_TP", ts=T0 + 2 * H, price=1.1090, tp_index=5, event_id="u4")
    h.bars(bar(2, 1.1020, 1.1022, 1.1000, 1.1010))
    assert [e["reason"] for e in h.executions()[-2:]] == ["invalid_stop", "invalid_tp_index"]


def test_close_partial_then_close_all_at_the_next_open_with_slippage() -> None:
    h = long_position(slippage_pips=0.1)  # filled at 1.10001
    h.update("CLOSE_PARTIAL", ts=T0 + H, fraction=0.5, event_id="u1")
    h.bars(bar(1, 1.1010, 1.1020, 1.1005, 1.1015))
    partial = h.executions()[-1]
    assert (partial["status"], partial["quantity"], partial["price"]) == (
        "PARTIALLY_CLOSED",
        0.5,
        pytest.approx(1.10099),
    )
    h.update("CLOSE_ALL", ts=T0 + 2 * H, event_id="u2")
    h.bars(bar(2, 1.1020, 1.1025, 1.1015, 1.1020))
    trade = h.trade()
    assert trade["exit_reason"] == "SIGNAL_UPDATE"
    assert [leg["quantity"] for leg in trade["legs"]] == [0.5, 0.5]
    assert trade["legs"][1]["exit_price"] == pytest.approx(1.10199)


def test_tp_hit_and_sl_hit_are_informational() -> None:
    h = long_position()
    h.update("TP_HIT", ts=T0 + H, tp_index=1)
    h.update("SL_HIT", ts=T0 + H)
    h.bars(flat(1, 1.1002))
    assert h.statuses() == ["ACCEPTED", "FILLED"]


def test_cancel_cancels_a_pending_entry_but_never_closes_a_position() -> None:
    h = Harness()
    h.bot()
    h.intent("o-1", order_type="LIMIT", entry=1.0950, sl=1.0900, ts=T0)
    h.intent("o-2", signal_id="sig-2", sl=1.0900, ts=T0)
    h.update("CANCEL", ts=T0 + HALF, target="sig-1", event_id="c1")
    h.update("CANCEL", ts=T0 + HALF, target="sig-2", event_id="c2")
    h.bars(flat(0, 1.1000), flat(1, 1.1000))
    assert h.statuses("o-1") == ["PENDING", "CANCELLED"]
    assert h.executions("o-1")[-1]["ts_event"] == T0 + 2 * H  # the open of bar 1 (U <= open)
    assert h.statuses("o-2") == ["ACCEPTED", "FILLED"]


def test_close_all_cancels_a_pending_entry() -> None:
    h = Harness()
    h.bot()
    h.intent(order_type="LIMIT", entry=1.0950, sl=1.0900, ts=T0)
    h.update("CLOSE_ALL", ts=T0)
    h.bars(flat(0, 1.1000))
    assert h.statuses() == ["PENDING", "CANCELLED"]


def test_move_sl_on_a_pending_entry_is_checked_against_the_entry() -> None:
    h = Harness()
    h.bot()
    h.intent(order_type="LIMIT", entry=1.0950, sl=1.0900, ts=T0)
    h.update("MOVE_SL", ts=T0, price=1.0920, event_id="u1")
    h.update("MOVE_SL", ts=T0, price=1.0960, event_id="u2")
    h.update("BREAKEVEN", ts=T0, event_id="u3")
    h.bars(flat(0, 1.1000))
    assert [(e["status"], e["reason"]) for e in h.executions()[1:]] == [
        ("MODIFIED", "UPDATE_MOVE_SL"),
        ("REJECTED", "invalid_stop"),
        ("REJECTED", "no_position"),
    ]
    h.bars(bar(1, 1.0960, 1.0965, 1.0915, 1.0930))
    assert h.trade()["initial_stop_loss"] == 1.0920


def test_a_late_update_applies_at_the_next_bar_marked_late_update() -> None:
    h = long_position()
    h.bars(flat(1, 1.1010), flat(2, 1.1010))
    h.update("CLOSE_ALL", ts=T0 + H + HALF)  # its bar (2) has been simulated already
    h.bars(flat(3, 1.1020))
    closed = h.executions()[-1]
    assert (closed["status"], closed["reason"], closed["price"]) == (
        "CLOSED",
        "late_update",
        1.1020,
    )
    assert closed["ts_event"] == T0 + 4 * H


def test_an_update_before_its_intent_applies_at_its_own_time_in_the_catch_up() -> None:
    h = Harness()
    h.bot()
    bars = [
        bar(0, 1.1000, 1.1004, 1.0996, 1.1002),
        bar(1, 1.1002, 1.1020, 1.1000, 1.1015),
        bar(2, 1.1015, 1.1016, 1.0990, 1.1000),
    ]
    h.bars(*bars)
    h.update("BREAKEVEN", ts=T0 + H + HALF)  # no order of sig-1 yet: kept for its intents
    h.intent(sl=1.0980, tps=[1.1050], ts=T0)  # arrives after all three bars
    assert [(e["status"], e["reason"]) for e in h.executions()] == [
        ("ACCEPTED", "INTENT_ACCEPTED"),
        ("FILLED", "MARKET_FILL_NEXT_BAR_OPEN"),
        ("MODIFIED", "UPDATE_BREAKEVEN"),
        ("CLOSED", "BREAKEVEN_STOP"),
    ]
    # the same as if everything had arrived in time
    g = Harness()
    g.bot()
    g.intent(sl=1.0980, tps=[1.1050], ts=T0)
    g.bars(bars[0])
    g.update("BREAKEVEN", ts=T0 + H + HALF)
    g.bars(*bars[1:])
    assert g.executions()[1:] == h.executions()[1:]
    assert g.trades() == h.trades()


def test_an_update_reaches_the_order_of_each_bot_it_was_allowed_for() -> None:
    h = Harness()
    for b in ("b1", "b2", "b3"):
        h.bot(bot_id=b)
    h.intent("o-1", bot_id="b1", sl=1.0980, ts=T0)
    h.intent("o-2", bot_id="b2", sl=1.0980, ts=T0)
    h.intent("o-3", bot_id="b3", sl=1.0980, ts=T0)
    h.update("CLOSE_ALL", ts=T0 + H, bots=("b1", "b2"))
    h.bars(flat(0, 1.1000), flat(1, 1.1005))
    assert h.statuses("o-1")[-1] == h.statuses("o-2")[-1] == "CLOSED"
    assert h.statuses("o-3")[-1] == "FILLED"  # no decision for b3: nothing changes


def test_a_refused_modification_changes_nothing() -> None:
    h = long_position()
    assert h.update("MOVE_SL", ts=T0 + H, price=1.0900, allowed=False) == []
    h.bars(bar(1, 1.1000, 1.1005, 1.0950, 1.0960))  # through 1.0980, not down to 1.0900
    assert h.executions()[-1]["reason"] == "SL_HIT"
    assert h.trade()["exit_price"] == 1.0980


def test_an_entry_decision_changes_nothing() -> None:
    h = long_position()
    entry = {**allowed_for(update("CLOSE_ALL", ts=T0 + H)), "kind": "ENTRY", "modification": None}
    assert h.engine.on_decision(entry) == []
    h.bars(flat(1, 1.1010))
    assert h.statuses()[-1] == "FILLED"


def test_a_modification_naming_another_source_is_refused_and_changes_nothing() -> None:
    h = long_position()
    h.update("CLOSE_ALL", ts=T0 + H, source="other-channel")
    h.bars(flat(1, 1.1010))
    refused = h.executions()[-1]
    assert (refused["status"], refused["reason"], refused["remaining_quantity"]) == (
        "REJECTED",
        "foreign_source",
        1.0,
    )
    assert h.trades() == []


def test_a_repeated_update_is_applied_once() -> None:
    h = long_position()
    h.update("CLOSE_PARTIAL", ts=T0 + H, fraction=0.5)
    h.update("CLOSE_PARTIAL", ts=T0 + H, fraction=0.5)
    h.bars(flat(1, 1.1010))
    assert h.statuses().count("PARTIALLY_CLOSED") == 1


def test_a_revision_amends_a_pending_entry_and_is_ignored_once_filled() -> None:
    h = Harness()
    h.bot()
    h.intent(order_type="LIMIT", entry=1.0950, sl=1.0900, ts=T0)
    h.bars(flat(0, 1.1000))
    out = h.intent(order_type="LIMIT", entry=1.0990, sl=1.0950, ts=T0 + H, revision=1)
    assert [(e["status"], e["reason"]) for e in outputs_of(out, EXECUTIONS)] == [
        ("MODIFIED", "SIGNAL_REVISION")
    ]
    h.bars(bar(1, 1.1000, 1.1000, 1.0985, 1.0990))
    assert h.executions()[-1]["price"] == 1.0990
    assert h.intent(order_type="LIMIT", entry=1.0980, sl=1.0950, ts=T0 + 2 * H, revision=2) == []
