"""learner: trades.closed -> learner.models (candidates and verdicts) + control.commands (its
proposals to the governor's change guard: model promotions and, with self-modification on, the
weakness analyzer's rules and their rollbacks), settled by control.parameters and audit.events.

learner.models is also an input: it is loaded whole at start-up (a table), so the learner knows
its lineage before the first trade, and sees its own releases come back. trades.closed,
control.parameters and audit.events are replayed up to the committed offsets at start-up
(`restore_state`), which rebuilds the training set, the trigger and the version in force; runs
met during that replay are adopted from the lineage (see learner.py) and the analyzer's checks
are skipped (weakness.py); the analyzer learns which rules are in force, and since when, from
the same replay of control.parameters. An answer of the
governor's that arrived after the last commit is consumed live and settles its release then.
"""

from __future__ import annotations

from collections.abc import Callable

from hive.contracts.readers import RecordError
from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.records import Handler
from hive.topics import (
    AUDIT_EVENTS,
    CONTROL_COMMANDS,
    CONTROL_PARAMETERS,
    LEARNER_MODELS,
    TRADES_CLOSED,
)
from hive_learner.dataset import TradeInputError
from hive_learner.learner import Learner
from hive_learner.outputs import Output
from hive_learner.weakness import WeaknessAnalyzer

INPUTS = [LEARNER_MODELS, CONTROL_PARAMETERS, AUDIT_EVENTS, TRADES_CLOSED]
OUTPUTS = [LEARNER_MODELS, CONTROL_COMMANDS]
TABLES = [LEARNER_MODELS]


def make_handler(learner: Learner, analyzer: WeaknessAnalyzer | None = None) -> Handler:
    """`analyzer`: the weakness analyzer, None when self-modification is off."""

    def outputs(out: list[Output]) -> list[OutboundRecord]:
        return [OutboundRecord(o.topic, o.value, key=o.key) for o in out]

    def handle(rec: InboundRecord) -> list[OutboundRecord]:
        if rec.topic == LEARNER_MODELS:
            if not rec.tombstone:
                learner.on_release(rec.value)
            return []
        if rec.topic == CONTROL_PARAMETERS:
            value = None if rec.tombstone else rec.value
            try:
                if analyzer is not None:
                    analyzer.on_parameter(value, rec.key)
                return outputs(learner.on_parameter(value, rec.key))
            except RecordError as exc:
                raise RejectRecord(exc.reason, exc.message) from exc
        if rec.topic == AUDIT_EVENTS:
            return outputs(learner.on_audit(rec.value))
        try:
            released = outputs(learner.on_trade(rec.value))
        except TradeInputError as exc:
            raise RejectRecord(exc.reason, exc.detail) from exc
        commands = analyzer.on_trade(rec.value) if analyzer is not None else []
        return released + [
            OutboundRecord(CONTROL_COMMANDS, c, key=f"{c['scope_level']}:{c['scope_id']}")
            for c in commands
        ]

    return handle


def start_restoring(
    learner: Learner, analyzer: WeaknessAnalyzer | None = None
) -> Callable[[], None]:
    """Until the runtime has replayed the consumed trades, runs are adopted from the lineage,
    not trained, and the analyzer does not check (a replay's outputs are discarded). Returns
    what ends that, for the runtime to call once the replay is over (`after_restore`)."""
    learner.restoring = True
    if analyzer is not None:
        analyzer.restoring = True

    def go_live() -> None:
        learner.go_live()
        if analyzer is not None:
            analyzer.go_live()

    return go_live
