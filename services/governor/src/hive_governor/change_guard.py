"""The change guard: parameter and rule changes proposed by operators or the learner.

A proposal (SET_PARAMETER, parameters `name` and `value`) is decided at once, with no person
in the loop:

- a change of the constitution is refused (CONSTITUTION_CHANGE_REFUSED): any name starting with
  `constitution`, the constitution's own numbers (`max_changes_per_day`, `max_active_rules`)
  and `max_drawdown` / `max_drawdown_pct`, which can never be changed;
- an unknown parameter, or a value that is not a number, is refused (it cannot be checked);
- a value outside the constitution's bounds (PARAMETERS) is refused;
- a name `rule.<rule_id>` is a rule proposal (hive.rules): a value that is not a valid rule of
  that id is refused (`invalid_rule`), one that would not reduce risk (anything but a skip or
  a risk scale in (0, 1]) is refused as outside the constitution; a valid one is counted in the
  day's changes and in `max_active` like a parameter;
- a scope that already had `max_per_day` (3) accepted changes on the proposal's day is refused.
  The day is the UTC calendar day of the command's ts_event (event time), counted per scope
  (each bot, cell and the global scope has its own 3): cells and the global scope have no
  trading day, and the UTC day is the same for every reader of the trail;
- a new (scope, parameter) beyond `max_active` (50) active ones is refused;
- otherwise it is applied (CHANGE_APPLIED). The change id is the command_id.

"Applied" means accepted and written to the audit trail with the old and new value; the
service that owns the parameter (hub-api's registry for a bot's values) applies it from there.

ROLLBACK_CHANGE (parameter `change_id`) restores the value before that change (CHANGE_ROLLED_BACK);
only the newest change of its (scope, parameter) can be rolled back, each once. A rollback is
not counted in the day's 3: undoing must always be possible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from hive.constitution import (
    MAX_ACTIVE_RULES,
    MAX_CHANGES_PER_DAY,
    MAX_DAILY_LOSS_PCT,
    MAX_DRAWDOWN_PCT,
    MAX_RISK_PER_POSITION_PCT,
    MIN_CONFIDENCE,
)
from hive.rules import RuleError, is_rule_name, read_proposal, within_constitution

APPLIED: Final = "CHANGE_APPLIED"
REFUSED: Final = "CHANGE_REFUSED"
CONSTITUTION_REFUSED: Final = "CONSTITUTION_CHANGE_REFUSED"
ROLLED_BACK: Final = "CHANGE_ROLLED_BACK"
ROLLBACK_REFUSED: Final = "ROLLBACK_REFUSED"

FROZEN: Final = frozenset(
    {"max_drawdown", "max_drawdown_pct", "max_changes_per_day", "max_active_rules"}
)


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    low_inclusive: bool
    unit: str
    rule: str

    def check(self, value: float) -> str | None:
        ok_low = value >= self.low if self.low_inclusive else value > self.low
        if ok_low and value <= self.high:
            return None
        bracket = "[" if self.low_inclusive else "("
        return f"must be in {bracket}{self.low:g}, {self.high:g}] ({self.unit}; {self.rule})"


# What may be changed, within the constitution. Names are the registry's (risk_per_trade, a
# fraction) and its rule_overrides' (percent).
PARAMETERS: Final[dict[str, Bounds]] = {
    "risk_per_trade": Bounds(
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
}


def utc_day(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).date().isoformat()


@dataclass
class Change:
    change_id: str
    ts: int
    day: str
    scope_key: str
    name: str
    old_value: str | None  # None: the owner's default (no value known before)
    new_value: str
    actor: str
    reason: str
    rolled_back_by: str | None = None


@dataclass(frozen=True)
class Verdict:
    action: str  # APPLIED, REFUSED, CONSTITUTION_REFUSED, ROLLED_BACK, ROLLBACK_REFUSED
    code: str  # short reason code ("applied", "out_of_bounds", ...)
    message: str
    change: Change | None = None

    @property
    def accepted(self) -> bool:
        return self.action in (APPLIED, ROLLED_BACK)


@dataclass
class ChangeGuard:
    max_per_day: int = MAX_CHANGES_PER_DAY
    max_active: int = MAX_ACTIVE_RULES
    changes: dict[str, Change] = field(default_factory=dict)
    _stacks: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _per_day: dict[tuple[str, str], int] = field(default_factory=dict)

    def current(self, scope_key: str, name: str) -> str | None:
        """The value the newest active change set, None if none is active."""
        stack = self._stacks.get((scope_key, name))
        return self.changes[stack[-1]].new_value if stack else None

    def changes_on(self, scope_key: str, day: str) -> int:
        return self._per_day.get((scope_key, day), 0)

    def propose(  # noqa: PLR0911 - one return per rule, in the order they are checked
        self,
        *,
        change_id: str,
        ts: int,
        scope_key: str,
        name: str | None,
        value: str | None,
        default: str | None,
        actor: str,
        reason: str,
    ) -> Verdict:
        """Decide a proposal; `default` is the value known before it (e.g. the registry's)."""
        if change_id in self.changes:
            return Verdict(REFUSED, "duplicate_change", f"change {change_id} was already made")
        if not name:
            return Verdict(REFUSED, "missing_parameter", "parameters.name is required")
        key = name.strip().lower()
        if key.startswith("constitution") or key in FROZEN:
            return Verdict(
                CONSTITUTION_REFUSED,
                "constitution",
                f"{name} is part of the constitution and cannot be changed at run time",
            )
        refused = _rule_refusal(name, value) if is_rule_name(name) else _value_refusal(name, value)
        if refused is not None:
            return refused
        day = utc_day(ts)
        done = self.changes_on(scope_key, day)
        if done >= self.max_per_day:
            return Verdict(
                REFUSED,
                "daily_change_limit",
                f"{scope_key} already had {done} changes on {day} (UTC); the constitution allows "
                f"{self.max_per_day} a day",
            )
        stack = self._stacks.get((scope_key, name), [])
        if not stack and len(self._active_keys()) >= self.max_active:
            return Verdict(
                REFUSED,
                "max_active_rules",
                f"already {self.max_active} active rules (constitution)",
            )
        old = self.current(scope_key, name)
        change = Change(
            change_id=change_id,
            ts=ts,
            day=day,
            scope_key=scope_key,
            name=name,
            old_value=old if old is not None else default,
            new_value=str(value).strip(),
            actor=actor,
            reason=reason,
        )
        self.changes[change_id] = change
        self._stacks[(scope_key, name)] = [*stack, change_id]
        self._per_day[(scope_key, day)] = done + 1
        return Verdict(APPLIED, "applied", f"{name} = {change.new_value}", change)

    def _active_keys(self) -> list[tuple[str, str]]:
        return [k for k, stack in self._stacks.items() if stack]

    def replay_applied(
        self,
        *,
        change_id: str,
        ts: int,
        scope_key: str,
        name: str,
        old_value: str | None,
        new_value: str,
        actor: str,
        reason: str,
    ) -> None:
        """Put back a change applied before a restart (from the audit trail)."""
        if change_id in self.changes:
            return
        day = utc_day(ts)
        change = Change(change_id, ts, day, scope_key, name, old_value, new_value, actor, reason)
        self.changes[change_id] = change
        self._stacks.setdefault((scope_key, name), []).append(change_id)
        self._per_day[(scope_key, day)] = self.changes_on(scope_key, day) + 1

    def replay_rolled_back(self, change_id: str, rollback_id: str) -> None:
        """Put back a rollback made before a restart (from the audit trail)."""
        change = self.changes.get(change_id)
        if change is None or change.rolled_back_by is not None:
            return
        stack = self._stacks.get((change.scope_key, change.name), [])
        if change_id in stack:
            stack.remove(change_id)
        change.rolled_back_by = rollback_id

    def rollback(self, change_id: str | None, *, rollback_id: str) -> Verdict:
        if not change_id:
            return Verdict(
                ROLLBACK_REFUSED, "missing_change_id", "parameters.change_id is required"
            )
        change = self.changes.get(change_id)
        if change is None:
            return Verdict(ROLLBACK_REFUSED, "unknown_change", f"no change {change_id!r}")
        if change.rolled_back_by is not None:
            return Verdict(
                ROLLBACK_REFUSED,
                "already_rolled_back",
                f"change {change_id} was rolled back by {change.rolled_back_by}",
                change,
            )
        stack = self._stacks[(change.scope_key, change.name)]
        if stack[-1] != change_id:
            return Verdict(
                ROLLBACK_REFUSED,
                "superseded",
                f"change {change_id} was followed by {stack[-1]} on the same parameter: "
                "roll that back first",
                change,
            )
        stack.pop()
        change.rolled_back_by = rollback_id
        restored = change.old_value if change.old_value is not None else "default"
        return Verdict(ROLLED_BACK, "rolled_back", f"{change.name} back to {restored}", change)


def _value_refusal(name: str, value: str | None) -> Verdict | None:
    """Why a parameter's value is refused: unknown name, not a number, outside its bounds."""
    bounds = PARAMETERS.get(name)
    if bounds is None:
        known = ", ".join(PARAMETERS)
        return Verdict(REFUSED, "unknown_parameter", f"unknown parameter {name!r} (known: {known})")
    number = _number(value)
    if number is None:
        return Verdict(
            REFUSED, "invalid_value", f"{name}: a decimal number expected, got {value!r}"
        )
    problem = bounds.check(number)
    if problem is not None:
        return Verdict(REFUSED, "outside_constitution", f"{name} {problem}, got {value}")
    return None


def _rule_refusal(name: str, value: str | None) -> Verdict | None:
    """Why a rule proposal is refused: not a valid rule (hive.rules), or one that would not
    reduce risk (outside the constitution)."""
    try:
        rule = read_proposal(name, value)
    except RuleError as exc:
        return Verdict(REFUSED, "invalid_rule", f"{name}: {exc}")
    problem = within_constitution(rule)
    if problem is not None:
        return Verdict(REFUSED, "outside_constitution", problem)
    return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
