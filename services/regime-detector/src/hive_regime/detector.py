"""The regime detector's domain: bars in, `market.regimes` out; enriched signals in, scored out.

Per symbol (bars of one symbol arrive in order; duplicates and other timeframes are ignored):

- features per bar (`features.py`); warm-up bars give none;
- the first fit once `min_fit_bars` feature rows exist, then a refit after every
  `refit_every` further rows, each on the last `fit_window` rows (the bar that triggers the
  fit is the last row of the window: known at its close, no look-ahead), anchored on the
  symbol's previous model (`anchor_weight`, see `model.py`);
- after a fit, the forward filter is run over the last `inference_window` rows; then it steps
  once per bar. The regime of a bar is the most probable state's label under the filtered
  probabilities P(state at t | rows up to t) — never smoothed with later bars.

Nothing here reads a clock or draws a random number that is not seeded: the same bars give
the same records, model versions and SHA-256 fingerprints, bit for bit. Note that the refit
schedule counts bars from the symbol's first bar, and each refit is anchored on the model
before it, so a restarted service reproduces the same models only when it is fed the symbol's
bars from the same first bar.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np

from hive.contracts.readers import MISSING_FIELD, NOT_A_RECORD, ErrorMap, RecordError, read
from hive.topics import MARKET_BARS, SIGNALS_ENRICHED
from hive_regime.config import RegimeConfig
from hive_regime.features import FeatureRow, FeatureTracker
from hive_regime.model import (
    UNKNOWN,
    FloatArray,
    RegimeFitError,
    RegimeModel,
    fit_model,
    observations,
)


class RegimeInputError(ValueError):
    """An input record lacks what the detector needs; `reason` is a short code for the DLQ."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class RegimePoint(NamedTuple):
    close_time: int
    regime: str
    probabilities: dict[str, float]
    state: int
    version: str
    sha256: str


@dataclass
class RegimeStats:
    bars: int = 0
    bars_ignored_timeframe: int = 0
    bars_ignored_duplicate: int = 0
    warmup_bars: int = 0
    regimes: int = 0
    fits: int = 0
    fit_failures: int = 0
    scored: int = 0
    scored_without_model: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _SymbolState:
    def __init__(self, config: RegimeConfig) -> None:
        self.tracker = FeatureTracker(
            config.vol_window, config.trend_fast, config.trend_slow, config.atr_period
        )
        self.rows: deque[FeatureRow] = deque(maxlen=max(config.fit_window, config.inference_window))
        self.rows_since_fit = 0
        self.model: RegimeModel | None = None
        self.log_alpha: FloatArray | None = None
        self.last_close_time: int | None = None
        self.points: deque[RegimePoint] = deque(maxlen=config.regime_history)


# Fields whose every error has one reason code (others: <what>_missing_<field> / _bad_<field>).
_BAR_REASONS = {
    "symbol": "bar_missing_symbol",
    "high": "bar_bad_prices",
    "low": "bar_bad_prices",
    "close": "bar_bad_prices",
}
_ENRICHED_REASONS = {
    "signal": "enriched_malformed",
    "market": "enriched_malformed",
    "signal.symbol": "enriched_missing_symbol",
}


def _input_error(what: str, reasons: Mapping[str, str]) -> ErrorMap:
    def convert(err: RecordError) -> RegimeInputError:
        if err.reason == NOT_A_RECORD:
            return RegimeInputError(f"{what}_malformed", err.message)
        state = "missing" if err.reason == MISSING_FIELD else "bad"
        reason = reasons.get(err.path, f"{what}_{state}_{err.path}")
        return RegimeInputError(reason, err.message)

    return convert


_bar_error = _input_error("bar", _BAR_REASONS)
_enriched_error = _input_error("enriched", _ENRICHED_REASONS)


