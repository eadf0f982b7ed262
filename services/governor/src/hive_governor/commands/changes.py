"""SET_PARAMETER and ROLLBACK_CHANGE: a parameter change proposed to, or rolled back through, the
change guard (change_guard.py), the value it puts in force and the audit event of its verdict.

A change's default (its old value when none was applied before) is the bot's registry value:
`risk_per_trade`, the rule override of that name, `allowed_symbols` (comma-separated) or
`card.<parameter>` (its strategy parameter). A rollback is audited at the scope where the
change was made, whatever scope the command named.

What is in force: every accepted verdict publishes one `control.parameters` record (before its
audit event, which names it in `parameter_event_id`) at the change's scope and name. Applied:
the new value. Rolled back: the value of the change now newest on that (scope, parameter), or
null when none is left (the owner's value applies again). The event_id is the command_id of
the change or of the rollback, ts_event and ts_init the command's event time. A refused
proposal or rollback publishes nothing. The governor's own `ParameterBook` (`book`) is rebuilt
from the guard after every accepted verdict and on restart, so it always says what the topic
says, and the breakers take their thresholds from it at once (`Board.reconfigure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hive.bots import Bot
from hive.parameters import (
    ALLOWED_SYMBOLS,
    CARD_PREFIX,
    RISK_PER_TRADE,
    EffectiveParameter,
    ParameterBook,
    kind_of,
)
from hive_governor.board import Board
from hive_governor.change_guard import ChangeGuard, Verdict
from hive_governor.inputs import Command
from hive_governor.outputs import Output, parameter_output
from hive_governor.scopes import ScopeState


class ChangeCommands:
    def __init__(self, board: Board, guard: ChangeGuard, bots: Mapping[str, Bot]) -> None:
        self.board = board
        self.guard = guard
        self.bots = bots  # the governor's registry view, kept up to date by the governor
        self.book = ParameterBook()

    def sync(self) -> None:
        """Rebuild `book` from the guard (after a verdict, and on restart) and give the
        breakers their thresholds from it."""
        book = ParameterBook()
        for change in self.guard.in_force():
            level, _, scope_id = change.scope_key.partition(":")
            book.apply(
                EffectiveParameter(
                    event_id=change.change_id,
                    ts=change.ts,
                    scope_level=level,
                    scope_id=scope_id,
                    name=change.name,
                    kind=kind_of(change.name),
                    value=change.new_value,
                    previous_value=None,
                    change_id=change.change_id,
                    actor=change.actor,
                    reason=change.reason,
                ).record()
            )
        self.book = book
        self.board.reconfigure()

    def set_parameter(self, cmd: Command, scope: ScopeState) -> list[Output]:
        name = cmd.parameters.get("name")
        before = self.guard.current(scope.key, name) if name else None
        verdict = self.guard.propose(
            change_id=cmd.command_id,
            ts=cmd.ts,
            scope_key=scope.key,
            name=name,
            value=cmd.parameters.get("value"),
            default=self._default_value(scope, name),
            actor=cmd.actor,
            reason=cmd.reason,
        )
        change = verdict.change
        if not verdict.accepted or change is None:
            return [self._audit(cmd, scope, verdict)]
        return self._put_in_force(
            cmd, scope, verdict, value=change.new_value, previous=before, change_id=change.change_id
        )

    def rollback(self, cmd: Command, scope: ScopeState) -> list[Output]:
        """`scope`: the command's; the change's own scope is used when the change is known."""
        verdict = self.guard.rollback(cmd.parameters.get("change_id"), rollback_id=cmd.command_id)
        change = verdict.change
        if change is None:
            return [self._audit(cmd, scope, verdict)]
        level, _, scope_id = change.scope_key.partition(":")
        scope = self.board.scope(level, scope_id)  # type: ignore[arg-type]  # audited there
        if not verdict.accepted:
            return [self._audit(cmd, scope, verdict)]
        now = self.guard.newest(change.scope_key, change.name)
        return self._put_in_force(
            cmd,
            scope,
            verdict,
            value=None if now is None else now.new_value,
            previous=change.new_value,
            change_id=None if now is None else now.change_id,
        )

    def _put_in_force(
        self,
        cmd: Command,
        scope: ScopeState,
        verdict: Verdict,
        *,
        value: str | None,
        previous: str | None,
        change_id: str | None,
    ) -> list[Output]:
        """The control.parameters record of an accepted verdict, then its audit event."""
        assert verdict.change is not None
        record = EffectiveParameter(
            event_id=cmd.command_id,
            ts=cmd.ts,
            scope_level=scope.level,
            scope_id=scope.scope_id,
            name=verdict.change.name,
            kind=kind_of(verdict.change.name),
            value=value,
            previous_value=previous,
            change_id=change_id,
            actor=cmd.actor,
            reason=cmd.reason,
        )
        self.sync()
        return [
            parameter_output(record),
            self._audit(cmd, scope, verdict, parameter_event_id=record.event_id),
        ]

    def _default_value(self, scope: ScopeState, name: str | None) -> str | None:
        bot = self.bots.get(scope.scope_id) if scope.level == "BOT" else None
        if bot is None or not name:
            return None
        if name == RISK_PER_TRADE:
            return format(bot.risk_fraction, "g")  # the registry's unit, as the change guard's
        if name == ALLOWED_SYMBOLS:
            return ",".join(bot.allowed_symbols) or None
        if name.startswith(CARD_PREFIX):
            return bot.strategy_parameters.get(name[len(CARD_PREFIX) :])
        return bot.rule_overrides.get(name)

    def _audit(
        self, cmd: Command, scope: ScopeState, verdict: Verdict, **extra: str | None
    ) -> Output:
        change = verdict.change
        details: dict[str, Any] = {
            "command": cmd.command,
            "command_id": cmd.command_id,
            "reason": cmd.reason,
            "code": verdict.code,
            "message": verdict.message,
            "parameters": dict(cmd.parameters),
        }
        if change is not None:
            details.update(
                change_id=change.change_id,
                name=change.name,
                old_value=change.old_value,
                new_value=change.new_value,
                day=change.day,
                changes_that_day=self.guard.changes_on(change.day),
            )
        details.update(extra)
        return self.board.audit.event(
            ts=cmd.ts,
            action=verdict.action,
            scope_level=scope.level,
            scope_id=scope.scope_id,
            details=details,
            actor=cmd.actor,
            role=cmd.role,
            cause_event_id=cmd.event_id,
        )
