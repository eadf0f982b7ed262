"""Account state for the decision: the bot's latest `accounts.snapshots` record, or its opening."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.bots import Bot


@dataclass(frozen=True)
class AccountState:
    """What the policies and the sizing need to know about an account (amounts in `currency`)."""

    currency: str
    initial_balance: float
    balance: float
    equity: float
    day_start_balance: float
    peak_equity: float
    open_positions: int = 0
    open_risk: float = 0.0
    holds_weekend_positions: bool = False
    sequence: int | None = None  # of the snapshot; None = no snapshot yet (opening state)
    ts_event: int | None = None

    @property
    def from_snapshot(self) -> bool:
        return self.sequence is not None

    @classmethod
    def opening(cls, bot: Bot) -> AccountState:
        """A fresh account: the bot's account size as balance, equity and peak."""
        size = float(bot.account_size)
        return cls(
            currency=bot.account_currency,
            initial_balance=size,
            balance=size,
            equity=size,
            day_start_balance=size,
            peak_equity=size,
        )

    @classmethod
    def from_snapshot_record(cls, record: Mapping[str, Any]) -> AccountState:
        """An `accounts.snapshots` record as account state.

        The snapshot does not say whether positions are held over the weekend; the executor
        flattens by rule where a profile forbids it, so this is False here.
        """
        equity = float(record["equity"])
        return cls(
            currency=str(record["currency"]),
            initial_balance=float(record["initial_balance"]),
            balance=float(record["balance"]),
            equity=equity,
            day_start_balance=float(record["day_start_balance"]),
            peak_equity=float(record.get("peak_equity", equity)),
            open_positions=int(record.get("open_positions", 0)),
            open_risk=float(record.get("open_risk", 0.0)),
            holds_weekend_positions=bool(record.get("holds_weekend_positions", False)),
            sequence=int(record.get("sequence", 0)),
            ts_event=record.get("ts_event"),
        )


def account_state(bot: Bot, snapshot: Mapping[str, Any] | AccountState | None) -> AccountState:
    """The account state the gate decides on: the snapshot when there is one, else the opening."""
    if snapshot is None:
        return AccountState.opening(bot)
    if isinstance(snapshot, AccountState):
        return snapshot
    return AccountState.from_snapshot_record(snapshot)


class AccountBook:
    """The latest snapshot per bot (by `sequence`; an older or repeated one is ignored)."""

    def __init__(self) -> None:
        self._latest: dict[str, AccountState] = {}

    def apply(self, record: Mapping[str, Any]) -> bool:
        """Take one `accounts.snapshots` record; True when it is now the bot's latest."""
        bot_id = str(record["bot_id"])
        state = AccountState.from_snapshot_record(record)
        current = self._latest.get(bot_id)
        if current is not None and (current.sequence or 0) >= (state.sequence or 0):
            return False
        self._latest[bot_id] = state
        return True

    def get(self, bot_id: str) -> AccountState | None:
        return self._latest.get(bot_id)

    def remove(self, bot_id: str) -> None:
        self._latest.pop(bot_id, None)
