"""signal-parser: signals.raw -> signals.parsed / signals.updates / signals.raw.v1.dlq.

Restart: reply links and open signals are rebuilt by the runtime replaying the raw messages
consumed before it (`restore_state`, HIVE_PARSER_RESTORE_STATE).
"""

from __future__ import annotations

import logging

from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.records import Handler
from hive.topics import SIGNALS_PARSED, SIGNALS_RAW, SIGNALS_UPDATES
from hive_signal_parser.parser import SignalParser

INPUTS = [SIGNALS_RAW]
OUTPUTS = [SIGNALS_PARSED, SIGNALS_UPDATES]

log = logging.getLogger(__name__)


def make_handler(parser: SignalParser) -> Handler:
    def handle(record: InboundRecord) -> list[OutboundRecord]:
        result = parser.parse(record.value)
        if result.rejection is not None:
            raise RejectRecord(result.rejection.reason, result.rejection.detail)
        # Keyed by symbol: co-partitioned with market.bars for the enricher.
        return [OutboundRecord(SIGNALS_PARSED, s, key=s["symbol"]) for s in result.signals] + [
            OutboundRecord(SIGNALS_UPDATES, u, key=u["symbol"]) for u in result.updates
        ]

    return handle
