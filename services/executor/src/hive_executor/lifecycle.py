"""The transitions of one order: filled, (partially) closed, cancelled or expired, refused,
and finished (forgotten but for its id).

Each transition emits its execution record, books the money of a non-shadow order on the
bot's account, and a close of the last lot step emits the trade. Which bar causes which
transition is decided in `simulation`; signal updates in `updates`; new intents in `intake`.
"""

from __future__ import annotations

from hive.instruments import Instrument
from hive_executor.accounting import Accounting
from hive_executor.books import Books
from hive_executor.daybook import next_rollover_ms
from hive_executor.fills import market_exit
from hive_executor.money import commission, fx_rate, gross_pnl, margin, money
from hive_executor.orders import CANCELLED, CLOSED, OPEN, REJECTED, Leg, Order, lots
from hive_executor.outbox import At, Outbox
from hive_executor.quotes import Bar
from hive_executor.state import BotState, bot_key
from hive_executor.venues import Venues


class Lifecycle:
    """Fill, close, cancel, refuse and finish orders (see the module docstring)."""

    def __init__(
        self, books: Books, outbox: Outbox, accounting: Accounting, venues: Venues
    ) -> None:
        self._books = books
        self._outbox = outbox
        self._accounting = accounting
        self._venues = venues

    def fill(
        self, bot: BotState, order: Order, bar: Bar, *, inst: Instrument, price: float, code: str
    ) -> bool:
        """The entry fills at `price` in `bar`; False when it was refused for margin."""
        cfg = self._books.config
        price = inst.round_price(price)
        ccy = order.account_currency
        qty = lots(order.steps, cfg.lot_step)
        if not order.shadow:
            need = margin(
                inst, ccy, lots=qty, price=price, leverage=cfg.leverage, rates=self._books.rates
            )
            if need > self._accounting.free_margin(bot):
                self.reject(bot, order, At(bar.ts_event, bar.event_id, "insufficient_margin"))
                return False
        cost = commission(qty, cfg.commission_per_lot)
        order.status = OPEN
        order.entry_time, order.entry_price, order.entry_bar = bar.ts_event, price, bar.open_time
        order.filled_steps = order.open_steps = order.steps
        order.initial_stop_loss = order.stop_loss
        order.tp_done = [False] * len(order.take_profits)
        order.commission = cost
        order.next_swap_at = next_rollover_ms(bar.open_time)
        if order.stop_loss is not None:
            risk = abs(price - order.stop_loss) * qty * inst.contract_size
            order.fill_risk = money(risk * fx_rate(inst, ccy, order.stop_loss, self._books.rates))
        at = At(bar.ts_event, bar.event_id, code)
        cause = self._outbox.execution(
            order, "FILLED", at, price=price, steps=order.steps, commission=cost
        )
        if not order.shadow:
            self._accounting.book(bot, -cost, bar.ts_event, cause)
        return True

    def close(
        self,
        bot: BotState,
        order: Order,
        steps: int,
        price: float,
        at: At,
        *,
        exit_reason: str,
        tp_index: int | None = None,
    ) -> None:
        """Close `steps` of the position at `price` (a leg); the last step closes the trade."""
        cfg = self._books.config
        inst = self._books.instrument(order.symbol)
        qty = lots(steps, cfg.lot_step)
        pnl = gross_pnl(
            inst,
            order.account_currency,
            is_long=order.is_long,
            lots=qty,
            entry=order.entry_price,
            exit_price=price,
            rates=self._books.rates,
        )
        gross = money(pnl)
        cost = commission(qty, cfg.commission_per_lot)
        order.legs.append(Leg(steps, price, at.ts, exit_reason, tp_index, gross))
        order.open_steps -= steps
        order.commission = money(order.commission + cost)
        closed = order.open_steps == 0
        if closed:
            order.status = CLOSED
        event_id = self._outbox.execution(
            order,
            "CLOSED" if closed else "PARTIALLY_CLOSED",
            at,
            price=price,
            steps=steps,
            tp_index=tp_index,
            realized=money(gross - cost),
            commission=cost,
        )
        if not order.shadow:
            self._accounting.book(bot, gross - cost, at.ts, event_id)
        if closed:
            self._outbox.trade(order)
            self.finish(bot, order, at.ts)

    def close_at_market(
        self,
        bot: BotState,
        order: Order,
        steps: int,
        quote: tuple[float, float],
        at: At,
        *,
        exit_reason: str,
    ) -> None:
        """A market close (update, flatten, risk limit) at `quote` = (ask, spread), slipped."""
        inst = self._books.instrument(order.symbol)
        slip = self._books.config.slippage_pips * inst.pip_size
        ask, spread = quote
        price = inst.round_price(market_exit(order.is_long, ask, spread, slip))
        self._venues.close(order, steps)
        self.close(bot, order, steps, price, at, exit_reason=exit_reason)

    def close_all_at_last(self, bot: BotState, order: Order, at: At, *, exit_reason: str) -> None:
        """Close the whole position at its symbol's latest bar close."""
        last = self._books.last_bar(order.symbol)
        quote = (last.ask_close, last.spread)
        self.close_at_market(bot, order, order.open_steps, quote, at, exit_reason=exit_reason)

    def cancel(self, bot: BotState, order: Order, status: str, at: At) -> None:
        """CANCELLED (told to the venue) or EXPIRED (the venue expires it by itself)."""
        if status == CANCELLED:
            self._venues.cancel(order)
        order.status = status
        self._outbox.execution(order, status, at)
        self.finish(bot, order, at.ts)

    def reject(self, bot: BotState, order: Order, at: At) -> None:
        """An entry refused before or at its fill."""
        order.status = REJECTED
        self._outbox.execution(order, "REJECTED", at)
        self.finish(bot, order, at.ts)

    def finish(self, bot: BotState, order: Order, ts: int) -> None:
        # The id stays in `done` (until the de-duplication horizon) so a repeat does nothing.
        bot.orders.pop(order.order_id, None)
        bot.done[order.order_id] = [order.revision, ts]
        self._books.dirty.add(bot_key(bot.bot_id))
