"""learner: trades.closed -> learner.models (candidates, promotions, rejections) and, with
self-modification on, control.commands (rule proposals and rollbacks of the weakness analyzer).

learner.models is also an input: it is loaded whole at start-up (a table), so the learner knows
its lineage before the first trade, and sees its own releases come back. control.parameters is
a table too: the analyzer knows which rules are in force (and since when) before the first
trade. trades.closed is replayed up to the committed offsets at start-up (`restore_state`),
which rebuilds the training set, the trigger and the analyzer's trades; runs met during that
replay are adopted from the lineage (see learner.py), checks are skipped (weakness.py).
"""

from __future__ import annotations

from collections.abc import Callable

from hive.contracts.readers import RecordError
from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.records import Handler
from hive.topics import CONTROL_COMMANDS, CONTROL_PARAMETERS, LEARNER_MODELS, TRADES_CLOSED
from hive_learner.dataset import TradeInputError
from hive_learner.learner import Learner
from hive_learner.releases import release_key
from hive_learner.weakness import WeaknessAnalyzer

INPUTS = [LEARNER_MODELS, CONTROL_PARAMETERS, TRADES_CLOSED]
OUTPUTS = [LEARNER_MODELS, CONTROL_COMMANDS]
TABLES = [LEARNER_MODELS, CONTROL_PARAMETERS]


def make_handler(learner: Learner, analyzer: WeaknessAnalyzer | None = None) -> Handler:
    """`analyzer`: the weakness analyzer, None when self-modification is off."""

    def handle(rec: InboundRecord) -> list[OutboundRecord]:
        if rec.topic == LEARNER_MODELS:
            if not rec.tombstone:
                learner.on_release(rec.value)
            return []
        if rec.topic == CONTROL_PARAMETERS:
            if analyzer is not None:
                try:
                    analyzer.on_parameter(None if rec.tombstone else rec.value, rec.key)
                except RecordError as exc:
                    raise RejectRecord(exc.reason, str(exc)) from exc
            return []
        try:
            releases = learner.on_trade(rec.value)
        except TradeInputError as exc:
            raise RejectRecord(exc.reason, exc.detail) from exc
        commands = analyzer.on_trade(rec.value) if analyzer is not None else []
        return [
            OutboundRecord(LEARNER_MODELS, r, key=release_key(r["model_name"], r["version"]))
            for r in releases
        ] + [
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
