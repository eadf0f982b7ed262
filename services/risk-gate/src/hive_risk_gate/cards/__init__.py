"""Strategy cards: the interface, the plugin loader, the per-bot book and the built-in cards."""

from hive_risk_gate.cards.base import (
    BaseCard,
    CardContext,
    CardError,
    CardParameterError,
    Intent,
    Param,
    StrategyCard,
    UnknownCardError,
    follow_intent,
)
from hive_risk_gate.cards.book import ActiveCard, CardBook, CardSwapError
from hive_risk_gate.cards.loader import CardLoader, CardLoadError, CardSpec, LoadReport

__all__ = [
    "ActiveCard",
    "BaseCard",
    "CardBook",
    "CardContext",
    "CardError",
    "CardLoadError",
    "CardLoader",
    "CardParameterError",
    "CardSpec",
    "CardSwapError",
    "Intent",
    "LoadReport",
    "Param",
    "StrategyCard",
    "UnknownCardError",
    "follow_intent",
]
