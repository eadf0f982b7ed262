"""Enum symbols of the Avro records the gate reads and writes."""

from __future__ import annotations

from typing import Final, Literal

DIRECTIONS: Final = ("BUY", "SELL")
ORDER_TYPES: Final = ("MARKET", "LIMIT", "STOP")
REGIMES: Final = ("UNKNOWN", "CALM", "TREND", "CHAOS")
CONFIDENCE_SOURCES: Final = ("MODEL", "PRIOR", "PARSER")
ConfidenceSource = Literal["MODEL", "PRIOR", "PARSER"]
