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
- An update at time U applies at the open of the first bar with open time >= U. When the
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
invalid_take_profit, invalid_tp_index, no_position (a refused update leaves the order as it
was; the record's remaining_quantity shows the position is still open). Shadow intents
(counterfactual, or made shadow by a breaker) are never refused by breakers, limits or the
governor's silence: they never touch the account.

Updates: MOVE_SL / MOVE_TP / BREAKEVEN modify (BREAKEVEN: stop to the average entry price;
a stop not on the loss side of the current exit price, or a take-profit not on the profit
side, is refused); CLOSE_PARTIAL closes `fraction` of the open quantity (rounded to the lot
step, at least one step) at the bar's open; CLOSE_ALL closes the position or cancels a pending
entry; CANCEL cancels a pending entry (an open position stays open, nothing is emitted);
TP_HIT and SL_HIT are informational: no action. A later revision of an intent (same order_id,
higher signal_revision) amends a pending entry (MODIFIED, SIGNAL_REVISION, re-simulated from
the revision's time) and is ignored once the order is filled or finished; a repeated intent
produces nothing at all.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hive.constitution import BREAKER_SEVERITY as MODE_SEVERITY
from hive.constitution import NO_NEW_POSITIONS
from hive.instruments import Instrument, InstrumentCatalogue, load_instruments
from hive.limits import RuleSet
from hive.topics import ACCOUNTS_SNAPSHOTS as SNAPSHOTS
from hive.topics import ORDERS_EXECUTIONS as EXECUTIONS
from hive.topics import TRADES_CLOSED as TRADES
from hive_executor.account import Account, Valuation, snapshot_record
from hive_executor.brokers import (
    Broker,
    BrokerAccount,
    BrokerChange,
    BrokerOrder,
    BrokerPosition,
    PaperBroker,
)
from hive_executor.config import ExecutorConfig
from hive_executor.daybook import (
    day_start_ms,
    next_boundary_ms,
    next_rollover_ms,
    swap_nights,
    trading_day,
)
from hive_executor.errors import ExecutorInputError
from hive_executor.failover import FailoverBroker
from hive_executor.fills import exit_hits, market_entry, market_exit, pending_entry
from hive_executor.guard import Guard
from hive_executor.inputs import (
    BotDef,
    Intent,
    Update,
    parse_bot,
    parse_breaker,
    parse_command,
    parse_intent,
    parse_update,
)
from hive_executor.money import ConversionError, commission, fx_rate, gross_pnl, margin, money
from hive_executor.orders import (
    CANCELLED,
    CLOSED,
    EXPIRED,
    OPEN,
    PENDING,
    REJECTED,
    WAITING,
    Leg,
    Order,
    Scheduled,
    lots,
    to_steps,
)
from hive_executor.outputs import Output
from hive_executor.quotes import Bar, bar_timeframe, parse_bar
from hive_executor.records import execution_record, simulated, trade_record
from hive_executor.state import (
    CONTROL_KEY,
    BotState,
    ControlState,
    MarketState,
    StateError,
    bot_key,
    dump_bot,
    dump_control,
    dump_market,
    load_bot,
    load_control,
    load_market,
    market_key,
)

log = logging.getLogger(__name__)

BrokerFactory = Callable[[str], Broker | None]
MAX_COMMANDS_REMEMBERED = 10_000  # also the bound of intents refused for unknown bots


__all__ = ["BrokerFactory", "Executor", "ExecutorConfig", "ExecutorInputError", "Output"]


@dataclass(frozen=True, slots=True)
class At:
    """When and why a change happens: its event time, the input behind it, its reason code,
    and `init`, the ts_event of that input when it differs from `ts` (a bar revealing an
    expiry, a day boundary or a rollover that lies before its close)."""

    ts: int
    cause: str | None
    code: str | None
    init: int | None = None


class Executor:
    """Paper broker, trade lifecycle and accounts of every bot (see the module docstring)."""

    def __init__(
        self,
        config: ExecutorConfig | None = None,
        *,
        instruments: InstrumentCatalogue | None = None,
        broker_factory: BrokerFactory | None = None,
        rule_sets: dict[str, RuleSet] | None = None,
    ) -> None:
        self.config = config or ExecutorConfig()
        self._catalogue = instruments if instruments is not None else load_instruments()
        self._factory = broker_factory
        self._guard = Guard(rule_sets)
        self._paper = PaperBroker(self)
        self._bots: dict[str, BotState] = {}
        self._markets: dict[str, MarketState] = {}
        self._control = ControlState()
        self._commands: set[str] = set()
        self._rates: dict[str, float] = {}  # latest mid close per symbol, for fx conversion
        self._dirty: set[str] = set()
        self._removed: set[str] = set()
        self._index: dict[str, list[Order]] | None = {}  # symbol -> live orders, by number
        self._sorted_bots: list[BotState] | None = None
        self._snapped: set[str] = set()  # bots with a snapshot during the current bar
        self._out: list[Output] = []  # what the current call emits
        self._alive = True

    # ------------------------------------------------------------------ inputs

    def set_governor_alive(self, alive: bool) -> None:
        """While the governor is silent, new entries are refused (exits still run)."""
        self._alive = alive

    def on_bot(self, record: Mapping[str, Any] | None, key: str | None) -> list[Output]:
        """A registry record: opens the account at the first one (INITIAL snapshot)."""
        self._out = []
        if record is None:
            if not key:
                raise ExecutorInputError("invalid_record", "registry.bots: tombstone without key")
            found = self._bots.get(key)
            if found is not None:
                found.deleted = True
                self._dirty.add(bot_key(key))
                self._sweep()
            return self._out
        d = parse_bot(record)
        bot = self._bots.get(d.bot_id)
        if bot is None:
            if not d.deleted:
                self._open_account(d, record.get("event_id"))
            return self._out
        # A later definition: the account itself (balance, currency) is never reset.
        bot.cell_id, bot.mode, bot.venue = d.cell_id, d.mode, d.venue
        bot.rule_set, bot.status, bot.deleted = d.rule_set, d.status, d.deleted
        if bot.account.tz != d.day_boundary_tz:
            bot.account.tz = d.day_boundary_tz
            if bot.account.next_boundary >= 0 and self._control.clock >= 0:
                bot.account.next_boundary = next_boundary_ms(self._control.clock, d.day_boundary_tz)
        self._dirty.add(bot_key(d.bot_id))
        self._sweep()
        return self._out

    def on_breaker(self, record: Mapping[str, Any]) -> list[Output]:
        b = parse_breaker(record)
        key = "GLOBAL" if b.scope_level == "GLOBAL" else f"{b.scope_level}:{b.scope_id}"
        held = self._control.breakers.get(key)
        if held is None or b.transition_seq >= int(held[1]):
            self._control.breakers[key] = [b.fallback_mode, b.transition_seq]
            self._dirty.add(CONTROL_KEY)
        return []

    def on_command(self, record: Mapping[str, Any]) -> list[Output]:
        """FLATTEN / KILL_SWITCH close and cancel everything in scope; RESUME (BOT scope, by an
        ADMIN with a reason, as the governor requires) lifts a max-loss block. Other commands
        are for other services."""
        self._out = []
        cmd = parse_command(record)
        if cmd.command_id in self._commands:
            return self._out
        self._commands.add(cmd.command_id)
        self._control.commands.append(cmd.command_id)
        if len(self._control.commands) > MAX_COMMANDS_REMEMBERED:
            self._commands.discard(self._control.commands.pop(0))
        self._dirty.add(CONTROL_KEY)
        if cmd.command in ("FLATTEN", "KILL_SWITCH"):
            everyone = cmd.command == "KILL_SWITCH" or cmd.scope_level == "GLOBAL"
            for bot in self._bots_sorted():
                in_scope = (
                    everyone
                    or (cmd.scope_level == "BOT" and bot.bot_id == cmd.scope_id)
                    or (cmd.scope_level == "CELL" and bot.cell_id == cmd.scope_id)
                )
                if in_scope:
                    self._flatten(bot, cmd.command_id, "COMMAND_" + cmd.command)
        elif (
            cmd.command == "RESUME"
            and cmd.scope_level == "BOT"
            and cmd.role == "ADMIN"
            and cmd.reason.strip()
        ):
            target = self._bots.get(cmd.scope_id)
            if target is not None and target.block == "max_loss":
                target.block = None
                self._dirty.add(bot_key(target.bot_id))
        self._sweep()
        return self._out

    def on_intent(self, record: Mapping[str, Any]) -> list[Output]:
        self._out = []
        intent = parse_intent(record)
        inst = self._instrument(intent.symbol)
        steps = to_steps(intent.quantity, self.config.lot_step)
        if steps < 1:
            raise ExecutorInputError(
                "invalid_quantity",
                f"orders.intents: quantity {intent.quantity} is below the lot step "
                f"{self.config.lot_step}",
            )
        clock = self._control.clock
        if clock >= 0 and intent.ts_event < clock - self.config.dedupe_horizon_ms:
            raise ExecutorInputError(
                "stale_intent",
                f"orders.intents: {intent.order_id} is older than the de-duplication horizon",
            )
        self._ensure_index()
        bot = self._bots.get(intent.bot_id)
        if bot is None:
            self._reject_unknown_bot(intent, steps)
            return self._out
        live = bot.orders.get(intent.order_id)
        if live is not None:
            if intent.revision > live.revision and live.status in (WAITING, PENDING):
                self._amend(bot, live, intent, steps)
            return self._out  # a repeated intent, or a revision of a filled order: nothing
        if intent.order_id in bot.done:
            return self._out
        order = self._new_order(bot, intent, steps)
        refusal = self._admission(bot, intent, order)
        if refusal is None:
            try:
                fx_rate(inst, order.account_currency, intent.entry or 1.0, self._rates)
            except ConversionError:
                refusal = "no_conversion_rate"
        at = At(intent.ts_event, intent.event_id, refusal)
        if refusal is not None:
            order.status = REJECTED
            self._exec(order, "REJECTED", at)
            self._finish(bot, order, intent.ts_event)
        else:
            self._open_order(bot, order, at)
        self._sweep()
        return self._out

    def on_update(self, record: Mapping[str, Any]) -> list[Output]:
        """Schedules the update on its signal's orders (it acts at a bar's open) and keeps it
        for intents of that signal still to come. Returns nothing by itself."""
        upd = parse_update(record)
        if upd.action in ("TP_HIT", "SL_HIT"):
            return []  # informational: the executor's own fills decide when levels are hit
        self._instrument(upd.symbol)
        market = self._market(upd.symbol)
        kept = market.updates.setdefault(upd.target_signal_id, [])
        if any(u["event_id"] == upd.event_id for u in kept):
            return []
        data = upd.to_json()
        kept.append(data)
        kept.sort(key=lambda u: (u["ts_event"], u["event_id"]))
        self._prune_updates(market)
        self._dirty.add(market_key(upd.symbol))
        for bot in self._bots_sorted():
            for order in sorted(bot.orders.values(), key=lambda o: o.number):
                if order.signal_id == upd.target_signal_id and order.active:
                    self._schedule(order, data)
                    self._dirty.add(bot_key(bot.bot_id))
        return []

    def on_bar(self, record: Mapping[str, Any]) -> list[Output]:
        self._out = []
        if bar_timeframe(record) != self.config.timeframe:
            return self._out
        bar, inst = parse_bar(record, self._catalogue)
        market = self._market(bar.symbol)
        last = market.last
        if last is not None and bar.open_time <= last.open_time:
            return self._out  # a repeated or out-of-order bar
        self._ensure_index()
        self._roll_days(bar)  # valued at the previous closes: the bar's own mark follows
        self._snapped = set()
        market.bars.append(bar)
        if len(market.bars) > self.config.bar_buffer:
            market.evicted_through = market.bars.pop(0).open_time
        self._rates[bar.symbol] = bar.ask_close - bar.spread / 2.0
        self._control.clock = max(self._control.clock, bar.ts_event)
        self._dirty.update((market_key(bar.symbol), CONTROL_KEY))
        orders = self._orders_on(bar.symbol)
        for order in orders:
            if order.active:
                self._step(self._bots[order.bot_id], order, bar, inst)
        self._dirty.update(bot_key(b) for b in {o.bot_id for o in orders})
        holders = {o.bot_id for o in orders if o.status == OPEN and not o.shadow}
        for bot_id in sorted(holders):
            bot = self._bots[bot_id]
            value = self._guard_bar(bot, bar)
            if value is not None and bot_id not in self._snapped:
                ts = bot.account.stamp(bar.ts_event)
                self._snapshot(bot, "MARK_TO_MARKET", ts, bar.event_id, value)
        self._sweep()
        return self._out

    # ------------------------------------------------------------------ state

    def export_state(self) -> dict[str, str]:
        """JSON texts of the state changed since the last export; "" for removed keys."""
        texts: dict[str, str] = {}
        for key in sorted(self._dirty):
            if key == CONTROL_KEY:
                texts[key] = dump_control(self._control)
            elif key.startswith("bot:"):
                bot = self._bots.get(key[4:])
                if bot is not None:
                    texts[key] = dump_bot(bot)
            elif key.startswith("market:"):
                texts[key] = dump_market(self._markets[key[7:]])
        for key in sorted(self._removed):
            texts[key] = ""
        self._dirty.clear()
        self._removed.clear()
        return texts

    def import_state(self, key: str, text: str) -> None:
        """Rebuild from exported texts (any order of keys), before any other call."""
        if text == "":
            return
        if key.startswith("bot:"):
            bot = load_bot(text)
            self._bots[bot.bot_id] = bot
            self._sorted_bots = None
        elif key.startswith("market:"):
            market = load_market(text)
            self._markets[market.symbol] = market
            last = market.last
            if last is not None:
                self._rates[market.symbol] = last.ask_close - last.spread / 2.0
        elif key == CONTROL_KEY:
            self._control = load_control(text)
            self._commands = set(self._control.commands)
        else:
            raise StateError(f"unknown state key {key!r}")
        self._index = None

    # ------------------------------------------------------------------ paper ledger

    def paper_positions(self, bot_id: str) -> list[BrokerPosition]:
        bot = self._bots.get(bot_id)
        if bot is None:
            return []
        step = self.config.lot_step
        return [
            BrokerPosition(
                o.order_id,
                o.symbol,
                o.side,
                lots(o.open_steps, step),
                o.entry_price,
                o.stop_loss,
                tuple(tp for _, tp in o.open_take_profits()),
                o.shadow,
            )
            for o in sorted(bot.orders.values(), key=lambda o: o.number)
            if o.status == OPEN
        ]

    def paper_account(self, bot_id: str) -> BrokerAccount | None:
        bot = self._bots.get(bot_id)
        if bot is None:
            return None
        value = self._valuation(bot)
        acct = bot.account
        equity = money(acct.balance + value.unrealized)
        return BrokerAccount(acct.currency, acct.balance, equity, money(value.margin))

    # ------------------------------------------------------------------ accounts and orders

    def _open_account(self, d: BotDef, event_id: Any) -> None:
        day = trading_day(d.ts_event, d.day_boundary_tz).isoformat()
        size = d.account_size
        acct = Account(d.account_currency, size, size, size, size, size, day, d.day_boundary_tz)
        bot = BotState(d.bot_id, d.cell_id, d.mode, d.venue, d.rule_set, d.status, False, acct)
        self._bots[d.bot_id] = bot
        self._sorted_bots = None
        self._removed.discard(bot_key(d.bot_id))
        self._dirty.add(bot_key(d.bot_id))
        cause = event_id if isinstance(event_id, str) and event_id else None
        self._snapshot(bot, "INITIAL", d.ts_event, cause)

    def _new_order(self, bot: BotState, intent: Intent, steps: int) -> Order:
        number = self._control.next_number
        self._control.next_number += 1
        self._dirty.add(CONTROL_KEY)
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
        market = self._markets.get(order.symbol)
        if market is not None and market.evicted_through >= order.ts_intent:
            # Older than the bar buffer: the bars it should have filled on are gone.
            order.late_intent = True
            last = market.last
            order.start_at = last.open_time + 1 if last is not None else order.ts_intent
        ack = self._broker(order).place(self._broker_order(order))
        self._take_ack(order, ack.limp, ack.venue_order_id)
        if order.late_intent:
            code = "late_intent"
        elif order.limp:
            code = ack.reason or "LIMP_MODE"
        else:
            code = "INTENT_ACCEPTED"
        status = "ACCEPTED" if order.order_type == "MARKET" else "PENDING"
        self._exec(order, status, At(at.ts, at.cause, code))
        bot.orders[order.order_id] = order
        assert self._index is not None
        self._index.setdefault(order.symbol, []).append(order)
        if market is not None:
            for stored in market.updates.get(order.signal_id, []):
                self._schedule(order, stored)
        self._catch_up(bot, order)
        self._dirty.add(bot_key(bot.bot_id))

    def _expiry(self, intent: Intent) -> int | None:
        if intent.order_type == "MARKET":
            return None
        if intent.expires_at is not None:
            return intent.expires_at
        return intent.ts_event + self.config.default_expiry_ms

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
        if not self._alive:
            return "governor_silent"
        if bot.block is not None:
            return f"risk_limit.{bot.block}"
        mode = self._breaker_mode(bot)
        if mode in NO_NEW_POSITIONS:
            return "breaker_no_new_positions"
        if mode == "SHADOW_MODE":
            order.shadow, order.shadow_reason = True, "BREAKER"
        return None

    def _breaker_mode(self, bot: BotState) -> str:
        """The most severe fallback mode over the bot: its own, its cell's, the global one."""
        worst, severity = "NONE", 0
        for key in (f"BOT:{bot.bot_id}", f"CELL:{bot.cell_id}", "GLOBAL"):
            held = self._control.breakers.get(key)
            if held is not None and MODE_SEVERITY.get(str(held[0]), 0) > severity:
                worst, severity = str(held[0]), MODE_SEVERITY[str(held[0])]
        return worst

    def _reject_unknown_bot(self, intent: Intent, steps: int) -> None:
        if intent.order_id in self._control.rejected:
            return
        rejected = self._control.rejected
        rejected[intent.order_id] = intent.ts_event
        if len(rejected) > MAX_COMMANDS_REMEMBERED:  # forget what is past the horizon
            horizon = intent.ts_event - self.config.dedupe_horizon_ms
            self._control.rejected = {k: t for k, t in rejected.items() if t >= horizon}
        self._dirty.add(CONTROL_KEY)
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
        self._exec(order, "REJECTED", At(intent.ts_event, intent.event_id, "unknown_bot"))

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
        ack = self._broker(order).modify(self._broker_change(order))
        self._take_ack(order, ack.limp, ack.venue_order_id)
        self._exec(order, "MODIFIED", At(intent.ts_event, intent.event_id, "SIGNAL_REVISION"))
        # Re-simulate from the revision's time: the bars since were passed untouched.
        order.sim_until = min(order.sim_until, intent.ts_event - 1)
        self._catch_up(bot, order)
        self._dirty.add(bot_key(bot.bot_id))

    def _schedule(self, order: Order, update: dict[str, Any]) -> None:
        if update["event_id"] in order.applied:
            return
        order.applied.append(update["event_id"])
        # Late: the order already went through the bar at whose open the update applies.
        late = order.sim_until >= int(update["ts_event"])
        order.updates.append(Scheduled(update, late))

    def _catch_up(self, bot: BotState, order: Order) -> None:
        """Simulate the order through the buffered bars it has not seen yet."""
        market = self._markets.get(order.symbol)
        if market is None or not market.bars:
            return
        inst = self._instrument(order.symbol)
        start = max(order.start_at, order.sim_until + 1)
        first = bisect.bisect_left(market.bars, start, key=lambda b: b.open_time)
        self._dirty.add(bot_key(bot.bot_id))
        for bar in market.bars[first:]:
            if not order.active:
                break
            self._step(bot, order, bar, inst)

    # ------------------------------------------------------------------ one bar of one order

    def _step(self, bot: BotState, order: Order, bar: Bar, inst: Instrument) -> None:
        """One bar of one order: entry, swap, updates due at the open, then exits."""
        if bar.open_time <= order.sim_until or bar.open_time < order.start_at:
            return
        order.sim_until = bar.open_time  # (the caller marks the bot's state dirty)
        slip = self.config.slippage_pips * inst.pip_size
        if order.status == WAITING:
            price = market_entry(order.is_long, bar, slip)
            code = "late_intent" if order.late_intent else "MARKET_FILL_NEXT_BAR_OPEN"
            if not self._fill(bot, order, bar, inst=inst, price=price, code=code):
                return
        elif order.status == OPEN:
            self._swap(bot, order, bar)
        if order.updates:
            self._apply_due_updates(bot, order, bar)
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
            self._cancel(
                bot, order, EXPIRED, At(order.expires_at, bar.event_id, "EXPIRED", bar.ts_event)
            )
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
        if not self._fill(bot, order, bar, inst=inst, price=price, code=code):
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
                self._close(bot, order, order.open_steps, price, at, exit_reason=exit_reason)
                continue
            steps = order.tp_leg_steps(hit.tp_index)
            order.tp_done[hit.tp_index] = True
            if steps > 0:
                number = hit.tp_index + 1
                at = At(bar.ts_event, bar.event_id, f"TP{number}_HIT")
                self._close(
                    bot, order, steps, price, at, exit_reason="TAKE_PROFIT", tp_index=number
                )

    def _fill(
        self, bot: BotState, order: Order, bar: Bar, *, inst: Instrument, price: float, code: str
    ) -> bool:
        price = inst.round_price(price)
        ccy = order.account_currency
        qty = lots(order.steps, self.config.lot_step)
        if not order.shadow:
            need = margin(
                inst, ccy, lots=qty, price=price, leverage=self.config.leverage, rates=self._rates
            )
            value = self._valuation(bot)
            if need > bot.account.balance + value.unrealized - value.margin:
                order.status = REJECTED
                self._exec(order, "REJECTED", At(bar.ts_event, bar.event_id, "insufficient_margin"))
                self._finish(bot, order, bar.ts_event)
                return False
        cost = commission(qty, self.config.commission_per_lot)
        order.status = OPEN
        order.entry_time, order.entry_price, order.entry_bar = bar.ts_event, price, bar.open_time
        order.filled_steps = order.open_steps = order.steps
        order.initial_stop_loss = order.stop_loss
        order.tp_done = [False] * len(order.take_profits)
        order.commission = cost
        order.next_swap_at = next_rollover_ms(bar.open_time)
        if order.stop_loss is not None:
            risk = abs(price - order.stop_loss) * qty * inst.contract_size
            order.fill_risk = money(risk * fx_rate(inst, ccy, order.stop_loss, self._rates))
        at = At(bar.ts_event, bar.event_id, code)
        cause = self._exec(order, "FILLED", at, price=price, steps=order.steps, commission=cost)
        if not order.shadow:
            bot.account.add(-cost)
            self._snapshot(bot, "CHANGE", bot.account.stamp(bar.ts_event), cause)
        return True

    def _close(
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
        inst = self._instrument(order.symbol)
        qty = lots(steps, self.config.lot_step)
        pnl = gross_pnl(
            inst,
            order.account_currency,
            is_long=order.is_long,
            lots=qty,
            entry=order.entry_price,
            exit_price=price,
            rates=self._rates,
        )
        gross = money(pnl)
        cost = commission(qty, self.config.commission_per_lot)
        order.legs.append(Leg(steps, price, at.ts, exit_reason, tp_index, gross))
        order.open_steps -= steps
        order.commission = money(order.commission + cost)
        closed = order.open_steps == 0
        if closed:
            order.status = CLOSED
        event_id = self._exec(
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
            bot.account.add(gross - cost)
            self._snapshot(bot, "CHANGE", bot.account.stamp(at.ts), event_id)
        if closed:
            trade = trade_record(order, lot_step=self.config.lot_step, risk_amount=order.fill_risk)
            self._out.append(Output(TRADES, order.bot_id, trade))
            self._finish(bot, order, at.ts)

    def _close_at_market(
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
        inst = self._instrument(order.symbol)
        slip = self.config.slippage_pips * inst.pip_size
        ask, spread = quote
        price = inst.round_price(market_exit(order.is_long, ask, spread, slip))
        close = BrokerOrder(
            order.order_id,
            order.bot_id,
            order.symbol,
            "SELL" if order.is_long else "BUY",
            "MARKET",
            lots(steps, self.config.lot_step),
            reduce_only=True,
        )
        ack = self._broker(order).place(close)
        self._take_ack(order, ack.limp, ack.venue_order_id)
        self._close(bot, order, steps, price, at, exit_reason=exit_reason)

    def _cancel(self, bot: BotState, order: Order, status: str, at: At) -> None:
        if status == CANCELLED:
            ack = self._broker(order).cancel(order.order_id, order.bot_id)
            self._take_ack(order, ack.limp, ack.venue_order_id)
        order.status = status
        self._exec(order, status, at)
        self._finish(bot, order, at.ts)

    def _finish(self, bot: BotState, order: Order, ts: int) -> None:
        bot.orders.pop(order.order_id, None)
        bot.done[order.order_id] = [order.revision, ts]
        self._dirty.add(bot_key(bot.bot_id))

    def _swap(self, bot: BotState, order: Order, bar: Bar) -> None:
        """Charge the rollovers the position was held through (before this bar's open)."""
        cfg = self.config
        while order.next_swap_at <= bar.open_time:
            when = order.next_swap_at
            order.next_swap_at = next_rollover_ms(when)
            per_lot = cfg.swap_long_per_lot if order.is_long else cfg.swap_short_per_lot
            nights = swap_nights(when, cfg.triple_swap_weekday)
            amount = money(lots(order.open_steps, cfg.lot_step) * per_lot * nights)
            if amount == 0:
                continue
            order.swap = money(order.swap + amount)
            if not order.shadow:
                bot.account.add(amount)
                ts = bot.account.stamp(when)
                self._snapshot(bot, "CHANGE", ts, bar.event_id, init=max(ts, bar.ts_event))

    # ------------------------------------------------------------------ updates

    def _apply_due_updates(self, bot: BotState, order: Order, bar: Bar) -> None:
        due = [s for s in order.updates if s.late or int(s.update["ts_event"]) <= bar.open_time]
        if not due:
            return
        order.updates = [s for s in order.updates if s not in due]
        due.sort(key=lambda s: (int(s.update["ts_event"]), str(s.update["event_id"])))
        for sched in due:
            if not order.active:
                break
            self._apply_update(bot, order, sched, bar)

    def _apply_update(self, bot: BotState, order: Order, sched: Scheduled, bar: Bar) -> None:
        upd = Update.from_json(sched.update)
        at = At(bar.ts_event, upd.event_id, "late_update" if sched.late else f"UPDATE_{upd.action}")
        is_open = order.status == OPEN
        at_open = (bar.ask_open, bar.spread)
        action = upd.action
        if action in ("CANCEL", "CLOSE_ALL") and not is_open:
            self._cancel(bot, order, CANCELLED, at)
            return
        if action == "CANCEL":
            return  # CANCEL is for pending entries: an open position stays open
        if action == "CLOSE_ALL":
            self._close_at_market(
                bot, order, order.open_steps, at_open, at, exit_reason="SIGNAL_UPDATE"
            )
            return
        if action in ("CLOSE_PARTIAL", "BREAKEVEN") and not is_open:
            self._refuse(order, at, "no_position")
            return
        if action == "CLOSE_PARTIAL":
            assert upd.fraction is not None
            steps = min(order.open_steps, max(1, round(order.open_steps * upd.fraction)))
            self._close_at_market(bot, order, steps, at_open, at, exit_reason="SIGNAL_UPDATE")
            return
        refusal = self._modify_levels(order, upd, bar)
        if refusal is not None:
            self._refuse(order, at, refusal)
            return
        ack = self._broker(order).modify(self._broker_change(order))
        self._take_ack(order, ack.limp, ack.venue_order_id)
        self._exec(order, "MODIFIED", at)

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
        self._exec(order, "REJECTED", At(at.ts, at.cause, reason))

    def _prune_updates(self, market: MarketState) -> None:
        if self._control.clock < 0:
            return
        horizon = self._control.clock - self.config.update_horizon_ms
        for signal_id in [s for s, ups in market.updates.items() if ups[-1]["ts_event"] < horizon]:
            del market.updates[signal_id]

    # ------------------------------------------------------------------ days, limits, flatten

    def _roll_days(self, bar: Bar) -> None:
        """Start a new trading day for every bot whose boundary this bar's open has passed."""
        for bot in self._bots_sorted():
            if bot.account.next_boundary <= bar.open_time:  # -1 (no clock yet) included
                self._roll_day(bot, bar)

    def _roll_day(self, bot: BotState, bar: Bar) -> None:
        acct = bot.account
        first = acct.next_boundary < 0  # the first bar sets the account's clock
        acct.next_boundary = next_boundary_ms(bar.open_time, acct.tz)
        self._dirty.add(bot_key(bot.bot_id))
        day = trading_day(bar.open_time, acct.tz)
        if first and day.isoformat() == acct.trading_day:
            return
        # Several days without bars (a weekend): one boundary, the latest day's.
        boundary = day_start_ms(day, acct.tz)
        value = self._valuation(bot)
        acct.trading_day = day.isoformat()
        acct.day_start_balance = acct.balance
        acct.day_start_equity = money(acct.balance + value.unrealized)
        acct.realized_today = 0.0
        acct.clock = max(acct.clock, boundary)
        if bot.block == "daily_loss":
            bot.block = None
        horizon = bar.open_time - self.config.dedupe_horizon_ms
        bot.done = {k: v for k, v in bot.done.items() if v[1] >= horizon}
        self._snapshot(bot, "DAY_BOUNDARY", boundary, bar.event_id, init=bar.ts_event)

    def _guard_bar(self, bot: BotState, bar: Bar) -> Valuation | None:
        """The hard-limit guard after a bar (see `guard`): the bot's valuation, or None when
        the guard closed its positions."""
        acct = bot.account
        value = self._valuation(bot, worst=bar)
        acct.peak_equity = max(acct.peak_equity, money(acct.balance + value.unrealized))
        breach = self._guard.check(
            bot.rule_set,
            worst_equity=acct.balance + value.worst_unrealized,
            initial_balance=acct.initial_balance,
            day_start_balance=acct.day_start_balance,
            peak_equity=acct.peak_equity,
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
                last = self._markets[order.symbol].last
                assert last is not None
                quote = (last.ask_close, last.spread)
                self._close_at_market(
                    bot, order, order.open_steps, quote, at, exit_reason="RISK_LIMIT"
                )
            else:
                self._cancel(bot, order, CANCELLED, at)
        return None

    def _flatten(self, bot: BotState, command_id: str, code: str) -> None:
        """Close every position and cancel every pending entry of the bot at the last close."""
        for order in sorted(bot.orders.values(), key=lambda o: o.number):
            if not order.active:
                continue
            market = self._markets.get(order.symbol)
            last = market.last if market is not None else None
            if order.status == OPEN:
                assert last is not None  # a position was filled on a bar
                quote = (last.ask_close, last.spread)
                at = At(last.ts_event, command_id, code)
                self._close_at_market(
                    bot, order, order.open_steps, quote, at, exit_reason="FLATTEN"
                )
            else:
                ts = max(last.ts_event, order.ts_intent) if last is not None else order.ts_intent
                self._cancel(bot, order, CANCELLED, At(ts, command_id, code))

    # ------------------------------------------------------------------ helpers

    def _valuation(self, bot: BotState, worst: Bar | None = None) -> Valuation:
        """Open non-shadow positions at the latest closes (and, for `worst`'s symbol, at the
        bar's adverse extreme: `worst_unrealized`). Runs for every bot after every bar: the
        quotes and rates are looked up once per symbol."""
        value = Valuation()
        step, ccy = self.config.lot_step, bot.account.currency
        quotes: dict[str, tuple[float, float, float, float, float, float]] = {}
        for o in bot.orders.values():
            if o.status != OPEN or o.shadow:
                continue
            q = quotes.get(o.symbol)
            if q is None:
                last = self._markets[o.symbol].last
                assert last is not None
                inst = self._instrument(o.symbol)
                bid, ask = last.bid_close, last.ask_close
                if worst is not None and worst.symbol == o.symbol:
                    low, high = worst.bid_low, worst.ask_high
                else:
                    low, high = bid, ask
                q = quotes[o.symbol] = (
                    inst.contract_size * step,
                    bid,
                    ask,
                    low,
                    high,
                    fx_rate(inst, ccy, bid, self._rates),
                )
            unit, bid, ask, low, high, fx = q
            size = o.open_steps * unit * fx  # account currency per unit of price
            entry = o.entry_price
            if o.is_long:
                value.unrealized += size * (bid - entry)
                value.worst_unrealized += size * (low - entry)
                value.margin += size * bid
                loss_at_stop = size * (entry - o.stop_loss) if o.stop_loss is not None else None
            else:
                value.unrealized += size * (entry - ask)
                value.worst_unrealized += size * (entry - high)
                value.margin += size * ask
                loss_at_stop = size * (o.stop_loss - entry) if o.stop_loss is not None else None
            value.positions += 1
            # no stop: the whole notional is at risk
            value.open_risk += size * entry if loss_at_stop is None else max(0.0, loss_at_stop)
        value.margin /= self.config.leverage
        return value

    def _snapshot(
        self,
        bot: BotState,
        reason: str,
        ts: int,
        cause: str | None,
        value: Valuation | None = None,
        *,
        init: int | None = None,
    ) -> None:
        record = snapshot_record(
            bot_id=bot.bot_id,
            cell_id=bot.cell_id,
            mode=bot.mode,
            account=bot.account,
            value=value if value is not None else self._valuation(bot),
            reason=reason,
            ts=ts,
            ts_init=ts if init is None else init,
            cause=cause,
        )
        self._out.append(Output(SNAPSHOTS, bot.bot_id, record))
        self._snapped.add(bot.bot_id)
        self._dirty.add(bot_key(bot.bot_id))

    def _exec(self, order: Order, status: str, at: At, **fields: Any) -> str:
        record = execution_record(
            order,
            lot_step=self.config.lot_step,
            status=status,
            ts=at.ts,
            ts_init=at.ts if at.init is None else at.init,
            cause=at.cause,
            reason=at.code,
            **fields,
        )
        self._out.append(Output(EXECUTIONS, order.bot_id, record))
        return str(record["event_id"])

    def _broker(self, order: Order) -> Broker:
        if simulated(order):
            return self._paper
        factory = self._factory
        primary = factory(order.venue) if factory is not None else None
        name = self.config.backup_venue
        backup = factory(name) if factory is not None and name else None
        return FailoverBroker(order.venue, primary, backup, self._paper)

    @staticmethod
    def _take_ack(order: Order, limp: bool, venue_order_id: str | None) -> None:
        if limp:
            order.limp = True  # from now on the paper broker simulates it, flagged
        if venue_order_id:
            order.venue_order_id = venue_order_id

    def _broker_order(self, order: Order) -> BrokerOrder:
        return BrokerOrder(
            order.order_id,
            order.bot_id,
            order.symbol,
            order.side,
            order.order_type,
            lots(order.steps, self.config.lot_step),
            order.entry,
            order.stop_loss,
            tuple(order.take_profits),
        )

    @staticmethod
    def _broker_change(order: Order) -> BrokerChange:
        return BrokerChange(
            order.order_id, order.bot_id, order.stop_loss, tuple(order.take_profits)
        )

    def _instrument(self, symbol: str) -> Instrument:
        inst = self._catalogue.get(symbol)
        if inst is None:
            raise ExecutorInputError("unknown_symbol", f"unknown symbol {symbol!r}")
        return inst

    def _market(self, symbol: str) -> MarketState:
        market = self._markets.get(symbol)
        if market is None:
            market = self._markets[symbol] = MarketState(symbol)
        return market

    def _bots_sorted(self) -> list[BotState]:
        if self._sorted_bots is None:
            self._sorted_bots = [self._bots[k] for k in sorted(self._bots)]
        return self._sorted_bots

    def _ensure_index(self) -> None:
        if self._index is None:
            index: dict[str, list[Order]] = {}
            every = (o for bot in self._bots.values() for o in bot.orders.values())
            for order in sorted(every, key=lambda o: o.number):
                index.setdefault(order.symbol, []).append(order)
            self._index = index

    def _orders_on(self, symbol: str) -> list[Order]:
        """Live orders on the symbol, oldest first (a copy: steps may finish orders)."""
        assert self._index is not None
        orders = self._index.get(symbol)
        if not orders:
            return []
        if any(not o.active for o in orders):
            orders = self._index[symbol] = [o for o in orders if o.active]
        return list(orders)

    def _sweep(self) -> None:
        """Forget deleted bots once nothing of theirs is open."""
        gone = [b for b in self._bots.values() if b.deleted and not b.orders]
        for bot in gone:
            del self._bots[bot.bot_id]
            key = bot_key(bot.bot_id)
            self._dirty.discard(key)
            self._removed.add(key)
            self._sorted_bots = None
