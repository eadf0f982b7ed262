"""Closing a bot's whole book: the hard-limit guard after a bar, and FLATTEN / KILL_SWITCH.

Both close every open position at market and cancel every pending entry, oldest order first.
The guard's limits are in `guard`; the commands' scopes in `control`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from hive_executor.account import Valuation
from hive_executor.accounting import Accounting
from hive_executor.books import Books
from hive_executor.guard import Guard
from hive_executor.lifecycle import Lifecycle
from hive_executor.money import money
from hive_executor.orders import CANCELLED, OPEN
from hive_executor.outbox import At
from hive_executor.quotes import Bar
from hive_executor.state import BotState

log = logging.getLogger(__name__)


class Closeout:
    """The hard-limit guard and the flatten of a bot (see the module docstring)."""

    def __init__(
        self,
        books: Books,
        accounting: Accounting,
        lifecycle: Lifecycle,
        guard: Guard,
        rule_overrides: Callable[[str], Mapping[str, str]] = lambda _bot_id: {},
    ) -> None:
        self._rule_overrides = rule_overrides  # a bot's, with the changes in force
        self._books = books
        self._accounting = accounting
        self._lifecycle = lifecycle
        self._guard = guard

    def guard_bar(self, bot: BotState, bar: Bar) -> Valuation | None:
        """The hard-limit guard after a bar (see `guard`): the bot's valuation, or None when
        the guard closed its positions."""
        acct = bot.account
        value = self._accounting.valuation(bot, worst=bar)
        acct.peak_equity = max(acct.peak_equity, money(acct.balance + value.unrealized))
        breach = self._guard.check(
            bot.rule_set,
            worst_equity=acct.balance + value.worst_unrealized,
            initial_balance=acct.initial_balance,
            day_start_balance=acct.day_start_balance,
            peak_equity=acct.peak_equity,
            overrides=self._rule_overrides(bot.bot_id),
        )
        if breach is None:
            return value
        if bot.block != "max_loss":
            bot.block = breach
        log.warning("bot %s breached its %s limit: closing its positions", bot.bot_id, breach)
        at = At(bar.ts_event, bar.event_id, f"risk_limit.{breach}")
        for order in sorted(bot.orders.values(), key=lambda o: o.number):
            if order.shadow or not order.active:
                continue
            if order.status == OPEN:
                self._lifecycle.close_all_at_last(bot, order, at, exit_reason="RISK_LIMIT")
            else:
                self._lifecycle.cancel(bot, order, CANCELLED, at)
        return None

    def flatten(self, bot: BotState, command_id: str, code: str) -> None:
        """Close every position and cancel every pending entry of the bot at the last close."""
        for order in sorted(bot.orders.values(), key=lambda o: o.number):
            if not order.active:
                continue
            market = self._books.markets.get(order.symbol)
            last = market.last if market is not None else None
            if order.status == OPEN:
                assert last is not None  # a position was filled on a bar
                at = At(last.ts_event, command_id, code)
                self._lifecycle.close_all_at_last(bot, order, at, exit_reason="FLATTEN")
            else:
                ts = max(last.ts_event, order.ts_intent) if last is not None else order.ts_intent
                self._lifecycle.cancel(bot, order, CANCELLED, At(ts, command_id, code))
