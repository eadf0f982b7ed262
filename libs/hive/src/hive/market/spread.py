"""Spread models: a spread in price units for an instrument at an instant, when data has none.

The model is deterministic (a function of the instrument and the UTC time only): the
instrument's typical spread from the catalogue, multiplied by a per-session factor. The
default factors widen the spread where retail FX spreads are known to widen — the rollover
hours between the New York close and the Asian open, and the thinner Asian session — and
leave the London and New York hours at the typical spread:

| session         | factor |
|-----------------|--------|
| LONDON, LONDON_NEW_YORK, NEW_YORK | 1.0 |
| ASIA            | 1.5    |
| OFF_HOURS       | 3.0    |
| WEEKEND         | 3.0    |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from hive.market.instrument_info import instrument_spec
from hive.market.sessions import (
    ASIA,
    DEFAULT_SESSIONS,
    LONDON,
    LONDON_NEW_YORK,
    NEW_YORK,
    OFF_HOURS,
    WEEKEND,
    SessionTable,
)

DEFAULT_SESSION_FACTORS: Mapping[str, float] = {
    LONDON: 1.0,
    LONDON_NEW_YORK: 1.0,
    NEW_YORK: 1.0,
    ASIA: 1.5,
    OFF_HOURS: 3.0,
    WEEKEND: 3.0,
}


class SpreadModel(Protocol):
    """Anything that gives a spread (price units) for a symbol at an epoch-ms UTC instant."""

    def spread(self, symbol: str, ts_ms: int) -> float | None: ...


@dataclass(frozen=True)
class FixedSpread:
    """The same spread (price units) always; for tests and for data known to be flat."""

    value: float

    def spread(self, symbol: str, ts_ms: int) -> float | None:
        return self.value


@dataclass(frozen=True)
class SessionSpreadModel:
    """Typical spread in pips x pip size x the session's factor (1.0 for unlisted sessions).

    `typical_pips` / `pip_sizes` override the catalogue per symbol; otherwise the instrument
    catalogue (`hive.instruments`) is read. `widen=False` gives the typical spread at all hours.
    """

    typical_pips: Mapping[str, float] = field(default_factory=dict)
    pip_sizes: Mapping[str, float] = field(default_factory=dict)
    session_factors: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_SESSION_FACTORS)
    )
    sessions: SessionTable = DEFAULT_SESSIONS
    widen: bool = True

    def typical(self, symbol: str) -> float:
        """The typical spread of the symbol in price units (no session factor)."""
        if symbol in self.typical_pips and symbol in self.pip_sizes:
            return self.typical_pips[symbol] * self.pip_sizes[symbol]
        spec = instrument_spec(symbol)
        pips = self.typical_pips.get(symbol, spec.typical_spread_pips)
        return pips * self.pip_sizes.get(symbol, spec.pip_size)

    def spread(self, symbol: str, ts_ms: int) -> float | None:
        base = self.typical(symbol)
        if not self.widen:
            return base
        return base * self.session_factors.get(self.sessions.session_at(ts_ms), 1.0)
