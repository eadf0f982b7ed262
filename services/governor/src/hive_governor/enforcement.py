"""What the governor does when a bot breaks a rule (when it does: limits_watch.py, escalation.py).

- Hard-limit breach: the bot is held (DAILY_LOSS or MAX_LOSS hold), one FLATTEN goes out (cause:
  the snapshot), LIMIT_BREACHED is audited, and the breach counts as a violation. A daily halt
  lifted at the next trading day publishes the bot's state and audits HALT_LIFTED.
- Violation that raises the bot's escalation level: ESCALATION hold, a PAUSE or LOCK command
  for the PAUSED and LOCKED levels (cause: the violation), ESCALATED audited.
"""

from __future__ import annotations

from hive_governor.board import Board
from hive_governor.commands.rules import system_command
from hive_governor.escalation import LEVEL_NAMES, LOCKED, PAUSED, Escalation
from hive_governor.inputs import Snapshot
from hive_governor.limits_watch import DAILY, LimitEvent
from hive_governor.outputs import Output, command_output
from hive_governor.scopes import Hold


class Enforcement:
    def __init__(self, board: Board, escalation: Escalation) -> None:
        self.board = board
        self.audit = board.audit
        self.escalation = escalation

    def limit_event(self, snap: Snapshot, event: LimitEvent) -> list[Output]:
        """A limit breached or a daily halt lifted by the bot's snapshot `snap`."""
        scope = self.board.scope("BOT", snap.bot_id)
        kind = "DAILY_LOSS" if event.cause == DAILY else "MAX_LOSS"
        if event.lifted:
            scope.holds.pop(kind, None)
            outs, published = self.board.publish(
                scope, ts=snap.ts, trigger="DAY_BOUNDARY", cause_ids=(snap.event_id,)
            )
            outs.append(
                self.audit.event(
                    ts=snap.ts,
                    action="HALT_LIFTED",
                    scope_level="BOT",
                    scope_id=snap.bot_id,
                    details={**event.details, "cause": event.cause, "breaker_event_id": published},
                    cause_event_id=snap.event_id,
                )
            )
            return outs
        scope.holds[kind] = Hold(event.cause, snap.ts)
        outs, published = self.board.publish(
            scope, ts=snap.ts, trigger=event.cause, cause_ids=(snap.event_id,)
        )
        d = event.details
        what = (
            f"daily loss {d['daily_loss']:.2f} reached the limit {d['daily_loss_limit']:.2f} "
            f"({d['daily_loss_rule']}) on {d['trading_day']}"
            if event.cause == DAILY
            else f"equity {d['equity']:.2f} at or below the floor {d['equity_floor']:.2f} "
            f"({d['equity_floor_rule']})"
        )
        flatten = system_command(
            command="FLATTEN",
            scope_level="BOT",
            scope_id=snap.bot_id,
            cause_event_id=snap.event_id,
            ts=snap.ts,
            reason=f"{event.cause}: {what}",
            parameters={"cause": event.cause},
        )
        outs.append(command_output(flatten))
        outs.append(
            self.audit.event(
                ts=snap.ts,
                action="LIMIT_BREACHED",
                scope_level="BOT",
                scope_id=snap.bot_id,
                details={
                    **d,
                    "cause": event.cause,
                    "halt": "until the next trading day"
                    if event.cause == DAILY
                    else "until RESUME by an ADMIN",
                    "breaker_event_id": published,
                    "flatten_command_id": flatten["command_id"],
                },
                cause_event_id=snap.event_id,
            )
        )
        return outs + self.violation(snap.bot_id, snap.event_id, snap.ts)

    def violation(self, bot_id: str, event_id: str, ts: int) -> list[Output]:
        """One violation by the bot (event `event_id`); what its escalation, if any, causes."""
        esc = self.escalation.violation(bot_id, ts, event_id, self.board.now(ts))
        if esc is None:
            return []
        scope = self.board.scope("BOT", bot_id)
        scope.holds["ESCALATION"] = Hold(esc.cause, ts)
        outs, published = self.board.publish(
            scope, ts=ts, trigger=esc.cause, cause_ids=esc.violation_ids
        )
        window = self.escalation.config.window_ms
        command_id = None
        if esc.level in (PAUSED, LOCKED):
            command = "PAUSE" if esc.level == PAUSED else "LOCK"
            record = system_command(
                command=command,
                scope_level="BOT",
                scope_id=bot_id,
                cause_event_id=event_id,
                ts=ts,
                reason=f"escalation: {esc.count} violations within {window} ms",
                parameters={"cause": esc.cause},
            )
            command_id = str(record["command_id"])
            outs.append(command_output(record))
        outs.append(
            self.audit.event(
                ts=ts,
                action="ESCALATED",
                scope_level="BOT",
                scope_id=bot_id,
                details={
                    "previous_level": LEVEL_NAMES[esc.previous],
                    "level": LEVEL_NAMES[esc.level],
                    "violations": esc.count,
                    "window_ms": window,
                    "violation_event_ids": list(esc.violation_ids),
                    "breaker_event_id": published,
                    "command_id": command_id,
                },
                cause_event_id=event_id,
            )
        )
        return outs
