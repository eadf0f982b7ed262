"""The paper broker against an independent backtester: backtesting.py on the bundled EURUSD H1
2017 bars, with the same deterministic market orders.

Orders: every 20th bar from bar 30, alternately BUY and SELL, 1 lot (100,000 units), with a
stop and one take-profit at fixed pip distances (cycling through 15/20/30 pips for the stop and
20/30/45 pips for the target) from the close of the bar before the entry. backtesting.py places
each order in `next()` of that bar and fills it at the next bar's open; the executor gets an
intent stamped with the entry bar's open time, which it fills at that bar's open.

Conventions made comparable:
- spread, slippage and commission are zero on both sides: backtesting.py models the spread as
  a fraction of the price and fills both sides at the same price, the executor an absolute
  spread between bid and ask; the bars here get `spread = 0` (ASK basis: bid = ask);
- trades are independent (`hedging=True`: no netting of opposite positions), with cash and
  margin large enough that nothing is refused (and the executor's hard-limit guard never acts);
- same-bar rules agree: an order filled at a bar's open is checked against that bar; when a bar
  touches both the stop and the target the stop wins; a bar opening beyond the stop fills it at
  the open, a bar opening beyond the target fills the target at the open.

Compared, trade by trade: entry bar and price, exit bar and price, exit reason (stop or
target) and P&L (to the cent). Trades still open at the end are open on both sides.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from hive_executor import Executor

from support.executor import TRADES, bot, bundled_bars, config, intent, replay

pytestmark = pytest.mark.unit

PIP = 0.0001
SL_PIPS = (15, 20, 30)
TP_PIPS = (20, 30, 45)
SIZE_UNITS = 100_000  # 1 lot of EURUSD


class Scripted(Strategy):
    """Places the planned orders: plan[i] is placed in next() of bar i, filled at bar i + 1."""

    plan: ClassVar[dict[int, tuple[str, float, float, int]]] = {}

    def init(self) -> None:
        pass

    def next(self) -> None:
        order = self.plan.get(len(self.data) - 1)
        if order is not None:
            side, sl, tp, tag = order
            place = self.buy if side == "BUY" else self.sell
            place(size=SIZE_UNITS, sl=sl, tp=tp, tag=tag)


def _plan(bars: list[dict[str, Any]]) -> dict[int, tuple[str, float, float, int]]:
    plan = {}
    for n, entry_bar in enumerate(range(30, len(bars) - 1, 20)):
        decide = entry_bar - 1
        ref = bars[decide]["close"]
        side = "BUY" if n % 2 == 0 else "SELL"
        sign = 1 if side == "BUY" else -1
        sl = round(ref - sign * SL_PIPS[n % 3] * PIP, 5)
        tp = round(ref + sign * TP_PIPS[(n // 3) % 3] * PIP, 5)
        plan[decide] = (side, sl, tp, n)
    return plan


def _backtesting(bars: list[dict[str, Any]], plan: dict[int, Any]) -> dict[int, dict[str, Any]]:
    frame = pd.DataFrame(
        {
            "Open": [b["open"] for b in bars],
            "High": [b["high"] for b in bars],
            "Low": [b["low"] for b in bars],
            "Close": [b["close"] for b in bars],
            "Volume": [b["volume"] or 0.0 for b in bars],
        },
        index=pd.to_datetime([b["open_time"] for b in bars], unit="ms", utc=True),
    )
    Scripted.plan = plan
    test = Backtest(
        frame,
        Scripted,
        cash=10_000_000_000,
        spread=0.0,
        commission=0.0,
        margin=1.0,
        hedging=True,
        exclusive_orders=False,
        trade_on_close=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = test.run()
    trades = stats["_trades"]
    found = {}
    for row in trades.itertuples():
        found[int(row.Tag)] = {
            "entry_bar": int(row.EntryBar),
            "entry_price": float(row.EntryPrice),
            "exit_bar": int(row.ExitBar),
            "exit_price": float(row.ExitPrice),
            "reason": "STOP_LOSS" if row.ExitPrice == row.SL or _worse(row) else "TAKE_PROFIT",
            "pnl": float(row.PnL),
        }
    return found


def _worse(row: Any) -> bool:
    """A stop filled at a gapped open is worse than the stop; a target never is."""
    long = row.Size > 0
    return bool(row.ExitPrice < row.EntryPrice) if long else bool(row.ExitPrice > row.EntryPrice)


def _executor(bars: list[dict[str, Any]], plan: dict[int, Any]) -> dict[int, dict[str, Any]]:
    engine = Executor(config(slippage_pips=0.0, commission_per_lot=0.0))
    events: list[tuple[str, Any]] = [
        ("bot", bot("ref", size=10_000_000_000, ts=bars[0]["open_time"]))
    ]
    by_time = {b["open_time"]: i for i, b in enumerate(bars)}
    tags: dict[str, int] = {}
    for i, b in enumerate(bars):
        if i - 1 in plan:
            side, sl, tp, tag = plan[i - 1]
            order_id = f"o-{tag}"
            tags[order_id] = tag
            record = intent(
                order_id,
                bot_id="ref",
                signal_id=f"ref-{tag}",
                side=side,
                sl=sl,
                tps=[tp],
                qty=1.0,
                ts=b["open_time"],
            )
            events.append(("intent", record))
        events.append(("bar", {**b, "spread": 0.0}))
    found = {}
    for out in replay(engine, events):
        if out.topic != TRADES:
            continue
        t = out.value
        found[tags[t["order_id"]]] = {
            "entry_bar": by_time[t["entry_time"] - 3_600_000],
            "entry_price": t["entry_price"],
            "exit_bar": by_time[t["exit_time"] - 3_600_000],
            "exit_price": t["exit_price"],
            "reason": t["exit_reason"],
            "pnl": t["pnl"],
        }
    return found


def test_market_orders_with_stops_and_targets_match_backtesting_py() -> None:
    bars = bundled_bars(10_000)
    assert len(bars) == 6225
    plan = _plan(bars)
    assert len(plan) >= 300
    reference = _backtesting(bars, plan)
    ours = _executor(bars, plan)
    assert len(reference) >= 300
    assert sorted(ours) == sorted(reference)
    mismatches = []
    for tag, ref in sorted(reference.items()):
        got = ours[tag]
        same = (
            got["entry_bar"] == ref["entry_bar"]
            and got["exit_bar"] == ref["exit_bar"]
            and got["entry_price"] == pytest.approx(ref["entry_price"], abs=1e-9)
            and got["exit_price"] == pytest.approx(ref["exit_price"], abs=1e-9)
            and got["reason"] == ref["reason"]
            and got["pnl"] == pytest.approx(ref["pnl"], abs=0.01)
        )
        if not same:
            mismatches.append((tag, got, ref))
    assert mismatches == []
    reasons = {r["reason"] for r in reference.values()}
    assert reasons == {"STOP_LOSS", "TAKE_PROFIT"}
