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
- Reading order does not matter: outcomes of one scope come from nine partitions in any
  interleaving, and each breaker judges them in event-time order (breakers.py), judging again
  when one is read late (audited BREAKER_REJUDGED, board.py).
- Where the work is done: the scopes, the event clock and breaker transitions in board.py
  (state and published record of one scope: scopes.py); limits in limits_watch.py and
  escalation in escalation.py, what a breach or an escalation causes in enforcement.py;
  commands in commands/ (who may: rules.py, what they do: handler.py, changes: changes.py,
  with the change guard in change_guard.py); liveness in liveness.py and the check below;
  restart in restore.py.
- Values in force (`parameters`, the change guard's, published on control.parameters): the
  breakers' thresholds (`breaker.<level>.threshold`: a bot's own, else the global one; a
  cell's own, else the global one) and each bot's limits (its rule overrides as
  `hive.parameters.effective_bot` overlays them) use them from the next input on.
- Idempotent: a record whose event_id was seen on the same topic (the last 100,000 per topic)
  changes nothing and returns nothing; snapshots older than the bot's last are ignored too.
- Audit (chain "governor"): every breaker transition, limit breach and lift, escalation,
  command applied or refused, change applied, refused or rolled back, service silent or back.
  Each audit event that caused a published record names it (`breaker_event_id`).

System commands: FLATTEN on a hard-limit breach (cause: the snapshot) and on KILL_SWITCH (cause:
the command), PAUSE / LOCK on escalation (cause: the violation); command_id =
"governor:" + cause event_id + ":" + command. They come back on control.commands with origin
"governor" and are ignored there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hive.audit import AuditChain
from hive.bots import Bot
from hive.limits import RuleSet, load_rule_sets
from hive.parameters import ParameterBook, breaker_threshold_name, effective_bot
from hive_governor.board import Board
from hive_governor.breakers import BreakerConfig, Failure
from hive_governor.change_guard import ChangeGuard
from hive_governor.commands import ChangeCommands, CommandHandler, is_ignored
from hive_governor.enforcement import Enforcement
from hive_governor.errors import GovernorInputError
from hive_governor.escalation import Escalation, EscalationConfig
from hive_governor.failures import Outcome, decision_outcome, execution_outcome, trade_outcome
from hive_governor.inputs import (
    Command,
    Decision,
    Execution,
    Heartbeat,
    SeenIds,
    Snapshot,
    Trade,
    read_bot,
)
from hive_governor.limits_watch import LimitsWatch
from hive_governor.liveness import Liveness
from hive_governor.outputs import Auditor, Output
from hive_governor.restore import restore_audit, restore_breaker
from hive_governor.scope_levels import GLOBAL_ID, ScopeLevel
from hive_governor.scopes import Hold, ScopeState

__all__ = ["Governor", "GovernorInputError", "Output"]


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
        self.bots: dict[str, Bot] = {}
        self.board = Board(self.config, self.audit, threshold=self._threshold)
        self.enforcement = Enforcement(self.board, self.escalation)
        self.change_commands = ChangeCommands(self.board, self.changes, self.bots)
        self.commands = CommandHandler(
            self.board,
            limits=self.limits,
            escalation=self.escalation,
            changes=self.change_commands,
        )
        self._seen_capacity = seen_capacity
        self._seen: dict[str, SeenIds] = {}
        self._silent: frozenset[str] = frozenset()

    def _first(self, topic: str, event_id: str) -> bool:
        seen = self._seen.get(topic)
        if seen is None:
            seen = self._seen[topic] = SeenIds(self._seen_capacity)
        return seen.first_time(event_id)

    @property
    def parameters(self) -> ParameterBook:
        """The values in force (what the governor published on control.parameters)."""
        return self.change_commands.book

    def _threshold(self, level: ScopeLevel, scope_id: str) -> int | None:
        ids = {"BOT": {"bot_id": scope_id}, "CELL": {"cell_id": scope_id}}.get(level, {})
        value = self.parameters.number(breaker_threshold_name(level), **ids)
        return None if value is None else int(value)

    # ------------------------------------------------------------------ public queries
    @property
    def scopes(self) -> dict[str, ScopeState]:
        return self.board.scopes

    @property
    def clock(self) -> int | None:
        """The event clock (None before the first market-time input)."""
        return self.board.clock

    def breaker_states(self) -> list[dict[str, Any]]:
        """The current (last published) record of every scope that has one."""
        return self.board.states()

    def mode_for(self, bot_id: str, cell_id: str) -> str:
        """The most severe published fallback over a bot (its own, its cell's, the global)."""
        return self.board.mode_for(bot_id, cell_id)

    def advance(self, ts: int) -> list[Output]:
        """Move the event clock to `ts` (never back); breakers due go HALF_OPEN."""
        return self.board.advance(ts)

    # ------------------------------------------------------------------ registry
    def on_bot(self, record: Mapping[str, Any] | None, key: str | None) -> list[Output]:
        """A registry.bots record (None: a tombstone for bot `key`)."""
        if record is None:
            if key:
                self.bots.pop(key, None)
            return []
        read = read_bot(record)
        if read.deleted:
            self.bots.pop(read.bot.bot_id, None)
        else:
            self.bots[read.bot.bot_id] = read.bot
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
        outs += self._outcome(item.bot_id, item.cell_id, item.event_id, item.ts, outcome)
        # A breaker it opened may be due already: read after a later input (another topic), the
        # clock is past its reset_at. Half-open it now, as if the outcome had been read first,
        # not at the next input: in a replay that is the next signal's decision, too late.
        return outs + self.board.settle()

    def _outcome(
        self, bot_id: str, cell_id: str, event_id: str, ts: int, outcome: Outcome
    ) -> list[Output]:
        if not outcome.is_failure and not outcome.success:
            return []
        outs: list[Output] = []
        now = self.board.now(ts)
        for scope in self.board.over(bot_id, cell_id):
            if outcome.kind is not None:
                t = scope.breaker.failure(Failure(event_id, ts, outcome.kind), now)
            else:
                t = scope.breaker.success(event_id, ts, now)
            if t is not None:
                outs += self.board.transition(scope, t, ts_init=ts)
        if outcome.is_violation:
            outs += self.enforcement.violation(bot_id, event_id, ts)
        return outs

    # ------------------------------------------------------------------ hard limits
    def on_snapshot(self, record: Mapping[str, Any]) -> list[Output]:
        snap = Snapshot.read(record)
        if not self._first("snapshots", snap.event_id):
            return []
        outs = self.advance(snap.ts)
        bot = self.bots.get(snap.bot_id)
        rules = None if bot is None else effective_bot(bot, self.parameters)
        for event in self.limits.check(
            snap,
            None if rules is None else rules.rule_set,
            None if rules is None else rules.rule_overrides,
        ):
            outs += self.enforcement.limit_event(snap, event)
        return outs

    # ------------------------------------------------------------------ commands
    def on_command(self, record: Mapping[str, Any]) -> list[Output]:
        """A control.commands record: applied or refused (commands/), audited either way."""
        cmd = Command.read(record)
        if is_ignored(cmd) or not self._first("commands", cmd.event_id):
            return []
        return self.commands.apply(cmd)

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
        scope = self.board.scope("GLOBAL", GLOBAL_ID)
        held = "SILENT" in scope.holds
        lifted = False
        if status.silent and not held:
            scope.holds["SILENT"] = Hold("SERVICE_SILENT", now_ms)
        elif held and not status.silent and not status.pending:
            del scope.holds["SILENT"]
            lifted = True
        if not newly and not back and not lifted:
            return []
        outs, published = self.board.publish(scope, ts=now_ms, trigger="SERVICE_RESTORED")
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
        changes applied and rolled back are put back into the change guard (restore.py), and
        the values in force (and the breakers' thresholds) follow from it."""
        if restore_audit(self.changes, self.audit.chain.chain_id, event):
            self.change_commands.sync()

    def restore_breaker(self, record: Mapping[str, Any]) -> None:
        """Take one control.breakers record (the compacted topic, replayed at start): the
        scope's state it shows is put back (restore.py)."""
        restore_breaker(self.board, self.limits, self.escalation, record)
