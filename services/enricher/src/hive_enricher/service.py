"""enricher: signals.parsed + signals.updates + market.bars -> signals.enriched."""

from __future__ import annotations

from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.records import Handler
from hive_enricher.enricher import Enricher, EnricherInputError

PARSED = "signals.parsed.v1"
UPDATES = "signals.updates.v1"
BARS = "market.bars.v1"
ENRICHED = "signals.enriched.v1"
INPUTS = [BARS, PARSED, UPDATES]


def make_handler(enricher: Enricher) -> Handler:
    routes = {BARS: enricher.on_bar, PARSED: enricher.on_signal, UPDATES: enricher.on_update}

    def handle(record: InboundRecord) -> list[OutboundRecord]:
        try:
            released = routes[record.topic](record.value)
        except EnricherInputError as exc:
            raise RejectRecord(exc.reason, str(exc)) from exc
        # Keyed by symbol, like its inputs: the regime detector joins on the same partitions.
        return [OutboundRecord(ENRICHED, e, key=e["signal"]["symbol"]) for e in released]

    return handle
