"""Paper fills on hand-checked bars: market, limit and stop entries, stops, take-profits, gaps.

EURUSD: 1 lot = 100,000 EUR, so 1 pip (0.0001) on 1 lot is 10 USD. Bars are ASK-basis with a
zero spread unless a test says otherwise; slippage and commission are zero unless set.
"""

from __future__ import annotations

import pytest

from support.executor import T0, H, Harness, bar, flat

pytestmark = pytest.mark.unit


def opened(side: str = "BUY", **kw: object) -> Harness:
    """A harness with one bot and a MARKET order filled at 1.1000 on bar 0."""
    h = Harness(**{k: v for k, v in kw.items() if k in ("slippage_pips", "commission_per_lot")})
    h.bot()
    levels = {k: v for k, v in kw.items() if k in ("sl", "tps", "fractions", "qty")}
    h.intent(side=side, ts=T0, **levels)
    h.bars(bar(0, 1.1000, 1.1004, 1.0996, 1.1000))
    return h


def test_market_buy_fills_at_the_next_bar_open_at_the_ask_with_slippage() -> None:
    h = Harness(slippage_pips=0.1)
    h.bot()
    h.intent(ts=T0 - 10 * 60_000)  # 10 minutes before bar 0 opens
    # BID basis with a 2-pip spread: the ask opens at 1.1002
    h.bars(bar(0, 1.1000, 1.1010, 1.0995, 1.1005, spread=0.0002, basis="BID"))
    filled = h.executions()[-1]
    assert filled["status"] == "FILLED"
    assert filled["price"] == pytest.approx(1.10021)
    assert filled["ts_event"] == T0 + H  # the bar's close: when the fill is known
    assert filled["cause_event_id"] == f"EURUSD:H1:{T0}"
    assert filled["reason"] == "MARKET_FILL_NEXT_BAR_OPEN"
    assert h.statuses() == ["ACCEPTED", "FILLED"]


def test_market_sell_fills_at_the_bid() -> None:
    h = Harness(slippage_pips=0.1)
    h.bot()
    h.intent(side="SELL", ts=T0)
    h.bars(bar(0, 1.1000, 1.1010, 1.0995, 1.1005, spread=0.0002, basis="BID"))
    assert h.executions()[-1]["price"] == pytest.approx(1.09999)


def test_a_bar_opening_before_the_intent_is_not_used() -> None:
    h = Harness()
    h.bot()
    h.intent(ts=T0 + 1)
    h.bars(bar(0, 1.1000, 1.1010, 1.0990, 1.1005))
    assert h.statuses() == ["ACCEPTED"]
    h.bars(bar(1, 1.1007, 1.1010, 1.1000, 1.1005))
    assert h.executions()[-1]["price"] == pytest.approx(1.1007)


def test_stop_loss_inside_the_bar_fills_at_the_stop() -> None:
    h = opened(sl=1.0980, tps=[1.1050])
    h.bars(bar(1, 1.0995, 1.1000, 1.0975, 1.0985))
    closed = h.executions()[-1]
    assert (closed["status"], closed["price"], closed["reason"]) == ("CLOSED", 1.0980, "SL_HIT")
    trade = h.trade()
    assert trade["exit_reason"] == "STOP_LOSS"
    assert trade["exit_time"] == T0 + 2 * H
    assert trade["pnl"] == pytest.approx(-200.0)
    assert trade["holding_time_ms"] == H


def test_gap_through_the_stop_fills_at_the_open() -> None:
    h = opened(sl=1.0980, tps=[1.1050])
    h.bars(bar(1, 1.0970, 1.0990, 1.0960, 1.0985))
    assert h.trade()["exit_price"] == 1.0970
    assert h.trade()["pnl"] == pytest.approx(-300.0)


def test_stop_and_take_profit_in_one_bar_the_stop_comes_first() -> None:
    h = opened(sl=1.0980, tps=[1.1050])
    h.bars(bar(1, 1.1000, 1.1060, 1.0970, 1.1040))
    trade = h.trade()
    assert (trade["exit_reason"], trade["exit_price"]) == ("STOP_LOSS", 1.0980)


def test_gap_beyond_the_take_profit_fills_at_the_open() -> None:
    h = opened(sl=1.0980, tps=[1.1050])
    # opens beyond the TP, and later in the bar even touches the stop: the open came first
    h.bars(bar(1, 1.1060, 1.1070, 1.0975, 1.1000))
    trade = h.trade()
    assert (trade["exit_reason"], trade["exit_price"]) == ("TAKE_PROFIT", 1.1060)
    assert trade["pnl"] == pytest.approx(600.0)


def test_take_profit_inside_the_bar_fills_at_its_level_without_slippage() -> None:
    h = opened(sl=1.0980, tps=[1.1050], slippage_pips=0.5)
    h.bars(bar(1, 1.1010, 1.1055, 1.1005, 1.1040))
    assert h.trade()["exit_price"] == 1.1050


