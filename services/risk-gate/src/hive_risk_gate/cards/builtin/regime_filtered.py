"""`regime_filtered`: follow, except in the configured regimes (default CHAOS).

Parameters: `skip_regimes` (JSON list or comma-separated; default ["CHAOS"]), `min_confidence`
(skip below it; default 0 = no floor), and the shared confidence parameters.
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
    string_list,
    unit_float,
)
from hive_risk_gate.record_enums import REGIMES
from hive_risk_gate.signals import ScoredSignal

CARD_NAME = "regime_filtered"
CARD_ALIASES = ("regime_filtered_follow",)


def regimes(text: str) -> frozenset[str]:
    names = string_list(text)
    bad = [n for n in names if n not in REGIMES]
    if bad:
        raise ValueError(f"unknown regime {bad[0]!r} (known: {', '.join(REGIMES)})")
    return frozenset(names)


class RegimeFilteredCard(BaseCard):
    CARD_NAME: ClassVar[str] = CARD_NAME
    PARAMETERS: ClassVar[dict[str, Param]] = {
        "skip_regimes": Param('["CHAOS"]', regimes, "regimes in which signals are skipped"),
        "min_confidence": Param("0", unit_float, "skip below this confidence (0 = no floor)"),
        **CONFIDENCE_PARAMS,
    }

    def on_signal(self, signal: ScoredSignal, context: CardContext) -> Intent | None:
        conf = self.confidence(signal, context)
        source = context.confidence_source
        assert source is not None
        if context.regime in self.param("skip_regimes"):
            context.skip("regime", f"regime {context.regime} is in skip_regimes")
            return None
        floor: float = self.param("min_confidence")
        if conf < floor:
            context.skip(
                "below_threshold",
                f"confidence {conf:.2f} ({source}) below min_confidence {floor:g}",
            )
            return None
        return follow_intent(signal, conf, source)
