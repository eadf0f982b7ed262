"""learner: trades.closed -> learner.models (candidates and verdicts) + control.commands (its
proposals to the governor's change guard), settled by control.parameters and audit.events.

learner.models is also an input: it is loaded whole at start-up (a table), so the learner knows
its lineage before the first trade, and sees its own releases come back. trades.closed,
control.parameters and audit.events are replayed up to the committed offsets at start-up
(`restore_state`), which rebuilds the training set, the trigger and the version in force; runs
met during that replay are adopted from the lineage (see learner.py). An answer of the
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

INPUTS = [LEARNER_MODELS, CONTROL_PARAMETERS, AUDIT_EVENTS, TRADES_CLOSED]
OUTPUTS = [LEARNER_MODELS, CONTROL_COMMANDS]
TABLES = [LEARNER_MODELS]


def make_handler(learner: Learner) -> Handler:
    def outputs(out: list[Output]) -> list[OutboundRecord]:
        return [OutboundRecord(o.topic, o.value, key=o.key) for o in out]

    def handle(rec: InboundRecord) -> list[OutboundRecord]:
        if rec.topic == LEARNER_MODELS:
            if not rec.tombstone:
                learner.on_release(rec.value)
            return []
        if rec.topic == CONTROL_PARAMETERS:
            try:
                return outputs(learner.on_parameter(None if rec.tombstone else rec.value, rec.key))
            except RecordError as exc:
                raise RejectRecord(exc.reason, exc.message) from exc
        if rec.topic == AUDIT_EVENTS:
            return outputs(learner.on_audit(rec.value))
        try:
            return outputs(learner.on_trade(rec.value))
        except TradeInputError as exc:
            raise RejectRecord(exc.reason, exc.detail) from exc

    return handle


def start_restoring(learner: Learner) -> Callable[[], None]:
    """Until the runtime has replayed the consumed trades, runs are adopted from the lineage,
    not trained (a replay's outputs are discarded). Returns what ends that, for the runtime to
    call once the replay is over (`after_restore`)."""
    learner.restoring = True
    return learner.go_live