def test_short_exits_at_the_ask() -> None:
    h = Harness()
    h.bot()
    h.intent(side="SELL", sl=1.1020, tps=[1.0950], ts=T0)
    h.bars(bar(0, 1.1000, 1.1004, 1.0996, 1.1000, spread=0.0002, basis="BID"))
    assert h.executions()[-1]["price"] == 1.1000  # sold at the bid
    # the bid high 1.1019 is below the stop, but the ask high 1.1021 reaches it
    h.bars(bar(1, 1.1005, 1.1019, 1.1000, 1.1010, spread=0.0002, basis="BID"))
    trade = h.trade()
    assert (trade["exit_reason"], trade["exit_price"]) == ("STOP_LOSS", 1.1020)
    assert trade["pnl"] == pytest.approx(-200.0)


def test_stop_slippage_is_adverse() -> None:
    h = opened(sl=1.0980, slippage_pips=0.5)  # the entry too: 1.10005
    h.bars(bar(1, 1.0995, 1.1000, 1.0975, 1.0985))
    assert h.trade()["exit_price"] == pytest.approx(1.09795)


def test_partial_take_profits_split_the_initial_quantity() -> None:
    h = opened(sl=1.0980, tps=[1.1010, 1.1020, 1.1030])
    h.bars(bar(1, 1.1005, 1.1025, 1.1000, 1.1020))  # TP1 and TP2
    closes = [e for e in h.executions() if e["status"] == "PARTIALLY_CLOSED"]
    assert [(e["quantity"], e["price"], e["tp_index"], e["reason"]) for e in closes] == [
        (0.33, 1.1010, 1, "TP1_HIT"),
        (0.33, 1.1020, 2, "TP2_HIT"),
    ]
    assert closes[-1]["remaining_quantity"] == 0.34
    assert closes[-1]["take_profits"] == [1.1030]
    h.bars(bar(2, 1.1020, 1.1035, 1.1015, 1.1030))  # TP3 closes the rest
    trade = h.trade()
    assert [leg["quantity"] for leg in trade["legs"]] == [0.33, 0.33, 0.34]
    assert [leg["tp_index"] for leg in trade["legs"]] == [1, 2, 3]
    assert trade["gross_pnl"] == pytest.approx(33.0 + 66.0 + 102.0)
    assert trade["exit_price"] == pytest.approx(0.33 * 1.1010 + 0.33 * 1.1020 + 0.34 * 1.1030)
    assert trade["exit_reason"] == "TAKE_PROFIT"


def test_partial_take_profit_then_stop_closes_the_rest() -> None:
    h = opened(sl=1.0980, tps=[1.1010, 1.1030])
    h.bars(bar(1, 1.1005, 1.1012, 1.1000, 1.1005))
    h.bars(bar(2, 1.1000, 1.1001, 1.0975, 1.0990))
    trade = h.trade()
    assert [(leg["quantity"], leg["reason"]) for leg in trade["legs"]] == [
        (0.5, "TAKE_PROFIT"),
        (0.5, "STOP_LOSS"),
    ]
    assert trade["gross_pnl"] == pytest.approx(50.0 - 100.0)


def test_empty_fractions_close_everything_at_the_first_take_profit() -> None:
    h = opened(sl=1.0980, tps=[1.1010, 1.1030], fractions=[])
    h.bars(bar(1, 1.1005, 1.1012, 1.1000, 1.1005))
    assert [leg["quantity"] for leg in h.trade()["legs"]] == [1.0]


def test_a_minimum_lot_with_three_take_profits_closes_at_the_first() -> None:
    h = opened(sl=1.0980, tps=[1.1010, 1.1020, 1.1030], qty=0.01)
    h.bars(bar(1, 1.1005, 1.1012, 1.1000, 1.1005))
    assert [leg["quantity"] for leg in h.trade()["legs"]] == [0.01]


def test_no_take_profit_runs_until_the_stop() -> None:
    h = opened(sl=1.0900)
    h.bars(*(bar(i, 1.1000, 1.1100, 1.0950, 1.1000) for i in range(1, 5)))
    assert h.trades() == []
    h.bars(bar(5, 1.0950, 1.0960, 1.0890, 1.0900))
    assert h.trade()["exit_price"] == 1.0900


# ---------------------------------------------------------------- pending entries


def test_buy_limit_fills_at_its_level_and_reaches_no_take_profit_in_its_entry_bar() -> None:
    h = Harness()
    h.bot()
    h.intent(order_type="LIMIT", entry=1.0990, sl=1.0970, tps=[1.1030], ts=T0)
    assert h.statuses() == ["PENDING"]
    h.bars(bar(0, 1.1000, 1.1005, 1.0995, 1.1000))  # not touched
    assert h.statuses() == ["PENDING"]
    h.bars(bar(1, 1.0998, 1.1040, 1.0985, 1.1020))  # touched, and the TP later in the bar
    filled = h.executions()[-1]
    assert (filled["status"], filled["price"], filled["reason"]) == ("FILLED", 1.0990, "LIMIT_FILL")
    assert h.trades() == []
    h.bars(bar(2, 1.1020, 1.1035, 1.1010, 1.1030))
    assert (h.trade()["exit_reason"], h.trade()["exit_price"]) == ("TAKE_PROFIT", 1.1030)


