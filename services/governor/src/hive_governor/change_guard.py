"""The change guard: parameter and rule changes proposed by operators or the learner.

A proposal (SET_PARAMETER, parameters `name` and `value`) is decided at once, with no person
in the loop:

- a change of the constitution is refused (CONSTITUTION_CHANGE_REFUSED): any name starting with
  `constitution`, the constitution's own numbers (`max_changes_per_day`, `max_active_rules`)
  and `max_drawdown` / `max_drawdown_pct`, which can never be changed;
- an unknown parameter (changeable.py lists them; `rule.` names go to its rule hook), a value
  that is not of the parameter's kind, a scope the parameter cannot be set at, or a value
  outside its bounds (the constitution's, changeable.py) is refused;
- once the whole hive has had `max_per_day` (3) accepted changes on the proposal's day, any
  further change is refused, whatever its scope. The day is the UTC calendar day of the
  command's ts_event (event time): cells and the global scope have no trading day, and the UTC
  day is the same for every reader of the trail;
- a name `rule.<rule_id>` is a rule proposal (hive.rules, changeable.check_rule): a value that is
  not a valid rule of that id is refused (`invalid_rule`), one that would not reduce risk
  (anything but a skip or a risk scale in (0, 1]) is refused as outside the constitution; a
  valid one is counted in the day's changes and in `max_active` like a parameter;
- a new (scope, parameter) beyond `max_active` (50) active ones is refused;
- `model.<model_name>` (the learner's promotion of a release) takes a version, not a number: a
  non-empty text without ':'; it is counted like any change, and its rollback puts the previous
  version back in force (or none: the cards' prior);
- otherwise it is applied (CHANGE_APPLIED). The change id is the command_id.

"Applied" means accepted, written to the audit trail with the old and new value, and put in
force: the governor publishes the value on control.parameters (commands/changes.py).

ROLLBACK_CHANGE (parameter `change_id`) restores the value before that change (CHANGE_ROLLED_BACK);
only the newest change of its (scope, parameter) can be rolled back, each once. A rollback is
not counted in the day's 3: undoing must always be possible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from hive.change_log import (  # the verdicts' audit actions, read by the hub and the report too
    APPLIED,
    CONSTITUTION_REFUSED,
    REFUSED,
    ROLLBACK_REFUSED,
    ROLLED_BACK,
)
from hive.constitution import MAX_ACTIVE_RULES, MAX_CHANGES_PER_DAY
from hive.parameters import MODEL_PREFIX
from hive_governor.changeable import PARAMETERS, Problem, check_rule, is_rule, spec_for

FROZEN: Final = frozenset(
    {"max_drawdown", "max_drawdown_pct", "max_changes_per_day", "max_active_rules"}
)


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
    _per_day: dict[str, int] = field(default_factory=dict)  # accepted changes by UTC day

    def newest(self, scope_key: str, name: str) -> Change | None:
        """The newest active change of (scope, parameter), None if none is active."""
        stack = self._stacks.get((scope_key, name))
        return self.changes[stack[-1]] if stack else None

    def current(self, scope_key: str, name: str) -> str | None:
        """The value the newest active change set, None if none is active."""
        newest = self.newest(scope_key, name)
        return None if newest is None else newest.new_value

    def changes_on(self, day: str) -> int:
        """Accepted changes in the whole hive on a UTC day (rollbacks are not counted)."""
        return self._per_day.get(day, 0)

    def in_force(self) -> list[Change]:
        """The newest active change of every (scope, parameter), by scope and name."""
        return [self.changes[stack[-1]] for _, stack in sorted(self._stacks.items()) if stack]

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
        problem = _check(name, value, scope_key, default)
        if problem is not None:
            return Verdict(REFUSED, problem.code, problem.message)
        day = utc_day(ts)
        done = self.changes_on(day)
        if done >= self.max_per_day:
            return Verdict(
                REFUSED,
                "daily_change_limit",
                f"the hive already had {done} changes on {day} (UTC); the constitution allows "
                f"{self.max_per_day} a day across the hive",
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
        self._per_day[day] = done + 1
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
        self._per_day[day] = self.changes_on(day) + 1

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


def _check(name: str, value: str | None, scope_key: str, owner: str | None) -> Problem | None:
    """Why `value` cannot be `name` at `scope_key` (None: it can)."""
    if is_rule(name):
        return check_rule(name, value)
    if name.startswith(MODEL_PREFIX):
        return _model_version_problem(name, value)
    spec = spec_for(name)
    if spec is None:
        known = ", ".join([*PARAMETERS, "card.<parameter>"])
        return Problem("unknown_parameter", f"unknown parameter {name!r} (known: {known})")
    if value is None or not value.strip():
        return Problem("invalid_value", f"{name}: a value is required")
    level = scope_key.partition(":")[0]
    if level not in spec.levels:
        return Problem(
            "wrong_scope", f"{name} is set at {' or '.join(spec.levels)} scope, not {level}"
        )
    return spec.check(name, value.strip(), owner=owner if level == "BOT" else None)


def _model_version_problem(name: str, value: str | None) -> Problem | None:
    """`model.<model_name>` = a release version (text, not a number), or why not."""
    if not name[len(MODEL_PREFIX) :] or ":" in name:
        return Problem("unknown_parameter", f"{name!r}: model.<model_name> expected")
    version = (value or "").strip()
    if not version or ":" in version:
        return Problem(
            "invalid_value", f"{name}: a release version without ':' expected, got {value!r}"
        )
    return None
