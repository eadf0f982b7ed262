"""regime-detector: market.bars -> market.regimes; signals.enriched -> signals.scored.

An enriched signal can arrive before the detector has classified the bar it was priced on
(the two topics are consumed independently); it waits for that bar, bounded in event time,
so the regime it gets does not depend on arrival order.

Restart: models refit on a schedule counted from each symbol's first bar, so the runtime
replaying the consumed bars (`restore_state`) gives back the same models, bit for bit.
"""

from __future__ import annotations

from typing import Any

from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.records import Handler
from hive.topics import MARKET_BARS, MARKET_REGIMES, SIGNALS_ENRICHED, SIGNALS_SCORED
from hive_regime.detector import RegimeDetector, RegimeInputError

INPUTS = [MARKET_BARS, SIGNALS_ENRICHED]
OUTPUTS = [MARKET_REGIMES, SIGNALS_SCORED]


class Scorer:
    """Holds enriched signals until their bar is classified or the horizon passes."""

    def __init__(self, detector: RegimeDetector, wait_horizon_ms: int) -> None:
        self.detector = detector
        self.wait_horizon_ms = wait_horizon_ms
        self.waiting: list[dict[str, Any]] = []
        self.latest_bar_ms: int | None = None

    def on_bar(self, bar: dict[str, Any]) -> list[OutboundRecord]:
        regime = self.detector.on_bar(bar)
        self.latest_bar_ms = max(self.latest_bar_ms or 0, int(bar["ts_event"]))
        out = [OutboundRecord(MARKET_REGIMES, regime, key=regime["symbol"])] if regime else []
        return out + self._release()

    def on_enriched(self, enriched: dict[str, Any]) -> list[OutboundRecord]:
        self.waiting.append(enriched)
        return self._release()

    def _release(self) -> list[OutboundRecord]:
        ready: list[dict[str, Any]] = []
        still: list[dict[str, Any]] = []
        for e in self.waiting:
            overdue = (
                self.latest_bar_ms is not None
                and self.latest_bar_ms - int(e["ts_event"]) > self.wait_horizon_ms
            )
            (ready if overdue or self.detector.is_ready(e) else still).append(e)
        self.waiting = still
        scored = [self.detector.score(e) for e in ready]
        return [OutboundRecord(SIGNALS_SCORED, s, key=s["signal"]["symbol"]) for s in scored]


def make_handler(scorer: Scorer) -> Handler:
    def handle(record: InboundRecord) -> list[OutboundRecord]:
        try:
            if record.topic == MARKET_BARS:
                return scorer.on_bar(record.value)
            return scorer.on_enriched(record.value)
        except RegimeInputError as exc:
            raise RejectRecord(exc.reason, str(exc)) from exc

    return handle
