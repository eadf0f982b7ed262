"""Market data in plain Python: bars from CSV, timeframes, sessions, spreads, pacing, indicators.

No Kafka and no numpy here, so every service (and the CLI) can use it. The market-feed service
publishes what `read_bars` (or a `LiveFeed`) yields, paced by `pace`, on `market.bars`.
"""

from hive.market.csvreplay import (
    EURUSD_H1_2017,
    BarReadError,
    ColumnMapping,
    bundled_eurusd_path,
    load_bars,
    read_bars,
    read_bundled_eurusd,
)
from hive.market.feed import LiveFeed
from hive.market.indicators import EfficiencyRatio, RealisedVol, WilderATR, annualise
from hive.market.instrument_info import InstrumentSpec, UnknownInstrumentError, instrument_spec
from hive.market.pacing import pace
from hive.market.sessions import DEFAULT_SESSIONS, SessionTable, session_at
from hive.market.spread import FixedSpread, SessionSpreadModel, SpreadModel
from hive.market.timeframes import Timeframe, parse_timeframe, timeframe_ms

__all__ = [
    "DEFAULT_SESSIONS",
    "EURUSD_H1_2017",
    "BarReadError",
    "ColumnMapping",
    "EfficiencyRatio",
    "FixedSpread",
    "InstrumentSpec",
    "LiveFeed",
    "RealisedVol",
    "SessionSpreadModel",
    "SessionTable",
    "SpreadModel",
    "Timeframe",
    "UnknownInstrumentError",
    "WilderATR",
    "annualise",
    "bundled_eurusd_path",
    "instrument_spec",
    "load_bars",
    "pace",
    "parse_timeframe",
    "read_bars",
    "read_bundled_eurusd",
    "session_at",
    "timeframe_ms",
]
