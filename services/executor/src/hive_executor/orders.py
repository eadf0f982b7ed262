"""An order's whole life in one serialisable value: the intent, the pending entry, the position.

Quantities are kept as whole lot steps (`steps`, e.g. 306 for 3.06 lots with a 0.01 step) so
partial closes never accumulate binary noise; records carry lots (`lots(steps, step)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# Lifecycle states. WAITING: a MARKET order waiting for the next bar; PENDING: a LIMIT/STOP
# entry waiting to be touched; OPEN: a position; the rest are final.
WAITING = "WAITING"
PENDING = "PENDING"
OPEN = "OPEN"
CLOSED = "CLOSED"
CANCELLED = "CANCELLED"
EXPIRED = "EXPIRED"
REJECTED = "REJECTED"
ACTIVE = frozenset({WAITING, PENDING, OPEN})


def to_steps(lots: float, step: float) -> int:
    return round(lots / step)


def lots(steps: int, step: float) -> float:
    return round(steps * step, 8)


@dataclass(slots=True)
class Leg:
    """One close of (part of) a position."""

    steps: int
    price: float
    time: int
    reason: str  # ExitReason
    tp_index: int | None  # 1-based
    gross: float  # account currency


@dataclass(slots=True)
class Scheduled:
    """An update waiting for the bar at whose open it applies."""

    update: dict[str, Any]  # Update.to_json()
    late: bool  # known only after the order was simulated past its time: applied at the next bar


@dataclass(slots=True)
class Order:
    order_id: str
    signal_id: str
    revision: int
    bot_id: str
    cell_id: str
    symbol: str
    side: str
    order_type: str
    entry: float | None
    stop_loss: float | None
    take_profits: list[float]
    tp_fractions: list[float]
    steps: int  # ordered quantity
    risk_amount: float | None  # the intent's
    account_currency: str
    mode: str
    venue: str
    shadow: bool
    shadow_reason: str
    expires_at: int | None
    start_at: int  # bars opening before this are not used for the entry ("next price available")
    late_intent: bool
    features: dict[str, Any]
    number: int  # creation number: orders are processed in this order
    intent_event_id: str
    ts_intent: int
    status: str = WAITING
    venue_order_id: str | None = None
    limp: bool = False
    seq: int = 0  # last execution sequence number of the order
    sim_until: int = -1  # open time of the last bar simulated
    # the position
    entry_time: int = 0
    entry_price: float = 0.0
    entry_bar: int = -1  # open time of the fill bar
    filled_steps: int = 0
    open_steps: int = 0
    initial_stop_loss: float | None = None
    fill_risk: float | None = None  # money lost at the initial stop, valued at the fill
    tp_done: list[bool] = field(default_factory=list)
    commission: float = 0.0
    swap: float = 0.0
    next_swap_at: int = 0
    legs: list[Leg] = field(default_factory=list)
    updates: list[Scheduled] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)  # update event_ids taken by this order

    @property
    def is_long(self) -> bool:
        return self.side == "BUY"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def open_take_profits(self) -> list[tuple[int, float]]:
        """(0-based index, price) of the take-profits not yet hit, in TP order."""
        return [(i, tp) for i, tp in enumerate(self.take_profits) if not self.tp_done[i]]

    def tp_leg_steps(self, index: int) -> int:
        """Lot steps take-profit `index` closes: its fraction of the filled quantity, rounded
        to the lot step (at least one step when its fraction is positive); the last
        take-profit still open closes whatever remains."""
        rest = [i for i, done in enumerate(self.tp_done) if not done and i != index]
        if not any(self.tp_fractions[i] > 0 for i in rest):
            return self.open_steps
        fraction = self.tp_fractions[index]
        if fraction <= 0:
            return 0
        return min(self.open_steps, max(1, round(self.filled_steps * fraction)))

    def stop_at_or_beyond_entry(self) -> bool:
        """The stop in force protects the entry (moved to breakeven or beyond)."""
        sl = self.stop_loss
        if sl is None:
            return False
        return sl >= self.entry_price if self.is_long else sl <= self.entry_price

    def gross_pnl(self) -> float:
        return math.fsum(leg.gross for leg in self.legs)
