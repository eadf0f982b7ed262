"""What one engine call emits: execution, trade and snapshot records, in the order they happen.

Every `on_*` call starts a fresh list (`begin`) and returns it; the engine's parts append to it
through here, so the order of the records is the order of the changes. `At` says when and why
a change happens, which becomes the records' ts_event, ts_init, reason and cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hive.topics import ACCOUNTS_SNAPSHOTS as SNAPSHOTS
from hive.topics import ORDERS_EXECUTIONS as EXECUTIONS
from hive.topics import TRADES_CLOSED as TRADES
from hive_executor.config import ExecutorConfig
from hive_executor.orders import Order
from hive_executor.outputs import Output
from hive_executor.records import execution_record, trade_record


@dataclass(frozen=True, slots=True)
class At:
    """When and why a change happens: its event time, the input behind it, its reason code,
    and `init`, the ts_event of that input when it differs from `ts` (a bar revealing an
    expiry, a day boundary or a rollover that lies before its close)."""

    ts: int
    cause: str | None
    code: str | None
    init: int | None = None


class Outbox:
    """The records of the current call (see the module docstring)."""

    def __init__(self, config: ExecutorConfig) -> None:
        self._lot_step = config.lot_step
        self.out: list[Output] = []

    def begin(self) -> list[Output]:
        """A new call: a new list (the caller keeps the previous one it was given)."""
        self.out = []
        return self.out

    def execution(self, order: Order, status: str, at: At, **fields: Any) -> str:
        """The order's next `orders.executions` record; returns its event_id."""
        record = execution_record(
            order,
            lot_step=self._lot_step,
            status=status,
            ts=at.ts,
            ts_init=at.ts if at.init is None else at.init,
            cause=at.cause,
            reason=at.code,
            **fields,
        )
        self.out.append(Output(EXECUTIONS, order.bot_id, record))
        return str(record["event_id"])

    def trade(self, order: Order) -> None:
        """The `trades.closed` record of a fully closed position."""
        trade = trade_record(order, lot_step=self._lot_step, risk_amount=order.fill_risk)
        self.out.append(Output(TRADES, order.bot_id, trade))

    def snapshot(self, bot_id: str, record: dict[str, Any]) -> None:
        self.out.append(Output(SNAPSHOTS, bot_id, record))
