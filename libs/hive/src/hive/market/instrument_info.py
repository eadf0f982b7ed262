"""The few instrument facts market code needs, read from the instrument catalogue.

`hive.instruments` (the catalogue, `hive/data/instruments.yaml`) is the single source; this
module narrows it to what bars, spreads, pips and level checks need.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hive.instruments import resolve


class UnknownInstrumentError(KeyError):
    """The symbol is not in the instrument catalogue."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown instrument"


@dataclass(frozen=True)
class InstrumentSpec:
    symbol: str
    pip_size: float
    digits: int
    typical_spread_pips: float
    max_level_distance: float = 0.2  # plausible |level - price| / price for the asset class

    @property
    def point(self) -> float:
        """The smallest price increment quoted (10 ** -digits), e.g. 0.00001 for EURUSD."""
        return float(10.0**-self.digits)


@cache
def instrument_spec(symbol: str) -> InstrumentSpec:
    """Pip size, digits, typical spread of a symbol (or alias) from the default catalogue."""
    entry = resolve(symbol)
    if entry is None:
        raise UnknownInstrumentError(f"instrument {symbol!r} is not in the instrument catalogue")
    return InstrumentSpec(
        symbol=entry.symbol,
        pip_size=entry.pip_size,
        digits=entry.digits,
        typical_spread_pips=entry.spread_pips,
        max_level_distance=entry.max_level_distance,
    )
