"""Trading Hive enricher: market context for parsed signals, on event time (no Kafka here)."""

from hive_enricher.config import EnricherConfig
from hive_enricher.enricher import Enricher, EnricherInputError, EnricherStats
from hive_enricher.history import BarPoint, SymbolHistory

__all__ = [
    "BarPoint",
    "Enricher",
    "EnricherConfig",
    "EnricherInputError",
    "EnricherStats",
    "SymbolHistory",
]
