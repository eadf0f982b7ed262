"""Sizing: confidence scale, pip value and currency conversion, caps, rounding down, min lot."""

from __future__ import annotations

import pytest

from hive.fx import APPROX_MARGIN, APPROX_UNITS_PER_USD, RateBook, quote_to_account
from hive.instruments import load_instruments
from hive_risk_gate.sizing import (
    SizingConfig,
    SizingError,
    confidence_scale,
    size_position,
    stop_risk,
)

pytestmark = pytest.mark.unit

CAT = load_instruments()


@pytest.mark.parametrize(
    ("confidence", "scale"),
    [(0.0, 0.0), (0.39, 0.0), (0.40, 0.5), (0.55, 0.625), (0.70, 0.75), (1.0, 1.0), (1.2, 1.0)],
)
def test_confidence_scale_is_linear_from_half_at_the_minimum_to_full(
    confidence: float, scale: float
) -> None:
    assert confidence_scale(confidence) == pytest.approx(scale)


def test_confidence_scale_is_configurable() -> None:
    cfg = SizingConfig(min_confidence=0.5, scale_at_min_confidence=0.25, full_confidence=0.9)
    assert confidence_scale(0.5, cfg) == pytest.approx(0.25)
    assert confidence_scale(0.7, cfg) == pytest.approx(0.625)
    assert confidence_scale(0.95, cfg) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="min_confidence"):
        SizingConfig(min_confidence=0.9, full_confidence=0.8)


# ---- pip value and conversion ------------------------------------------------------------------
def test_usd_account_on_xxxusd_is_direct() -> None:
    risk = stop_risk(CAT["EURUSD"], "USD", stop_loss=1.1150, entries=[1.1200])
    assert risk.sl_distance == pytest.approx(0.0050)
    assert risk.pip_value == pytest.approx(10.0)  # $10 per pip per standard lot
    assert risk.risk_per_lot == pytest.approx(500.0)
    assert (risk.fx_rate, risk.fx_source) == (1.0, "same_currency")
    gold = stop_risk(CAT["XAUUSD"], "USD", stop_loss=1890.0, entries=[1900.0])
    assert gold.risk_per_lot == pytest.approx(1000.0)  # 100 oz x $10
    assert gold.pip_value == pytest.approx(10.0)  # pip 0.1 x 100 oz


def test_usdxxx_converts_with_the_least_favourable_signal_price() -> None:
    # BUY USDJPY 150.00, SL 149.50: the JPY loss is worth most in USD at the stop's rate.
    risk = stop_risk(CAT["USDJPY"], "USD", stop_loss=149.50, entries=[150.00])
    assert risk.fx_source == "signal_price"
    assert risk.fx_rate == pytest.approx(1 / 149.50)
    assert risk.risk_per_lot == pytest.approx(0.5 * 100000 / 149.50)
    # SELL: the stop is above; the entry is the lower price.
    sell = stop_risk(CAT["USDJPY"], "USD", stop_loss=150.50, entries=[150.00])
    assert sell.fx_rate == pytest.approx(1 / 150.00)
    # A EUR account on EURUSD: USD -> EUR is 1 / EURUSD.
    eur = stop_risk(CAT["EURUSD"], "EUR", stop_loss=1.0950, entries=[1.1000])
    assert eur.fx_rate == pytest.approx(1 / 1.0950)


def test_crosses_use_known_rates_then_the_approximation() -> None:
    known = stop_risk(
        CAT["EURJPY"], "USD", stop_loss=160.0, entries=[161.0], rates={"USDJPY": 150.0}
    )
    assert (known.fx_source, known.fx_rate) == ("rates", pytest.approx(1 / 150.0))
    via_usd = quote_to_account(CAT["XAUUSD"], "GBP", rates={"GBPUSD": 1.25})
    assert (via_usd.source, via_usd.rate) == ("rates", pytest.approx(0.8))
    triangulated = quote_to_account(CAT["EURJPY"], "GBP", rates={"USDJPY": 150, "GBPUSD": 1.25})
    assert triangulated.rate == pytest.approx(1 / 150 / 1.25)
    approx = quote_to_account(CAT["EURJPY"], "USD")
    assert approx.source == "approximate"
    assert approx.rate == pytest.approx(1 / APPROX_UNITS_PER_USD["JPY"] * (1 + APPROX_MARGIN))
    assert quote_to_account(CAT["BTCUSDT"], "USD").source == "usd_parity"
    with pytest.raises(SizingError) as info:
        stop_risk(
            CAT["EURJPY"],
            "USD",
            stop_loss=160.0,
            entries=[161.0],
            config=SizingConfig(allow_approximate_rates=False),
        )
    assert info.value.reason == "sizing.no_conversion_rate"


def test_rate_book_keeps_the_latest_price_by_event_time() -> None:
    book = RateBook()
    book.observe("USDJPY", 150.0, 2000)
    book.observe("USDJPY", 140.0, 1000)  # older: ignored
    book.observe("EURUSD", None, 3000)
    assert book.rates == {"USDJPY": 150.0}


