"""Which venue an order's calls go to, and what the venue's answer changes on the order.

Simulated orders (PAPER bots, shadow orders, limp mode) go to the paper broker; a LIVE bot's
go down the failover chain (its venue, the backup venue, then limp mode: see `failover`).
"""

from __future__ import annotations

from collections.abc import Callable

from hive_executor.brokers import Broker, BrokerAck, BrokerChange, BrokerOrder, PaperBroker
from hive_executor.config import ExecutorConfig
from hive_executor.failover import FailoverBroker
from hive_executor.orders import Order, lots
from hive_executor.records import simulated

BrokerFactory = Callable[[str], Broker | None]


class Venues:
    """The broker for an order, the messages sent to it, and the acks taken from it."""

    def __init__(
        self, config: ExecutorConfig, paper: PaperBroker, factory: BrokerFactory | None
    ) -> None:
        self._config = config
        self._paper = paper
        self._factory = factory

    def broker(self, order: Order) -> Broker:
        if simulated(order):
            return self._paper
        factory = self._factory
        primary = factory(order.venue) if factory is not None else None
        name = self._config.backup_venue
        backup = factory(name) if factory is not None and name else None
        return FailoverBroker(order.venue, primary, backup, self._paper)

    def place(self, order: Order) -> BrokerAck:
        """The order's entry, sent to its venue (the ack taken)."""
        ack = self.broker(order).place(self._entry(order))
        self._take(order, ack)
        return ack

    def modify(self, order: Order) -> BrokerAck:
        """The order's current stop and take-profits, sent to its venue (the ack taken)."""
        change = BrokerChange(
            order.order_id, order.bot_id, order.stop_loss, tuple(order.take_profits)
        )
        ack = self.broker(order).modify(change)
        self._take(order, ack)
        return ack

    def close(self, order: Order, steps: int) -> BrokerAck:
        """A reduce-only market order closing `steps` of the position (the ack taken)."""
        close = BrokerOrder(
            order.order_id,
            order.bot_id,
            order.symbol,
            "SELL" if order.is_long else "BUY",
            "MARKET",
            lots(steps, self._config.lot_step),
            reduce_only=True,
        )
        ack = self.broker(order).place(close)
        self._take(order, ack)
        return ack

    def cancel(self, order: Order) -> BrokerAck:
        ack = self.broker(order).cancel(order.order_id, order.bot_id)
        self._take(order, ack)
        return ack

    def _entry(self, order: Order) -> BrokerOrder:
        return BrokerOrder(
            order.order_id,
            order.bot_id,
            order.symbol,
            order.side,
            order.order_type,
            lots(order.steps, self._config.lot_step),
            order.entry,
            order.stop_loss,
            tuple(order.take_profits),
        )

    @staticmethod
    def _take(order: Order, ack: BrokerAck) -> None:
        if ack.limp:
            order.limp = True  # from now on the paper broker simulates it, flagged
        if ack.venue_order_id:
            order.venue_order_id = ack.venue_order_id
