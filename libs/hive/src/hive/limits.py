"""Account loss limits of a bot: the constitution and its prop-firm rule set, as money.

One source for the executor's hard-limit guard and the governor's halts. The numbers are the
same as the policies' (`policies/hive/constitution/constitution.rego` for the constitution,
`policies/hive/profiles/data.json` for the rule sets), so a bot is stopped at the level the risk
gate refuses new positions at:

- daily loss (loss today = day_start_balance - equity): the constitution allows 3 % of the
  day's starting balance; a rule set may be tighter, as a % of the initial balance
  (`daily_loss_basis: initial_balance`, FTMO) or of the day's starting balance;
- equity floor: the constitution's drawdown hard stop (10 % below peak equity) and the rule
  set's max loss (a % below the initial balance). The higher floor binds;
- a bot's rule overrides (`daily_loss_pct`: % of the day's starting balance, `max_loss_pct`:
  % below the initial balance; from its registry entry or a change in force, see
  `hive.parameters.effective_bot`) only tighten these: rule "override".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hive.constitution import MAX_DAILY_LOSS_PCT, MAX_DRAWDOWN_PCT
from hive.paths import repo_root

DailyBasis = Literal["initial_balance", "day_start_balance"]
Breach = Literal["daily_loss", "max_loss"]


class RuleSetError(ValueError):
    """The rule-set file is missing or malformed."""


@dataclass(frozen=True)
class RuleSet:
    name: str
    daily_loss_pct: float | None = None
    daily_loss_basis: DailyBasis = "initial_balance"
    max_loss_pct: float | None = None
    weekend_holding: bool = True


@dataclass(frozen=True)
class AccountLimits:
    """Limits in account currency for one trading day of one bot."""

    daily_loss_limit: float  # largest loss allowed today, measured from day_start_balance
    daily_loss_rule: str  # "constitution" | "profile"
    equity_floor: float  # equity at or below which the bot is stopped
    equity_floor_rule: str  # "constitution.max_drawdown" | "profile.max_loss"


def profiles_path() -> Path:
    return repo_root() / "policies" / "hive" / "profiles" / "data.json"


def _pct(entry: Mapping[str, Any], key: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
        raise RuleSetError(f"{where}.{key}: a percentage in (0, 100] expected, got {value!r}")
    return float(value)


def parse_rule_sets(data: Any, where: str = "rule sets") -> dict[str, RuleSet]:
    if not isinstance(data, Mapping):
        raise RuleSetError(f"{where}: a mapping of rule-set name to rules expected")
    found: dict[str, RuleSet] = {}
    for name, entry in data.items():
        at = f"{where}: {name}"
        if not isinstance(entry, Mapping):
            raise RuleSetError(f"{at}: a mapping expected")
        basis = entry.get("daily_loss_basis", "initial_balance")
        if basis not in ("initial_balance", "day_start_balance"):
            raise RuleSetError(f"{at}.daily_loss_basis: initial_balance or day_start_balance")
        found[str(name)] = RuleSet(
            name=str(name),
            daily_loss_pct=_pct(entry, "daily_loss_pct", at),
            daily_loss_basis=basis,
            max_loss_pct=_pct(entry, "max_loss_pct", at),
            weekend_holding=bool(entry.get("weekend_holding", True)),
        )
    return found


def load_rule_sets(path: str | Path | None = None) -> dict[str, RuleSet]:
    """The rule sets the policies use (`policies/hive/profiles/data.json`)."""
    file = Path(path) if path is not None else profiles_path()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleSetError(f"cannot read rule sets from {file}: {exc} (set HIVE_HOME?)") from exc
    return parse_rule_sets(data, str(file))


def rule_set_or_constitution(rule_sets: Mapping[str, RuleSet], name: str | None) -> RuleSet:
    """A bot's rule set; an unknown name gets the constitution alone (the policies deny it)."""
    return rule_sets.get(name or "", RuleSet(name="constitution"))


def account_limits(
    rule_set: RuleSet,
    *,
    initial_balance: float,
    day_start_balance: float,
    peak_equity: float,
    overrides: Mapping[str, str] | None = None,
) -> AccountLimits:
    daily = (MAX_DAILY_LOSS_PCT / 100.0 * day_start_balance, "constitution")
    if rule_set.daily_loss_pct is not None:
        base = (
            initial_balance if rule_set.daily_loss_basis == "initial_balance" else day_start_balance
        )
        profile = rule_set.daily_loss_pct / 100.0 * base
        if profile < daily[0]:
            daily = (profile, "profile")
    floor = (peak_equity * (1.0 - MAX_DRAWDOWN_PCT / 100.0), "constitution.max_drawdown")
    if rule_set.max_loss_pct is not None:
        profile_floor = initial_balance * (1.0 - rule_set.max_loss_pct / 100.0)
        if profile_floor > floor[0]:
            floor = (profile_floor, "profile.max_loss")
    daily_pct, loss_pct = (
        _override(overrides, "daily_loss_pct"),
        _override(overrides, "max_loss_pct"),
    )
    if daily_pct is not None and daily_pct / 100.0 * day_start_balance < daily[0]:
        daily = (daily_pct / 100.0 * day_start_balance, "override")
    if loss_pct is not None and initial_balance * (1.0 - loss_pct / 100.0) > floor[0]:
        floor = (initial_balance * (1.0 - loss_pct / 100.0), "override.max_loss")
    return AccountLimits(
        daily_loss_limit=daily[0],
        daily_loss_rule=daily[1],
        equity_floor=floor[0],
        equity_floor_rule=floor[1],
    )


def _override(overrides: Mapping[str, str] | None, name: str) -> float | None:
    """A rule override as a percentage in (0, 100], None when absent or not one."""
    text = (overrides or {}).get(name)
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and 0 < value <= 100 else None


def breached(limits: AccountLimits, *, equity: float, day_start_balance: float) -> Breach | None:
    """Which limit `equity` has reached, the harder one first (max loss halts for good)."""
    if equity <= limits.equity_floor:
        return "max_loss"
    if day_start_balance - equity >= limits.daily_loss_limit:
        return "daily_loss"
    return None
