"""What the change guard lets be changed, at which scopes, and within which bounds.

Each spec checks a proposed value (text, as the command carries it) and says why it is refused.
The bounds are the constitution's (hive.constitution) or, for breaker thresholds, DESIGN.md's:

- `risk_per_trade` (fraction of equity, (0, 0.05]) and `max_risk_per_position_pct` (% of
  equity, (0, 5]): the constitution's max risk per position;
- `daily_loss_pct` ((0, 3], % of the day's starting balance) and `max_loss_pct` ((0, 10], %
  below the initial balance): the constitution's daily loss and drawdown;
- `min_confidence` ([0.40, 1]): the constitution's floor;
- `breaker.<level>.threshold` (failures in the window, a whole number from 1 to the DESIGN.md
  default of the level: 5 bot, 10 cell, 20 global): a change may make a breaker trip sooner,
  never later than the design's safety net; a level's threshold is set at its own scope or
  globally (`breaker.global.threshold` only globally);
- `allowed_symbols` (comma-separated instrument-catalogue symbols, at least one): it only
  narrows; at BOT scope every symbol must be on the bot's own registry list when it has one;
- `card.<parameter>` (any text up to 500 characters): the card validates it where it runs
  (the risk gate), which keeps the bot's own parameters when the card refuses the value.

Names starting with `rule.` are self-modification rules: `check_rule` is their hook (refused as
unknown until rules are accepted).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final, Protocol

from hive.constitution import (
    MAX_DAILY_LOSS_PCT,
    MAX_DRAWDOWN_PCT,
    MAX_RISK_PER_POSITION_PCT,
    MIN_CONFIDENCE,
)
from hive.instruments import InstrumentCatalogue, load_instruments
from hive.parameters import (
    ALLOWED_SYMBOLS,
    CARD_PREFIX,
    RISK_PER_TRADE,
    breaker_threshold_name,
    symbol_list,
)
from hive.rules import RuleError, is_rule_name, read_proposal, within_constitution
from hive_governor.breakers import DEFAULT_BOT, DEFAULT_CELL, DEFAULT_GLOBAL

ALL_LEVELS: Final = ("BOT", "CELL", "GLOBAL")
MAX_CARD_VALUE: Final = 500
_CARD_NAME = re.compile(r"^card\.[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Problem:
    code: str  # invalid_value, outside_constitution, wrong_scope, not_narrowing
    message: str


class Spec(Protocol):
    @property
    def unit(self) -> str: ...

    @property
    def levels(self) -> tuple[str, ...]: ...

    def check(self, name: str, value: str, *, owner: str | None) -> Problem | None:
        """`owner`: the owner's value at the proposal's scope (e.g. the bot's registry list)."""
        ...


@dataclass(frozen=True)
class Bounds:
    """A number (an integer when `integer`) in (low, high] or [low, high]."""

    low: float
    high: float
    low_inclusive: bool
    unit: str
    rule: str
    integer: bool = False
    levels: tuple[str, ...] = ALL_LEVELS

    def check(self, name: str, value: str, *, owner: str | None) -> Problem | None:
        number = _number(value)
        if number is None or (self.integer and number != int(number)):
            kind = "a whole number" if self.integer else "a decimal number"
            return Problem("invalid_value", f"{name}: {kind} expected, got {value!r}")
        ok_low = number >= self.low if self.low_inclusive else number > self.low
        if ok_low and number <= self.high:
            return None
        bracket = "[" if self.low_inclusive else "("
        return Problem(
            "outside_constitution",
            f"{name} must be in {bracket}{self.low:g}, {self.high:g}] ({self.unit}; "
            f"{self.rule}), got {value}",
        )


@dataclass(frozen=True)
class SymbolAllowlist:
    """Catalogue symbols, at least one, no duplicates; within the owner's list if it has one."""

    catalogue: InstrumentCatalogue
    unit: str = "comma-separated catalogue symbols"
    levels: tuple[str, ...] = ALL_LEVELS

    def check(self, name: str, value: str, *, owner: str | None) -> Problem | None:
        symbols = symbol_list(value)
        if not symbols:
            return Problem("invalid_value", f"{name}: at least one symbol expected")
        unknown = [s for s in symbols if s not in self.catalogue]
        if unknown:
            return Problem(
                "invalid_value",
                f"{name}: not in the instrument catalogue {self.catalogue.version}: "
                f"{', '.join(unknown)}",
            )
        if len(set(symbols)) != len(symbols):
            return Problem("invalid_value", f"{name}: a symbol is listed twice")
        allowed = symbol_list(owner or "")
        outside = [s for s in symbols if allowed and s not in allowed]
        if outside:
            return Problem(
                "not_narrowing",
                f"{name} may only narrow the bot's own list ({', '.join(allowed)}): "
                f"{', '.join(outside)} is not on it",
            )
        return None


@dataclass(frozen=True)
class CardParameter:
    """Free text for the card to validate where it runs."""

    unit: str = "text the bot's card accepts"
    levels: tuple[str, ...] = ALL_LEVELS

    def check(self, name: str, value: str, *, owner: str | None) -> Problem | None:
        if not value.strip() or len(value) > MAX_CARD_VALUE:
            return Problem("invalid_value", f"{name}: 1 to {MAX_CARD_VALUE} characters expected")
        return None


def _threshold(level: str, default: int, levels: tuple[str, ...]) -> tuple[str, Bounds]:
    rule = f"tighter than DESIGN.md's {default} only"
    return breaker_threshold_name(level), Bounds(
        1, default, True, "failures in the window", rule, integer=True, levels=levels
    )


PARAMETERS: Final[dict[str, Spec]] = {
    RISK_PER_TRADE: Bounds(
        0, MAX_RISK_PER_POSITION_PCT / 100, False, "fraction of equity", "max risk per position"
    ),
    "max_risk_per_position_pct": Bounds(
        0, MAX_RISK_PER_POSITION_PCT, False, "% of equity", "max risk per position"
    ),
    "daily_loss_pct": Bounds(
        0, MAX_DAILY_LOSS_PCT, False, "% of the day's starting balance", "max daily loss"
    ),
    "max_loss_pct": Bounds(0, MAX_DRAWDOWN_PCT, False, "% of the initial balance", "max drawdown"),
    "min_confidence": Bounds(MIN_CONFIDENCE, 1.0, True, "probability", "min confidence"),
    ALLOWED_SYMBOLS: SymbolAllowlist(load_instruments()),
    **dict(
        [
            _threshold("BOT", DEFAULT_BOT.threshold, ("BOT", "GLOBAL")),
            _threshold("CELL", DEFAULT_CELL.threshold, ("CELL", "GLOBAL")),
            _threshold("GLOBAL", DEFAULT_GLOBAL.threshold, ("GLOBAL",)),
        ]
    ),
}
CARD: Final = CardParameter()


def spec_for(name: str) -> Spec | None:
    """The spec of a changeable name (card.<parameter> included), None if unknown."""
    if name.startswith(CARD_PREFIX):
        return CARD if _CARD_NAME.match(name) else None
    return PARAMETERS.get(name)


def check_rule(name: str, value: str | None) -> Problem | None:
    """A rule proposal (`rule.<rule_id>`, its JSON as value, hive.rules): refused when it is not
    a valid rule of that id (`invalid_rule`) or would not reduce risk (anything but a skip or a
    risk scale in (0, 1]: outside the constitution)."""
    try:
        rule = read_proposal(name, value)
    except RuleError as exc:
        return Problem("invalid_rule", f"{name}: {exc}")
    problem = within_constitution(rule)
    if problem is not None:
        return Problem("outside_constitution", problem)
    return None


def is_rule(name: str) -> bool:
    return is_rule_name(name)


def _number(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
