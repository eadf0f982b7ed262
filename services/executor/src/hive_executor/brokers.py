"""The broker-adapter interface, and the paper broker as its first implementation.

A venue is anything with `place`, `modify`, `cancel`, `positions` and `account`. The engine
calls it for every change it initiates: a new entry order (`place`), a changed stop or
take-profit (`modify`), a cancelled pending entry (`cancel`) and a market close
(`place` with `reduce_only`). Stops and take-profits are resting bracket orders at the venue,
so their fills need no call. A venue that cannot do what is asked raises `BrokerError`.

The paper broker never fails: its fills are simulated by the engine against bars (module
`fills`); `positions` and `account` read the engine's books through a `PaperLedger`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

PAPER = "paper"


class BrokerError(Exception):
    """A venue refused or failed a call; `reason` is a short code (e.g. VENUE_TIMEOUT)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """An order sent to a venue: an entry, or a market close of part of a position."""

    order_id: str
    bot_id: str
    symbol: str
    side: str  # BUY | SELL (of this order: a close of a long is a SELL)
    order_type: str  # MARKET | LIMIT | STOP
    quantity: float  # lots
    entry: float | None = None
    stop_loss: float | None = None
    take_profits: tuple[float, ...] = ()
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class BrokerChange:
    """New protective levels for an order (pending entry or open position)."""

    order_id: str
    bot_id: str
    stop_loss: float | None
    take_profits: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class BrokerAck:
    """What the venue said: who executed, its id, and whether it was simulated in limp mode."""

    venue: str
    venue_order_id: str | None = None
    limp: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    order_id: str
    symbol: str
    side: str
    quantity: float
    avg_entry_price: float
    stop_loss: float | None
    take_profits: tuple[float, ...]
    shadow: bool


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    currency: str
    balance: float
    equity: float
    margin_used: float


@runtime_checkable
class Broker(Protocol):
    """A venue adapter. Every method may raise `BrokerError`."""

    @property
    def name(self) -> str: ...

    def place(self, order: BrokerOrder) -> BrokerAck: ...

    def modify(self, change: BrokerChange) -> BrokerAck: ...

    def cancel(self, order_id: str, bot_id: str) -> BrokerAck: ...

    def positions(self, bot_id: str) -> list[BrokerPosition]: ...

    def account(self, bot_id: str) -> BrokerAccount | None: ...


class PaperLedger(Protocol):
    """The engine's books, as the paper broker reports them."""

    def paper_positions(self, bot_id: str) -> list[BrokerPosition]: ...

    def paper_account(self, bot_id: str) -> BrokerAccount | None: ...


class PaperBroker:
    """The paper venue: accepts everything; the engine simulates the fills."""

    def __init__(self, ledger: PaperLedger, *, limp: bool = False) -> None:
        self._ledger = ledger
        self._limp = limp

    @property
    def name(self) -> str:
        return PAPER

    def _ack(self) -> BrokerAck:
        return BrokerAck(venue=PAPER, limp=self._limp)

    def place(self, order: BrokerOrder) -> BrokerAck:
        return self._ack()

    def modify(self, change: BrokerChange) -> BrokerAck:
        return self._ack()

    def cancel(self, order_id: str, bot_id: str) -> BrokerAck:
        return self._ack()

    def positions(self, bot_id: str) -> list[BrokerPosition]:
        return self._ledger.paper_positions(bot_id)

    def account(self, bot_id: str) -> BrokerAccount | None:
        return self._ledger.paper_account(bot_id)
