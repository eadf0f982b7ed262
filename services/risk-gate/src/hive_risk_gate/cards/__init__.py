"""Strategy cards: the interface, the plugin loader, the per-bot book and the built-in cards.

The card errors are the bot contract's (`hive.bots.cards`): its loader words them.
"""

from hive.bots.cards import CardError, CardParameterError, UnknownCardError
from hive_risk_gate.cards.base import (
    BaseCard,
    CardContext,
    Intent,
    Param,
    StrategyCard,
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
