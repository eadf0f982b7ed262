"""The scored signal as the gate reads it: a typed, checked view of a `signals.scored` record."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hive_risk_gate.record_enums import DIRECTIONS, ORDER_TYPES, REGIMES

SESSIONS = ("UNKNOWN", "ASIA", "LONDON", "LONDON_NEW_YORK", "NEW_YORK", "OFF_HOURS", "WEEKEND")


def _symbol(value: Any, known: tuple[str, ...]) -> str:
    """An enum symbol the records accept; anything else reads as UNKNOWN (the schema's rule)."""
    return value if isinstance(value, str) and value in known else "UNKNOWN"


class SignalInputError(ValueError):
    """A scored signal lacks what the gate needs; `reason` is a short code for the DLQ."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _opt_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


@dataclass(frozen=True)
class ScoredSignal:
    """The fields of a scored signal the cards, the policies and the sizing use."""

    event_id: str
    ts_event: int
    signal_id: str
    revision: int
    source: str
    symbol: str
    direction: str
    order_type: str
    timestamp: int
    parser_confidence: float
    entry: float | None = None
    entry_low: float | None = None
    entry_high: float | None = None
    stop_loss: float | None = None
    take_profits: tuple[float, ...] = ()
    expires_at: int | None = None
    regime: str = "UNKNOWN"
    regime_probabilities: Mapping[str, float] = field(default_factory=dict)
    regime_model_version: str | None = None
    price: float | None = None
    pip_size: float | None = None
    atr14: float | None = None
    spread_pips: float | None = None
    realised_vol: float | None = None
    session: str = "UNKNOWN"
    sl_atr: float | None = None
    sl_pips: float | None = None
    rr: tuple[float, ...] = ()
    stale: bool = False
    implausible: bool = False
    wrong_side_stop: bool = False
    no_market_data: bool = False

    @property
    def reference_price(self) -> float | None:
        """The entry price for sizing: the signal's entry, else the market price."""
        return self.entry if self.entry is not None else self.price

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ScoredSignal:
        """Read a `signals.scored` record (timestamps as epoch-ms ints)."""
        sig = record.get("signal")
        if not isinstance(sig, Mapping):
            raise SignalInputError("missing_signal", "the scored record has no 'signal'")
        market = record.get("market")
        if not isinstance(market, Mapping):
            market = {}
        for name in ("signal_id", "source", "symbol"):
            if not isinstance(sig.get(name), str) or not sig.get(name):
                raise SignalInputError("missing_field", f"signal.{name} is missing")
        direction = sig.get("direction")
        if direction not in DIRECTIONS:
            raise SignalInputError("bad_direction", f"signal.direction is {direction!r}")
        order_type = sig.get("order_type") or "MARKET"
        if order_type not in ORDER_TYPES:
            raise SignalInputError("bad_order_type", f"signal.order_type is {order_type!r}")
        ts_event = record.get("ts_event")
        if not isinstance(ts_event, int) or isinstance(ts_event, bool):
            raise SignalInputError("bad_timestamp", "ts_event must be epoch milliseconds")
        revision = sig.get("revision", 0)
        if not isinstance(revision, int):
            raise SignalInputError("bad_revision", f"signal.revision is {revision!r}")
        tps = tuple(float(t) for t in (sig.get("take_profits") or []) if _opt_float(t) is not None)
        if not tps and _opt_float(sig.get("take_profit")) is not None:
            tps = (float(sig["take_profit"]),)
        probs = record.get("regime_probabilities") or {}
        timestamp = sig.get("timestamp")
        return cls(
            event_id=str(record.get("event_id") or f"{sig['signal_id']}:r{revision}"),
            ts_event=ts_event,
            signal_id=sig["signal_id"],
            revision=revision,
            source=sig["source"],
            symbol=sig["symbol"],
            direction=direction,
            order_type=order_type,
            timestamp=int(timestamp) if isinstance(timestamp, int) else ts_event,
            parser_confidence=_opt_float(sig.get("confidence")) or 0.0,
            entry=_opt_float(sig.get("entry")),
            entry_low=_opt_float(sig.get("entry_low")),
            entry_high=_opt_float(sig.get("entry_high")),
            stop_loss=_opt_float(sig.get("stop_loss")),
            take_profits=tps,
            expires_at=sig.get("expires_at") if isinstance(sig.get("expires_at"), int) else None,
            regime=_symbol(record.get("regime"), REGIMES),
            regime_probabilities={str(k): float(v) for k, v in probs.items()},
            regime_model_version=record.get("regime_model_version"),
            price=_opt_float(market.get("price")),
            pip_size=_opt_float(market.get("pip_size")),
            atr14=_opt_float(market.get("atr14")),
            spread_pips=_opt_float(market.get("spread_pips")),
            realised_vol=_opt_float(market.get("realised_vol")),
            session=_symbol(market.get("session"), SESSIONS),
            sl_atr=_opt_float(market.get("sl_atr")),
            sl_pips=_opt_float(market.get("sl_pips")),
            rr=tuple(float(x) for x in (market.get("rr") or []) if _opt_float(x) is not None),
            stale=bool(market.get("stale", False)),
            implausible=bool(market.get("implausible", False)),
            wrong_side_stop=bool(market.get("wrong_side_stop", False)),
            no_market_data=bool(market.get("no_market_data", False)),
        )


def utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000.0, tz=UTC)


def signal_features(signal: ScoredSignal) -> dict[str, Any]:
    """The intent's `features` (SignalFeatures) from the scored signal."""
    posted = utc(signal.timestamp)
    return {
        "source": signal.source,
        "symbol": signal.symbol,
        "direction": signal.direction,
        "order_type": signal.order_type,
        "signal_time": signal.timestamp,
        "parser_confidence": signal.parser_confidence,
        "regime": signal.regime,
        "regime_probabilities": dict(signal.regime_probabilities),
        "regime_model_version": signal.regime_model_version,
        "sl_atr": signal.sl_atr,
        "sl_pips": signal.sl_pips,
        "rr": signal.rr[0] if signal.rr else None,
        "tp_count": len(signal.take_profits),
        "atr14": signal.atr14,
        "spread_pips": signal.spread_pips,
        "realised_vol": signal.realised_vol,
        "session": signal.session,
        "hour_utc": posted.hour,
        "day_of_week": posted.isoweekday(),
        "stale": signal.stale,
        "implausible": signal.implausible,
    }
