"""The day roll: a new trading day for every bot whose boundary a bar's open has passed.

At the boundary (midnight in the bot's `day_boundary_tz`, see `daybook`) the day start
balance and equity are taken, the realised P&L of the day restarts, a daily-loss block is
lifted and finished order ids past the de-duplication horizon are forgotten; a DAY_BOUNDARY
snapshot is stamped with the boundary's time. Only bars move the day: commands carry
wall-clock times.
"""

from __future__ import annotations

from hive_executor.accounting import Accounting
from hive_executor.books import Books
from hive_executor.daybook import day_start_ms, next_boundary_ms, trading_day
from hive_executor.money import money
from hive_executor.quotes import Bar
from hive_executor.state import BotState, bot_key


class DayRoll:
    """Trading-day boundaries of every bot (see the module docstring)."""

    def __init__(self, books: Books, accounting: Accounting) -> None:
        self._books = books
        self._accounting = accounting

    def roll(self, bar: Bar) -> None:
        """Start a new trading day for every bot whose boundary this bar's open has passed."""
        for bot in self._books.bots_sorted():
            if bot.account.next_boundary <= bar.open_time:  # -1 (no clock yet) included
                self._roll_bot(bot, bar)

    def retime(self, bot: BotState, tz: str) -> None:
        """The bot's day boundary moved to another time zone: its next boundary follows."""
        acct = bot.account
        if acct.tz != tz:
            acct.tz = tz
            clock = self._books.control.clock
            if acct.next_boundary >= 0 and clock >= 0:
                acct.next_boundary = next_boundary_ms(clock, tz)

    def _roll_bot(self, bot: BotState, bar: Bar) -> None:
        acct = bot.account
        first = acct.next_boundary < 0  # the first bar sets the account's clock
        acct.next_boundary = next_boundary_ms(bar.open_time, acct.tz)
        self._books.dirty.add(bot_key(bot.bot_id))
        day = trading_day(bar.open_time, acct.tz)
        if first and day.isoformat() == acct.trading_day:
            return
        # Several days without bars (a weekend): one boundary, the latest day's.
        boundary = day_start_ms(day, acct.tz)
        value = self._accounting.valuation(bot)
        acct.trading_day = day.isoformat()
        acct.day_start_balance = acct.balance
        acct.day_start_equity = money(acct.balance + value.unrealized)
        acct.realized_today = 0.0
        acct.clock = max(acct.clock, boundary)
        if bot.block == "daily_loss":
            bot.block = None
        horizon = bar.open_time - self._books.config.dedupe_horizon_ms
        bot.done = {k: v for k, v in bot.done.items() if v[1] >= horizon}
        self._accounting.snapshot(bot, "DAY_BOUNDARY", boundary, bar.event_id, init=bar.ts_event)