def test_buy_limit_gap_fills_at_the_better_open_and_counts_as_entered_at_the_open() -> None:
    h = Harness()
    h.bot()
    h.intent(order_type="LIMIT", entry=1.0990, sl=1.0950, tps=[1.1000], ts=T0)
    h.bars(bar(0, 1.0980, 1.1005, 1.0975, 1.1000))
    filled = next(e for e in h.executions() if e["status"] == "FILLED")
    assert (filled["price"], filled["reason"]) == (1.0980, "LIMIT_FILL_GAP_OPEN")
    assert h.trade()["exit_price"] == 1.1000  # the TP in the same bar: entered at the open


def test_a_limit_entry_can_be_stopped_in_its_entry_bar() -> None:
    h = Harness()
    h.bot()
    h.intent(order_type="LIMIT", entry=1.0990, sl=1.0980, tps=[1.1030], ts=T0)
    h.bars(bar(0, 1.1000, 1.1000, 1.0975, 1.0990))
    assert h.statuses() == ["PENDING", "FILLED", "CLOSED"]
    assert h.trade()["exit_price"] == 1.0980


def test_buy_stop_fills_at_its_level_plus_slippage_or_at_a_gapped_open() -> None:
    h = Harness(slippage_pips=0.1)
    h.bot()
    h.intent("o-1", order_type="STOP", entry=1.1010, sl=1.0990, ts=T0)
    h.intent("o-2", signal_id="sig-2", order_type="STOP", entry=1.1015, sl=1.0990, ts=T0)
    h.bars(bar(0, 1.1000, 1.1012, 1.0998, 1.1005))
    assert h.executions("o-1")[-1]["price"] == pytest.approx(1.10101)
    assert h.statuses("o-2") == ["PENDING"]
    h.bars(bar(1, 1.1020, 1.1025, 1.1018, 1.1020))
    filled = h.executions("o-2")[-1]
    assert (filled["price"], filled["reason"]) == (pytest.approx(1.10201), "STOP_FILL_GAP_OPEN")


def test_sell_limit_and_sell_stop_trigger_on_the_bid() -> None:
    h = Harness()
    h.bot()
    h.intent("o-1", side="SELL", order_type="LIMIT", entry=1.1010, sl=1.1030, ts=T0)
    h.intent("o-2", signal_id="s2", side="SELL", order_type="STOP", entry=1.0990, sl=1.1030, ts=T0)
    # BID basis: bid high 1.1010 touches the sell limit, bid low 1.0990 the sell stop
    h.bars(bar(0, 1.1000, 1.1010, 1.0990, 1.1000, spread=0.0002, basis="BID"))
    assert h.executions("o-1")[-1]["price"] == 1.1010
    assert h.executions("o-2")[-1]["price"] == 1.0990


def test_pending_entry_expires_at_the_first_bar_opening_at_or_after_its_expiry() -> None:
    h = Harness()
    h.bot()
    h.intent(order_type="LIMIT", entry=1.0950, sl=1.0900, ts=T0, expires_at=T0 + 2 * H)
    h.bars(flat(0, 1.1000), flat(1, 1.1000))
    assert h.statuses() == ["PENDING"]
    h.bars(bar(2, 1.0950, 1.0960, 1.0940, 1.0950))  # would touch, but it has expired
    expired = h.executions()[-1]
    assert (expired["status"], expired["ts_event"], expired["remaining_quantity"]) == (
        "EXPIRED",
        T0 + 2 * H,
        0.0,
    )
    assert expired["ts_init"] == T0 + 3 * H  # the bar that showed it: its close


def test_default_expiry_applies_without_expires_at() -> None:
    h = Harness(default_expiry_ms=3 * H)
    h.bot()
    h.intent(order_type="LIMIT", entry=1.0950, sl=1.0900, ts=T0)
    h.bars(*(flat(i, 1.1000) for i in range(4)))
    assert h.statuses() == ["PENDING", "EXPIRED"]
    assert h.executions()[-1]["ts_event"] == T0 + 3 * H


def test_usdjpy_pnl_is_converted_into_the_usd_account_at_the_exit_price() -> None:
    h = Harness()
    h.bot()
    h.intent(symbol="USDJPY", sl=109.00, tps=[111.00], ts=T0)
    h.bars(bar(0, 110.00, 110.10, 109.90, 110.00, symbol="USDJPY"))
    h.bars(bar(1, 110.50, 111.20, 110.40, 111.00, symbol="USDJPY"))
    # 1 lot = 100,000 USD: 1.00 JPY x 100,000 = 100,000 JPY = 100,000 / 111 USD
    assert h.trade()["gross_pnl"] == pytest.approx(round(100_000 / 111.0, 2))
