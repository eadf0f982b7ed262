"""Money of a position in the account currency: P&L, commission, margin, swap.

P&L in the quote currency is lots x contract size x price difference; it is converted with
`hive.fx.quote_to_account` at the exit price, with the latest bar closes of every symbol as
`rates` (so EURJPY on a USD account converts through USDJPY when its bars are known, else the
approximate table). Money is rounded to cents, as a broker statement is.
"""

from __future__ import annotations

from collections.abc import Mapping

from hive.fx import ConversionError, quote_to_account
from hive.instruments import Instrument

__all__ = ["ConversionError", "commission", "fx_rate", "gross_pnl", "margin", "money"]


def money(x: float) -> float:
    return round(x, 2)


def fx_rate(
    instrument: Instrument, currency: str, price: float, rates: Mapping[str, float]
) -> float:
    """Account-currency units per quote-currency unit (raises ConversionError)."""
    if instrument.quote_currency == currency:  # the common case, without the call
        return 1.0
    return quote_to_account(instrument, currency, prices=[price], rates=rates).rate


def gross_pnl(
    instrument: Instrument,
    currency: str,
    *,
    is_long: bool,
    lots: float,
    entry: float,
    exit_price: float,
    rates: Mapping[str, float],
) -> float:
    diff = exit_price - entry if is_long else entry - exit_price
    return lots * instrument.contract_size * diff * fx_rate(instrument, currency, exit_price, rates)


def commission(lots: float, per_lot: float) -> float:
    return money(lots * per_lot)


def margin(
    instrument: Instrument,
    currency: str,
    *,
    lots: float,
    price: float,
    leverage: float,
    rates: Mapping[str, float],
) -> float:
    notional = lots * instrument.contract_size * price
    return notional * fx_rate(instrument, currency, price, rates) / leverage
