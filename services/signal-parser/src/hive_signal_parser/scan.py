"""Reading the signals of a free-text message: one pass over its tokens, left to right.

The scanner walks the tokens of the normalised text once with a little state (scan_state.py):
the signal being read (a Draft), and what the last label asked for (an entry, a stop, the
take-profits). Each token goes to the reader of what it is about:

- a word to its kind's reader: instrument and side (instrument_side.py), entries (entries.py),
  stops and targets (stops_targets.py), or remarks: annotations and commentary (remarks.py);
- a number where the current label says: an unlabelled number right after the side or symbol is
  the entry, bare numbers on the lines after a TP label are more take-profits, a number with a
  unit (pips, %, x, h) or inside a ratio or a time is an annotation and never a level;
- punctuation to the few marks that matter: parentheses, '+', '?', '@'.

A new symbol or side after levels starts the next signal of a multi-signal message.
"""

from __future__ import annotations

from collections.abc import Callable

from hive.instruments import InstrumentCatalogue
from hive_signal_parser import entries, instrument_side, remarks, stops_targets
from hive_signal_parser import tokens as k
from hive_signal_parser.entries import read_labelled, read_range
from hive_signal_parser.model import Scan
from hive_signal_parser.remarks import read_rare_number
from hive_signal_parser.scan_state import ENTRY, ENTRY2, SL, TP, ScanState
from hive_signal_parser.stops_targets import read_stop, read_target
from hive_signal_parser.symbols import symbol_index
from hive_signal_parser.tokens import (
    ADJUSTED,
    AFTER_NUMBER_RARE,
    GLUED,
    KIND,
    NOT_GLUED,
    resolve_kind,
)

_Reader = Callable[[ScanState, int, str, "int | None"], int]

# what reads a word of each kind; 0: no keyword (an instrument, or nothing)
_READERS: dict[int, _Reader] = {
    0: instrument_side.read_name,
    k.K_DIR: instrument_side.read_side,
    k.K_SL: stops_targets.read_stop_label,
    k.K_TP: stops_targets.read_target_label,
    k.K_OPEN: stops_targets.read_open_word,
    k.K_ENTRY: entries.read_entry_label,
    k.K_MARKET: entries.read_market_word,
    k.K_LIMIT: entries.read_limit_word,
    k.K_SOFT: entries.read_soft_word,
    k.K_QTY: remarks.read_quantity,
    k.K_RATIO: remarks.read_ratio,
    k.K_HEADER: remarks.read_header,
    k.K_LINESKIP: remarks.read_line_skip,
    k.K_NEG: remarks.read_negation,
    k.K_CUE: remarks.read_cue,
    k.K_IF: remarks.read_if,
    k.K_EXPIRY: remarks.read_expiry_word,
}


def scan_text(norm: str, catalogue: InstrumentCatalogue, low: str | None = None) -> Scan:
    """Read the signals of a normalised message (see the module doc); `low` = norm.lower()."""
    if low is None or len(low) != len(norm):
        low = norm.lower()
    st = ScanState(norm, low, symbol_index(catalogue))
    toks = st.toks
    n = st.n
    starts = st.idx.starts
    attached = st.idx.attached
    i = 0
    # the word dispatch stays in the loop: a call per token is most of the scanner's time
    while i < n:
        t = toks[i]
        c = t[0]
        if "0" <= c <= "9":
            i = _read_number(st, i)
        elif c == "\n":
            st.new_line()
            i += 1
        elif c.isalpha():
            st.line_start = False
            if st.negate:
                st.negate -= 1
            kind = KIND.get(t, 0)
            glued: int | None = None
            if kind == 0:
                if t[-1].isdigit():
                    kind, glued = GLUED.get(t, NOT_GLUED)
                elif t not in starts and not (len(t) >= 5 and t.endswith(attached)):
                    i = instrument_side.read_plain_word(st, i, t)  # most words: nothing to read
                    continue
            elif kind in ADJUSTED:
                kind, glued = resolve_kind(toks, i, t, kind)
            i = _READERS[kind](st, i, t, glued)
        else:
            if t in _MARKS:  # the rest is decoration between labels and levels
                _read_mark(st, i)
            i += 1
    st.scan.numbers = st.numbers
    return st.scan


def _read_number(st: ScanState, i: int) -> int:  # noqa: PLR0911 - one return per reader
    toks = st.toks
    t = toks[i]
    nxt = toks[i + 1] if i + 1 < st.n else ""
    first_on_line = st.line_start
    if nxt in AFTER_NUMBER_RARE or st.plus or st.skip_line or st.skip_numbers or st.paren:
        i, level = read_rare_number(st, i, t, nxt)
        if level is None:
            return i
        t = level
    st.line_start = False
    st.numbers += 1
    d = st.cur
    if d is None:
        return i + 1
    value = float(t)
    ctx = st.ctx
    if ctx == SL:
        return read_stop(st, d, i, value)
    if ctx in (ENTRY, ENTRY2):
        return read_labelled(st, d, i, t, value)
    # a take-profit: after the TP label, on its line, or first on a line of the list
    if st.tp_mode and (ctx == TP or st.line == st.tp_line or first_on_line):
        return read_target(st, d, i, t, value)
    # the unlabelled entry: the first level after the side or the symbol
    if (
        not d.entries
        and d.stop_loss is None
        and not d.take_profits
        and not d.sl_label
        and not d.tp_label
        and (d.direction is not None or d.symbol is not None)
    ):
        return read_range(toks, i, t, value, d)
    if d.direction is not None or d.has_levels():
        d.note("EXTRA_NUMBER_IGNORED", 10)
    return i + 1


_MARKS = frozenset({"(", ")", "+", "?", "@"})


def _read_mark(st: ScanState, i: int) -> None:
    t = st.toks[i]
    if t == "(":
        st.paren += 1
    elif t == ")":
        st.paren = max(0, st.paren - 1)
    elif t == "+":
        st.plus = i + 1 < st.n and k.is_number(st.toks[i + 1])
    elif t == "?":
        remarks.read_question_mark(st)
    elif t == "@":
        entries.read_at_sign(st)
