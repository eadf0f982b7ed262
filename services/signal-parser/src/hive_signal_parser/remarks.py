"""Remarks: tokens that are never levels, and the words around a signal that change how it is read.

A number followed by a unit ('30 pips', '10x', '1%', '4h'), inside a ratio or a time ('1:3',
'16:00'), a list marker ('1)', '2.'), after '+' ('+40'), a quantity ('2 lots') or a header
('Signal #12'), on a skipped line ('Date: 12.05.2024') or in parentheses is an annotation: it
never becomes an entry, stop or target. Commentary cues ('might', 'if it breaks', '?'), negations
('don't buy') and expiry words are noted for the parser's decision; they never stop the scan.
"""

from __future__ import annotations

from hive_signal_parser import grammar as g
from hive_signal_parser.instrument_side import read_name
from hive_signal_parser.scan_state import ENTRY, SL, TP, ScanState
from hive_signal_parser.stops_targets import read_distance
from hive_signal_parser.text import shift_thousands
from hive_signal_parser.tokens import is_int, is_number


def read_rare_number(  # noqa: PLR0911 - one return per kind of annotation
    st: ScanState, i: int, t: str, nxt: str
) -> tuple[int, str | None]:
    """A number with something unusual around it (see the module doc): (next index, None) when
    it is an annotation, else (its index, its text) to be read as a level ('65k' -> '65000')."""
    toks, n = st.toks, st.n
    # list marker at the start of a line: '1) 65000', '2. 66000', '3- 67000'
    if st.line_start and len(t) <= 2 and nxt in (")", ".", ":", "-") and int(t) <= 20:
        return i + 2, None
    st.line_start = False
    if nxt in g.UNIT_WORDS or nxt in g.UNIT_PUNCT:
        # 'SL 30 pips' right after the label is a distance; '+40 pips' never is
        if nxt in g.PIP_UNITS and st.prev_word in ("sl", "tp") and toks[i - 1] != "+":
            read_distance(st, t)
            st.scan.annotations.add("PIPS_ANNOTATION_IGNORED")
        elif nxt in g.RATIO_WORDS or nxt == "r":
            st.scan.annotations.add("RR_ANNOTATION_IGNORED")
        st.plus = False
        return i + 2, None
    if nxt == "k" and i + 2 <= n:
        t = shift_thousands(t)
        i += 1
    if st.plus:
        st.plus = False
        return i + 1, None
    if st.skip_line:
        return i + 1, None
    if st.skip_numbers > 0:
        st.skip_numbers -= 1
        return i + 1, None
    # a ratio or a time (1:3, 16:00): never a level
    if nxt == ":" and i + 2 < n and is_number(toks[i + 2]):
        if i + 3 < n and toks[i + 3] == ":" and i + 4 < n and is_number(toks[i + 4]):
            return i + 5, None
        return i + 3, None
    if st.paren:
        ctx = st.ctx
        awaiting = ctx in (ENTRY, SL) or (ctx == TP and st.line == st.tp_line)
        if not awaiting:
            return i + 1, None
    return i, t


def read_quantity(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'lot', 'size', 'risk': the next number is a quantity."""
    st.skip_numbers = 1
    st.prev_word = w
    return i + 1


def read_ratio(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'RR 1:3', 'R:R 2': the next two numbers are a ratio."""
    st.skip_numbers = 2
    st.scan.annotations.add("RR_ANNOTATION_IGNORED")
    st.prev_word = "rr"
    return i + (3 if w == "r" else 1)


def read_header(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'Signal #12', 'Trade No. 5': the number is the post's, not a level."""
    toks, n = st.toks, st.n
    j = i + 1
    while j < n and toks[j] in ("#", ".", ":", "-", "\u2116"):
        j += 1
    st.prev_word = w
    return j + 1 if j < n and is_int(toks[j]) else i + 1


def read_line_skip(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'Date:', 'Time', 'TF': the rest of the line holds no level."""
    st.skip_line = True
    st.prev_word = w
    return i + 1


def read_negation(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'don't', 'never', 'no': a side within the next two words is negated."""
    st.negate = 2
    return read_name(st, i, w)


def read_cue(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """A word of commentary ('might', 'watching'): the first one is kept."""
    if st.scan.cue is None:
        st.scan.cue = w
    st.prev_word = w
    return i + 1


def read_if(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'if it breaks', 'if price holds': conditional language."""
    nxt = st.toks[i + 1] if i + 1 < st.n else ""
    if nxt in g.IF_FOLLOWERS and st.scan.cue is None:
        st.scan.cue = f"if {nxt}"
    return read_name(st, i, w)


def read_expiry_word(st: ScanState, i: int, w: str, _glued: int | None) -> int:
    """'valid until', 'expires': the message may say when the signal expires."""
    st.scan.expiry_hint = True
    return read_name(st, i, w)


def read_question_mark(st: ScanState) -> None:
    if st.scan.cue is None:
        st.scan.cue = "?"
