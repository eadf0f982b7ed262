"""The executor's output records, complete and valid against their Avro schemas.

ids: executions `order_id:sequence` (per-order sequence from 1), trades `order_id:1` (the
paper broker opens one position per order: trade_id = order_id + ':' + position number, as
schemas/README.md defines it), snapshots `bot_id:sequence` (see `account`). `ts_init` is the
ts_event of the input behind the record (for catch-up fills, the bar's, as if the intent had
arrived in time): derived from event time, never from the wall clock.
"""

from __future__ import annotations

import math
from typing import Any

from hive_executor.money import money
from hive_executor.orders import CLOSED, OPEN, PENDING, WAITING, Order, lots


def simulated(order: Order) -> bool:
    """The paper broker executes it: a PAPER bot, a shadow order, or limp mode."""
    return order.mode != "LIVE" or order.shadow or order.limp


def executing_venue(order: Order) -> str:
    return "paper" if simulated(order) else order.venue


def execution_record(
    order: Order,
    *,
    lot_step: float,
    status: str,
    ts: int,
    ts_init: int,
    cause: str | None,
    reason: str | None,
    price: float | None = None,
    steps: int | None = None,
    tp_index: int | None = None,
    realized: float | None = None,
    commission: float = 0.0,
) -> dict[str, Any]:
    """The next `orders.executions` record of the order (takes a sequence number)."""
    order.seq += 1
    if order.status in (WAITING, PENDING):
        remaining = lots(order.steps, lot_step)
    elif order.status in (OPEN, CLOSED):
        remaining = lots(order.open_steps, lot_step)
    else:  # cancelled, expired, rejected before a fill
        remaining = 0.0
    filled = order.filled_steps > 0
    return {
        "event_id": f"{order.order_id}:{order.seq}",
        "ts_event": ts,
        "ts_init": ts_init,
        "order_id": order.order_id,
        "sequence": order.seq,
        "signal_id": order.signal_id,
        "bot_id": order.bot_id,
        "cell_id": order.cell_id,
        "symbol": order.symbol,
        "side": order.side,
        "order_type": order.order_type,
        "status": status,
        "price": price,
        "quantity": lots(steps, lot_step) if steps is not None else None,
        "remaining_quantity": remaining,
        "avg_entry_price": order.entry_price if filled else None,
        "stop_loss": order.stop_loss,
        "take_profits": [tp for _, tp in order.open_take_profits()]
        if filled
        else list(order.take_profits),
        "tp_index": tp_index,
        "realized_pnl": realized,
        "commission": commission,
        "account_currency": order.account_currency,
        "venue": executing_venue(order),
        "venue_order_id": order.venue_order_id,
        "mode": order.mode,
        "shadow": order.shadow,
        "shadow_reason": order.shadow_reason if order.shadow else "NONE",
        "limp": order.limp,
        "reason": reason,
        "cause_event_id": cause,
    }


def trade_record(order: Order, *, lot_step: float, risk_amount: float | None) -> dict[str, Any]:
    """The `trades.closed` record of a fully closed position."""
    legs = order.legs
    qty = lots(order.filled_steps, lot_step)
    total_steps = sum(leg.steps for leg in legs)
    exit_price = math.fsum(leg.price * leg.steps for leg in legs) / total_steps
    gross = money(math.fsum(leg.gross for leg in legs))
    commission = money(order.commission)
    swap = money(order.swap)
    pnl = money(gross - commission + swap)
    last = legs[-1]
    r_multiple = round(pnl / risk_amount, 4) if risk_amount else None
    trade_id = f"{order.order_id}:1"
    return {
        "event_id": trade_id,
        "ts_event": last.time,
        "ts_init": last.time,
        "trade_id": trade_id,
        "order_id": order.order_id,
        "signal_id": order.signal_id,
        "bot_id": order.bot_id,
        "cell_id": order.cell_id,
        "symbol": order.symbol,
        "side": order.side,
        "entry_time": order.entry_time,
        "entry_price": order.entry_price,
        "exit_time": last.time,
        "exit_price": exit_price,
        "quantity": qty,
        "initial_stop_loss": order.initial_stop_loss,
        "risk_amount": risk_amount,
        "account_currency": order.account_currency,
        "gross_pnl": gross,
        "commission": commission,
        "swap": swap,
        "pnl": pnl,
        "r_multiple": r_multiple,
        "exit_reason": last.reason,
        "holding_time_ms": last.time - order.entry_time,
        "legs": [
            {
                "quantity": lots(leg.steps, lot_step),
                "exit_price": leg.price,
                "exit_time": leg.time,
                "reason": leg.reason,
                "tp_index": leg.tp_index,
                "gross_pnl": leg.gross,
            }
            for leg in legs
        ],
        "mode": order.mode,
        "shadow": order.shadow,
        "shadow_reason": order.shadow_reason if order.shadow else "NONE",
        "limp": order.limp,
        "features": order.features,
    }
