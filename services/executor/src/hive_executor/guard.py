"""The hard-limit guard: defence in depth behind the governor's halts.

After each bar, a bot's worst-case equity in the bar (each open non-shadow position valued at
its adverse extreme: the bid low for a long, the ask high for a short; positions on other
symbols at their latest close) is checked against the limits of `hive.limits` (its rule set,
the constitution where tighter, and its rule overrides `daily_loss_pct` / `max_loss_pct` where
tighter still: the registry's with the changes in force on control.parameters overlaid). On a breach the engine closes all the bot's open positions at
the bar's close (exit reason RISK_LIMIT), cancels its pending entries and refuses new ones:
`risk_limit.daily_loss` until the next trading day, `risk_limit.max_loss` until a RESUME
command for the bot's own scope (BOT:<bot_id>). The loss beyond a limit is therefore at most
the move of the bar in which it was crossed (plus spread and slippage of the close).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hive.limits import (
    RuleSet,
    RuleSetError,
    account_limits,
    breached,
    load_rule_sets,
    rule_set_or_constitution,
)

log = logging.getLogger(__name__)


class Guard:
    """Loads the rule sets once (the constitution alone if they cannot be read: tighter)."""

    def __init__(self, rule_sets: dict[str, RuleSet] | None = None) -> None:
        self._rule_sets = rule_sets

    def _sets(self) -> dict[str, RuleSet]:
        if self._rule_sets is None:
            try:
                self._rule_sets = load_rule_sets()
            except RuleSetError as exc:
                log.warning("hard-limit guard uses the constitution only: %s", exc)
                self._rule_sets = {}
        return self._rule_sets

    def check(
        self,
        rule_set: str,
        *,
        worst_equity: float,
        initial_balance: float,
        day_start_balance: float,
        peak_equity: float,
        overrides: Mapping[str, str] | None = None,
    ) -> str | None:
        """'daily_loss', 'max_loss' or None."""
        limits = account_limits(
            rule_set_or_constitution(self._sets(), rule_set),
            initial_balance=initial_balance,
            day_start_balance=day_start_balance,
            peak_equity=peak_equity,
            overrides=overrides,
        )
        return breached(limits, equity=worst_equity, day_start_balance=day_start_balance)
