"""Quote currency -> account currency, for the money value of a price move.

The P&L of a position is in the instrument's quote currency (catalogue `quote_currency`); the
gate needs it in the account currency. The rate used, in order of preference:

1. quote currency == account currency (EURUSD, XAUUSD, US30 on a USD account): 1.
2. USD <-> USDT: 1 (USDT is taken at par; a de-peg is not modelled).
3. the instrument is the account currency against the quote (USDJPY, USDCHF on a USD account;
   EURUSD on a EUR account): 1 / price, from the signal's own prices. The lowest of the entry
   levels and the stop is used: that is the rate when the stop fills and the largest value,
   so the money at risk is never underestimated.
4. `rates`: prices the caller knows (symbol -> price, e.g. the latest `market.price` of scored
   signals, see `RateBook`), directly (EURUSD for EUR quote -> USD), inverted (USDJPY for JPY ->
   USD), or through USD (EURJPY on a GBP account: JPY -> USD -> GBP).
5. `APPROX_UNITS_PER_USD`: a fixed table of approximate rates, with the money value raised by
   `APPROX_MARGIN` (10 %) so the size errs small. LIMITATION: a fixed table is wrong when the
   market is far from it (USDJPY was 110 in 2017 and 150 in 2025, a 35 % difference beyond the
   margin); crosses on replays of other years need `rates` to be exact. The decision's details
   record which rate and source were used (`fx_rate`, `fx_source`).

Anything else raises `ConversionError` (the decision is denied `sizing.no_conversion_rate`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from hive.instruments import Instrument

# Currency units per 1 USD, mid-2025, rounded. Used only when no price gives the rate.
APPROX_UNITS_PER_USD: Final[Mapping[str, float]] = {
    "USD": 1.0,
    "USDT": 1.0,
    "EUR": 0.87,
    "GBP": 0.75,
    "JPY": 148.0,
    "CHF": 0.80,
    "CAD": 1.37,
    "AUD": 1.53,
    "NZD": 1.68,
}
APPROX_MARGIN: Final = 0.10
_USD_LIKE: Final = frozenset({"USD", "USDT"})


class ConversionError(ValueError):
    """No rate converts the quote currency into the account currency."""


@dataclass(frozen=True)
class Conversion:
    """Account-currency units per quote-currency unit, and where the rate came from."""

    rate: float
    source: str  # same_currency | usd_parity | signal_price | rates | approximate


def _pair_price(rates: Mapping[str, float], base: str, quote: str) -> float | None:
    """Units of `quote` per 1 `base` from `rates`, direct or inverted."""
    direct = rates.get(base + quote)
    if direct is not None and math.isfinite(direct) and direct > 0:
        return float(direct)
    inverse = rates.get(quote + base)
    if inverse is not None and math.isfinite(inverse) and inverse > 0:
        return 1.0 / float(inverse)
    if base in _USD_LIKE and quote in _USD_LIKE:
        return 1.0
    return None


def _from_rates(rates: Mapping[str, float], quote: str, account: str) -> float | None:
    """Account units per quote unit from known prices: direct, inverted or through USD."""
    direct = _pair_price(rates, quote, account)
    if direct is not None:
        return direct
    to_usd = _pair_price(rates, quote, "USD")
    usd_to_account = _pair_price(rates, "USD", account)
    if to_usd is not None and usd_to_account is not None:
        return to_usd * usd_to_account
    return None


def quote_to_account(
    instrument: Instrument,
    account_currency: str,
    prices: Iterable[float | None] = (),
    rates: Mapping[str, float] | None = None,
    *,
    allow_approximate: bool = True,
) -> Conversion:
    """The rate converting the instrument's quote currency into `account_currency`.

    `prices`: the signal's entry levels and stop (used when the instrument is the account
    currency against its quote).
    """
    quote, account = instrument.quote_currency, account_currency
    if quote == account:
        return Conversion(1.0, "same_currency")
    if quote in _USD_LIKE and account in _USD_LIKE:
        return Conversion(1.0, "usd_parity")
    if instrument.asset_class == "fx" and instrument.symbol == account + quote:
        good = [p for p in prices if p is not None and math.isfinite(p) and p > 0]
        if good:
            return Conversion(1.0 / min(good), "signal_price")
    if rates:
        found = _from_rates(rates, quote, account)
        if found is not None:
            return Conversion(found, "rates")
    if allow_approximate and quote in APPROX_UNITS_PER_USD and account in APPROX_UNITS_PER_USD:
        rate = APPROX_UNITS_PER_USD[account] / APPROX_UNITS_PER_USD[quote]
        return Conversion(rate * (1.0 + APPROX_MARGIN), "approximate")
    raise ConversionError(f"no rate converts {quote} (quote of {instrument.symbol}) into {account}")


class RateBook:
    """Latest known price per symbol (e.g. from the scored signals' market price), as `rates`.

    Updated in input order; ordered input (one partition, a replay) gives the same rates.
    """

    def __init__(self) -> None:
        self._prices: dict[str, tuple[int, float]] = {}

    def observe(self, symbol: str, price: float | None, ts_event: int) -> None:
        if price is None or not math.isfinite(price) or price <= 0:
            return
        seen = self._prices.get(symbol)
        if seen is None or ts_event >= seen[0]:
            self._prices[symbol] = (ts_event, float(price))

    @property
    def rates(self) -> dict[str, float]:
        return {sym: price for sym, (_, price) in self._prices.items()}
