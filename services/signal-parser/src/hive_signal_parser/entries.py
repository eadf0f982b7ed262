"""Reading a signal's entry: market, limit or stop, one price or a range.

'BUY NOW', 'buy limit', 'sell stop', 'at market', 'current price' set the order type; an entry
label ('Entry:', 'EP1', 'zone', 'open price', '@') or a soft word ('at', 'around') asks for the
next number; the first unlabelled number after the side or the symbol is the entry too. A second
number behind '-', '/', '~', 'to' or 'and' makes a range, possibly written short ('4785-90');
a second entry label ('Entry 2: ...') extends a single entry into a range.
"""

from __future__ import annotations

from hive_signal_parser import grammar as g
from hive_signal_parser.model import Draft
from hive_signal_parser.scan_state import ENTRY, ENTRY2, NONE, ScanState
from hive_signal_parser.tokens import LABEL_TAIL, is_int, is_number, label_index, skip_label_tail

# after a side, these words introduce the entry ('buy zone 1.0850', 'sell from 1.0900')
_ENTRY_AFTER_SIDE = frozenset({"zone", "area", "range", "entry", "price", "from", "between"})


def expand_short(first: str, second: str) -> str | None:
    """'4785','90' -> '4790'; '1.0850','30' -> '1.0830'; None when `second` is a full number."""
    if "." in second or len(second) < 2:
        return None
    base = float(first)
    if base <= 0 or 0.5 <= float(second) / base <= 2.0:
        return None  # a full number of the same size ('2331.5 - 2334')
    digits = first.replace(".", "")
    if len(second) >= len(digits) or len(digits) - len(second) < 1:
        return None
    merged = digits[: len(digits) - len(second)] + second
    dot = first.find(".")
    if dot < 0:
        return merged
    return merged[:dot] + "." + merged[dot:]


def read_order_after_side(st: ScanState, d: Draft, i: int) -> int:
    """'buy limit' / 'sell stop' / 'buy now' / 'buy zone': token i follows the side word."""
    toks, n = st.toks, st.n
    nxt = toks[i] if i < n else ""
    if nxt in g.LIMIT_WORDS:
        d.order_type = "LIMIT"
        i += 1
    elif nxt == "stop" and not (i + 1 < n and toks[i + 1] in ("loss", "-")):
        d.order_type = "STOP"
        i += 1
    elif nxt in g.MARKET_WORDS:
        d.order_type = d.order_type or "MARKET"
        i += 1
    elif nxt in _ENTRY_AFTER_SIDE:
        st.ctx = ENTRY if not d.entries else NONE
        i += 1
    return i


def read_entry_label(st: ScanState, i: int, w: str, glued: int | None) -> int:
    """'Entry:', 'Entry 2:', 'EP1', 'open price': the next number is an entry."""
    toks, n = st.toks, st.n
    d = st.cur or st.new_draft()
    st.tp_mode = False
    if d.entries and not d.entry_labelled and d.stop_loss is None:
        # 'buy if 0.6600 holds: entry 0.6605' -> the labelled entry wins
        d.entries.clear()
        d.short_range = False
    if not d.entries:
        st.ctx = ENTRY
    elif w.rstrip("0123456789") in ("entry", "entries", "enter", "ep") and len(d.entries) == 1:
        st.ctx = ENTRY2
    j = i + (2 if w == "open" else 1)
    if glued is None and j < n and is_int(toks[j]):  # 'Entry 1: 1.0850'
        _, j = label_index(toks, j)
    st.prev_word = w
    return skip_label_tail(toks, j) if j < n and toks[j] in LABEL_TAIL else j


def read_market_word(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'now', 'market', 'current price': a market order unless a type was already given."""
    d = st.cur or st.new_draft()
    if d.order_type is None:
        d.order_type = "MARKET"
    st.prev_word = w
    return i + (2 if w == "current" else 1)


def read_limit_word(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'limit', 'pending': a limit order (a pending order may also say when it expires)."""
    if w == "pending":
        st.scan.expiry_hint = True
    cur = st.cur
    if cur is not None and (cur.order_type is None or cur.order_type == "MARKET"):
        cur.order_type = "LIMIT"
    st.prev_word = w
    return i + 1


def read_soft_word(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'at', 'around', 'between': the next number is the entry when none was read yet."""
    cur = st.cur
    if cur is not None and not cur.entries and st.ctx == NONE and not st.tp_mode:
        st.ctx = ENTRY
    st.prev_word = w
    return i + 1


def read_at_sign(st: ScanState) -> None:
    """'BUY EURUSD @ 1.0850'."""
    cur = st.cur
    if st.ctx == NONE and cur is not None and not cur.entries and not st.tp_mode:
        st.ctx = ENTRY


def read_labelled(st: ScanState, d: Draft, i: int, t: str, value: float) -> int:
    """A number after an entry label: the entry (with its range), or a second entry's price."""
    if st.ctx == ENTRY2:
        if len(d.entries) == 1:
            d.entries.append(value)
            d.note("MULTIPLE_ENTRIES_AS_RANGE", 5)
        st.ctx = NONE
        return i + 1
    i = read_range(st.toks, i, t, value, d)
    d.entry_labelled = True
    st.ctx = NONE
    return i


def read_range(toks: list[str], i: int, t: str, value: float, d: Draft) -> int:
    """An entry at token i, with a range end behind '-', '/', '~', 'to' or 'and'; next index."""
    n = len(toks)
    d.entries.append(value)
    j = i + 1
    if j + 1 < n and toks[j] in g.RANGE_SEPS and is_number(toks[j + 1]):
        second = toks[j + 1]
        after = toks[j + 2] if j + 2 < n else ""
        if after in g.UNIT_WORDS or after in g.UNIT_PUNCT or after == ":":
            return j
        short = expand_short(t, second)
        if short is not None:
            d.entries.append(float(short))
            d.short_range = True
        else:
            d.entries.append(float(second))
        return j + 2
    return j
