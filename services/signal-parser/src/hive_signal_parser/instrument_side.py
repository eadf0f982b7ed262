"""Reading the instrument and the side of a signal: 'EURUSD', 'gold', 'BUY', 'short'.

A side word starts the next signal when the current one already has levels, and marks a conflict
when it contradicts the current one ('BUY ... SELL' with nothing between). A symbol starts the next
signal when it differs from the current one or the current one has levels. A side after a negation
('don't buy') is kept but marked: the parser refuses it. Any other word passes through here too,
to be recognised as an instrument, or remembered as an unknown one (USDTRY).
"""

from __future__ import annotations

from hive_signal_parser import entries
from hive_signal_parser import grammar as g
from hive_signal_parser.scan_state import NONE, ScanState
from hive_signal_parser.symbols import match_symbol, unknown_pair


def read_side(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """A BUY/SELL word, and the order type or entry label that may follow it."""
    direction = g.DIRECTIONS[w]
    d = st.cur
    if d is None:
        d = st.new_draft()
    elif d.direction is not None:
        if d.has_levels():
            d = st.new_draft()
        elif d.direction != direction:
            d.conflict = True
    if d.direction is None:
        d.direction = direction
    if st.negate or st.prev_word in g.NEGATIONS:
        d.negated = True
    st.ctx = NONE
    st.tp_mode = False
    i = entries.read_order_after_side(st, d, i + 1)
    st.prev_word = w
    return i


def read_plain_word(st: ScanState, i: int, w: str) -> int:
    """A word with which no instrument name starts: remembered if it looks like an unknown one."""
    scan = st.scan
    if scan.unknown_symbol is None and (len(w) >= 6 or (i + 1 < st.n and st.toks[i + 1] == "/")):
        scan.unknown_symbol = unknown_pair(st.toks, i, w)
    st.prev_word = w
    return i + 1


def read_name(st: ScanState, i: int, w: str, _glued: int | None = None) -> int:
    """A word that is no label: an instrument (possibly over several tokens), or nothing."""
    idx = st.idx
    scan = st.scan
    toks = st.toks
    if w not in idx.starts and not (len(w) >= 5 and w.endswith(idx.attached)):
        return read_plain_word(st, i, w)
    inst, last = match_symbol(toks, i, w, idx, st.norm)
    if inst is None:
        if scan.unknown_symbol is None:
            scan.unknown_symbol = unknown_pair(toks, i, w)
        st.prev_word = w
        return i + 1
    if st.prev_word in g.CLOSE_WORDS:
        scan.close_symbol_pos.append((i, inst))
    if inst not in scan.symbols:
        scan.symbols.append(inst)
    cur = st.cur
    if cur is None or (cur.symbol is not None and (cur.symbol is not inst or cur.has_levels())):
        st.new_draft().symbol = inst
    elif cur.symbol is None:
        cur.symbol = inst
    st.ctx = NONE
    st.tp_mode = False
    st.prev_word = "symbol"
    return last + 1
