"""The daily-loss and max-loss lines drawn under a bot's equity curve (hive.limits: the same
numbers the governor halts at)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from hive.limits import RuleSet, RuleSetError, account_limits, load_rule_sets

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def rule_sets() -> dict[str, RuleSet]:
    try:
        return load_rule_sets()
    except RuleSetError as exc:
        log.warning("rule sets unavailable (%s): lines show the constitution only", exc)
        return {}


def lines(rule_set: str | None, snap: Mapping[str, Any]) -> dict[str, Any]:
    rs = rule_sets().get(rule_set or "", RuleSet(name="constitution"))
    lim = account_limits(
        rs,
        initial_balance=float(snap["initial_balance"]),
        day_start_balance=float(snap["day_start_balance"]),
        peak_equity=float(snap["peak_equity"]),
    )
    return {
        "daily_loss_line": round(float(snap["day_start_balance"]) - lim.daily_loss_limit, 2),
        "daily_loss_rule": lim.daily_loss_rule,
        "max_loss_line": round(lim.equity_floor, 2),
        "max_loss_rule": lim.equity_floor_rule,
    }
