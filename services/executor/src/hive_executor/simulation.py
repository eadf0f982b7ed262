"""One bar of one order: the entry, the swaps, the updates due at the open, then the exits.

The same step runs for a bar as it arrives and for the buffered bars an order has not seen
yet (`catch_up`: a late intent, a revision re-simulated from its time), which is what makes a
late intent fill as it would have in time. The fill conventions themselves are in `fills`.
"""

from __future__ import annotations

import bisect

from hive.instruments import Instrument
from hive_executor.accounting import Accounting
from hive_executor.books import Books
from hive_executor.fills import exit_hits, market_entry, pending_entry
from hive_executor.lifecycle import Lifecycle
from hive_executor.orders import EXPIRED, OPEN, PENDING, WAITING, Order
from hive_executor.outbox import At
from hive_executor.quotes import Bar
from hive_executor.state import BotState, bot_key
from hive_executor.updates import Updates


class Simulation:
    """Moves orders through bars (see the module docstring)."""

    def __init__(
        self, books: Books, accounting: Accounting, lifecycle: Lifecycle, updates: Updates
    ) -> None:
        self._books = books
        self._accounting = accounting
        self._lifecycle = lifecycle
        self._updates = updates

    def catch_up(self, bot: BotState, order: Order) -> None:
        """Simulate the order through the buffered bars it has not seen yet."""
        books = self._books
        market = books.markets.get(order.symbol)
        if market is None or not market.bars:
            return
        inst = books.instrument(order.symbol)
        start = max(order.start_at, order.sim_until + 1)
        first = bisect.bisect_left(market.bars, start, key=lambda b: b.open_time)
        books.dirty.add(bot_key(bot.bot_id))
        for bar in market.bars[first:]:
            if not order.active:
                break
            self.step(bot, order, bar, inst)

    def step(self, bot: BotState, order: Order, bar: Bar, inst: Instrument) -> None:
        """One bar of one order: entry, swap, updates due at the open, then exits."""
        if bar.open_time <= order.sim_until or bar.open_time < order.start_at:
            return
        order.sim_until = bar.open_time  # (the caller marks the bot's state dirty)
        slip = self._books.config.slippage_pips * inst.pip_size
        if order.status == WAITING:
            price = market_entry(order.is_long, bar, slip)
            code = "late_intent" if order.late_intent else "MARKET_FILL_NEXT_BAR_OPEN"
            if not self._lifecycle.fill(bot, order, bar, inst=inst, price=price, code=code):
                return
        elif order.status == OPEN:
            self._accounting.charge_swaps(bot, order, bar)
        if order.updates:
            self._updates.apply_due(bot, order, bar)
            if not order.active:
                return
        from_open = True
        if order.status == PENDING:
            touched = self._pending(bot, order, bar, inst, slip)
            if touched is None:
                return
            from_open = touched
        self._exits(bot, order, bar, inst, slip, from_open=from_open)

    def _pending(
        self, bot: BotState, order: Order, bar: Bar, inst: Instrument, slip: float
    ) -> bool | None:
        """A pending entry in a bar: expired, untouched (None), or filled (True when filled at
        the open)."""
        if order.expires_at is not None and bar.open_time >= order.expires_at:
            at = At(order.expires_at, bar.event_id, "EXPIRED", bar.ts_event)
            self._lifecycle.cancel(bot, order, EXPIRED, at)
            return None
        assert order.entry is not None
        touch = pending_entry(order.is_long, order.order_type, order.entry, bar, slip)
        if touch is None:
            return None
        price, at_open = touch
        if order.late_intent:
            code = "late_intent"
        else:
            code = f"{order.order_type}_FILL" + ("_GAP_OPEN" if at_open else "")
        if not self._lifecycle.fill(bot, order, bar, inst=inst, price=price, code=code):
            return None
        return at_open

    def _exits(
        self,
        bot: BotState,
        order: Order,
        bar: Bar,
        inst: Instrument,
        slip: float,
        *,
        from_open: bool,
    ) -> None:
        hits = exit_hits(
            order.is_long,
            order.stop_loss,
            order.open_take_profits(),
            bar,
            slip,
            from_open=from_open,
        )
        for hit in hits:
            if order.status != OPEN:
                break
            price = inst.round_price(hit.price)
            if hit.tp_index is None:
                if order.stop_at_or_beyond_entry():
                    exit_reason, code = "BREAKEVEN_STOP", "BREAKEVEN_STOP"
                else:
                    exit_reason, code = "STOP_LOSS", "SL_HIT"
                at = At(bar.ts_event, bar.event_id, code)
                self._lifecycle.close(
                    bot, order, order.open_steps, price, at, exit_reason=exit_reason
                )
                continue
            steps = order.tp_leg_steps(hit.tp_index)
            order.tp_done[hit.tp_index] = True
            if steps > 0:
                number = hit.tp_index + 1
                at = At(bar.ts_event, bar.event_id, f"TP{number}_HIT")
                self._lifecycle.close(
                    bot, order, steps, price, at, exit_reason="TAKE_PROFIT", tp_index=number
                )
