"""The executor's engine: orders in, executions, closed trades and account snapshots out.

Plain Python, no Kafka: the service feeds records to `on_*` and publishes the returned
`Output`s. Event time only; the same inputs in the same order give the same outputs.

Time and late inputs
- A MARKET intent at time T fills at the open of the first bar with open time >= T. Bars come
  straight from the feed and intents after several hops, so an intent often arrives after the
  bars that follow T: the engine keeps the last `bar_buffer` bars per symbol and simulates the
  new order forward through them ("catch-up"), producing the executions and trades (prices,
  ts_event) it would have produced in time. Pending LIMIT/STOP entries and their expiry too.
  An intent older than the buffer fills at the next bar, reason `late_intent`.
- An update (an allowed MODIFICATION decision of the risk gate on `orders.decisions`, for one
  bot) at time U applies at the open of the first bar with open time >= U. When the
  position was already simulated past U (the update arrived late), it applies at the open of
  the next bar, reason `late_update`. Updates are kept per signal (`update_horizon_ms`), so
  an intent arriving after its signal's updates still gets them at their own times.
- The account learns catch-up changes when they happen in processing: its snapshots are
  stamped with the change's time but never earlier than the bot's previous snapshot, so each
  bot's snapshot history stays in time order. (Executions and trades keep exact times.)
- Day boundaries and swap rollovers are detected on bars only. Commands carry wall-clock
  times, so FLATTEN closes at the last bar close of each symbol, stamped with that bar's time.

Refusals (REJECTED executions, reason): unknown_bot, bot_deleted, bot_paused, bot_locked,
governor_silent, risk_limit.daily_loss, risk_limit.max_loss, breaker_no_new_positions,
no_conversion_rate, insufficient_margin (at the fill); for updates: invalid_stop,
invalid_take_profit, invalid_tp_index, no_position, foreign_source (a refused update leaves the
order as it was; the record's remaining_quantity shows the position is still open). Shadow intents
(counterfactual, or made shadow by a breaker) are never refused by breakers, limits or the
governor's silence: they never touch the account.

Updates: MOVE_SL / MOVE_TP / BREAKEVEN modify (BREAKEVEN: stop to the average entry price;
a stop not on the loss side of the current exit price, or a take-profit not on the profit
side, is refused); CLOSE_PARTIAL closes `fraction` of the open quantity (rounded to the lot
step, at least one step) at the bar's open; CLOSE_ALL closes the position or cancels a pending
entry; CANCEL cancels a pending entry (an open position stays open, nothing is emitted). The
risk gate decides every update for every bot holding its signal; the executor applies only
the allowed ones, to that bot's orders (TP_HIT and SL_HIT, informational, get no decision).
A later revision of an intent (same order_id, higher signal_revision) amends a pending entry (MODIFIED, SIGNAL_REVISION, re-simulated from
the revision's time) and is ignored once the order is filled or finished; a repeated intent
produces nothing at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hive.bots import Bot
from hive.contracts.readers import RecordError
from hive.instruments import InstrumentCatalogue, load_instruments
from hive.limits import RuleSet
from hive.parameters import ParameterBook, effective_bot
from hive_executor.accounting import Accounting
from hive_executor.books import Books
from hive_executor.brokers import BrokerAccount, BrokerPosition, PaperBroker
from hive_executor.closeout import Closeout
from hive_executor.config import ExecutorConfig
from hive_executor.control import Control
from hive_executor.dayroll import DayRoll
from hive_executor.errors import ExecutorInputError
from hive_executor.guard import Guard
from hive_executor.inputs import (
    parse_bot,
    parse_breaker,
    parse_command,
    parse_intent,
    parse_modification,
)
from hive_executor.intake import Intake
from hive_executor.lifecycle import Lifecycle
from hive_executor.orders import OPEN
from hive_executor.outbox import Outbox
from hive_executor.outputs import Output
from hive_executor.persistence import Persistence
from hive_executor.quotes import bar_timeframe, parse_bar
from hive_executor.simulation import Simulation
from hive_executor.state import CONTROL_KEY, bot_key, market_key
from hive_executor.updates import Updates
from hive_executor.venues import BrokerFactory, Venues

__all__ = ["BrokerFactory", "Executor", "ExecutorConfig", "ExecutorInputError", "Output"]


class Executor:
    """Paper broker, trade lifecycle and accounts of every bot (see the module docstring).

    The facade: it parses each input and hands it to the part whose job it is. The parts
    share one `Books` (the state) and one `Outbox` (what the current call emits):
    `Intake` (new intents), `Simulation` (one bar of one order), `Lifecycle` (fills, closes,
    cancels), `Updates` (signal updates), `Accounting` (valuation, booking, snapshots),
    `DayRoll` (trading days), `Control` (breakers, commands), `Closeout` (hard-limit guard,
    flatten) and `Persistence` (the recovery store's texts).
    """

    def __init__(
        self,
        config: ExecutorConfig | None = None,
        *,
        instruments: InstrumentCatalogue | None = None,
        broker_factory: BrokerFactory | None = None,
        rule_sets: dict[str, RuleSet] | None = None,
    ) -> None:
        self.config = config or ExecutorConfig()
        catalogue = instruments if instruments is not None else load_instruments()
        books = self._books = Books(self.config, catalogue)
        outbox = self._outbox = Outbox(self.config)
        accounting = self._accounting = Accounting(books, outbox)
        venues = Venues(self.config, PaperBroker(accounting), broker_factory)
        lifecycle = Lifecycle(books, outbox, accounting, venues)
        updates = self._updates = Updates(books, outbox, lifecycle, venues)
        simulation = self._simulation = Simulation(books, accounting, lifecycle, updates)
        # The registry's definitions and the values in force (control.parameters), for the
        # hard-limit guard's rule overrides; both are tables read whole at start.
        self._definitions: dict[str, Bot] = {}
        self.parameters = ParameterBook()
        closeout = self._closeout = Closeout(
            books, accounting, lifecycle, Guard(rule_sets), rule_overrides=self.rule_overrides
        )
        control = self._control = Control(books, closeout)
        self._intake = Intake(
            books,
            outbox,
            control=control,
            venues=venues,
            lifecycle=lifecycle,
            updates=updates,
            simulation=simulation,
        )
        self._dayroll = DayRoll(books, accounting)
        self._persistence = Persistence(books)

    # ------------------------------------------------------------------ inputs

    def rule_overrides(self, bot_id: str) -> Mapping[str, str]:
        """The bot's rule overrides with the changes in force (`effective_bot`)."""
        bot = self._definitions.get(bot_id)
        return {} if bot is None else effective_bot(bot, self.parameters).rule_overrides

    def on_parameter(self, record: Mapping[str, Any] | None, key: str | None) -> list[Output]:
        """A control.parameters record or tombstone: in force from the next bar on."""
        try:
            self.parameters.apply(record, key)
        except RecordError as exc:
            raise ExecutorInputError(exc.reason, str(exc)) from None
        return []

    def set_governor_alive(self, alive: bool) -> None:
        """While the governor is silent, new entries are refused (exits still run)."""
        self._intake.governor_alive = alive

    def on_bot(self, record: Mapping[str, Any] | None, key: str | None) -> list[Output]:
        """A registry record: opens the account at the first one (INITIAL snapshot)."""
        out = self._outbox.begin()
        books = self._books
        if record is None:
            if not key:
                raise ExecutorInputError("invalid_record", "registry.bots: tombstone without key")
            self._definitions.pop(key, None)
            found = books.bots.get(key)
            if found is not None:
                found.deleted = True
                books.dirty.add(bot_key(key))
                books.sweep()
            return out
        d = parse_bot(record)
        if d.deleted:
            self._definitions.pop(d.bot.bot_id, None)
        else:
            self._definitions[d.bot.bot_id] = d.bot
        bot = books.bots.get(d.bot.bot_id)
        if bot is None:
            if not d.deleted:
                self._accounting.open_account(d)
            return out
        # A later definition: the account itself (balance, currency) is never reset.
        bot.cell_id, bot.mode, bot.venue = d.bot.cell_id, d.bot.mode, d.bot.venue
        bot.rule_set, bot.status, bot.deleted = d.bot.rule_set, d.bot.status, d.deleted
        self._dayroll.retime(bot, d.bot.day_boundary_tz)
        books.dirty.add(bot_key(d.bot.bot_id))
        books.sweep()
        return out

    def on_breaker(self, record: Mapping[str, Any]) -> list[Output]:
        self._control.breaker(parse_breaker(record))
        return []

    def on_command(self, record: Mapping[str, Any]) -> list[Output]:
        """FLATTEN / KILL_SWITCH close and cancel everything in scope; RESUME (BOT scope, by an
        ADMIN with a reason, as the governor requires) lifts a max-loss block. Other commands
        are for other services."""
        out = self._outbox.begin()
        self._control.command(parse_command(record))
        self._books.sweep()
        return out

    def on_intent(self, record: Mapping[str, Any]) -> list[Output]:
        out = self._outbox.begin()
        self._intake.receive(parse_intent(record))
        self._books.sweep()
        return out

    def on_decision(self, record: Mapping[str, Any]) -> list[Output]:
        """An `orders.decisions` record. Only an allowed MODIFICATION does something: its
        update is scheduled on its bot's orders of the signal (it acts at a bar's open) and kept
        for intents of that signal still to come. Entries and refused modifications change
        nothing. Returns nothing by itself."""
        upd = parse_modification(record)
        if upd is not None:
            self._updates.receive(upd)
        return []

    def on_bar(self, record: Mapping[str, Any]) -> list[Output]:
        out = self._outbox.begin()
        if bar_timeframe(record) != self.config.timeframe:
            return out
        books = self._books
        bar, inst = parse_bar(record, books.catalogue)
        market = books.market(bar.symbol)
        last = market.last
        if last is not None and bar.open_time <= last.open_time:
            return out  # a repeated or out-of-order bar
        books.ensure_index()
        self._dayroll.roll(bar)  # valued at the previous closes: the bar's own mark follows
        self._accounting.new_bar()
        market.bars.append(bar)
        if len(market.bars) > self.config.bar_buffer:
            market.evicted_through = market.bars.pop(0).open_time
        books.set_rate(bar)
        books.control.clock = max(books.control.clock, bar.ts_event)
        books.dirty.update((market_key(bar.symbol), CONTROL_KEY))
        orders = books.orders_on(bar.symbol)
        for order in orders:
            if order.active:
                self._simulation.step(books.bots[order.bot_id], order, bar, inst)
        books.dirty.update(bot_key(b) for b in {o.bot_id for o in orders})
        holders = {o.bot_id for o in orders if o.status == OPEN and not o.shadow}
        for bot_id in sorted(holders):
            bot = books.bots[bot_id]
            value = self._closeout.guard_bar(bot, bar)
            if value is not None:
                self._accounting.mark(bot, bar, value)
        books.sweep()
        return out

    # ------------------------------------------------------------------ state

    def export_state(self) -> dict[str, str]:
        """JSON texts of the state changed since the last export; "" for removed keys."""
        return self._persistence.export()

    def import_state(self, key: str, text: str) -> None:
        """Rebuild from exported texts (any order of keys), before any other call."""
        self._persistence.load(key, text)

    # ------------------------------------------------------------------ paper ledger

    def paper_positions(self, bot_id: str) -> list[BrokerPosition]:
        return self._accounting.paper_positions(bot_id)

    def paper_account(self, bot_id: str) -> BrokerAccount | None:
        return self._accounting.paper_account(bot_id)
