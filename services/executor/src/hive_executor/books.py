"""The engine's books: every bot, every market, the control state, and which keys changed.

One mutable object the engine's parts share, so none of them owns another's data. What is
persisted lives in `BotState`, `MarketState` and `ControlState` (module `state`); the rest
(fx rates, the per-symbol order index, the sorted bot list) is derived and rebuilt on demand.
`dirty` and `removed` are the state keys the next export writes (see `persistence`).
"""

from __future__ import annotations

from hive.instruments import Instrument, InstrumentCatalogue
from hive_executor.config import ExecutorConfig
from hive_executor.errors import ExecutorInputError
from hive_executor.orders import Order
from hive_executor.quotes import Bar
from hive_executor.state import BotState, ControlState, MarketState, bot_key

MAX_COMMANDS_REMEMBERED = 10_000  # also the bound of intents refused for unknown bots


class Books:
    """The shared state of one engine (see the module docstring)."""

    def __init__(self, config: ExecutorConfig, catalogue: InstrumentCatalogue) -> None:
        self.config = config
        self.catalogue = catalogue
        self.bots: dict[str, BotState] = {}
        self.markets: dict[str, MarketState] = {}
        self.control = ControlState()
        self.commands: set[str] = set()  # the ids of `control.commands`, for lookups
        self.rates: dict[str, float] = {}  # latest mid close per symbol, for fx conversion
        self.dirty: set[str] = set()
        self.removed: set[str] = set()
        self.index: dict[str, list[Order]] | None = {}  # symbol -> live orders, by number
        self._sorted_bots: list[BotState] | None = None

    def instrument(self, symbol: str) -> Instrument:
        inst = self.catalogue.get(symbol)
        if inst is None:
            raise ExecutorInputError("unknown_symbol", f"unknown symbol {symbol!r}")
        return inst

    def market(self, symbol: str) -> MarketState:
        market = self.markets.get(symbol)
        if market is None:
            market = self.markets[symbol] = MarketState(symbol)
        return market

    def last_bar(self, symbol: str) -> Bar:
        """The latest bar of a symbol an order was filled on (so there is one)."""
        last = self.markets[symbol].last
        assert last is not None
        return last

    def set_rate(self, bar: Bar) -> None:
        self.rates[bar.symbol] = bar.ask_close - bar.spread / 2.0

    def add_bot(self, bot: BotState) -> None:
        self.bots[bot.bot_id] = bot
        self._sorted_bots = None

    def bots_sorted(self) -> list[BotState]:
        # Every bar walks the bots: the sorted list is kept until a bot comes or goes.
        if self._sorted_bots is None:
            self._sorted_bots = [self.bots[k] for k in sorted(self.bots)]
        return self._sorted_bots

    def ensure_index(self) -> None:
        if self.index is None:
            index: dict[str, list[Order]] = {}
            every = (o for bot in self.bots.values() for o in bot.orders.values())
            for order in sorted(every, key=lambda o: o.number):
                index.setdefault(order.symbol, []).append(order)
            self.index = index

    def index_order(self, order: Order) -> None:
        assert self.index is not None
        self.index.setdefault(order.symbol, []).append(order)

    def orders_on(self, symbol: str) -> list[Order]:
        """Live orders on the symbol, oldest first (a copy: steps may finish orders)."""
        assert self.index is not None
        orders = self.index.get(symbol)
        if not orders:
            return []
        if any(not o.active for o in orders):
            orders = self.index[symbol] = [o for o in orders if o.active]
        return list(orders)

    def sweep(self) -> None:
        """Forget deleted bots once nothing of theirs is open."""
        gone = [b for b in self.bots.values() if b.deleted and not b.orders]
        for bot in gone:
            del self.bots[bot.bot_id]
            key = bot_key(bot.bot_id)
            self.dirty.discard(key)
            self.removed.add(key)
            self._sorted_bots = None
