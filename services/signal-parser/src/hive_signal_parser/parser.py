"""The signal parser: one raw message in, signals or updates or one reasoned rejection out.

    parser = SignalParser()
    result = parser.parse(raw)          # raw: a signals.raw record as a dict
    result.signals   # ParsedSignal records (signals_parsed.avsc), ready to serialise
    result.updates   # SignalUpdate records (signals_updates.avsc)
    result.rejection # Rejection(reason, detail) when the message gives neither

Pure Python, no I/O, no wall clock: the same messages in the same order give the same records.
The only state is what links updates to signals (see linking.py); the service restores it after a
restart by replaying the raw messages it had consumed.

Over 400 lines and kept whole: it is the decision tree (text or webhook; signals, updates or which
rejection) and the two record builders, and all of them read and write the one link book and
share the parser's version and confidence floor. Reading is elsewhere (scan.py and its readers,
management.py, webhook.py), and so are the record envelope (raw_meta.py) and draft completion
(finish.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hive.instruments import Instrument, InstrumentCatalogue, load_instruments
from hive_signal_parser.expiry import find_expiry
from hive_signal_parser.finish import finish_draft
from hive_signal_parser.linking import LinkBook, SignalRef
from hive_signal_parser.management import find_management, might_manage
from hive_signal_parser.management_grammar import RECAP_RE
from hive_signal_parser.model import Action, Draft, Scan
from hive_signal_parser.raw_meta import Meta, read_meta
from hive_signal_parser.scan import scan_text
from hive_signal_parser.text import MAX_TEXT_CHARS, normalise, prepare
from hive_signal_parser.validate import REASONS, Rejection, check_levels, validate_signal
from hive_signal_parser.webhook import read_webhook

__all__ = [
    "REASONS",
    "ParseResult",
    "Rejection",
    "SignalParser",
    "validate_signal",
]

DEFAULT_VERSION = "signal-parser 0.1.0"
_ALNUM = re.compile(r"[^\W_]")

# Confidence of an update's link, in hundredths.
_LINK_CONFIDENCE = {"EXPLICIT": 100, "REPLY": 95, "LATEST_OPEN_SYMBOL": 90, "LATEST_OPEN": 80}


@dataclass
class ParseResult:
    signals: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    rejection: Rejection | None = None

    @property
    def ok(self) -> bool:
        return self.rejection is None


def _reject(reason: str, detail: str) -> ParseResult:
    return ParseResult(rejection=Rejection(reason, detail))


class SignalParser:
    def __init__(
        self,
        instruments: InstrumentCatalogue | None = None,
        *,
        min_confidence: float = 0.6,
        version: str = DEFAULT_VERSION,
    ) -> None:
        self.catalogue = instruments if instruments is not None else load_instruments()
        self.min_confidence = min_confidence
        self._min_conf = round(min_confidence * 100)
        self.version = f"{version} / instruments {self.catalogue.version}"
        self.book = LinkBook()

    # ---- public API -------------------------------------------------------------------------------
    def parse(self, raw: Mapping[str, Any]) -> ParseResult:
        """Read one signals.raw record (timestamps as epoch ms or datetimes). Never raises."""
        try:
            return self._parse(raw)
        except Exception as exc:  # a bug must not stop the service: the record goes to the DLQ
            return _reject("internal_error", f"{type(exc).__name__}: {exc}")

    # ---- dispatch ---------------------------------------------------------------------------------
    def _parse(self, raw: Mapping[str, Any]) -> ParseResult:
        meta = read_meta(raw)
        if isinstance(meta, Rejection):
            return ParseResult(rejection=meta)
        text = meta.text
        if len(text) > MAX_TEXT_CHARS:
            return _reject(
                "message_too_long", f"{len(text)} characters (the parser reads {MAX_TEXT_CHARS})"
            )
        done = self.book.memo_get(meta.source, meta.message_id, meta.revision, text)
        if done is not None:  # the same message revision again: the same records again
            return ParseResult(
                signals=[dict(s) for s in done[0]], updates=[dict(u) for u in done[1]]
            )
        stripped = text.strip()
        if not stripped:
            return _reject("empty_message", "the message has no text")
        if meta.content_type == "JSON" or (
            stripped[0] in "{[" and stripped[-1] in "}]" and _is_json(stripped)
        ):
            result = self._webhook(meta)
        else:
            result = self._text(meta)
        if result.updates:
            self.book.memo_put(
                source=meta.source,
                message_id=meta.message_id,
                revision=meta.revision,
                text=text,
                signals=result.signals,
                updates=result.updates,
            )
        return result

    def _text(self, meta: Meta) -> ParseResult:  # noqa: PLR0911, PLR0912 - the decision tree
        if _ALNUM.search(meta.text) is None:
            return _reject("empty_message", "nothing but decoration")
        src = prepare(meta.text)
        low = src.lower()
        if len(low) != len(src):
            src = low
        scan = scan_text(src, self.catalogue, low)
        drafts = []
        strong = False
        for d in scan.drafts:
            if d.direction:
                drafts.append(d)
                if d.entries or d.take_profits:
                    strong = True
            elif d.has_levels() or d.sl_label or d.tp_label or d.sl_pips:
                drafts.append(d)
        is_reply = meta.reply_to is not None
        if strong:
            previous = None
            if meta.revision > 0:
                previous = self.book.message_text(meta.source, meta.message_id)
            result = self._signals(meta, drafts, scan, text_mode=True)
            if previous is not None and result.rejection is None:
                # an edit that appends a status ('TP1 ✅', 'cancelled') to its own signal
                norm, low = _normalised(meta.text)
                added = self._edit_actions(low, norm, previous, scan)
                if added:
                    upd = self._updates(meta, added, scan)
                    if upd.rejection is None:
                        result.updates = upd.updates
            return result
        actions: list[Action] = []
        if scan.close_symbol_pos or might_manage(low):
            norm, low = _normalised(meta.text)
            actions = find_management(low, norm, scan, is_reply)
        if actions:
            if not is_reply and RECAP_RE.search(low):
                return _reject("not_a_signal", "a recap of past trades, not an instruction")
            return self._updates(meta, actions, scan)
        if any(d.direction for d in drafts) or any(
            d.entries and (d.stop_loss is not None or d.take_profits) for d in drafts
        ):
            return self._signals(meta, drafts, scan, text_mode=True)
        if scan.symbols and any((d.sl_label or d.tp_label) and d.has_levels() for d in drafts):
            return _reject("no_direction", "levels without BUY/SELL or an entry to tell it from")
        if scan.symbols or scan.numbers:
            return _reject(
                "not_a_signal", "mentions instruments or prices but gives no instruction"
            )
        return _reject("not_a_signal", "no trading instruction in the message")

    def _edit_actions(self, low: str, norm: str, previous: str, scan: Scan) -> list[Action]:
        """Management instructions an edit adds to its own signal message (EXPLICIT link)."""
        now = find_management(low, norm, scan, False)
        if not now:
            return []
        prev_norm = normalise(previous)
        prev_low = prev_norm.lower()
        before = find_management(
            prev_low, prev_norm, scan_text(prepare(previous), self.catalogue), False
        )
        seen = [_signature(a) for a in before]
        added: list[Action] = []
        for act in now:
            sig = _signature(act)
            if sig in seen:
                seen.remove(sig)
                continue
            act.explicit_signal = "self:"
            act.symbol = None
            added.append(act)
        return added

    def _webhook(self, meta: Meta) -> ParseResult:
        reading = read_webhook(meta.text, self.catalogue, meta.posted)
        if reading.rejection is not None:
            return ParseResult(rejection=reading.rejection)
        result = ParseResult()
        if reading.drafts:
            result = self._signals(
                meta, reading.drafts, Scan(), text_mode=False, expiries=reading.expires_at
            )
            if result.rejection is not None:
                return result
        if reading.actions:
            upd = self._updates(meta, reading.actions, Scan())
            if upd.rejection is not None:
                return upd
            result.updates = upd.updates
        if not result.signals and not result.updates:
            return _reject("not_a_signal", "the webhook holds no signal or instruction")
        return result

    # ---- signals --------------------------------------------------------------------------------
    def _signals(  # noqa: PLR0911, PLR0912 - every way a draft can fail, in order
        self,
        meta: Meta,
        drafts: list[Draft],
        scan: Scan,
        *,
        text_mode: bool,
        expiries: list[int | None] | None = None,
    ) -> ParseResult:
        candidates = [
            d
            for d in drafts
            if d.direction or (d.entries and (d.stop_loss is not None or d.take_profits))
        ]
        if not candidates:
            return _reject("not_a_signal", "no signal in the message")
        previous: Instrument | None = None
        commentary = scan.cue if text_mode else None
        for k, d in enumerate(candidates):
            if d.symbol is None:
                if previous is not None:
                    d.symbol = previous
                    d.note("SYMBOL_INHERITED", 5)
                elif len(scan.symbols) == 1:
                    d.symbol = scan.symbols[0]
                else:
                    named = scan.unknown_symbol
                    detail = (
                        f"{named} is not in the instrument catalogue"
                        if named
                        else "the message names no instrument from the catalogue"
                    )
                    return _reject("unknown_symbol", _which(k, candidates) + detail)
            previous = d.symbol
            if d.negated and text_mode:
                return _reject("not_a_signal", "the direction is negated ('don't buy')")
            if commentary is not None:
                complete = (
                    d.direction is not None
                    and (d.entries or d.order_type == "MARKET")
                    and d.stop_loss is not None
                    and d.take_profits
                )
                if not complete:
                    return _reject(
                        "not_a_signal", f"commentary ({commentary!r}) without a complete signal"
                    )
                d.note("CONDITIONAL_LANGUAGE", 15)
        expires_at: list[int | None]
        exp_warning = None
        if expiries is not None:
            expires_at = expiries
        else:
            exp = None
            if scan.expiry_hint:
                exp, exp_warning = find_expiry(_normalised(meta.text)[1], meta.posted)
            expires_at = [exp] * len(candidates)
        records: list[dict[str, Any]] = []
        refs: list[SignalRef] = []
        for k, d in enumerate(candidates):
            rejection = finish_draft(d, text_mode)
            if rejection is not None:
                return _reject(rejection.reason, _which(k, candidates) + rejection.detail)
            if exp_warning and expires_at[k] is not None:
                d.note(exp_warning)
            inst = d.symbol
            assert inst is not None
            tps = [v for _, v in d.take_profits]
            rejection = check_levels(
                inst,
                d.direction or "",
                d.order_type or "MARKET",
                entries=d.entries,
                stop_loss=d.stop_loss,
                take_profits=tps,
            )
            if rejection is not None:
                return _reject(rejection.reason, _which(k, candidates) + rejection.detail)
            confidence = max(0, 100 - d.penalty)
            if confidence < self._min_conf:
                return _reject(
                    "low_confidence",
                    _which(k, candidates)
                    + f"confidence {confidence / 100:.2f} < {self.min_confidence:.2f} "
                    f"({', '.join(d.warnings)})",
                )
            warnings = list(d.warnings)
            if scan.annotations:
                warnings.extend(sorted(a for a in scan.annotations if a not in warnings))
            records.append(
                self._signal_record(
                    meta=meta,
                    index=k,
                    d=d,
                    inst=inst,
                    tps=tps,
                    confidence=confidence,
                    expires_at=expires_at[k],
                    warnings=warnings,
                )
            )
            refs.append(
                SignalRef(
                    signal_id=records[-1]["signal_id"],
                    source=meta.source,
                    message_id=meta.message_id,
                    signal_index=k,
                    revision=meta.revision,
                    symbol=inst.symbol,
                    direction=d.direction or "",
                    entry=d.entries[0] if d.entries else None,
                    stop_loss=d.stop_loss,
                    take_profits=tuple(tps),
                    timestamp=meta.posted,
                    seq=0,
                )
            )
        self.book.add_refs(meta.source, meta.message_id, meta.revision, meta.text, refs)
        return ParseResult(signals=records)

    def _signal_record(
        self,
        *,
        meta: Meta,
        index: int,
        d: Draft,
        inst: Instrument,
        tps: list[float],
        confidence: int,
        expires_at: int | None,
        warnings: list[str],
    ) -> dict[str, Any]:
        sid = f"{meta.source}:{meta.message_id}:{index}"
        entry = d.entries[0] if d.entries else None
        low = high = None
        if len(d.entries) >= 2:
            low, high = min(d.entries), max(d.entries)
            if low == high:
                low = high = None
        return {
            "event_id": f"{sid}:r{meta.revision}",
            "ts_event": meta.ts_event,
            "ts_init": meta.ts_event,
            "signal_id": sid,
            "timestamp": meta.posted,
            "symbol": inst.symbol,
            "direction": d.direction,
            "entry": entry,
            "stop_loss": d.stop_loss,
            "take_profit": tps[0] if tps else None,
            "confidence": confidence / 100,
            "source": meta.source,
            "revision": meta.revision,
            "message_id": meta.message_id,
            "signal_index": index,
            "order_type": d.order_type or "MARKET",
            "entry_low": low,
            "entry_high": high,
            "take_profits": tps,
            "expires_at": expires_at,
            "raw_text": meta.text,
            "reply_to": meta.reply_to,
            "warnings": warnings,
            "parser_version": self.version,
        }

    # ---- updates --------------------------------------------------------------------------------
    def _updates(self, meta: Meta, actions: list[Action], scan: Scan) -> ParseResult:
        book = self.book
        records: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        for act in actions:
            targets, method = self._link(meta, act, scan)
            if not targets:
                what = act.action.lower()
                if act.explicit_signal:
                    why = f"names {act.explicit_signal.split(':', 1)[1]!r}, which is not a known signal"
                elif meta.reply_to is not None:
                    why = f"replies to message {meta.reply_to}, which holds no known signal"
                else:
                    named = act.symbol or (scan.symbols[0] if scan.symbols else None)
                    scope = f" and symbol {named.symbol}" if named else ""
                    why = f"no open signal of source {meta.source!r}{scope}"
                return _reject("unlinked_update", f"{what}: {why}")
            foreign = next((r for r in targets if r.source != meta.source), None)
            if foreign is not None:
                # Only an explicit id can name another source's signal; a source manages its
                # own signals only, or one channel could close or widen another's positions.
                return _reject(
                    "foreign_signal",
                    f"{act.action.lower()} on {foreign.signal_id}: the signal is source "
                    f"{foreign.source!r}'s, not {meta.source!r}'s",
                )
            for ref in targets:
                rec = self._update_record(meta, act, ref, method, len(records))
                if isinstance(rec, Rejection):
                    return ParseResult(rejection=rec)
                moves = rec["action"] in ("MOVE_SL", "MOVE_TP")
                key = (
                    rec["action"],
                    rec["target_signal_id"],
                    rec["price"] if moves else None,
                    rec["fraction"],
                    rec["tp_index"],
                )
                if key in seen:
                    continue
                seen.add(key)
                rec["update_index"] = len(records)
                rec["event_id"] = (
                    f"{meta.source}:{meta.message_id}:r{meta.revision}:u{rec['update_index']}"
                )
                records.append(rec)
        for rec in records:
            if rec["confidence"] * 100 < self._min_conf - 1e-9:
                return _reject(
                    "low_confidence",
                    f"{rec['action'].lower()} on {rec['target_signal_id']}: confidence "
                    f"{rec['confidence']:.2f} < {self.min_confidence:.2f}",
                )
        book.apply_updates(meta.source, meta.message_id, records)
        return ParseResult(updates=[dict(r) for r in records])

    def _link(  # noqa: PLR0911 - one return per way of linking
        self, meta: Meta, act: Action, scan: Scan
    ) -> tuple[list[SignalRef], str]:
        book = self.book
        named = [act.symbol] if act.symbol is not None else list(scan.symbols)
        names = {inst.symbol for inst in named}
        if act.explicit_signal is not None:
            kind, _, ident = act.explicit_signal.partition(":")
            if kind == "id":
                ref = book.get(ident)
                return ([ref] if ref is not None else []), "EXPLICIT"
            if kind == "self":
                return book.signals_of_message(meta.source, meta.message_id), "EXPLICIT"
            refs = book.signals_of_message(meta.source, ident)
            if names:
                refs = [r for r in refs if r.symbol in names]
            return refs, "EXPLICIT"
        if meta.reply_to is not None:
            refs = book.signals_of_message(meta.source, meta.reply_to)
            if refs and names:
                chosen = [r for r in refs if r.symbol in names]
                if chosen:
                    return chosen, "REPLY"
            elif refs:
                return refs, "REPLY"
            if not names:
                return [], "REPLY"
        elif meta.revision > 0 and book.is_signal_message(meta.source, meta.message_id):
            # the signal message itself was edited into an instruction ('❌ cancelled')
            return book.signals_of_message(meta.source, meta.message_id), "EXPLICIT"
        if act.all_signals:
            refs = book.open_signals(meta.source, names or None)
            return refs, "LATEST_OPEN_SYMBOL" if names else "LATEST_OPEN"
        if names:
            found = [book.latest_open(meta.source, s) for s in sorted(names, key=_order(named))]
            return [r for r in found if r is not None], "LATEST_OPEN_SYMBOL"
        ref = book.latest_open(meta.source, None)
        return ([ref] if ref is not None else []), "LATEST_OPEN"

    def _update_record(
        self, meta: Meta, act: Action, ref: SignalRef, method: str, index: int
    ) -> dict[str, Any] | Rejection:
        inst = self.catalogue.get(ref.symbol)
        price = act.price
        tp_index = act.tp_index
        confidence = _LINK_CONFIDENCE[method]
        if method == "EXPLICIT" and meta.content_type != "JSON":
            confidence = 95
        if act.guessed:
            confidence -= 10
        if act.action == "TP_HIT":
            if act.all_tps:
                tp_index = len(ref.take_profits) or None
            elif tp_index is None and price is not None:
                for k, tp in enumerate(ref.take_profits, start=1):
                    if abs(tp - price) <= 1e-9 * max(1.0, abs(tp)):
                        tp_index = k
                        break
            elif tp_index is None and len(ref.take_profits) == 1:
                tp_index = 1
        if act.action == "MOVE_TP" and tp_index is None:
            tp_index = 1
        if price is not None and inst is not None:
            rejection = _check_update_price(inst, ref, act.action, price)
            if rejection is not None:
                return rejection
        return {
            "event_id": "",
            "ts_event": meta.ts_event,
            "ts_init": meta.ts_event,
            "source": meta.source,
            "message_id": meta.message_id,
            "revision": meta.revision,
            "update_index": index,
            "action": act.action,
            "target_signal_id": ref.signal_id,
            "link_method": "LATEST_OPEN" if method.startswith("LATEST_OPEN") else method,
            "symbol": ref.symbol,
            "direction": ref.direction if ref.direction in ("BUY", "SELL") else None,
            "price": price if act.action in ("MOVE_SL", "MOVE_TP", "TP_HIT", "SL_HIT") else None,
            "fraction": act.fraction if act.action == "CLOSE_PARTIAL" else None,
            "tp_index": tp_index if act.action in ("TP_HIT", "MOVE_TP") else None,
            "confidence": max(0, confidence) / 100,
            "raw_text": meta.text,
            "reply_to": meta.reply_to,
            "parser_version": self.version,
        }


def _normalised(text: str) -> tuple[str, str]:
    """(normalised text, its lower case) with equal lengths, for the regular expressions."""
    norm = normalise(text)
    low = norm.lower()
    return (low, low) if len(low) != len(norm) else (norm, low)


def _signature(act: Action) -> tuple[Any, ...]:
    return (act.action, act.tp_index, act.fraction, act.price, act.all_tps)


def _order(named: list[Instrument]) -> Any:
    order = {inst.symbol: k for k, inst in enumerate(named)}
    return lambda s: order.get(s, len(order))


def _which(k: int, candidates: list[Draft]) -> str:
    return f"signal {k}: " if len(candidates) > 1 else ""


def _is_json(text: str) -> bool:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict | list)


def _check_update_price(
    inst: Instrument, ref: SignalRef, action: str, price: float
) -> Rejection | None:
    if not inst.in_range(price):
        return Rejection(
            "implausible_level",
            f"{inst.symbol}: {action.lower()} price {price:g} outside the plausible range "
            f"{inst.price_min:g}..{inst.price_max:g}",
        )
    anchor = ref.entry or ref.stop_loss or (ref.take_profits[0] if ref.take_profits else None)
    if anchor and abs(price - anchor) / anchor > inst.max_level_distance:
        return Rejection(
            "implausible_level",
            f"{inst.symbol}: {action.lower()} price {price:g} is implausibly far from the "
            f"signal's levels ({anchor:g})",
        )
    if action == "MOVE_SL" and ref.take_profits:
        # a stop beyond every target of the trade cannot be meant
        buy = ref.direction == "BUY"
        if (buy and price >= max(ref.take_profits)) or (not buy and price <= min(ref.take_profits)):
            return Rejection(
                "wrong_side_stop",
                f"{inst.symbol} {ref.direction}: new stop-loss {price:g} is beyond every take-profit",
            )
    return None
