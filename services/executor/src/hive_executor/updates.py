"""Signal updates the risk gate allowed: kept per signal, scheduled on the orders of the bot
each was allowed for, applied at a bar's open.

An update at time U applies at the open of the first bar with open time >= U; when the order
was already simulated past U (the update came late) it applies at the next bar's open, reason
`late_update`. Updates are kept per signal for `update_horizon_ms`, so an intent that arrives
after its signal's updates still gets them at their own times. An update whose source is not
the order's (its features' source) is refused, `foreign_source`: the gate already refuses them,
this is the second lock.
"""

from __future__ import annotations

from typing import Any

from hive_executor.books import Books
from hive_executor.inputs import Update
from hive_executor.lifecycle import Lifecycle
from hive_executor.orders import CANCELLED, OPEN, Order, Scheduled
from hive_executor.outbox import At, Outbox
from hive_executor.quotes import Bar
from hive_executor.state import BotState, MarketState, bot_key, market_key
from hive_executor.venues import Venues


def _foreign(order: Order, update: dict[str, Any]) -> bool:
    """The update names a source other than the order's signal's (from its features)."""
    source, own = update.get("source"), order.features.get("source")
    return isinstance(source, str) and isinstance(own, str) and source != own


class Updates:
    """Keeps, schedules and applies signal updates (see the module docstring)."""

    def __init__(self, books: Books, outbox: Outbox, lifecycle: Lifecycle, venues: Venues) -> None:
        self._books = books
        self._outbox = outbox
        self._lifecycle = lifecycle
        self._venues = venues

    def receive(self, upd: Update) -> None:
        """Keep the update for its signal and schedule it on its bot's live orders of it."""
        books = self._books
        books.instrument(upd.symbol)
        market = books.market(upd.symbol)
        kept = market.updates.setdefault(upd.target_signal_id, [])
        if any(u["event_id"] == upd.event_id for u in kept):
            return
        data = upd.to_json()
        kept.append(data)
        kept.sort(key=lambda u: (u["ts_event"], u["event_id"]))
        self._prune(market)
        books.dirty.add(market_key(upd.symbol))
        for bot in books.bots_sorted():
            if not upd.reaches(bot.bot_id):
                continue
            for order in sorted(bot.orders.values(), key=lambda o: o.number):
                if order.signal_id == upd.target_signal_id and order.active:
                    self.schedule(order, data)
                    books.dirty.add(bot_key(bot.bot_id))

    def schedule_kept(self, order: Order, market: MarketState | None) -> None:
        """A new order gets the updates its signal already had."""
        if market is not None:
            for stored in market.updates.get(order.signal_id, []):
                if Update.from_json(stored).reaches(order.bot_id):
                    self.schedule(order, stored)

    def schedule(self, order: Order, update: dict[str, Any]) -> None:
        if update["event_id"] in order.applied:
            return
        order.applied.append(update["event_id"])
        # Late: the order already went through the bar at whose open the update applies.
        late = order.sim_until >= int(update["ts_event"])
        order.updates.append(Scheduled(update, late))

    def apply_due(self, bot: BotState, order: Order, bar: Bar) -> None:
        """The order's updates due at this bar's open, oldest first."""
        due = [s for s in order.updates if s.late or int(s.update["ts_event"]) <= bar.open_time]
        if not due:
            return
        order.updates = [s for s in order.updates if s not in due]
        due.sort(key=lambda s: (int(s.update["ts_event"]), str(s.update["event_id"])))
        for sched in due:
            if not order.active:
                break
            if _foreign(order, sched.update):
                self._refuse(
                    order, At(bar.ts_event, sched.update["event_id"], None), "foreign_source"
                )
                continue
            self._apply(bot, order, sched, bar)

    def _apply(self, bot: BotState, order: Order, sched: Scheduled, bar: Bar) -> None:
        upd = Update.from_json(sched.update)
        at = At(bar.ts_event, upd.event_id, "late_update" if sched.late else f"UPDATE_{upd.action}")
        is_open = order.status == OPEN
        at_open = (bar.ask_open, bar.spread)
        action = upd.action
        lifecycle = self._lifecycle
        if action in ("CANCEL", "CLOSE_ALL") and not is_open:
            lifecycle.cancel(bot, order, CANCELLED, at)
            return
        if action == "CANCEL":
            return  # CANCEL is for pending entries: an open position stays open
        if action == "CLOSE_ALL":
            lifecycle.close_at_market(
                bot, order, order.open_steps, at_open, at, exit_reason="SIGNAL_UPDATE"
            )
            return
        if action in ("CLOSE_PARTIAL", "BREAKEVEN") and not is_open:
            self._refuse(order, at, "no_position")
            return
        if action == "CLOSE_PARTIAL":
            assert upd.fraction is not None
            steps = min(order.open_steps, max(1, round(order.open_steps * upd.fraction)))
            lifecycle.close_at_market(bot, order, steps, at_open, at, exit_reason="SIGNAL_UPDATE")
            return
        refusal = self._modify_levels(order, upd, bar)
        if refusal is not None:
            self._refuse(order, at, refusal)
            return
        self._venues.modify(order)
        self._outbox.execution(order, "MODIFIED", at)

    @staticmethod
    def _modify_levels(order: Order, upd: Update, bar: Bar) -> str | None:
        """Apply MOVE_SL / BREAKEVEN / MOVE_TP to the order, or say why not."""
        is_open = order.status == OPEN
        sign = 1.0 if order.is_long else -1.0
        # where the position would exit now (bid for a long, ask for a short), or the entry
        here = bar.bid_open if order.is_long else bar.ask_open
        ref = here if is_open else (order.entry or here)
        if upd.action in ("BREAKEVEN", "MOVE_SL"):
            new_sl = order.entry_price if upd.action == "BREAKEVEN" else upd.price
            assert new_sl is not None
            if (ref - new_sl) * sign <= 0:
                return "invalid_stop"
            order.stop_loss = new_sl
            return None
        assert upd.price is not None and upd.tp_index is not None  # MOVE_TP
        index = upd.tp_index - 1
        if index >= len(order.take_profits) or (is_open and order.tp_done[index]):
            return "invalid_tp_index"
        if (upd.price - ref) * sign <= 0:
            return "invalid_take_profit"
        order.take_profits[index] = upd.price
        return None

    def _refuse(self, order: Order, at: At, reason: str) -> None:
        """An update the order cannot take: REJECTED record, the order unchanged."""
        self._outbox.execution(order, "REJECTED", At(at.ts, at.cause, reason))

    def _prune(self, market: MarketState) -> None:
        clock = self._books.control.clock
        if clock < 0:
            return
        horizon = clock - self._books.config.update_horizon_ms
        for signal_id in [s for s, ups in market.updates.items() if ups[-1]["ts_event"] < horizon]:
            del market.updates[signal_id]
