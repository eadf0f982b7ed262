"""SET_PARAMETER and ROLLBACK_CHANGE: a parameter change proposed to, or rolled back through, the
change guard (change_guard.py), and the audit event of its verdict.

A change's default (its old value when none was applied before) is the bot's registry value:
`risk_per_trade`, or the rule override of that name. A rollback is audited at the scope where
the change was made, whatever scope the command named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hive.bots import Bot
from hive_governor.board import Board
from hive_governor.change_guard import ChangeGuard, Verdict
from hive_governor.inputs import Command
from hive_governor.outputs import Output
from hive_governor.scopes import ScopeState


class ChangeCommands:
    def __init__(self, board: Board, guard: ChangeGuard, bots: Mapping[str, Bot]) -> None:
        self.board = board
        self.guard = guard
        self.bots = bots  # the governor's registry view, kept up to date by the governor

    def set_parameter(self, cmd: Command, scope: ScopeState) -> Output:
        name = cmd.parameters.get("name")
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
        return self._audit(cmd, scope, verdict)

    def rollback(self, cmd: Command, scope: ScopeState) -> Output:
        """`scope`: the command's; the change's own scope is used when the change is known."""
        verdict = self.guard.rollback(cmd.parameters.get("change_id"), rollback_id=cmd.command_id)
        if verdict.change is not None:  # audited where the change was made
            level, _, scope_id = verdict.change.scope_key.partition(":")
            scope = self.board.scope(level, scope_id)  # type: ignore[arg-type]
        return self._audit(cmd, scope, verdict)

    def _default_value(self, scope: ScopeState, name: str | None) -> str | None:
        bot = self.bots.get(scope.scope_id) if scope.level == "BOT" else None
        if bot is None or not name:
            return None
        if name == "risk_per_trade":
            return format(bot.risk_fraction, "g")  # the registry's unit, as the change guard's
        return bot.rule_overrides.get(name)

    def _audit(self, cmd: Command, scope: ScopeState, verdict: Verdict) -> Output:
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
                changes_that_day=self.guard.changes_on(change.scope_key, change.day),
            )
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
