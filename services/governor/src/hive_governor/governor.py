"""The governor's facade: one method per input topic, each returning the records to publish.

Plain Python, no Kafka: the service feeds it decoded records and produces what it returns
(`Output`: topic, key, value), in order. Everything is deterministic: ids come from the inputs,
times from the inputs' event time (heartbeats and the liveness check excepted: their `now_ms`
is the wall clock the caller passes).

- Event clock: the greatest ts_event of the market-time inputs (snapshots, trades, executions,
  decisions). Each such input first advances it (`advance`), which moves every breaker whose
  reset_at has passed to HALF_OPEN; the input is then that scope's probe. Commands and
  registry records do not advance it: hub-api stamps them with the wall clock, which in a
  replay is years ahead of the market and would half-open every breaker at once.
- Every failure (failures.py) counts at the bot's, its cell's and the global breaker, in that
  order, so a losing streak trips BOT, then CELL, then GLOBAL; a success probes the half-open
  ones among them.
- Scope state, holds and the published record: scopes.py. Limits: limits_watch.py.
  Escalation: escalation.py. Commands: commands.py and the handlers below. Change guard:
  change_guard.py. Liveness: liveness.py.
- Idempotent: a record whose event_id was seen on the same topic (the last 100,000 per topic)
  changes nothing and returns nothing; snapshots older than the bot's last are ignored too.
- Audit (chain "governor"): every breaker transition, limit breach and lift, escalation,
  command applied or refused, change applied, refused or rolled back, service silent or back.
  Each audit event that caused a published record names it (`breaker_event_id`).

System commands: FLATTEN on a hard-limit breach (cause: the snapshot) and on KILL_SWITCH (cause:
the command), PAUSE / LOCK on escalation (cause: the violation); command_id =
"governor:" + cause event_id + ":" + command. They come back on control.commands with origin
"governor" and are ignored there.

What the commands do (who may give them: commands.py):
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
- SET_PARAMETER / ROLLBACK_CHANGE: the change guard.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hive.audit import AuditChain
from hive.constitution import most_severe
from hive.limits import RuleSet, load_rule_sets
from hive_governor import commands as cmds
from hive_governor.actors import GOVERNOR
from hive_governor.breakers import CLOSED, HALF_OPEN, OPEN, BreakerConfig, Failure, Transition
from hive_governor.change_guard import APPLIED, ROLLED_BACK, ChangeGuard, Verdict
from hive_governor.commands import Refusal, refusal, scope_of, system_command
from hive_governor.errors import GovernorInputError
from hive_governor.escalation import (
    LEVEL_CAUSES,
    LEVEL_NAMES,
    LOCKED,
    NONE,
    PAUSED,
    SHADOW,
    Escalation,
    EscalationConfig,
)
from hive_governor.failures import Outcome, decision_outcome, execution_outcome, trade_outcome
from hive_governor.inputs import (
    BotInfo,
    Command,
    Decision,
    Execution,
    Heartbeat,
    SeenIds,
    Snapshot,
    Trade,
)
from hive_governor.limits_watch import DAILY, LimitEvent, LimitsWatch
from hive_governor.liveness import Liveness
from hive_governor.outputs import Auditor, Output, breaker_output, command_output
from hive_governor.scope_levels import GLOBAL_ID, SCOPE_LEVELS, ScopeLevel
from hive_governor.scopes import Hold, ScopeState

__all__ = ["Governor", "GovernorInputError", "Output"]

_LEVEL_RANK = {level: i for i, level in enumerate(SCOPE_LEVELS)}
_TRANSITION_ACTIONS = {
    (CLOSED, OPEN): "BREAKER_OPENED",
    (HALF_OPEN, OPEN): "BREAKER_REOPENED",
    (OPEN, HALF_OPEN): "BREAKER_HALF_OPEN",
    (HALF_OPEN, CLOSED): "BREAKER_CLOSED",
    (OPEN, CLOSED): "BREAKER_CLOSED",
}
# Holds by the cause a published record shows (restart).
_HALTED_HOLDS = {
    "LOCKED": "LOCK",
    "PAUSED": "PAUSE",
    "DAILY_LOSS": "DAILY_LOSS",
    "MAX_LOSS": "MAX_LOSS",
    "MAX_DRAWDOWN": "MAX_LOSS",
    "KILL_SWITCH": "KILL_SWITCH",
}
_ESCALATION_LEVELS = {
    "ESCALATION_SHADOW": SHADOW,
    "ESCALATION_PAUSED": PAUSED,
    "ESCALATION_LOCKED": LOCKED,
}


class Governor:
    def __init__(
        self,
        config: BreakerConfig | None = None,
        *,
        rule_sets: Mapping[str, RuleSet] | None = None,
        required_services: Sequence[str] = (),
        heartbeat_timeout_ms: int = 15_000,
        chain: AuditChain | None = None,
        escalation: EscalationConfig | None = None,
        seen_capacity: int = 100_000,
    ) -> None:
        self.config = config or BreakerConfig()
        self.rule_sets = dict(load_rule_sets() if rule_sets is None else rule_sets)
        self.limits = LimitsWatch(self.rule_sets)
        self.escalation = Escalation(escalation)
        self.liveness = Liveness(required_services, heartbeat_timeout_ms)
        self.changes = ChangeGuard()
        self.audit = Auditor(chain)
        self.bots: dict[str, BotInfo] = {}
        self.scopes: dict[str, ScopeState] = {}
        self.clock: int | None = None
        self._due: list[tuple[int, int, str]] = []  # (reset_at, level rank, scope key)
        self._seen_capacity = seen_capacity
        self._seen: dict[str, SeenIds] = {}
        self._silent: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ state helpers
    def _first(self, topic: str, event_id: str) -> bool:
        seen = self._seen.get(topic)
        if seen is None:
            seen = self._seen[topic] = SeenIds(self._seen_capacity)
        return seen.first_time(event_id)

    def _scope(self, level: ScopeLevel, scope_id: str) -> ScopeState:
        key = f"{level}:{scope_id}"
        scope = self.scopes.get(key)
        if scope is None:
            scope = self.scopes[key] = ScopeState(level, scope_id, self.config.for_level(level))
        return scope

    def _over(self, bot_id: str, cell_id: str) -> list[ScopeState]:
        return [
            self._scope("BOT", bot_id),
            self._scope("CELL", cell_id),
            self._scope("GLOBAL", GLOBAL_ID),
        ]

    def _now(self, ts: int) -> int:
        return ts if self.clock is None else max(self.clock, ts)

    def _publish(
        self,
        scope: ScopeState,
        *,
        ts: int,
        trigger: str,
        cause_ids: Iterable[str] = (),
        command_id: str | None = None,
        ts_init: int | None = None,
    ) -> tuple[list[Output], str | None]:
        record = scope.publish(
            ts=ts,
            ts_init=ts if ts_init is None else ts_init,
            trigger=trigger,
            cause_event_ids=tuple(cause_ids),
            command_id=command_id,
            now=self._now(ts),
        )
        if record is None:
            return [], None
        return [breaker_output(record)], str(record["event_id"])

    # ------------------------------------------------------------------ public queries
    def breaker_states(self) -> list[dict[str, Any]]:
        """The current (last published) record of every scope that has one."""
        return [dict(s.last) for _, s in sorted(self.scopes.items()) if s.last is not None]

    def mode_for(self, bot_id: str, cell_id: str) -> str:
        """The most severe published fallback over a bot (its own, its cell's, the global)."""
        modes = []
        for key in (f"BOT:{bot_id}", f"CELL:{cell_id}", f"GLOBAL:{GLOBAL_ID}"):
            scope = self.scopes.get(key)
            if scope is not None and scope.last is not None:
                modes.append(str(scope.last["fallback_mode"]))
        return most_severe(modes)

    # ------------------------------------------------------------------ event clock
    def advance(self, ts: int) -> list[Output]:
        """Move the event clock to `ts` (never back); breakers due go HALF_OPEN."""
        if self.clock is None or ts > self.clock:
            self.clock = ts
        outs: list[Output] = []
        while self._due and self._due[0][0] <= self.clock:
            _, _, key = heapq.heappop(self._due)
            scope = self.scopes[key]
            if scope.breaker.due(self.clock):
                t = scope.breaker.half_open(self.clock)
                outs += self._transition(scope, t, ts_init=self.clock)
        return outs

    def _transition(
        self, scope: ScopeState, t: Transition, *, ts_init: int, cmd: Command | None = None
    ) -> list[Output]:
        outs, published = self._publish(
            scope,
            ts=t.ts,
            ts_init=ts_init,
            trigger=t.cause,
            cause_ids=t.cause_event_ids,
            command_id=None if cmd is None else cmd.command_id,
        )
        if t.state == OPEN and t.reset_at is not None:
            heapq.heappush(self._due, (t.reset_at, _LEVEL_RANK[scope.level], scope.key))
        action = _TRANSITION_ACTIONS[(t.previous, t.state)]
        if cmd is not None:
            action = "BREAKER_RESET"
        details = {
            "previous_state": t.previous,
            "state": t.state,
            "cause": t.cause,
            "fallback_mode": scope.config.fallback if t.state == OPEN else "NONE",
            "failure_count": t.failure_count,
            "failure_threshold": scope.config.threshold,
            "window_ms": scope.config.window_ms,
            "reset_at": t.reset_at,
            "cause_event_ids": list(t.cause_event_ids),
            "breaker_event_id": published,  # None: a more severe hold is what is published
        }
        if cmd is not None:
            details.update(command=cmd.command, command_id=cmd.command_id, reason=cmd.reason)
        outs.append(
            self.audit.event(
                ts=t.ts,
                action=action,
                scope_level=scope.level,
                scope_id=scope.scope_id,
                details=details,
                actor=GOVERNOR if cmd is None else cmd.actor,
                role="SYSTEM" if cmd is None else cmd.role,
                cause_event_id=t.cause_event_ids[-1] if t.cause_event_ids else None,
            )
        )
        return outs

    # ------------------------------------------------------------------ registry
    def on_bot(self, record: Mapping[str, Any] | None, key: str | None) -> list[Output]:
        """A registry.bots record (None: a tombstone for bot `key`)."""
        if record is None:
            if key:
                self.bots.pop(key, None)
            return []
        bot = BotInfo.read(record)
        if bot.deleted:
            self.bots.pop(bot.bot_id, None)
        else:
            self.bots[bot.bot_id] = bot
        return []

    # ------------------------------------------------------------------ outcomes
    def on_trade(self, record: Mapping[str, Any]) -> list[Output]:
        trade = Trade.read(record)
        return self._judge("trades", trade, trade_outcome(trade))

    def on_execution(self, record: Mapping[str, Any]) -> list[Output]:
        ex = Execution.read(record)
        return self._judge("executions", ex, execution_outcome(ex))

    def on_decision(self, record: Mapping[str, Any]) -> list[Output]:
        dec = Decision.read(record)
        return self._judge("decisions", dec, decision_outcome(dec))

    def _judge(
        self, topic: str, item: Trade | Execution | Decision, outcome: Outcome
    ) -> list[Output]:
        """An outcome record once: advance the clock to it, then count it for its scopes."""
        if not self._first(topic, item.event_id):
            return []
        outs = self.advance(item.ts)
        return outs + self._outcome(item.bot_id, item.cell_id, item.event_id, item.ts, outcome)

    def _outcome(
        self, bot_id: str, cell_id: str, event_id: str, ts: int, outcome: Outcome
    ) -> list[Output]:
        if not outcome.is_failure and not outcome.success:
            return []
        outs: list[Output] = []
        now = self._now(ts)
        for scope in self._over(bot_id, cell_id):
            if outcome.kind is not None:
                t = scope.breaker.failure(Failure(event_id, ts, outcome.kind), now)
            else:
                t = scope.breaker.success(event_id, ts, now)
            if t is not None:
                outs += self._transition(scope, t, ts_init=ts)
        if outcome.is_violation:
            outs += self._violation(bot_id, event_id, ts)
        return outs

    def _violation(self, bot_id: str, event_id: str, ts: int) -> list[Output]:
        esc = self.escalation.violation(bot_id, ts, event_id, self._now(ts))
        if esc is None:
            return []
        scope = self._scope("BOT", bot_id)
        scope.holds["ESCALATION"] = Hold(esc.cause, ts)
        outs, published = self._publish(
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

    # ------------------------------------------------------------------ hard limits
    def on_snapshot(self, record: Mapping[str, Any]) -> list[Output]:
        snap = Snapshot.read(record)
        if not self._first("snapshots", snap.event_id):
            return []
        outs = self.advance(snap.ts)
        bot = self.bots.get(snap.bot_id)
        for event in self.limits.check(snap, None if bot is None else bot.rule_set):
            outs += self._limit_event(snap, event)
        return outs

    def _limit_event(self, snap: Snapshot, event: LimitEvent) -> list[Output]:
        scope = self._scope("BOT", snap.bot_id)
        kind = "DAILY_LOSS" if event.cause == DAILY else "MAX_LOSS"
        if event.lifted:
            scope.holds.pop(kind, None)
            outs, published = self._publish(
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
        outs, published = self._publish(
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
        return outs + self._violation(snap.bot_id, snap.event_id, snap.ts)

    # ------------------------------------------------------------------ commands
    def on_command(self, record: Mapping[str, Any]) -> list[Output]:
        cmd = Command.read(record)
        if cmds.is_ignored(cmd) or not self._first("commands", cmd.event_id):
            return []
        refused = refusal(cmd)
        if refused is not None:
            return [self._refused(cmd, refused)]
        handler = {
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
        }[cmd.command]
        return handler(cmd)

    def _cmd_scope(self, cmd: Command) -> ScopeState:
        level, scope_id = scope_of(cmd)
        return self._scope(level, scope_id)  # type: ignore[arg-type]  # checked by refusal()

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

    def _hold_command(self, cmd: Command, kind: str, cause: str) -> list[Output]:
        scope = self._cmd_scope(cmd)
        scope.holds[kind] = Hold(cause, cmd.ts, cmd.command_id)
        outs, published = self._publish(
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
        outs, published = self._publish(
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
        outs, published = self._publish(
            scope,
            ts=cmd.ts,
            trigger="COMMAND",
            cause_ids=(cmd.event_id,),
            command_id=cmd.command_id,
        )
        still = sorted(h.cause for h in scope.holds.values())
        return [*outs, self._applied(cmd, scope, published, lifted=lifted, still_held=still)]

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
        outs, published = self._publish(
            scope,
            ts=cmd.ts,
            trigger="COMMAND",
            cause_ids=(cmd.event_id,),
            command_id=cmd.command_id,
        )
        still = sorted(h.cause for h in scope.holds.values())
        return [*outs, self._applied(cmd, scope, published, lifted=lifted, still_held=still)]

    def _reset_breaker(self, cmd: Command) -> list[Output]:
        scope = self._cmd_scope(cmd)
        t = scope.breaker.reset(cmd.ts, cmd.event_id, self._now(cmd.ts))
        if t is None:
            return [
                self._refused(cmd, Refusal("breaker_closed", f"{scope.key}: breaker is closed"))
            ]
        return self._transition(scope, t, ts_init=cmd.ts, cmd=cmd)

    def _default_value(self, scope: ScopeState, name: str | None) -> str | None:
        bot = self.bots.get(scope.scope_id) if scope.level == "BOT" else None
        if bot is None or not name:
            return None
        if name == "risk_per_trade":
            return None if bot.risk_per_trade is None else format(bot.risk_per_trade, "g")
        return bot.rule_overrides.get(name)

    def _change_audit(self, cmd: Command, scope: ScopeState, verdict: Verdict) -> Output:
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
                changes_that_day=self.changes.changes_on(change.scope_key, change.day),
            )
        return self.audit.event(
            ts=cmd.ts,
            action=verdict.action,
            scope_level=scope.level,
            scope_id=scope.scope_id,
            details=details,
            actor=cmd.actor,
            role=cmd.role,
            cause_event_id=cmd.event_id,
        )

    def _set_parameter(self, cmd: Command) -> list[Output]:
        scope = self._cmd_scope(cmd)
        name = cmd.parameters.get("name")
        verdict = self.changes.propose(
            change_id=cmd.command_id,
            ts=cmd.ts,
            scope_key=scope.key,
            name=name,
            value=cmd.parameters.get("value"),
            default=self._default_value(scope, name),
            actor=cmd.actor,
            reason=cmd.reason,
        )
        return [self._change_audit(cmd, scope, verdict)]

    def _rollback(self, cmd: Command) -> list[Output]:
        verdict = self.changes.rollback(cmd.parameters.get("change_id"), rollback_id=cmd.command_id)
        scope = self._cmd_scope(cmd)
        if verdict.change is not None:  # audited where the change was made
            level, _, scope_id = verdict.change.scope_key.partition(":")
            scope = self._scope(level, scope_id)  # type: ignore[arg-type]
        return [self._change_audit(cmd, scope, verdict)]

    # ------------------------------------------------------------------ liveness
    def on_heartbeat(self, record: Mapping[str, Any], now_ms: int) -> list[Output]:
        beat = Heartbeat.read(record)
        if not self._first("heartbeats", beat.event_id):
            return []
        self.liveness.observe(beat, now_ms)
        return self.check_liveness(now_ms)

    def check_liveness(self, now_ms: int) -> list[Output]:
        """Wall-clock check of the required services (the service calls it every second)."""
        status = self.liveness.status(now_ms)
        newly = sorted(status.silent - self._silent)
        back = sorted(self._silent - status.silent)
        self._silent = status.silent
        scope = self._scope("GLOBAL", GLOBAL_ID)
        held = "SILENT" in scope.holds
        lifted = False
        if status.silent and not held:
            scope.holds["SILENT"] = Hold("SERVICE_SILENT", now_ms)
        elif held and not status.silent and not status.pending:
            del scope.holds["SILENT"]
            lifted = True
        if not newly and not back and not lifted:
            return []
        outs, published = self._publish(scope, ts=now_ms, trigger="SERVICE_RESTORED")
        if lifted and not back:
            back = [""]  # restored after a restart: the silent service is not known by name
        for service, action in [(s, "SERVICE_SILENT") for s in newly] + [
            (s, "SERVICE_RESTORED") for s in back
        ]:
            outs.append(
                self.audit.event(
                    ts=now_ms,
                    action=action,
                    scope_level="GLOBAL",
                    scope_id=GLOBAL_ID,
                    details={
                        "service": service or None,
                        "last_beat": status.last_beat.get(service),
                        "timeout_ms": self.liveness.timeout_ms,
                        "silent": sorted(status.silent),
                        "breaker_event_id": published,
                    },
                )
            )
        return outs

    # ------------------------------------------------------------------ restart
    def restore_audit(self, event: Mapping[str, Any]) -> None:
        """Take one audit event of the governor's own chain (optional, at start, oldest first):
        changes applied and rolled back are put back into the change guard, so the day's
        count and rollback by id survive a restart. Other events are skipped."""
        if event.get("chain_id") != self.audit.chain.chain_id:
            return
        action = event.get("action")
        if action not in (APPLIED, ROLLED_BACK):
            return
        try:
            d = json.loads(str(event["details"]))
            if action == APPLIED:
                self.changes.replay_applied(
                    change_id=str(d["change_id"]),
                    ts=int(event["ts_event"]),
                    scope_key=f"{event['scope_level']}:{event['scope_id']}",
                    name=str(d["name"]),
                    old_value=d.get("old_value"),
                    new_value=str(d["new_value"]),
                    actor=str(event.get("actor", "")),
                    reason=str(d.get("reason", "")),
                )
            else:
                self.changes.replay_rolled_back(str(d["change_id"]), str(d["command_id"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise GovernorInputError(
                "bad_field", f"audit.events {event.get('event_id')}: details: {exc}"
            ) from None

    def restore_breaker(self, record: Mapping[str, Any]) -> None:
        """Take one control.breakers record (the compacted topic, replayed at start).

        The record shows the most severe state of the scope, which is restored: its hold (with
        the bot's escalation level and limit halt), or its breaker with its reset_at, and the
        transition_seq numbering goes on from it. What it hid (a breaker under a halt, the
        violation count) starts afresh; limits are re-checked on the next snapshot."""
        level, scope_id, seq = _breaker_key(record)
        scope = self._scope(level, scope_id)
        if scope.last is not None and seq <= scope.seq:
            return
        scope.seq, scope.last = seq, dict(record)
        scope.holds.clear()
        state = str(record.get("state"))
        fallback = str(record.get("fallback_mode"))
        cause = str(record.get("cause") or "")
        opened_at = _opt_int(record.get("opened_at")) or int(record["ts_event"])
        scope.breaker.restore(CLOSED, None, None, None)
        if state == HALF_OPEN:
            scope.breaker.restore(HALF_OPEN, cause or "RESET_TIMEOUT", opened_at, None)
        elif state == OPEN and cause in _ESCALATION_LEVELS:
            self.escalation.restore(scope_id, _ESCALATION_LEVELS[cause])
            scope.holds["ESCALATION"] = Hold(cause, opened_at)
        elif state == OPEN and fallback == "HALTED":
            kind = _HALTED_HOLDS.get(cause, "HALT")
            if kind in ("DAILY_LOSS", "MAX_LOSS"):
                self.limits.restore(scope_id, cause)
            scope.holds[kind] = Hold(cause if kind != "HALT" else "COMMAND", opened_at)
        elif state == OPEN and cause == "SERVICE_SILENT":
            scope.holds["SILENT"] = Hold(cause, opened_at)
        elif state == OPEN:
            scope.breaker.restore(OPEN, cause, opened_at, _opt_int(record.get("reset_at")))
            reset_at = scope.breaker.reset_at
            assert reset_at is not None
            heapq.heappush(self._due, (reset_at, _LEVEL_RANK[level], scope.key))


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _breaker_key(record: Mapping[str, Any]) -> tuple[ScopeLevel, str, int]:
    if not isinstance(record, Mapping):
        raise GovernorInputError("not_a_record", "control.breakers: a record (mapping) expected")
    level = record.get("scope_level")
    scope_id = record.get("scope_id")
    seq = record.get("transition_seq")
    if level not in SCOPE_LEVELS:
        raise GovernorInputError("bad_field", "control.breakers.scope_level: BOT, CELL or GLOBAL")
    if not isinstance(scope_id, str) or not scope_id:
        raise GovernorInputError("bad_field", "control.breakers.scope_id: a string expected")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise GovernorInputError("bad_field", "control.breakers.transition_seq: an integer >= 1")
    if _opt_int(record.get("ts_event")) is None:
        raise GovernorInputError("bad_field", "control.breakers.ts_event: an integer expected")
    return level, scope_id, seq