def test_worst_entry_of_a_range_and_the_market_price_is_used() -> None:
    risk = stop_risk(CAT["EURUSD"], "USD", stop_loss=1.1175, entries=[1.1208, 1.1200, 1.12092])
    assert risk.sl_distance == pytest.approx(1.12092 - 1.1175)


@pytest.mark.parametrize(
    ("stop", "entries", "reason"),
    [
        (None, [1.12], "sizing.no_stop_loss"),
        (1.11, [None], "sizing.no_price"),
        (1.12, [1.12], "sizing.invalid_stop"),
    ],
)
def test_unsizeable_orders(stop: float | None, entries: list[float | None], reason: str) -> None:
    with pytest.raises(SizingError) as info:
        stop_risk(CAT["EURUSD"], "USD", stop_loss=stop, entries=entries)
    assert info.value.reason == reason


# ---- size in lots -----------------------------------------------------------------------------
def test_one_percent_of_100k_with_a_50_pip_stop_is_two_lots() -> None:
    size = size_position(equity=100_000, risk_per_trade_pct=1.0, risk_per_lot=500.0)
    assert (size.lots, size.risk_amount, size.cap, size.reason) == (
        2.0,
        1000.0,
        "risk_per_trade",
        None,
    )
    assert size.risk_pct == pytest.approx(1.0)


def test_rounding_is_down_to_the_lot_step() -> None:
    size = size_position(equity=100_000, risk_per_trade_pct=1.0, risk_per_lot=330.0)
    assert size.lots == 3.03  # 3.0303 -> 3.03, never 3.04
    assert size.risk_amount == pytest.approx(999.9)
    assert size.risk_amount <= 1000.0


def test_confidence_multiplier_and_caps() -> None:
    common = {"equity": 100_000.0, "risk_per_lot": 100.0}
    scaled = size_position(**common, risk_per_trade_pct=2.0, confidence_factor=0.5)
    assert scaled.lots == 10.0 and scaled.target_pct == pytest.approx(1.0)
    capped = size_position(**common, risk_per_trade_pct=2.0, max_risk_pct=0.5)
    assert (capped.lots, capped.cap) == (5.0, "policy")
    halved = size_position(**common, risk_per_trade_pct=2.0, size_multiplier=0.5)
    assert halved.lots == 10.0
    both = size_position(**common, risk_per_trade_pct=2.0, max_risk_pct=0.5, size_multiplier=0.5)
    assert both.lots == 2.5
    constitution = size_position(**common, risk_per_trade_pct=8.0, max_risk_pct=12.0)
    assert (constitution.lots, constitution.cap) == (50.0, "constitution")
    assert constitution.risk_amount == pytest.approx(5000.0)  # 5 % of equity, not 8
    never_up = size_position(**common, risk_per_trade_pct=1.0, size_multiplier=3.0)
    assert never_up.lots == 10.0  # a multiplier above 1 is ignored


def test_below_the_minimum_lot_is_zero_with_the_reason() -> None:
    size = size_position(equity=1_000, risk_per_trade_pct=0.5, risk_per_lot=1_000.0)
    assert (size.lots, size.risk_amount, size.reason) == (0.0, 0.0, "sizing.below_min_lot")
    zero_cap = size_position(
        equity=100_000, risk_per_trade_pct=1.0, risk_per_lot=500, max_risk_pct=0
    )
    assert zero_cap.reason == "sizing.below_min_lot"
    no_confidence = size_position(
        equity=100_000, risk_per_trade_pct=1.0, risk_per_lot=500, confidence_factor=0.0
    )
    assert no_confidence.lots == 0.0


def test_lot_limits_and_equity() -> None:
    cfg = SizingConfig(lot_step=0.1, min_lot=0.5, max_lot=3.0)
    assert size_position(equity=1e6, risk_per_trade_pct=1, risk_per_lot=300, config=cfg).lots == 3.0
    assert size_position(equity=1e5, risk_per_trade_pct=1, risk_per_lot=700, config=cfg).lots == 1.4
    assert (
        size_position(equity=1e4, risk_per_trade_pct=1, risk_per_lot=300, config=cfg).reason
        == "sizing.below_min_lot"
    )
    with pytest.raises(SizingError) as info:
        size_position(equity=0.0, risk_per_trade_pct=1, risk_per_lot=300)
    assert info.value.reason == "sizing.no_equity"


@pytest.mark.parametrize("risk_per_lot", [0.1 * 3, 1 / 3, 7.000000000000001, 1e-3 * 7, 29.99])
def test_rounding_never_adds_risk(risk_per_lot: float) -> None:
    for pct in (0.01, 0.1, 0.3, 1.0, 2.5, 5.0):
        for equity in (1_000.0, 12_345.67, 100_000.0, 3_000_000.0):
            size = size_position(equity=equity, risk_per_trade_pct=pct, risk_per_lot=risk_per_lot)
            assert size.risk_amount <= equity * pct / 100.0
            assert size.lots == round(size.lots, 2)