class RegimeDetector:
    """Per-symbol HMM regimes on event time; see the module documentation."""

    def __init__(self, config: RegimeConfig | None = None) -> None:
        self.config = config or RegimeConfig()
        self._symbols: dict[str, _SymbolState] = {}
        self.stats = RegimeStats()

    # ---- bars --------------------------------------------------------------------------

    def on_bar(self, bar: Mapping[str, Any]) -> dict[str, Any] | None:
        """Take a closed bar; return its `market.regimes` record, or None (warm-up, no model
        yet, duplicate or other timeframe)."""
        r = read(MARKET_BARS, bar, _bar_error)
        symbol = r.nonempty("symbol")
        close_time = r.integer("ts_event")
        self.stats.bars += 1
        if r.string("timeframe") != self.config.timeframe:
            self.stats.bars_ignored_timeframe += 1
            return None
        st = self._symbols.get(symbol)
        if st is None:
            st = self._symbols[symbol] = _SymbolState(self.config)
        if st.last_close_time is not None and close_time <= st.last_close_time:
            self.stats.bars_ignored_duplicate += 1
            return None
        # NaN prices are valid Avro and were always taken as they come
        high, low, close = (r.number(k, finite=False) for k in ("high", "low", "close"))
        st.last_close_time = close_time
        row = st.tracker.update(close_time, high, low, close)
        if row is None:
            self.stats.warmup_bars += 1
            return None
        st.rows.append(row)
        st.rows_since_fit += 1

        cfg = self.config
        due = st.model is None or st.rows_since_fit >= cfg.refit_every
        if due and len(st.rows) >= cfg.min_fit_bars:
            self._refit(symbol, st)
        elif st.model is not None and st.log_alpha is not None:
            st.log_alpha = st.model.step_raw(st.log_alpha, observations([row])[0])
        if st.model is None or st.log_alpha is None:
            self.stats.warmup_bars += 1
            return None
        return self._record(symbol, st, st.model, st.log_alpha, row)

    def _refit(self, symbol: str, st: _SymbolState) -> None:
        cfg = self.config
        rows = list(st.rows)
        st.rows_since_fit = 0
        try:
            window = rows[-cfg.fit_window :]
            model = fit_model(window, symbol, cfg.timeframe, cfg, previous=st.model)
        except RegimeFitError:
            self.stats.fit_failures += 1
            if st.model is not None and st.log_alpha is not None:
                st.log_alpha = st.model.step_raw(st.log_alpha, observations(rows[-1:])[0])
            return
        self.stats.fits += 1
        st.model = model
        st.log_alpha = model.filter_log(observations(rows[-cfg.inference_window :]))

    def _record(
        self,
        symbol: str,
        st: _SymbolState,
        model: RegimeModel,
        log_alpha: FloatArray,
        row: FeatureRow,
    ) -> dict[str, Any]:
        state = int(np.argmax(log_alpha))
        probs = model.probabilities(log_alpha)
        regime = model.labels[state]
        ts = row.close_time
        st.points.append(RegimePoint(ts, regime, probs, state, model.version, model.sha256))
        self.stats.regimes += 1
        return {
            "event_id": f"{symbol}:{self.config.timeframe}:{ts}:{model.version}",
            "ts_event": ts,
            "ts_init": ts,
            "symbol": symbol,
            "timeframe": self.config.timeframe,
            "regime": regime,
            "probabilities": probs,
            "hmm_state": state,
            "model_version": model.version,
            "model_sha256": model.sha256,
            "model_fitted_at": model.fitted_at,
            "features": row.as_map(),
        }

    # ---- signals -----------------------------------------------------------------------

    def regime_at(self, symbol: str, ts_ms: int) -> RegimePoint | None:
        """The latest inference for `symbol` at a bar closed at or before `ts_ms`."""
        st = self._symbols.get(symbol)
        if st is None:
            return None
        for point in reversed(st.points):
            if point.close_time <= ts_ms:
                return point
        return None

    def is_ready(self, enriched: Mapping[str, Any]) -> bool:
        """True when this detector has processed the bar the enriched signal was priced on, so
        `score` gives the same answer whenever it is called (the service may hold a signal
        back until then)."""
        market = enriched.get("market") or {}
        bar_close = market.get("bar_close_time")
        if bar_close is None:
            return True
        signal = enriched.get("signal") or {}
        st = self._symbols.get(str(signal.get("symbol")))
        return st is not None and st.last_close_time is not None and st.last_close_time >= bar_close

    def score(self, enriched: Mapping[str, Any]) -> dict[str, Any]:
        """Tag an enriched signal with the regime of its symbol at its time -> `signals.scored`.

        The regime is the latest inference at a bar closed at or before the signal's time
        (`ts_event`); UNKNOWN with empty probabilities when the symbol has no model yet."""
        r = read(SIGNALS_ENRICHED, enriched, _enriched_error)
        signal, market = r.record_of("signal"), r.record_of("market")
        symbol = signal.nonempty("symbol")
        ts = r.integer("ts_event")
        point = self.regime_at(symbol, ts)
        self.stats.scored += 1
        if point is None:
            self.stats.scored_without_model += 1
        return {
            "event_id": r.string("event_id"),
            "ts_event": ts,
            "ts_init": r.integer("ts_init"),
            "signal": dict(signal.record),
            "market": dict(market.record),
            "regime": point.regime if point else UNKNOWN,
            "regime_probabilities": dict(point.probabilities) if point else {},
            "regime_bar_close_time": point.close_time if point else None,
            "regime_model_version": point.version if point else None,
            "regime_model_sha256": point.sha256 if point else None,
        }

    # ---- introspection -----------------------------------------------------------------

    def model(self, symbol: str) -> RegimeModel | None:
        st = self._symbols.get(symbol)
        return st.model if st else None

    @property
    def symbols(self) -> list[str]:
        return sorted(self._symbols)
