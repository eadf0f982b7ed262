"""The `Enrichment` record of one signal against one bar: distances, reward/risk and flags.

Pure functions of (signal, bar point, instrument, config): no state, no clock.

Rules (codes go to `flag_reasons`):

- price = close of the last bar closed at or before the signal's time; the reference entry is
  the signal's `entry`, or that price for a market signal without one.
- sl_distance = |entry - stop|, in price, pips (/ pip size) and ATR; rr_i = |TP_i - entry| /
  sl_distance for each take-profit (empty without a stop, or with a stop at the entry).
- stale: age_ms = bar close time - signal `timestamp` (the original posting time) exceeds
  `stale_after_ms` -> STALE_AGE_<age_ms>; a pending order whose `expires_at` is at or before
  the signal's time is stale too -> EXPIRED.
- implausible: entry more than `max_entry_distance_atr` ATR from price -> ENTRY_FAR_<x>_ATR;
  stop / TP_i more than `max_level_distance_atr` ATR from price -> SL_FAR_<x>_ATR /
  TP<i>_FAR_<x>_ATR; any level (entry, SL, TPs) further from price than the instrument's
  `max_level_distance` fraction (catalogue, per asset class; or the config's override) ->
  <LEVEL>_FAR_<x>_PCT (this one works during the ATR warm-up too); a take-profit on the losing
  side of the entry (BUY with TP at or below entry) -> TP<i>_WRONG_SIDE.
- wrong_side_stop: BUY with stop at or above the entry -> SL_ABOVE_ENTRY; a MARKET (or
  UNKNOWN-type, or entry-less) BUY with stop at or above the current price -> SL_ABOVE_PRICE (it
  would be hit at once); SELL mirrored (SL_BELOW_ENTRY, SL_BELOW_PRICE). Pending LIMIT/STOP
  orders are checked against their entry only: a BUY STOP above the market may have its stop
  above the current price.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hive_enricher.config import EnricherConfig
from hive_enricher.history import BarPoint

PENDING_TYPES = ("LIMIT", "STOP")


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def take_profits(signal: Mapping[str, Any]) -> list[float]:
    """TP1..TPn of a signal (`take_profits`, or the single `take_profit` of older records)."""
    tps = [float(tp) for tp in signal.get("take_profits") or []]
    if not tps and signal.get("take_profit") is not None:
        tps = [float(signal["take_profit"])]
    return tps


def _opt_float(signal: Mapping[str, Any], key: str) -> float | None:
    value = signal.get(key)
    return None if value is None else float(value)


def _stale(signal: Mapping[str, Any], age_ms: int, config: EnricherConfig) -> list[str]:
    reasons = []
    if age_ms > config.stale_after_ms:
        reasons.append(f"STALE_AGE_{age_ms}")
    expires_at = signal.get("expires_at")
    if expires_at is not None and int(expires_at) <= int(signal["ts_event"]):
        reasons.append("EXPIRED")
    return reasons


def _implausible(
    signal: Mapping[str, Any],
    *,
    price: float,
    atr: float | None,
    entry_ref: float,
    max_level_frac: float,
    config: EnricherConfig,
) -> list[str]:
    reasons = []
    entry = _opt_float(signal, "entry")
    stop = _opt_float(signal, "stop_loss")
    tps = take_profits(signal)
    if atr is not None and entry is not None:
        dist = abs(entry - price) / atr
        if dist > config.max_entry_distance_atr:
            reasons.append(f"ENTRY_FAR_{_fmt(dist)}_ATR")
    levels: list[tuple[str, float]] = []
    if entry is not None:
        levels.append(("ENTRY", entry))
    if stop is not None:
        levels.append(("SL", stop))
    levels.extend((f"TP{i}", tp) for i, tp in enumerate(tps, start=1))
    for name, level in levels:
        if atr is not None and name != "ENTRY":
            dist = abs(level - price) / atr
            if dist > config.max_level_distance_atr:
                reasons.append(f"{name}_FAR_{_fmt(dist)}_ATR")
        frac = abs(level - price) / price
        if frac > max_level_frac:
            reasons.append(f"{name}_FAR_{_fmt(frac * 100)}_PCT")
    direction = signal.get("direction")
    for i, tp in enumerate(tps, start=1):
        if (direction == "BUY" and tp <= entry_ref) or (direction == "SELL" and tp >= entry_ref):
            reasons.append(f"TP{i}_WRONG_SIDE")
    return reasons


def _wrong_side(signal: Mapping[str, Any], price: float) -> list[str]:
    stop = _opt_float(signal, "stop_loss")
    direction = signal.get("direction")
    if stop is None or direction not in ("BUY", "SELL"):
        return []
    reasons = []
    buy = direction == "BUY"
    entry = _opt_float(signal, "entry")
    if entry is not None and (stop >= entry if buy else stop <= entry):
        reasons.append("SL_ABOVE_ENTRY" if buy else "SL_BELOW_ENTRY")
    order_type = signal.get("order_type") or "MARKET"
    if (order_type not in PENDING_TYPES or entry is None) and (
        stop >= price if buy else stop <= price
    ):
        reasons.append("SL_ABOVE_PRICE" if buy else "SL_BELOW_PRICE")
    return reasons


def market_fields(
    signal: Mapping[str, Any],
    point: BarPoint,
    *,
    pip_size: float,
    spread: float | None,
    session: str,
    max_level_frac: float,
    config: EnricherConfig,
    waited_ms: int,
    extra_reasons: list[str],
) -> dict[str, Any]:
    """The Enrichment record for a signal priced on `point`."""
    price = point.close
    atr = point.atr if point.atr is not None and point.atr > 0 else None
    entry = _opt_float(signal, "entry")
    entry_ref = entry if entry is not None else price
    stop = _opt_float(signal, "stop_loss")

    age_ms = point.close_time - int(signal["timestamp"])
    stale = _stale(signal, age_ms, config)
    implausible = _implausible(
        signal,
        price=price,
        atr=atr,
        entry_ref=entry_ref,
        max_level_frac=max_level_frac,
        config=config,
    )
    wrong_side = _wrong_side(signal, price)

    sl_distance = abs(entry_ref - stop) if stop is not None else None
    rr = (
        [abs(tp - entry_ref) / sl_distance for tp in take_profits(signal)]
        if sl_distance is not None and sl_distance > 0
        else []
    )
    return {
        "timeframe": config.timeframe,
        "bar_close_time": point.close_time,
        "price": price,
        "spread": spread,
        "spread_pips": spread / pip_size if spread is not None else None,
        "pip_size": pip_size,
        "atr14": point.atr,
        "realised_vol": point.vol,
        "realised_vol_bars": config.realised_vol_bars,
        "session": session,
        "sl_distance": sl_distance,
        "sl_pips": sl_distance / pip_size if sl_distance is not None else None,
        "sl_atr": sl_distance / atr if sl_distance is not None and atr is not None else None,
        "entry_distance_atr": abs(entry_ref - price) / atr if atr is not None else None,
        "rr": rr,
        "age_ms": age_ms,
        "waited_ms": waited_ms,
        "stale": bool(stale),
        "implausible": bool(implausible),
        "wrong_side_stop": bool(wrong_side),
        "no_market_data": False,
        "flag_reasons": [*extra_reasons, *stale, *implausible, *wrong_side],
    }


def no_market_fields(
    signal: Mapping[str, Any],
    *,
    pip_size: float,
    session: str,
    config: EnricherConfig,
    waited_ms: int,
    last_close_time: int | None,
    reasons: list[str],
) -> dict[str, Any]:
    """The Enrichment record of a signal no bar could price: price fields null, flagged.

    Distances that need no price (stop and take-profits against a given entry) are still
    filled; age is measured against the last bar at or before the signal when there is one."""
    age_ms = last_close_time - int(signal["timestamp"]) if last_close_time is not None else None
    stale = _stale(signal, age_ms, config) if age_ms is not None else []
    entry = _opt_float(signal, "entry")
    stop = _opt_float(signal, "stop_loss")
    sl_distance = abs(entry - stop) if entry is not None and stop is not None else None
    rr = (
        [abs(tp - entry) / sl_distance for tp in take_profits(signal)]
        if entry is not None and sl_distance is not None and sl_distance > 0
        else []
    )
    return {
        "timeframe": config.timeframe,
        "bar_close_time": None,
        "price": None,
        "spread": None,
        "spread_pips": None,
        "pip_size": pip_size,
        "atr14": None,
        "realised_vol": None,
        "realised_vol_bars": config.realised_vol_bars,
        "session": session,
        "sl_distance": sl_distance,
        "sl_pips": sl_distance / pip_size if sl_distance is not None else None,
        "sl_atr": None,
        "entry_distance_atr": None,
        "rr": rr,
        "age_ms": age_ms,
        "waited_ms": waited_ms,
        "stale": bool(stale),
        "implausible": False,
        "wrong_side_stop": False,
        "no_market_data": True,
        "flag_reasons": ["NO_MARKET_DATA", *reasons, *stale],
    }
