"""The enricher's domain: bars in, signals in, enriched signals out — all on event time.

Time rules (no wall clock anywhere):

- A signal's time is its `ts_event` (when this revision became known). It is priced on the last
  bar of its symbol closed at or before that time (no look-ahead), with the ATR, volatility and
  spread as they stood at that bar's close.
- A signal can be priced as soon as that bar is certainly known: when a bar of its symbol
  closing after the signal's time has been seen, or when the latest bar seen closed at C with
  C <= time < C + timeframe (no other bar can close in between: bars of a symbol arrive in order
  and do not overlap). Otherwise the signal waits in a bounded buffer.
- Event time for the wait is the market's: the watermark is the latest bar close seen, over
  all symbols. Signals never move it, so signals read ahead of the bars (another topic, another
  consumer pace) simply wait, and a signal with a wrong future timestamp cannot flush the
  buffer. When a bar arrives, the waiting signals of its symbol that it makes priceable are
  released first; then every waiting signal whose time is more than `wait_horizon_ms` behind
  the watermark (its own symbol's feed is silent or absent) is released with `no_market_data`
  (price fields null), never dropped. When the buffer is full, the oldest waiting signal is
  released the same way (WAIT_BUFFER_FULL); `flush()` releases all (end of a replay).
- `waited_ms` is the event time the signal waited: the releasing bar's close minus the signal's
  time, 0 when it was priced on arrival or released by a bar that closed before it (the bars
  were late, not the market). A weekend signal waits for the Sunday open and is priced on
  Friday's close.
- Every output is a function of the signal and the bars only — whatever the interleaving of
  the signal and bar streams — provided each symbol's bars arrive in order, no more than
  `max_pending` signals get ahead of their bars, a signal is not older than `history_bars`
  bars when it is read, and the bar streams of different symbols stay within
  `wait_horizon_ms` of each other. `ts_init` of an output is the signal's `ts_event`.

`signals.updates` carry no market fields and `signals.enriched` has no record for them: the
executor and the hub read updates from their own topic. `on_update` only counts them.

Over 400 lines and kept whole: the waiting buffer, the watermark and the pricing are one
event-time state machine; the indicators and levels are elsewhere (history.py, levels.py).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hive.market.instrument_info import InstrumentSpec, UnknownInstrumentError, instrument_spec
from hive.market.spread import SessionSpreadModel, SpreadModel
from hive_enricher.config import EnricherConfig
from hive_enricher.history import BarPoint, SymbolHistory
from hive_enricher.levels import market_fields, no_market_fields

InstrumentLookup = Callable[[str], InstrumentSpec]
DEFAULT_MAX_LEVEL_FRAC = 0.25


class EnricherInputError(ValueError):
    """An input record lacks what the enricher needs; `reason` is a short code for the DLQ."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass
class EnricherStats:
    """Counters for metrics (the service exports them to Prometheus)."""

    bars: int = 0
    bars_ignored_timeframe: int = 0
    bars_ignored_duplicate: int = 0
    signals: int = 0
    updates: int = 0
    enriched: int = 0
    priced_on_arrival: int = 0
    waited: int = 0  # signals that went into the wait buffer
    released_by_bar: int = 0
    released_by_horizon: int = 0
    released_buffer_full: int = 0
    released_by_flush: int = 0
    no_market_data: int = 0
    stale: int = 0
    implausible: int = 0
    wrong_side_stop: int = 0
    pending: int = 0  # gauge: signals waiting now
    max_waited_ms: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _Pending:
    __slots__ = ("done", "seq", "signal", "symbol", "time")

    def __init__(self, signal: Mapping[str, Any], symbol: str, time: int, seq: int) -> None:
        self.signal = signal
        self.symbol = symbol
        self.time = time
        self.seq = seq
        self.done = False


