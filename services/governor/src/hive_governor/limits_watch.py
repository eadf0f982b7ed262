"""Hard limits on account state, from `accounts.snapshots`, with `hive.limits` (the numbers the
executor's guard and the policies use).

Per snapshot of a bot (older sequences than the last one seen are ignored):

- **daily loss**: loss today = day_start_balance - equity, against the day's limit: the
  constitution's 3 % of the day's starting balance or the bot's rule set's, whichever is
  tighter (FTMO: 5 % of the initial balance, measured from the balance at the start of the
  day, midnight in the bot's `day_boundary_tz`; the executor computes `day_start_balance`
  and `trading_day`). A breach halts the bot for the rest of its trading day: the halt is
  lifted by the first snapshot of a later `trading_day` (the executor's DAY_BOUNDARY snapshot)
  — and comes straight back if that snapshot still breaches the new day's limit;
- **max loss / drawdown**: equity at or below the equity floor (the rule set's max loss below
  the initial balance, or the constitution's 10 % below peak equity; the higher floor binds;
  peak = max(peak_equity, initial_balance, equity) as in the policies, so a stale peak cannot
  loosen it). A breach is a hard stop: the bot stays halted until an ADMIN's RESUME with a
  reason. A RESUME does not argue with the account: if the next snapshot is still at or below
  the floor, the bot halts again.

Each breach is reported once (the governor then halts the bot and sends one FLATTEN); the same
breach on later snapshots of a halted bot reports nothing.
A bot the registry does not know (yet) is checked against the constitution alone. A bot's rule
overrides (`daily_loss_pct`, `max_loss_pct`: its registry entry's with the changes in force
over it) only tighten the limits (`hive.limits`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.limits import RuleSet, account_limits, breached, rule_set_or_constitution
from hive_governor.inputs import Snapshot

DAILY = "DAILY_LOSS"
HARD = ("MAX_LOSS", "MAX_DRAWDOWN")


@dataclass(frozen=True)
class LimitEvent:
    """A hard limit breached (`breach`) or a daily halt lifted (`lifted`)."""

    bot_id: str
    cause: str  # DAILY_LOSS, MAX_LOSS, MAX_DRAWDOWN
    lifted: bool
    details: Mapping[str, Any]


@dataclass
class _BotLimits:
    last_sequence: int = 0
    daily_day: str | None = None  # trading day of a daily halt in force ("" = unknown day)
    hard: str | None = None  # cause of a hard stop in force


class LimitsWatch:
    def __init__(self, rule_sets: Mapping[str, RuleSet]) -> None:
        self.rule_sets = rule_sets
        self._bots: dict[str, _BotLimits] = {}

    def _bot(self, bot_id: str) -> _BotLimits:
        return self._bots.setdefault(bot_id, _BotLimits())

    def daily_halted(self, bot_id: str) -> bool:
        b = self._bots.get(bot_id)
        return b is not None and b.daily_day is not None

    def hard_halted(self, bot_id: str) -> str | None:
        b = self._bots.get(bot_id)
        return None if b is None else b.hard

    def check(
        self,
        snap: Snapshot,
        rule_set_name: str | None,
        overrides: Mapping[str, str] | None = None,
    ) -> list[LimitEvent]:
        b = self._bot(snap.bot_id)
        if snap.sequence <= b.last_sequence:
            return []  # an older snapshot than one already checked
        b.last_sequence = snap.sequence
        events: list[LimitEvent] = []
        if b.daily_day is not None and self._new_day(b.daily_day, snap):
            events.append(
                LimitEvent(
                    snap.bot_id,
                    DAILY,
                    lifted=True,
                    details={"halted_day": b.daily_day or None, "trading_day": snap.trading_day},
                )
            )
            b.daily_day = None
        rule_set = rule_set_or_constitution(self.rule_sets, rule_set_name)
        peak = max(snap.peak_equity, snap.initial_balance, snap.equity)
        limits = account_limits(
            rule_set,
            initial_balance=snap.initial_balance,
            day_start_balance=snap.day_start_balance,
            peak_equity=peak,
            overrides=overrides,
        )
        breach = breached(limits, equity=snap.equity, day_start_balance=snap.day_start_balance)
        details = {
            "rule_set": rule_set.name,
            "trading_day": snap.trading_day,
            "equity": snap.equity,
            "balance": snap.balance,
            "day_start_balance": snap.day_start_balance,
            "initial_balance": snap.initial_balance,
            "peak_equity": peak,
            "daily_loss": max(0.0, snap.day_start_balance - snap.equity),
            "daily_loss_limit": limits.daily_loss_limit,
            "daily_loss_rule": limits.daily_loss_rule,
            "equity_floor": limits.equity_floor,
            "equity_floor_rule": limits.equity_floor_rule,
            "open_positions": snap.open_positions,
        }
        if breach == "max_loss" and b.hard is None:
            b.hard = (
                "MAX_DRAWDOWN"
                if limits.equity_floor_rule.startswith("constitution")
                else "MAX_LOSS"
            )
            events.append(LimitEvent(snap.bot_id, b.hard, lifted=False, details=details))
        elif breach == "daily_loss" and b.hard is None and b.daily_day is None:
            b.daily_day = snap.trading_day
            events.append(LimitEvent(snap.bot_id, DAILY, lifted=False, details=details))
        return events

    @staticmethod
    def _new_day(halted_day: str, snap: Snapshot) -> bool:
        if halted_day == "":  # restored after a restart: the next day boundary lifts it
            return snap.reason == "DAY_BOUNDARY"
        return snap.trading_day > halted_day  # YYYY-MM-DD compares as text

    def resume(self, bot_id: str) -> list[str]:
        """Lift every limit halt of the bot (an ADMIN's RESUME); the causes lifted."""
        b = self._bot(bot_id)
        lifted = [c for c in (b.hard, DAILY if b.daily_day is not None else None) if c]
        b.hard, b.daily_day = None, None
        return lifted

    def restore(self, bot_id: str, cause: str) -> None:
        """A halt a published record shows (restart)."""
        b = self._bot(bot_id)
        if cause == DAILY:
            b.daily_day = ""
        elif cause in HARD:
            b.hard = cause
