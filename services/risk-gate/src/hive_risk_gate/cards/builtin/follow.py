"""`follow`: take every signal of a followed source, as it is."""

from __future__ import annotations

from typing import ClassVar

from hive_risk_gate.cards.base import (
    CONFIDENCE_PARAMS,
    BaseCard,
    CardContext,
    Intent,
    Param,
    follow_intent,
)
from hive_risk_gate.signals import ScoredSignal

CARD_NAME = "follow"


class FollowCard(BaseCard):
    """Every signal becomes an intent; the confidence (model, else prior) only scales the size."""

    CARD_NAME: ClassVar[str] = CARD_NAME
    PARAMETERS: ClassVar[dict[str, Param]] = dict(CONFIDENCE_PARAMS)

    def on_signal(self, signal: ScoredSignal, context: CardContext) -> Intent | None:
        conf = self.confidence(signal, context)
        assert context.confidence_source is not None
        return follow_intent(signal, conf, context.confidence_source)
