"""What each command on `control.commands` does to the scopes (who may give it: rules.py).

- HALT: hold at the scope (OPEN / HALTED, cause COMMAND) until RESUME;
- KILL_SWITCH: global hold (cause KILL_SWITCH) + FLATTEN of the global scope;
- FLATTEN: audited only (the executor closes the positions);
- PAUSE / LOCK: bot holds (PAUSED / LOCKED);
- RESUME: lifts at its scope the HALT and KILL_SWITCH holds and, for a bot, PAUSE, escalation
  SHADOW/PAUSED and limit halts (a limit halt needs ADMIN: otherwise the RESUME is refused as a
  whole). It never lifts LOCK (UNLOCK does) nor a breaker (RESET_BREAKER does) nor liveness
  SAFE_MODE (the service beating again does). A RESUME that lifts nothing is refused;
- UNLOCK (ADMIN): lifts LOCK and any escalation, clears the bot's violation count;
- RESET_BREAKER: closes the scope's breaker (refused if closed);
- SET_PARAMETER / ROLLBACK_CHANGE: the change guard (changes.py); an accepted one publishes the
  value in force on control.parameters.

Every command is audited once, COMMAND_APPLIED or COMMAND_REFUSED (change commands: the change
guard's verdict), after the records it caused (`breaker_event_id` names the one published).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hive_governor.board import Board
from hive_governor.commands.changes import ChangeCommands
from hive_governor.commands.rules import Refusal, refusal, scope_of, system_command
from hive_governor.escalation import LEVEL_CAUSES, NONE, Escalation
from hive_governor.inputs import Command
from hive_governor.limits_watch import DAILY, LimitsWatch
from hive_governor.outputs import Output, command_output
from hive_governor.scopes import Hold, ScopeState


class CommandHandler:
    """Applies a command the governor is to act on (not ignored, seen for the first time)."""

    def __init__(
        self,
        board: Board,
        *,
        limits: LimitsWatch,
        escalation: Escalation,
        changes: ChangeCommands,
    ) -> None:
        self.board = board
        self.audit = board.audit
        self.limits = limits
        self.escalation = escalation
        self.changes = changes
        self._handlers: Mapping[str, Callable[[Command], list[Output]]] = {
            "HALT": self._halt,
            "KILL_SWITCH": self._kill_switch,
            "FLATTEN": self._flatten,
            "PAUSE": self._pause,
            "LOCK": self._lock,
            "RESUME": self._resume,
            "UNLOCK": self._unlock,
            "RESET_BREAKER": self._reset_breaker,
            "SET_PARAMETER": self._set_parameter,
            "ROLLBACK_CHANGE": self._rollback,
        }

    def apply(self, cmd: Command) -> list[Output]:
        refused = refusal(cmd)
        if refused is not None:
            return [self._refused(cmd, refused)]
        return self._handlers[cmd.command](cmd)

    # ------------------------------------------------------------------ audit
    def _cmd_scope(self, cmd: Command) -> ScopeState:
        level, scope_id = scope_of(cmd)
        return self.board.scope(level, scope_id)  # type: ignore[arg-type]  # checked by refusal()

    def _refused(self, cmd: Command, why: Refusal) -> Output:
        level, scope_id = scope_of(cmd)
        return self.audit.event(
            ts=cmd.ts,
            action="COMMAND_REFUSED",
            scope_level=level,
            scope_id=scope_id,
            details={
                "command": cmd.command,
                "command_id": cmd.command_id,
                "code": why.code,
                "message": why.message,
                "reason": cmd.reason,
                "parameters": dict(cmd.parameters),
            },
            actor=cmd.actor,
            role=cmd.role,
            cause_event_id=cmd.event_id,
        )

    def _applied(
        self, cmd: Command, scope: ScopeState, published: str | None, **details: Any
    ) -> Output:
        return self.audit.event(
            ts=cmd.ts,
            action="COMMAND_APPLIED",
            scope_level=scope.level,
            scope_id=scope.scope_id,
            details={
                "command": cmd.command,
                "command_id": cmd.command_id,
                "reason": cmd.reason,
                "breaker_event_id": published,
                **details,
            },
            actor=cmd.actor,
            role=cmd.role,
            cause_event_id=cmd.event_id,
        )

    def _publish_lift(self, cmd: Command, scope: ScopeState, lifted: list[str]) -> list[Output]:
        outs, published = self.board.publish(
            scope,
            ts=cmd.ts,
            trigger="COMMAND",
            cause_ids=(cmd.event_id,),
            command_id=cmd.command_id,
        )
        still = sorted(h.cause for h in scope.holds.values())
        return [*outs, self._applied(cmd, scope, published, lifted=lifted, still_held=still)]

    # ------------------------------------------------------------------ holds
    def _hold_command(self, cmd: Command, kind: str, cause: str) -> list[Output]:
        scope = self._cmd_scope(cmd)
        scope.holds[kind] = Hold(cause, cmd.ts, cmd.command_id)
        outs, published = self.board.publish(
            scope, ts=cmd.ts, trigger=cause, cause_ids=(cmd.event_id,), command_id=cmd.command_id
        )
        return [*outs, self._applied(cmd, scope, published)]

    def _halt(self, cmd: Command) -> list[Output]:
        return self._hold_command(cmd, "HALT", "COMMAND")

    def _pause(self, cmd: Command) -> list[Output]:
        return self._hold_command(cmd, "PAUSE", "PAUSED")

    def _lock(self, cmd: Command) -> list[Output]:
        return self._hold_command(cmd, "LOCK", "LOCKED")

    def _kill_switch(self, cmd: Command) -> list[Output]:
        scope = self._cmd_scope(cmd)
        scope.holds["KILL_SWITCH"] = Hold("KILL_SWITCH", cmd.ts, cmd.command_id)
        outs, published = self.board.publish(
            scope,
            ts=cmd.ts,
            trigger="KILL_SWITCH",
            cause_ids=(cmd.event_id,),
            command_id=cmd.command_id,
        )
        flatten = system_command(
            command="FLATTEN",
            scope_level=scope.level,
            scope_id=scope.scope_id,
            cause_event_id=cmd.event_id,
            ts=cmd.ts,
            reason=f"KILL_SWITCH by {cmd.actor}: {cmd.reason}",
            parameters={"cause": "KILL_SWITCH"},
        )
        outs.append(command_output(flatten))
        outs.append(self._applied(cmd, scope, published, flatten_command_id=flatten["command_id"]))
        return outs

    def _flatten(self, cmd: Command) -> list[Output]:
        # The executor acts on the operator's FLATTEN itself; the governor keeps the record.
        return [
            self._applied(cmd, self._cmd_scope(cmd), None, note="the executor closes the positions")
        ]

    # ------------------------------------------------------------------ lifting
    def _resume(self, cmd: Command) -> list[Output]:
        scope = self._cmd_scope(cmd)
        lifted: list[str] = []
        if scope.level == "BOT":
            bot_id = scope.scope_id
            limit_halt = self.limits.hard_halted(bot_id) or (
                DAILY if self.limits.daily_halted(bot_id) else None
            )
            if limit_halt is not None and cmd.role != "ADMIN":
                return [
                    self._refused(
                        cmd,
                        Refusal(
                            "admin_required",
                            f"bot {bot_id} is halted by a hard limit ({limit_halt}): "
                            "RESUME needs an ADMIN",
                        ),
                    )
                ]
            lifted += self.limits.resume(bot_id)
            scope.holds.pop("MAX_LOSS", None)
            scope.holds.pop("DAILY_LOSS", None)
            level = self.escalation.resume(bot_id)
            if level != NONE:
                scope.holds.pop("ESCALATION", None)
                lifted.append(str(LEVEL_CAUSES[level]))
        for kind in ("PAUSE", "HALT", "KILL_SWITCH"):
            hold = scope.holds.pop(kind, None)
            if hold is not None:
                lifted.append(hold.cause)
        if not lifted:
            held = sorted(h.cause for h in scope.holds.values())
            message = f"nothing to resume at {scope.key}"
            if held:  # what a RESUME does not lift, and what does
                message += f"; in force: {', '.join(held)}"
            if any("LOCKED" in c for c in held):
                message += " (a lock is lifted by UNLOCK from an ADMIN)"
            if "SERVICE_SILENT" in held:
                message += " (safe mode ends when the silent service beats again)"
            return [self._refused(cmd, Refusal("nothing_to_resume", message))]
        return self._publish_lift(cmd, scope, lifted)

    def _unlock(self, cmd: Command) -> list[Output]:
        scope = self._cmd_scope(cmd)
        lifted: list[str] = []
        if scope.holds.pop("LOCK", None) is not None:
            lifted.append("LOCKED")
        level = self.escalation.unlock(scope.scope_id)
        if level != NONE:
            scope.holds.pop("ESCALATION", None)
            lifted.append(str(LEVEL_CAUSES[level]))
        if not lifted:
            return [
                self._refused(cmd, Refusal("not_locked", f"bot {scope.scope_id} is not locked"))
            ]
        return self._publish_lift(cmd, scope, lifted)

    def _reset_breaker(self, cmd: Command) -> list[Output]:
        scope = self._cmd_scope(cmd)
        t = scope.breaker.reset(cmd.ts, cmd.event_id, self.board.now(cmd.ts))
        if t is None:
            return [
                self._refused(cmd, Refusal("breaker_closed", f"{scope.key}: breaker is closed"))
            ]
        return self.board.transition(scope, t, ts_init=cmd.ts, cmd=cmd)

    # ------------------------------------------------------------------ change guard
    def _set_parameter(self, cmd: Command) -> list[Output]:
        return self.changes.set_parameter(cmd, self._cmd_scope(cmd))

    def _rollback(self, cmd: Command) -> list[Output]:
        return self.changes.rollback(cmd, self._cmd_scope(cmd))
