"""enricher: signals.parsed + signals.updates + market.bars -> signals.enriched.

Restart: bar history and waiting signals are rebuilt by the runtime replaying the records
consumed before it (`restore_state`).
"""

from __future__ import annotations

from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.records import Handler
from hive.topics import MARKET_BARS, SIGNALS_ENRICHED, SIGNALS_PARSED, SIGNALS_UPDATES
from hive_enricher.enricher import Enricher, EnricherInputError

INPUTS = [MARKET_BARS, SIGNALS_PARSED, SIGNALS_UPDATES]
OUTPUTS = [SIGNALS_ENRICHED]


def make_handler(enricher: Enricher) -> Handler:
    routes = {
        MARKET_BARS: enricher.on_bar,
        SIGNALS_PARSED: enricher.on_signal,
        SIGNALS_UPDATES: enricher.on_update,
    }

    def handle(record: InboundRecord) -> list[OutboundRecord]:
        try:
            released = routes[record.topic](record.value)
        except EnricherInputError as exc:
            raise RejectRecord(exc.reason, str(exc)) from exc
        # Keyed by symbol, like its inputs: the regime detector joins on the same partitions.
        return [OutboundRecord(SIGNALS_ENRICHED, e, key=e["signal"]["symbol"]) for e in released]

    return handle
