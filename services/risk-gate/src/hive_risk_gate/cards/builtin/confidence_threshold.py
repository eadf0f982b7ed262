"""`confidence_threshold`: follow when the trading confidence reaches a threshold.

The confidence is the learner's calibrated one when a model is released, else a prior per
source (`priors`, JSON) or `prior` (default 0.5). Signals below `threshold` (default 0.55) are
skipped.
"""

from __future__ import annotations

from typing import ClassVar

from hive_risk_gate.cards.base import (
    CONFIDENCE_PARAMS,
    BaseCard,
    CardContext,
    Intent,
    Param,
    follow_intent,
    unit_float,
)
from hive_risk_gate.signals import ScoredSignal

CARD_NAME = "confidence_threshold"


class ConfidenceThresholdCard(BaseCard):
    CARD_NAME: ClassVar[str] = CARD_NAME
    PARAMETERS: ClassVar[dict[str, Param]] = {
        "threshold": Param("0.55", unit_float, "minimum confidence to trade"),
        **CONFIDENCE_PARAMS,
    }

    def on_signal(self, signal: ScoredSignal, context: CardContext) -> Intent | None:
        conf = self.confidence(signal, context)
        source = context.confidence_source
        assert source is not None
        threshold: float = self.param("threshold")
        context.details["card_threshold"] = f"{threshold:g}"
        if conf < threshold:
            context.skip(
                "below_threshold", f"confidence {conf:.2f} ({source}) below threshold {threshold:g}"
            )
            return None
        return follow_intent(signal, conf, source)