def _required_int(record: Mapping[str, Any], key: str, what: str) -> int:
    value = record.get(key)
    if value is None or isinstance(value, bool):
        raise EnricherInputError(f"{what}_missing_{key}", f"{what} has no {key!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EnricherInputError(f"{what}_bad_{key}", f"{what} {key}={value!r}") from None


def _guess_pip_size(price: float) -> float:
    """Pip size of an instrument missing from the catalogue: 4 significant digits of price."""
    return float(10.0 ** (math.floor(math.log10(price)) - 4)) if price > 0 else 0.0001


class Enricher:
    """Per-symbol bar history and the wait buffer; see the module documentation."""

    def __init__(
        self,
        config: EnricherConfig | None = None,
        *,
        instruments: InstrumentLookup = instrument_spec,
        spread_model: SpreadModel | None = None,
    ) -> None:
        self.config = config or EnricherConfig()
        self._tf_ms = self.config.timeframe_ms
        self._instruments = instruments
        self._spread_model: SpreadModel = spread_model or SessionSpreadModel(
            sessions=self.config.sessions
        )
        self._history: dict[str, SymbolHistory] = {}
        self._pending: dict[str, dict[int, _Pending]] = {}  # symbol -> seq -> entry
        self._heap: list[tuple[int, int, _Pending]] = []  # (signal time, seq, entry)
        self._seq = 0
        self._n_pending = 0
        self.watermark: int | None = None
        self.stats = EnricherStats()
        self._specs: dict[str, InstrumentSpec | None] = {}

    # ---- inputs ------------------------------------------------------------------------

    def on_bar(self, bar: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Take a closed bar; return the enriched signals it releases (possibly none)."""
        symbol = bar.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            raise EnricherInputError("bar_missing_symbol", "bar has no symbol")
        close_time = _required_int(bar, "ts_event", "bar")
        open_time = _required_int(bar, "open_time", "bar")
        self.stats.bars += 1
        if bar.get("timeframe") != self.config.timeframe:
            self.stats.bars_ignored_timeframe += 1
            return self._advance(close_time)
        hist = self._history.get(symbol)
        if hist is None:
            hist = SymbolHistory(
                self.config.history_bars, self.config.atr_period, self.config.realised_vol_bars
            )
            self._history[symbol] = hist
        last = hist.last_close_time
        if last is not None and close_time <= last:
            # A redelivered or out-of-order bar: the history already holds it (or later ones).
            self.stats.bars_ignored_duplicate += 1
            return self._advance(close_time)
        try:
            high, low, close = float(bar["high"]), float(bar["low"]), float(bar["close"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EnricherInputError(
                "bar_bad_prices", f"bar {bar.get('event_id')}: {exc}"
            ) from None
        spread = bar.get("spread")
        hist.add(
            open_time,
            close_time,
            high=high,
            low=low,
            close=close,
            spread=None if spread is None else float(spread),
        )

        out: list[dict[str, Any]] = []
        waiting = self._pending.get(symbol)
        if waiting:
            for p in [p for p in waiting.values() if self._ready(hist, p.time)]:
                self.stats.released_by_bar += 1
                out.append(self._release(p, close_time, "WAIT_HORIZON"))
        out.extend(self._advance(close_time))
        return out

    def on_signal(self, signal: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Take a parsed signal; return this one enriched if it can be priced now, else
        nothing (it waits) — or the oldest waiting signal if the buffer overflows."""
        symbol = signal.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            raise EnricherInputError("signal_missing_symbol", "signal has no symbol")
        t = _required_int(signal, "ts_event", "signal")
        _required_int(signal, "timestamp", "signal")
        self.stats.signals += 1
        out: list[dict[str, Any]] = []
        hist = self._history.get(symbol)
        if hist is not None and self._ready(hist, t):
            self.stats.priced_on_arrival += 1
            out.append(self._enrich(signal, hist, waited_ms=0, reasons=[]))
        else:
            self._seq += 1
            entry = _Pending(signal, symbol, t, self._seq)
            self._pending.setdefault(symbol, {})[entry.seq] = entry
            heapq.heappush(self._heap, (t, entry.seq, entry))
            self._n_pending += 1
            if len(self._heap) > 2 * self._n_pending + 1024:
                # Entries released by bars leave the heap lazily; keep it bounded all the same.
                self._heap = [item for item in self._heap if not item[2].done]
                heapq.heapify(self._heap)
            self.stats.waited += 1
            if self._n_pending > self.config.max_pending:
                oldest = self._pop_oldest()
                if oldest is not None:
                    self.stats.released_buffer_full += 1
                    release_at = self.watermark if self.watermark is not None else oldest.time
                    out.append(
                        self._no_market(
                            oldest, self._waited(oldest, release_at), ["WAIT_BUFFER_FULL"]
                        )
                    )
        self.stats.pending = self._n_pending
        return out

    def on_update(self, update: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Take a signal update: `signals.enriched` has no record for it (see the module
        doc), so nothing is emitted; it is counted."""
        _required_int(update, "ts_event", "update")
        self.stats.updates += 1
        return []

    def flush(self) -> list[dict[str, Any]]:
        """Release every waiting signal (end of a replay): priced if possible, else flagged."""
        out: list[dict[str, Any]] = []
        release_at = self.watermark if self.watermark is not None else 0
        for entry in sorted(
            (p for ps in self._pending.values() for p in ps.values()),
            key=lambda p: (p.time, p.seq),
        ):
            self.stats.released_by_flush += 1
            out.append(self._release(entry, release_at, "FLUSHED"))
        self._pending.clear()
        self._heap.clear()
        self._n_pending = 0
        self.stats.pending = 0
        return out

    @property
    def pending(self) -> int:
        """Signals waiting for market data now."""
        return self._n_pending

    def latest_bar(self, symbol: str) -> BarPoint | None:
        hist = self._history.get(symbol)
        return hist.points[-1] if hist is not None and hist.points else None

    # ---- internals ---------------------------------------------------------------------

    def _ready(self, hist: SymbolHistory, t: int) -> bool:
        last = hist.last_close_time
        if last is None:
            return False
        return last > t or t < last + self._tf_ms

    def _advance(self, ts: int) -> list[dict[str, Any]]:
        """Move the bar watermark to `ts` (if later); release signals past the wait horizon."""
        if self.watermark is None or ts > self.watermark:
            self.watermark = ts
        wm = self.watermark
        out: list[dict[str, Any]] = []
        horizon = self.config.wait_horizon_ms
        while self._heap and wm - self._heap[0][0] > horizon:
            _, _, entry = heapq.heappop(self._heap)
            if entry.done:
                continue
            self.stats.released_by_horizon += 1
            out.append(self._release(entry, wm, "WAIT_HORIZON"))
        self.stats.pending = self._n_pending
        return out

    def _remove(self, entry: _Pending) -> None:
        entry.done = True
        self._n_pending -= 1
        waiting = self._pending.get(entry.symbol)
        if waiting is not None:
            waiting.pop(entry.seq, None)
            if not waiting:
                del self._pending[entry.symbol]

    def _pop_oldest(self) -> _Pending | None:
        while self._heap:
            _, _, entry = heapq.heappop(self._heap)
            if not entry.done:
                self._remove(entry)
                return entry
        return None

    def _waited(self, entry: _Pending, release_at: int) -> int:
        return max(0, release_at - entry.time)

    def _release(self, entry: _Pending, release_at: int, reason: str) -> dict[str, Any]:
        """Take `entry` out of the buffer: priced if its bar is known, else flagged `reason`."""
        if not entry.done:
            self._remove(entry)
        hist = self._history.get(entry.symbol)
        waited = self._waited(entry, release_at)
        if hist is not None and self._ready(hist, entry.time):
            return self._enrich(entry.signal, hist, waited, [])
        return self._no_market(entry, waited, [reason])

    def _spec(self, symbol: str) -> InstrumentSpec | None:
        if symbol not in self._specs:
            try:
                self._specs[symbol] = self._instruments(symbol)
            except (UnknownInstrumentError, LookupError):
                self._specs[symbol] = None
        return self._specs[symbol]

    def _pip_size(self, symbol: str, price: float | None, reasons: list[str]) -> float:
        spec = self._spec(symbol)
        if spec is not None:
            return spec.pip_size
        reasons.append("UNKNOWN_INSTRUMENT")
        return _guess_pip_size(price) if price is not None else 0.0001

    def _max_level_frac(self, symbol: str) -> float:
        if self.config.max_level_distance_frac is not None:
            return self.config.max_level_distance_frac
        spec = self._spec(symbol)
        return spec.max_level_distance if spec is not None else DEFAULT_MAX_LEVEL_FRAC

    def _spread(self, symbol: str, point: BarPoint, t: int) -> float | None:
        if point.spread is not None:
            return point.spread
        if self._spec(symbol) is None:
            return None
        try:
            return self._spread_model.spread(symbol, t)
        except (UnknownInstrumentError, LookupError):
            return None

    def _enrich(
        self, signal: Mapping[str, Any], hist: SymbolHistory, waited_ms: int, reasons: list[str]
    ) -> dict[str, Any]:
        t = int(signal["ts_event"])
        point = hist.at(t)
        symbol = str(signal["symbol"])
        if point is None:
            why = "BEFORE_HISTORY" if hist.covers_before(t) else "NO_BAR_BEFORE_SIGNAL"
            return self._no_market_record(signal, waited_ms, None, [*reasons, why])
        reasons = list(reasons)
        pip_size = self._pip_size(symbol, point.close, reasons)
        market = market_fields(
            signal,
            point,
            pip_size=pip_size,
            spread=self._spread(symbol, point, t),
            session=self.config.sessions.session_at(t),
            max_level_frac=self._max_level_frac(symbol),
            config=self.config,
            waited_ms=waited_ms,
            extra_reasons=reasons,
        )
        return self._record(signal, market)

    def _no_market(self, entry: _Pending, waited_ms: int, reasons: list[str]) -> dict[str, Any]:
        hist = self._history.get(entry.symbol)
        point = hist.at(entry.time) if hist is not None else None
        return self._no_market_record(
            entry.signal, waited_ms, point.close_time if point else None, reasons
        )

    def _no_market_record(
        self,
        signal: Mapping[str, Any],
        waited_ms: int,
        last_close_time: int | None,
        reasons: list[str],
    ) -> dict[str, Any]:
        reasons = list(reasons)
        symbol = str(signal["symbol"])
        entry = signal.get("entry")
        pip_size = self._pip_size(symbol, float(entry) if entry is not None else None, reasons)
        market = no_market_fields(
            signal,
            pip_size=pip_size,
            session=self.config.sessions.session_at(int(signal["ts_event"])),
            config=self.config,
            waited_ms=waited_ms,
            last_close_time=last_close_time,
            reasons=reasons,
        )
        return self._record(signal, market)

    def _record(self, signal: Mapping[str, Any], market: dict[str, Any]) -> dict[str, Any]:
        st = self.stats
        st.enriched += 1
        st.no_market_data += market["no_market_data"]
        st.stale += market["stale"]
        st.implausible += market["implausible"]
        st.wrong_side_stop += market["wrong_side_stop"]
        st.max_waited_ms = max(st.max_waited_ms, market["waited_ms"])
        ts = int(signal["ts_event"])
        return {
            "event_id": signal["event_id"],
            "ts_event": ts,
            "ts_init": ts,
            "signal": dict(signal),
            "market": market,
        }
