"""New intents: checked, admitted or refused, placed at the venue and caught up with the bars.

An intent becomes an order (numbered: orders are processed in creation order). It is refused
when its bot is unknown, deleted, paused or locked, when the governor is silent, when a hard
limit or a breaker forbids new positions, or when its currency cannot be converted; a
SHADOW_MODE breaker makes it shadow instead. Shadow intents are never refused by breakers,
limits or the governor's silence. A later revision of a pending entry amends it; a repeat, or a
revision of a filled order, does nothing.
"""

from __future__ import annotations

from hive.constitution import NO_NEW_POSITIONS
from hive_executor.account import Account
from hive_executor.books import MAX_COMMANDS_REMEMBERED, Books
from hive_executor.control import Control
from hive_executor.errors import ExecutorInputError
from hive_executor.inputs import Intent
from hive_executor.lifecycle import Lifecycle
from hive_executor.money import ConversionError, fx_rate
from hive_executor.orders import PENDING, REJECTED, WAITING, Order, to_steps
from hive_executor.outbox import At, Outbox
from hive_executor.simulation import Simulation
from hive_executor.state import CONTROL_KEY, BotState, bot_key
from hive_executor.updates import Updates
from hive_executor.venues import Venues


class Intake:
    """Turns intents into orders (see the module docstring)."""

    def __init__(
        self,
        books: Books,
        outbox: Outbox,
        *,
        control: Control,
        venues: Venues,
        lifecycle: Lifecycle,
        updates: Updates,
        simulation: Simulation,
    ) -> None:
        self._books = books
        self._outbox = outbox
        self._control = control
        self._venues = venues
        self._lifecycle = lifecycle
        self._updates = updates
        self._simulation = simulation
        self.governor_alive = True

    def receive(self, intent: Intent) -> None:
        books = self._books
        config = books.config
        inst = books.instrument(intent.symbol)
        steps = to_steps(intent.quantity, config.lot_step)
        if steps < 1:
            raise ExecutorInputError(
                "invalid_quantity",
                f"orders.intents: quantity {intent.quantity} is below the lot step "
                f"{config.lot_step}",
            )
        clock = books.control.clock
        if clock >= 0 and intent.ts_event < clock - config.dedupe_horizon_ms:
            raise ExecutorInputError(
                "stale_intent",
                f"orders.intents: {intent.order_id} is older than the de-duplication horizon",
            )
        books.ensure_index()
        bot = books.bots.get(intent.bot_id)
        if bot is None:
            self._reject_unknown_bot(intent, steps)
            return
        live = bot.orders.get(intent.order_id)
        if live is not None:
            if intent.revision > live.revision and live.status in (WAITING, PENDING):
                self._amend(bot, live, intent, steps)
            return  # a repeated intent, or a revision of a filled order: nothing
        if intent.order_id in bot.done:
            return
        order = self._new_order(bot, intent, steps)
        refusal = self._admission(bot, intent, order)
        if refusal is None:
            try:
                fx_rate(inst, order.account_currency, intent.entry or 1.0, books.rates)
            except ConversionError:
                refusal = "no_conversion_rate"
        at = At(intent.ts_event, intent.event_id, refusal)
        if refusal is not None:
            self._lifecycle.reject(bot, order, at)
        else:
            self._open_order(bot, order, at)

    def _new_order(self, bot: BotState, intent: Intent, steps: int) -> Order:
        control = self._books.control
        number = control.next_number
        control.next_number += 1
        self._books.dirty.add(CONTROL_KEY)
        return Order(
            order_id=intent.order_id,
            signal_id=intent.signal_id,
            revision=intent.revision,
            bot_id=bot.bot_id,
            cell_id=bot.cell_id,
            symbol=intent.symbol,
            side=intent.side,
            order_type=intent.order_type,
            entry=intent.entry,
            stop_loss=intent.stop_loss,
            take_profits=list(intent.take_profits),
            tp_fractions=list(intent.tp_fractions),
            steps=steps,
            risk_amount=intent.risk_amount,
            account_currency=bot.account.currency,
            mode=bot.mode,
            venue=bot.venue if bot.mode == "LIVE" else intent.venue,
            shadow=intent.shadow,
            shadow_reason=intent.shadow_reason if intent.shadow else "NONE",
            expires_at=self._expiry(intent),
            start_at=intent.ts_event,
            late_intent=False,
            features=intent.features,
            number=number,
            intent_event_id=intent.event_id,
            ts_intent=intent.ts_event,
            status=WAITING if intent.order_type == "MARKET" else PENDING,
        )

    def _open_order(self, bot: BotState, order: Order, at: At) -> None:
        """An admitted intent: to the venue, ACCEPTED/PENDING, then caught up with the bars."""
        market = self._books.markets.get(order.symbol)
        if market is not None and market.evicted_through >= order.ts_intent:
            # Older than the bar buffer: the bars it should have filled on are gone.
            order.late_intent = True
            last = market.last
            order.start_at = last.open_time + 1 if last is not None else order.ts_intent
        ack = self._venues.place(order)
        if order.late_intent:
            code = "late_intent"
        elif order.limp:
            code = ack.reason or "LIMP_MODE"
        else:
            code = "INTENT_ACCEPTED"
        status = "ACCEPTED" if order.order_type == "MARKET" else "PENDING"
        self._outbox.execution(order, status, At(at.ts, at.cause, code))
        bot.orders[order.order_id] = order
        self._books.index_order(order)
        self._updates.schedule_kept(order, market)
        self._simulation.catch_up(bot, order)
        self._books.dirty.add(bot_key(bot.bot_id))

    def _expiry(self, intent: Intent) -> int | None:
        if intent.order_type == "MARKET":
            return None
        if intent.expires_at is not None:
            return intent.expires_at
        return intent.ts_event + self._books.config.default_expiry_ms

    def _admission(self, bot: BotState, intent: Intent, order: Order) -> str | None:  # noqa: PLR0911 - one return per rule
        """Why a new entry is refused (None: taken); makes it shadow under a SHADOW_MODE
        breaker."""
        if bot.deleted:
            return "bot_deleted"
        if intent.shadow:
            return None
        if bot.status == "PAUSED":
            return "bot_paused"
        if bot.status == "LOCKED":
            return "bot_locked"
        if not self.governor_alive:
            return "governor_silent"
        if bot.block is not None:
            return f"risk_limit.{bot.block}"
        mode = self._control.breaker_mode(bot)
        if mode in NO_NEW_POSITIONS:
            return "breaker_no_new_positions"
        if mode == "SHADOW_MODE":
            order.shadow, order.shadow_reason = True, "BREAKER"
        return None

    def _reject_unknown_bot(self, intent: Intent, steps: int) -> None:
        control = self._books.control
        if intent.order_id in control.rejected:
            return
        rejected = control.rejected
        rejected[intent.order_id] = intent.ts_event
        if len(rejected) > MAX_COMMANDS_REMEMBERED:  # forget what is past the horizon
            horizon = intent.ts_event - self._books.config.dedupe_horizon_ms
            control.rejected = {k: t for k, t in rejected.items() if t >= horizon}
        self._books.dirty.add(CONTROL_KEY)
        # No account to book on: a stand-in bot carries the intent's own identity.
        stand_in = BotState(
            intent.bot_id,
            intent.cell_id,
            intent.mode,
            intent.venue,
            "constitution",
            "ACTIVE",
            False,
            Account(intent.account_currency, 0.0, 0.0, 0.0, 0.0, 0.0, "", ""),
        )
        order = self._new_order(stand_in, intent, steps)
        order.status = REJECTED
        self._outbox.execution(
            order, "REJECTED", At(intent.ts_event, intent.event_id, "unknown_bot")
        )

    def _amend(self, bot: BotState, order: Order, intent: Intent, steps: int) -> None:
        """A later revision of a pending entry: new levels and size from the revision's time."""
        order.revision = intent.revision
        order.order_type = intent.order_type
        order.entry, order.stop_loss = intent.entry, intent.stop_loss
        order.take_profits = list(intent.take_profits)
        order.tp_fractions = list(intent.tp_fractions)
        order.steps, order.risk_amount = steps, intent.risk_amount
        order.features = intent.features
        order.expires_at = self._expiry(intent)
        order.status = WAITING if intent.order_type == "MARKET" else PENDING
        self._venues.modify(order)
        self._outbox.execution(
            order, "MODIFIED", At(intent.ts_event, intent.event_id, "SIGNAL_REVISION")
        )
        # Re-simulate from the revision's time: the bars since were passed untouched.
        order.sim_until = min(order.sim_until, intent.ts_event - 1)
        self._simulation.catch_up(bot, order)
        self._books.dirty.add(bot_key(bot.bot_id))
