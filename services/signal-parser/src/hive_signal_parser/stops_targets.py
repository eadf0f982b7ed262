"""Reading a signal's stop-loss and take-profits: 'SL 1.0820', 'TP1 1.09 TP2 1.10', 'Targets: ...'.

An SL label ('SL', 'S/L', 'stop loss', 'invalidation') asks for one number; a TP label ('TP',
'TP2', 'take profit', 'Targets:') opens a take-profit list: the numbers on its line and bare
numbers on the lines after it are more targets, a short form ('1.0900-50') is read against the
previous target. 'SL open' / 'TP: none' say there is none on purpose; 'SL 30 pips' right after
the label is a distance, turned into a price once the entry is known.
"""

from __future__ import annotations

from hive_signal_parser import grammar as g
from hive_signal_parser.entries import expand_short
from hive_signal_parser.model import Draft
from hive_signal_parser.scan_state import NONE, SL, TP, ScanState
from hive_signal_parser.tokens import LABEL_TAIL, is_int, is_number, label_index, skip_label_tail


def read_stop_label(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'SL', 'S/L', 'stop loss', 'stop-loss', 'stop level': the next number is the stop."""
    toks, n = st.toks, st.n
    d = st.cur or st.new_draft()
    d.sl_label = True
    st.tp_mode = False
    st.ctx = SL
    j = i + 1
    nxt = toks[j] if j < n else ""
    if w == "s":
        j += 2
    elif w == "stop" and nxt in ("loss", "targets", "target", "level", "price"):
        j += 1
    elif w == "stop" and nxt == "-" and i + 2 < n and toks[i + 2] == "loss":
        j += 2
    if j < n and toks[j] in LABEL_TAIL:
        j = skip_label_tail(toks, j)
    if j < n and toks[j] in g.OPEN_WORDS:
        d.sl_open = True
        st.ctx = NONE
        j += 1
    elif j + 2 < n and toks[j] == "n" and toks[j + 1] == "/":
        d.sl_open = True  # 'SL: n/a'
        st.ctx = NONE
        j += 3
    st.prev_word = "sl"
    return j


def read_target_label(st: ScanState, i: int, w: str, glued: int | None) -> int:
    """'TP', 'TP2', 'TP #3', 'take profit', 'Targets:': opens the take-profit list."""
    toks, n = st.toks, st.n
    d = st.cur or st.new_draft()
    d.tp_label = True
    st.ctx = TP
    st.tp_mode = True
    st.tp_line = st.line
    if glued is not None and glued < 0:  # multi-token label, no index
        j = i - glued
        glued = None
    elif w == "t":
        j = i + 3
    else:
        j = i + 1
    tp_idx = glued
    if tp_idx is None and j < n and (toks[j] == "#" or is_int(toks[j])):
        tp_idx, j = label_index(toks, j)
    st.tp_idx = tp_idx
    if j < n and toks[j] in LABEL_TAIL:
        j = skip_label_tail(toks, j)
    if j < n and toks[j] in g.OPEN_WORDS:
        d.tp_open = True
        st.ctx = NONE
        j += 1
    st.prev_word = "tp"
    return j


def read_open_word(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'open', 'none', 'TBD' after an SL or TP label: no level, on purpose."""
    cur = st.cur
    if st.ctx == SL and cur is not None and cur.stop_loss is None:
        cur.sl_open = True
        st.ctx = NONE
    elif st.tp_mode and st.line == st.tp_line and cur is not None:
        cur.tp_open = True
        st.ctx = NONE
    st.prev_word = w
    return i + 1


def read_distance(st: ScanState, t: str) -> None:
    """'SL 30 pips' / 'TP 50 pips' right after the label: a distance from the entry."""
    cur = st.cur
    if st.ctx == SL and cur is not None and cur.stop_loss is None:
        cur.sl_pips = float(t)
        st.ctx = NONE
    elif st.ctx == TP and cur is not None:
        cur.tp_pips.append((st.tp_idx, float(t)))
        st.tp_idx = None
        st.ctx = NONE


def read_stop(st: ScanState, d: Draft, i: int, value: float) -> int:
    """A number after an SL label."""
    if d.stop_loss is None:
        d.stop_loss = value
    else:
        d.note("EXTRA_NUMBER_IGNORED", 10)
    st.ctx = NONE
    return i + 1


def read_target(st: ScanState, d: Draft, i: int, t: str, value: float) -> int:
    """A number in the take-profit list; '1.0900-50' is read against the previous target."""
    toks = st.toks
    text = t
    if i >= 2 and toks[i - 1] in ("-", "/", "~") and st.last_tp and is_number(toks[i - 2]):
        short = expand_short(st.last_tp, t)
        if short is not None:
            text = short
            value = float(short)
            d.note("SHORT_RANGE_EXPANDED", 5)
    d.take_profits.append((st.tp_idx, value))
    st.tp_idx = None
    st.last_tp = text
    st.ctx = NONE
    return i + 1
