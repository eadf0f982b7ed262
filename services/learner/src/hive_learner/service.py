"""learner: trades.closed -> learner.models (candidates, promotions, rejections).

learner.models is also an input: it is loaded whole at start-up (a table), so the learner knows
its lineage before the first trade, and sees its own releases come back. trades.closed is
replayed up to the committed offsets at start-up (`restore_state`), which rebuilds the training
set and the trigger; runs met during that replay are adopted from the lineage (see learner.py).
"""

from __future__ import annotations

from collections.abc import Callable

from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.records import Handler
from hive.topics import LEARNER_MODELS, TRADES_CLOSED
from hive_learner.dataset import TradeInputError
from hive_learner.learner import Learner
from hive_learner.releases import release_key

INPUTS = [LEARNER_MODELS, TRADES_CLOSED]
OUTPUTS = [LEARNER_MODELS]
TABLES = [LEARNER_MODELS]


def make_handler(learner: Learner) -> Handler:
    def handle(rec: InboundRecord) -> list[OutboundRecord]:
        if rec.topic == LEARNER_MODELS:
            if not rec.tombstone:
                learner.on_release(rec.value)
            return []
        try:
            releases = learner.on_trade(rec.value)
        except TradeInputError as exc:
            raise RejectRecord(exc.reason, exc.detail) from exc
        return [
            OutboundRecord(LEARNER_MODELS, r, key=release_key(r["model_name"], r["version"]))
            for r in releases
        ]

    return handle


def start_restoring(learner: Learner) -> Callable[[], None]:
    """Until the runtime has replayed the consumed trades, runs are adopted from the lineage,
    not trained (a replay's outputs are discarded). Returns what ends that, for the runtime to
    call once the replay is over (`after_restore`)."""
    learner.restoring = True
    return learner.go_live
