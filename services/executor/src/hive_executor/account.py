"""The account of one bot: balance, the trading day, peak equity, and its snapshot record.

Balance = initial balance + realised net P&L (fills' and closes' commissions, closes' gross
P&L, swaps). Equity = balance + unrealised P&L of the open non-shadow positions, valued where
they would exit at the latest bar close (bid for longs, ask for shorts). Shadow orders never
touch it. Every snapshot takes the next `sequence` (from 1, without gaps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hive_executor.money import money


@dataclass(slots=True)
class Valuation:
    """Open positions of a bot at the latest prices (money in the account currency)."""

    unrealized: float = 0.0
    worst_unrealized: float = 0.0  # at the adverse extreme of a bar (hard-limit guard)
    margin: float = 0.0
    positions: int = 0
    open_risk: float = 0.0


@dataclass(slots=True)
class Account:
    currency: str
    initial_balance: float
    balance: float
    day_start_balance: float
    day_start_equity: float
    peak_equity: float
    trading_day: str  # YYYY-MM-DD in tz
    tz: str
    realized_today: float = 0.0
    next_boundary: int = -1  # start of the next trading day; -1 until bars set the clock
    sequence: int = 0
    clock: int = -1  # event time of the latest change or bar snapshot (snapshots never go back)

    def add(self, amount: float) -> None:
        """Realised money (net P&L of a close, a commission as a negative amount, a swap)."""
        self.balance = money(self.balance + amount)
        self.realized_today = money(self.realized_today + amount)

    def stamp(self, ts: int) -> int:
        """Event time for a change snapshot: its own time, never before the last one's."""
        self.clock = max(self.clock, ts)
        return self.clock


def snapshot_record(
    *,
    bot_id: str,
    cell_id: str,
    mode: str,
    account: Account,
    value: Valuation,
    reason: str,
    ts: int,
    ts_init: int,
    cause: str | None,
) -> dict[str, Any]:
    """The next `accounts.snapshots` record of the account (takes a sequence number)."""
    acct = account
    equity = money(acct.balance + value.unrealized)
    acct.peak_equity = max(acct.peak_equity, equity)
    acct.sequence += 1
    return {
        "event_id": f"{bot_id}:{acct.sequence}",
        "ts_event": ts,
        "ts_init": ts_init,
        "bot_id": bot_id,
        "cell_id": cell_id,
        "sequence": acct.sequence,
        "currency": acct.currency,
        "mode": mode,
        "balance": acct.balance,
        "equity": equity,
        "unrealized_pnl": money(value.unrealized),
        "margin_used": money(value.margin),
        "open_positions": value.positions,
        "open_risk": money(value.open_risk),
        "realized_pnl_today": acct.realized_today,
        "initial_balance": acct.initial_balance,
        "trading_day": acct.trading_day,
        "day_boundary_tz": acct.tz,
        "day_start_balance": acct.day_start_balance,
        "day_start_equity": acct.day_start_equity,
        "peak_equity": acct.peak_equity,
        "daily_loss": money(max(0.0, acct.day_start_balance - equity)),
        "drawdown": money(max(0.0, acct.peak_equity - equity)),
        "total_loss": money(max(0.0, acct.initial_balance - equity)),
        "reason": reason,
        "cause_event_id": cause,
    }
