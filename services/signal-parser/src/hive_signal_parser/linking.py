"""Which signal an update is about: the parser's memory of signals and update messages.

State per source, bounded (oldest forgotten first):
- the signals of each message (latest revision), to follow a reply to a signal message;
- the targets of each update message, to follow a reply to an update ('TP2 hit' replying to
  'TP1 hit');
- which signals are still open, to find the latest open signal of a source (and symbol);
- the updates already produced per message revision, so a redelivered message gives the same
  updates again instead of failing to link (at-least-once input, idempotent output).

All of it is a function of the raw messages parsed, in order: the service rebuilds it after a
restart by replaying the messages it had consumed (hive.runtime.replay).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_millis(value: object) -> int | None:
    """Epoch milliseconds from an int/float (ms) or a datetime (naive = UTC); None otherwise."""
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and abs(value) < 1e16 else None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return (value - _EPOCH) // dt.timedelta(milliseconds=1)
    return None


# Actions after which a signal is no longer open.
CLOSING_ACTIONS = frozenset({"CLOSE_ALL", "SL_HIT", "CANCEL"})


@dataclass(slots=True)
class SignalRef:
    signal_id: str
    source: str
    message_id: str
    signal_index: int
    revision: int
    symbol: str
    direction: str
    entry: float | None
    stop_loss: float | None
    take_profits: tuple[float, ...]
    timestamp: int
    seq: int  # arrival order, breaks timestamp ties
    open: bool = True


class LinkBook:
    def __init__(self, max_messages: int = 20_000, max_memo: int = 20_000) -> None:
        self.max_messages = max_messages
        self.max_memo = max_memo
        self._seq = 0
        self._signals: dict[str, SignalRef] = {}
        self._by_message: dict[tuple[str, str], list[str]] = {}
        self._update_targets: dict[tuple[str, str], list[str]] = {}
        self._open: dict[str, dict[str, SignalRef]] = {}
        self._texts: dict[tuple[str, str], str] = {}
        self._memo: dict[
            tuple[str, str, int], tuple[str, list[dict[str, Any]], list[dict[str, Any]]]
        ] = {}

    # ---- signals ------------------------------------------------------------------------------
    def add_signals(self, records: list[Mapping[str, Any]]) -> None:
        """Remember the signals of one message revision (records in the signals_parsed schema)."""
        if records:
            first = records[0]
            self.add_refs(
                str(first["source"]),
                str(first["message_id"]),
                int(first.get("revision", 0)),
                str(first.get("raw_text", "")),
                [self._ref(rec) for rec in records],
            )

    def add_refs(
        self, source: str, message_id: str, revision: int, text: str, refs: list[SignalRef]
    ) -> None:
        """Remember the signals of one message revision (replaces what an older revision said)."""
        key = (source, message_id)
        old_ids = self._by_message.get(key)
        if old_ids:
            known = self._signals.get(old_ids[0])
            if known is not None and known.revision > revision:
                return  # an older revision redelivered: the newer one stays
        opened = self._open.get(source)
        if opened is None:
            opened = self._open[source] = {}
        new_ids: list[str] = []
        for ref in refs:
            sid = ref.signal_id
            prev = self._signals.get(sid)
            if prev is not None:
                ref.seq = prev.seq
                ref.open = prev.open
            else:
                self._seq += 1
                ref.seq = self._seq
            self._signals[sid] = ref
            if ref.open:
                opened[sid] = ref
            new_ids.append(sid)
        if old_ids:
            for sid in old_ids:
                if sid not in new_ids:
                    self._close(sid)
        self._by_message[key] = new_ids
        self._texts[key] = text
        if len(self._by_message) > self.max_messages:
            self._trim()

    def _ref(self, rec: Mapping[str, Any]) -> SignalRef:
        tps = tuple(float(v) for v in rec.get("take_profits") or ())
        entry = rec.get("entry")
        sl = rec.get("stop_loss")
        ts = to_millis(rec.get("timestamp")) or 0
        return SignalRef(
            signal_id=str(rec["signal_id"]),
            source=str(rec["source"]),
            message_id=str(rec["message_id"]),
            signal_index=int(rec.get("signal_index", 0)),
            revision=int(rec.get("revision", 0)),
            symbol=str(rec["symbol"]),
            direction=str(rec["direction"]),
            entry=None if entry is None else float(entry),
            stop_loss=None if sl is None else float(sl),
            take_profits=tps,
            timestamp=ts,
            seq=0,
        )

    def get(self, signal_id: str) -> SignalRef | None:
        return self._signals.get(signal_id)

    def signals_of_message(self, source: str, message_id: str) -> list[SignalRef]:
        ids = self._by_message.get((source, message_id))
        if ids is None:
            ids = self._update_targets.get((source, message_id), [])
        return [self._signals[s] for s in ids if s in self._signals]

    def is_signal_message(self, source: str, message_id: str) -> bool:
        return (source, message_id) in self._by_message

    def message_text(self, source: str, message_id: str) -> str | None:
        """The text of the latest revision of a signal message, when known."""
        return self._texts.get((source, message_id))

    def open_signals(self, source: str, symbols: set[str] | None) -> list[SignalRef]:
        """Every open signal of a source (of those symbols), oldest first."""
        refs = [
            r for r in self._open.get(source, {}).values() if not symbols or r.symbol in symbols
        ]
        refs.sort(key=lambda r: (r.timestamp, r.seq))
        return refs

    def latest_open(self, source: str, symbol: str | None) -> SignalRef | None:
        best: SignalRef | None = None
        for ref in self._open.get(source, {}).values():
            if symbol is not None and ref.symbol != symbol:
                continue
            if best is None or (ref.timestamp, ref.seq) > (best.timestamp, best.seq):
                best = ref
        return best

    # ---- updates ------------------------------------------------------------------------------
    def apply_updates(
        self, source: str, message_id: str, updates: Sequence[Mapping[str, Any]]
    ) -> None:
        """Remember an update message's targets and close what it closes."""
        targets: list[str] = []
        for u in updates:
            sid = str(u["target_signal_id"])
            if sid not in targets:
                targets.append(sid)
            action = u.get("action")
            ref = self._signals.get(sid)
            if action in CLOSING_ACTIONS:
                self._close(sid)
            elif action == "TP_HIT" and ref is not None:
                ix = u.get("tp_index")
                if isinstance(ix, int) and ref.take_profits and ix >= len(ref.take_profits):
                    self._close(sid)
            elif action == "CLOSE_PARTIAL":
                frac = u.get("fraction")
                if isinstance(frac, int | float) and frac >= 1.0:
                    self._close(sid)
            elif action == "MOVE_SL" and ref is not None and u.get("price") is not None:
                ref.stop_loss = float(u["price"])
            elif action == "BREAKEVEN" and ref is not None:
                ref.stop_loss = ref.entry
        key = (source, message_id)
        if targets and key not in self._by_message:
            known = self._update_targets.setdefault(key, [])
            known.extend(t for t in targets if t not in known)
        self._trim()

    def _close(self, signal_id: str) -> None:
        ref = self._signals.get(signal_id)
        if ref is None:
            return
        ref.open = False
        self._open.get(ref.source, {}).pop(signal_id, None)

    # ---- idempotence --------------------------------------------------------------------------
    def memo_get(
        self, source: str, message_id: str, revision: int, text: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
        """(signals, updates) already produced for this message revision with this text."""
        hit = self._memo.get((source, message_id, revision))
        if hit is None or hit[0] != text:
            return None
        return hit[1], hit[2]

    def memo_put(
        self,
        *,
        source: str,
        message_id: str,
        revision: int,
        text: str,
        signals: list[dict[str, Any]],
        updates: list[dict[str, Any]],
    ) -> None:
        self._memo[(source, message_id, revision)] = (text, signals, updates)
        if len(self._memo) > self.max_memo:
            del self._memo[next(iter(self._memo))]

    # ---- bounds -------------------------------------------------------------------------------
    def _trim(self) -> None:
        while len(self._by_message) > self.max_messages:
            key = next(iter(self._by_message))
            self._texts.pop(key, None)
            for sid in self._by_message.pop(key):
                ref = self._signals.pop(sid, None)
                if ref is not None:
                    self._open.get(ref.source, {}).pop(sid, None)
        while len(self._update_targets) > self.max_messages:
            del self._update_targets[next(iter(self._update_targets))]
