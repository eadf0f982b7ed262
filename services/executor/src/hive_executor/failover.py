"""Failover across venues: the bot's venue, then a backup, then "limp mode".

For a LIVE bot the engine sends every call through a `FailoverBroker`. When the primary
adapter is missing (none configured for the venue) or raises `BrokerError`, the backup is
tried; when that fails too, the call goes to the paper broker and the answer is flagged
`limp=True`: the change is simulated, and every execution and trade it touches says so.
With no live adapter configured (the default) a LIVE bot's orders are therefore always
simulated and flagged: real money is never traded by default.

Every call goes down the chain from the primary, also for an order the backup placed (an
adapter that does not know an order raises `BrokerError`). Once an order went to limp mode
the engine keeps it on the paper broker: its later changes are simulated and flagged too.
No FAILED execution is emitted for a venue failure that the chain absorbed; the ACCEPTED
record's reason says what failed (e.g. `LIMP_MODE mt5=NO_ADAPTER`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from hive_executor.brokers import (
    Broker,
    BrokerAccount,
    BrokerAck,
    BrokerChange,
    BrokerError,
    BrokerOrder,
    BrokerPosition,
)

T = TypeVar("T")


class FailoverBroker:
    """primary -> backup -> limp (a paper broker); `name` is the primary's venue name."""

    def __init__(
        self, venue: str, primary: Broker | None, backup: Broker | None, limp: Broker
    ) -> None:
        self._venue = venue
        self._chain = [b for b in (primary, backup) if b is not None]
        self._limp = limp

    @property
    def name(self) -> str:
        return self._venue

    def _try(self, call: Callable[[Broker], BrokerAck]) -> BrokerAck:
        failures = []
        for broker in self._chain:
            try:
                return call(broker)
            except BrokerError as exc:
                failures.append(f"{broker.name}={exc.reason}")
        if not self._chain:
            failures.append(f"{self._venue}=NO_ADAPTER")
        ack = call(self._limp)
        return replace(ack, limp=True, reason="LIMP_MODE " + " ".join(failures))

    def _read(self, call: Callable[[Broker], T]) -> T:
        for broker in self._chain:
            try:
                return call(broker)
            except BrokerError:
                continue
        return call(self._limp)

    def place(self, order: BrokerOrder) -> BrokerAck:
        return self._try(lambda b: b.place(order))

    def modify(self, change: BrokerChange) -> BrokerAck:
        return self._try(lambda b: b.modify(change))

    def cancel(self, order_id: str, bot_id: str) -> BrokerAck:
        return self._try(lambda b: b.cancel(order_id, bot_id))

    def positions(self, bot_id: str) -> list[BrokerPosition]:
        return self._read(lambda b: b.positions(bot_id))

    def account(self, bot_id: str) -> BrokerAccount | None:
        return self._read(lambda b: b.account(bot_id))
