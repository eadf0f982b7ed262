"""Position size in lots from risk per trade, stop distance, pip value, equity and confidence.

The rule::

    risk per lot   = stop distance x contract size x (quote -> account rate)
                     (stop distance: the largest |entry - stop| over the entry, the entry range
                      and, for market orders, the market price: the fill may be anywhere there)
    confidence x   = 0                              below MIN_CONFIDENCE (0.40)
                     0.5 + 0.5 (c - 0.40) / 0.60    from 0.40 (0.5x) to 1.0 (1x), linear
    target risk %  = min(risk_per_trade x confidence x, policy max_risk_pct, constitution 5)
                     x size_multiplier (policy: 0.5 in REDUCED_CAPACITY, else 1; never > 1)
    lots           = floor(equity x target % / 100 / risk per lot, to the lot step 0.01)

The lots are rounded down, and checked again after rounding, so the money at risk never
exceeds the target (hence never 5 % of equity); below the minimum lot the size is 0 and the
reason `sizing.below_min_lot`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from hive.bots import Bot
from hive.constitution import MAX_RISK_PER_POSITION_PCT, MIN_CONFIDENCE
from hive.fx import ConversionError, quote_to_account
from hive.instruments import Instrument
from hive_risk_gate.reasons import Reason


class SizingError(ValueError):
    """The position cannot be sized; `reason` is the decision's reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SizingConfig:
    lot_step: float = 0.01
    min_lot: float = 0.01
    max_lot: float | None = None
    min_confidence: float = MIN_CONFIDENCE
    scale_at_min_confidence: float = 0.5
    full_confidence: float = 1.0
    allow_approximate_rates: bool = True

    def __post_init__(self) -> None:
        if not (self.lot_step > 0 and self.min_lot > 0):
            raise ValueError("lot_step and min_lot must be > 0")
        if not 0 <= self.min_confidence < self.full_confidence <= 1:
            raise ValueError("need 0 <= min_confidence < full_confidence <= 1")
        if not 0 < self.scale_at_min_confidence <= 1:
            raise ValueError("scale_at_min_confidence must be in (0, 1]")


DEFAULT_SIZING = SizingConfig()


def risk_per_trade_pct(bot: Bot) -> float:
    """The bot's risk per trade in % of equity: the one place the gate reads it, for new
    positions and for stops moved away from the entry alike."""
    return bot.risk_per_trade


def confidence_scale(confidence: float, config: SizingConfig = DEFAULT_SIZING) -> float:
    """The size factor for a trading confidence (see the module doc); 0 below the minimum."""
    if not math.isfinite(confidence) or confidence < config.min_confidence:
        return 0.0
    c = min(confidence, config.full_confidence)
    span = config.full_confidence - config.min_confidence
    lo = config.scale_at_min_confidence
    return lo + (1.0 - lo) * (c - config.min_confidence) / span


@dataclass(frozen=True)
class StopRisk:
    """Money at risk per lot if the stop is hit, in the account currency, and how it was got."""

    sl_distance: float  # price units
    value_per_unit: float  # account currency per 1.0 price move per lot
    pip_value: float  # account currency per pip per lot
    fx_rate: float
    fx_source: str

    @property
    def risk_per_lot(self) -> float:
        return self.sl_distance * self.value_per_unit


def stop_risk(
    instrument: Instrument,
    account_currency: str,
    *,
    stop_loss: float | None,
    entries: list[float | None],
    rates: Mapping[str, float] | None = None,
    config: SizingConfig = DEFAULT_SIZING,
) -> StopRisk:
    """The per-lot risk of a position entered at any of `entries` with `stop_loss`.

    Raises `SizingError` (no stop, no price, stop at the entry, no conversion rate).
    """
    if stop_loss is None or not math.isfinite(stop_loss):
        raise SizingError(Reason.SIZING_NO_STOP_LOSS, "the signal has no stop-loss")
    levels = [e for e in entries if e is not None and math.isfinite(e) and e > 0]
    if not levels:
        raise SizingError(Reason.SIZING_NO_PRICE, "neither an entry nor a market price")
    distance = max(abs(e - stop_loss) for e in levels)
    if distance <= 0 or min(abs(e - stop_loss) for e in levels) <= 0:
        raise SizingError(Reason.SIZING_INVALID_STOP, "the stop-loss is at the entry")
    try:
        conv = quote_to_account(
            instrument,
            account_currency,
            [*levels, stop_loss],
            rates,
            allow_approximate=config.allow_approximate_rates,
        )
    except ConversionError as exc:
        raise SizingError(Reason.SIZING_NO_CONVERSION_RATE, str(exc)) from None
    value = instrument.contract_size * conv.rate
    return StopRisk(
        sl_distance=distance,
        value_per_unit=value,
        pip_value=value * instrument.pip_size,
        fx_rate=conv.rate,
        fx_source=conv.source,
    )


@dataclass(frozen=True)
class Size:
    lots: float
    risk_amount: float  # account currency at the stop for `lots`
    risk_pct: float  # risk_amount as % of equity
    target_pct: float  # the budget before rounding, % of equity
    cap: str  # what bounded the budget: risk_per_trade | policy | constitution
    reason: str | None = None  # sizing.below_min_lot when lots == 0


def size_position(
    *,
    equity: float,
    risk_per_trade_pct: float,
    risk_per_lot: float,
    confidence_factor: float = 1.0,
    size_multiplier: float = 1.0,
    max_risk_pct: float | None = None,
    config: SizingConfig = DEFAULT_SIZING,
) -> Size:
    """The size in lots (see the module doc). Raises `SizingError` without equity."""
    if not math.isfinite(equity) or equity <= 0:
        raise SizingError(Reason.SIZING_NO_EQUITY, f"equity is {equity!r}")
    if not math.isfinite(risk_per_lot) or risk_per_lot <= 0:
        raise SizingError(Reason.SIZING_INVALID_STOP, f"risk per lot is {risk_per_lot!r}")
    wanted = max(0.0, risk_per_trade_pct) * min(1.0, max(0.0, confidence_factor))
    target, cap = wanted, "risk_per_trade"
    if max_risk_pct is not None and max(0.0, max_risk_pct) < target:
        target, cap = max(0.0, max_risk_pct), "policy"
    if target > MAX_RISK_PER_POSITION_PCT:
        target, cap = MAX_RISK_PER_POSITION_PCT, "constitution"
    multiplier = min(1.0, max(0.0, size_multiplier)) if math.isfinite(size_multiplier) else 0.0
    target *= multiplier
    budget = equity * target / 100.0

    step = config.lot_step
    steps = math.floor(budget / risk_per_lot / step) if budget > 0 else 0
    if config.max_lot is not None:
        steps = min(steps, math.floor(config.max_lot / step + 1e-9))
    lots = _lots(steps, step)
    while steps > 0 and lots * risk_per_lot > budget:  # float rounding must never add risk
        steps -= 1
        lots = _lots(steps, step)
    if lots + 1e-12 < config.min_lot:
        return Size(0.0, 0.0, 0.0, target, cap, Reason.SIZING_BELOW_MIN_LOT)
    risk = lots * risk_per_lot
    return Size(lots, risk, risk / equity * 100.0, target, cap)


def _lots(steps: int, step: float) -> float:
    return round(steps * step, 10)
