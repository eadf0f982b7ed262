"""Enum symbols of the Avro records the gate reads and writes, taken from the schemas.

`ConfidenceSource` is spelled out because mypy needs the names; the import checks that it
agrees with the schema's symbols.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from hive.contracts.readers import enum_symbols
from hive.topics import ORDERS_DECISIONS, SIGNALS_SCORED

DIRECTIONS: Final = enum_symbols(SIGNALS_SCORED, "signal.direction", known=True)
ORDER_TYPES: Final = enum_symbols(SIGNALS_SCORED, "signal.order_type", known=True)
REGIMES: Final = enum_symbols(SIGNALS_SCORED, "regime")
CONFIDENCE_SOURCES: Final = enum_symbols(ORDERS_DECISIONS, "confidence_source", known=True)
ConfidenceSource = Literal["MODEL", "PRIOR", "PARSER"]

if get_args(ConfidenceSource) != CONFIDENCE_SOURCES:
    raise ImportError(f"ConfidenceSource {get_args(ConfidenceSource)} is not the schema's")
