"""Accounting of every bot: opening the account, valuing open positions, booking realised
money (commissions, closes, swaps) and emitting the account snapshots.

The rules of one account (balance, equity, sequence) are in `account`; this module applies
them to the engine's books. It is also the paper broker's ledger: `paper_positions` and
`paper_account` are what the paper venue reports.
"""

from __future__ import annotations

from hive.bots import BotRecord
from hive_executor.account import Account, Valuation, snapshot_record
from hive_executor.books import Books
from hive_executor.brokers import BrokerAccount, BrokerPosition
from hive_executor.daybook import next_rollover_ms, swap_nights, trading_day
from hive_executor.money import fx_rate, money
from hive_executor.orders import OPEN, Order, lots
from hive_executor.outbox import Outbox
from hive_executor.quotes import Bar
from hive_executor.state import BotState, bot_key


class Accounting:
    """Balances, equity, margin and snapshots of the bots in the books."""

    def __init__(self, books: Books, outbox: Outbox) -> None:
        self._books = books
        self._outbox = outbox
        self.snapped: set[str] = set()  # bots with a snapshot during the current bar

    def new_bar(self) -> None:
        """A bar starts: no bot has its snapshot of it yet."""
        self.snapped = set()

    def open_account(self, d: BotRecord) -> None:
        """A bot's first registry record: its account, and the INITIAL snapshot."""
        b = d.bot
        day = trading_day(d.ts_event, b.day_boundary_tz).isoformat()
        size = b.account_size
        acct = Account(b.account_currency, size, size, size, size, size, day, b.day_boundary_tz)
        bot = BotState(b.bot_id, b.cell_id, b.mode, b.venue, b.rule_set, b.status, False, acct)
        books = self._books
        books.add_bot(bot)
        books.removed.discard(bot_key(b.bot_id))
        books.dirty.add(bot_key(b.bot_id))
        self.snapshot(bot, "INITIAL", d.ts_event, d.event_id or None)

    def valuation(self, bot: BotState, worst: Bar | None = None) -> Valuation:
        """Open non-shadow positions at the latest closes (and, for `worst`'s symbol, at the
        bar's adverse extreme: `worst_unrealized`). Runs for every bot after every bar: the
        quotes and rates are looked up once per symbol."""
        books = self._books
        value = Valuation()
        step, ccy = books.config.lot_step, bot.account.currency
        quotes: dict[str, tuple[float, float, float, float, float, float]] = {}
        for o in bot.orders.values():
            if o.status != OPEN or o.shadow:
                continue
            q = quotes.get(o.symbol)
            if q is None:
                last = books.last_bar(o.symbol)
                inst = books.instrument(o.symbol)
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
                    fx_rate(inst, ccy, bid, books.rates),
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
        value.margin /= books.config.leverage
        return value

    def free_margin(self, bot: BotState) -> float:
        value = self.valuation(bot)
        return bot.account.balance + value.unrealized - value.margin

    def book(self, bot: BotState, amount: float, ts: int, cause: str | None) -> None:
        """Realised money (a commission as a negative amount, a close's net P&L), snapshotted
        at `ts` or the account's last change, whichever is later."""
        bot.account.add(amount)
        self.snapshot(bot, "CHANGE", bot.account.stamp(ts), cause)

    def charge_swaps(self, bot: BotState, order: Order, bar: Bar) -> None:
        """Charge the rollovers the position was held through (before this bar's open)."""
        cfg = self._books.config
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
                self.snapshot(bot, "CHANGE", ts, bar.event_id, init=max(ts, bar.ts_event))

    def mark(self, bot: BotState, bar: Bar, value: Valuation) -> None:
        """The bar's MARK_TO_MARKET snapshot, unless the bot already has one from this bar."""
        if bot.bot_id not in self.snapped:
            ts = bot.account.stamp(bar.ts_event)
            self.snapshot(bot, "MARK_TO_MARKET", ts, bar.event_id, value)

    def snapshot(
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
            value=value if value is not None else self.valuation(bot),
            reason=reason,
            ts=ts,
            ts_init=ts if init is None else init,
            cause=cause,
        )
        self._outbox.snapshot(bot.bot_id, record)
        self.snapped.add(bot.bot_id)
        self._books.dirty.add(bot_key(bot.bot_id))

    # The paper broker's ledger (brokers.PaperLedger).

    def paper_positions(self, bot_id: str) -> list[BrokerPosition]:
        bot = self._books.bots.get(bot_id)
        if bot is None:
            return []
        step = self._books.config.lot_step
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
        bot = self._books.bots.get(bot_id)
        if bot is None:
            return None
        value = self.valuation(bot)
        acct = bot.account
        equity = money(acct.balance + value.unrealized)
        return BrokerAccount(acct.currency, acct.balance, equity, money(value.margin))
