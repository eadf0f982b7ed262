"""The scored signal as the gate reads it: a typed, checked view of a `signals.scored` record."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hive.contracts.readers import MISSING_FIELD, RecordError, read
from hive.topics import SIGNALS_SCORED


class SignalInputError(ValueError):
    """A scored signal lacks what the gate needs; `reason` is a short code for the DLQ."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Fields with a reason code of their own on the dead letter.
_REASONS = {
    "signal": "missing_signal",
    "signal.signal_id": "missing_field",
    "signal.source": "missing_field",
    "signal.symbol": "missing_field",
    "signal.direction": "bad_direction",
    "signal.order_type": "bad_order_type",
    "signal.revision": "bad_revision",
    "ts_event": "bad_timestamp",
}


def _input_error(err: RecordError) -> SignalInputError:
    """A schema error as the gate's input error (missing_field / bad_field unless named)."""
    fallback = "missing_field" if err.reason == MISSING_FIELD else "bad_field"
    return SignalInputError(_REASONS.get(err.path, fallback), err.message)


def _finite(value: float | None) -> float | None:
    """A number the sizing can use: NaN and infinities (valid Avro) read as absent."""
    return value if value is not None and math.isfinite(value) else None


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
        r = read(SIGNALS_SCORED, record, _input_error)
        sig = r.record_of("signal")
        signal_id, source, symbol = (sig.nonempty(k) for k in ("signal_id", "source", "symbol"))
        direction = sig.symbol("direction", known=True)
        order_type = sig.symbol("order_type", known=True)
        ts_event = r.integer("ts_event")
        revision = sig.integer("revision")
        tps = tuple(t for t in sig.numbers("take_profits", finite=False) if math.isfinite(t))
        single = _finite(sig.opt_number("take_profit", finite=False))
        if not tps and single is not None:
            tps = (single,)
        market = r.record_of("market")
        return cls(
            event_id=r.string("event_id") or f"{signal_id}:r{revision}",
            ts_event=ts_event,
            signal_id=signal_id,
            revision=revision,
            source=source,
            symbol=symbol,
            direction=direction,
            order_type=order_type,
            timestamp=sig.integer("timestamp"),
            parser_confidence=_finite(sig.number("confidence", finite=False)) or 0.0,
            entry=_finite(sig.opt_number("entry", finite=False)),
            entry_low=_finite(sig.opt_number("entry_low", finite=False)),
            entry_high=_finite(sig.opt_number("entry_high", finite=False)),
            stop_loss=_finite(sig.opt_number("stop_loss", finite=False)),
            take_profits=tps,
            expires_at=sig.opt_integer("expires_at"),
            regime=r.symbol("regime"),
            regime_probabilities=r.number_map("regime_probabilities"),
            regime_model_version=r.opt_string("regime_model_version"),
            price=_finite(market.opt_number("price", finite=False)),
            pip_size=_finite(market.number("pip_size", finite=False)),
            atr14=_finite(market.opt_number("atr14", finite=False)),
            spread_pips=_finite(market.opt_number("spread_pips", finite=False)),
            realised_vol=_finite(market.opt_number("realised_vol", finite=False)),
            session=market.symbol("session"),
            sl_atr=_finite(market.opt_number("sl_atr", finite=False)),
            sl_pips=_finite(market.opt_number("sl_pips", finite=False)),
            rr=tuple(x for x in market.numbers("rr", finite=False) if math.isfinite(x)),
            stale=market.flag("stale"),
            implausible=market.flag("implausible"),
            wrong_side_stop=market.flag("wrong_side_stop"),
            no_market_data=market.flag("no_market_data"),
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
