"""The orders the gate approved, per signal and bot: who an update is for, and what it changes.

The gate learns an order from its own `orders.intents` record (real, shadow or counterfactual)
and follows it through its own allowed MODIFICATION decisions: a moved stop, breakeven (the stop
to the entry) and partial closes (the quantity shrinks by the fraction). It does not see fills,
take-profits or stops being hit, so the quantity is at most what is really open and the risk
it measures is never below the real one. Event time only: the same records in the same order
give the same view. Orders older than `horizon_ms` (event time) are forgotten; that is the
retention of `orders.intents`, from which the view is rebuilt at a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

DAY_MS = 86_400_000
DEFAULT_HORIZON_MS = 30 * DAY_MS


@dataclass(frozen=True)
class HeldOrder:
    """One bot's order of one signal, as far as the gate knows."""

    order_id: str
    signal_id: str
    revision: int
    bot_id: str
    cell_id: str
    source: str
    symbol: str
    side: str  # BUY | SELL
    entry: float | None  # the planned entry (the market price for a market order)
    stop_loss: float | None
    quantity: float  # lots
    account_currency: str
    strategy_card: str
    shadow: bool
    ts_event: int

    @property
    def is_long(self) -> bool:
        return self.side == "BUY"

    @classmethod
    def from_intent(cls, intent: Mapping[str, Any]) -> HeldOrder:
        entry = intent.get("entry")
        stop = intent.get("stop_loss")
        return cls(
            order_id=str(intent["order_id"]),
            signal_id=str(intent["signal_id"]),
            revision=int(intent.get("signal_revision", 0)),
            bot_id=str(intent["bot_id"]),
            cell_id=str(intent["cell_id"]),
            source=str(intent["source"]),
            symbol=str(intent["symbol"]),
            side=str(intent["side"]),
            entry=None if entry is None else float(entry),
            stop_loss=None if stop is None else float(stop),
            quantity=float(intent["quantity"]),
            account_currency=str(intent["account_currency"]),
            strategy_card=str(intent.get("strategy_card") or "unknown"),
            shadow=bool(intent.get("shadow", False)),
            ts_event=int(intent["ts_event"]),
        )


class HeldOrders:
    """The view (see the module doc): `apply_intent`, `apply_decision`, `holders`."""

    def __init__(self, horizon_ms: int = DEFAULT_HORIZON_MS) -> None:
        self.horizon_ms = horizon_ms
        self._by_signal: dict[str, dict[str, HeldOrder]] = {}  # signal_id -> bot_id -> order
        self._clock = -1
        self._pruned_at = -1

    def apply_intent(self, intent: Mapping[str, Any]) -> None:
        """An `orders.intents` record: the order (a later revision replaces its levels)."""
        order = HeldOrder.from_intent(intent)
        bots = self._by_signal.setdefault(order.signal_id, {})
        known = bots.get(order.bot_id)
        if known is not None and known.revision >= order.revision:  # a repeat changes nothing
            return
        bots[order.bot_id] = order
        self._clock = max(self._clock, order.ts_event)
        if self._clock - self._pruned_at >= DAY_MS:  # forgetting once a day is enough
            self._forget_old()

    def apply_decision(self, decision: Mapping[str, Any]) -> None:
        """An allowed MODIFICATION decision: the stop or the quantity it changed."""
        mod = decision.get("modification")
        if decision.get("kind") != "MODIFICATION" or not decision.get("allowed") or not mod:
            return
        bots = self._by_signal.get(str(decision["signal_id"]), {})
        order = bots.get(str(decision["bot_id"]))
        if order is None:
            return
        action = mod.get("action")
        if action == "MOVE_SL" and mod.get("price") is not None:
            order = replace(order, stop_loss=float(mod["price"]))
        elif action == "BREAKEVEN" and order.entry is not None:
            order = replace(order, stop_loss=order.entry)
        elif action == "CLOSE_PARTIAL" and mod.get("fraction") is not None:
            order = replace(order, quantity=order.quantity * (1.0 - float(mod["fraction"])))
        bots[order.bot_id] = order

    def holders(self, signal_id: str) -> list[HeldOrder]:
        """The orders of a signal, one per bot, by bot_id."""
        bots = self._by_signal.get(signal_id, {})
        return [bots[b] for b in sorted(bots)]

    def _forget_old(self) -> None:
        self._pruned_at = self._clock
        horizon = self._clock - self.horizon_ms
        for signal_id in list(self._by_signal):
            bots = self._by_signal[signal_id]
            for bot_id in [b for b, o in bots.items() if o.ts_event < horizon]:
                del bots[bot_id]
            if not bots:
                del self._by_signal[signal_id]
