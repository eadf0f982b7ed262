"""What the scanner knows while it walks one message: the cursor's state, shared by the readers.

The scanner (scan.py) hands each token to a reader (instrument and side, entries, stops and
targets, remarks); a reader changes this state and returns the index of the next token to
read. The state is small: the signal being read (a Draft), what the last label asked for (the
context), where the take-profit list is, and the line-level switches set by annotations.
"""

from __future__ import annotations

from hive_signal_parser import grammar as g
from hive_signal_parser.model import Draft, Scan
from hive_signal_parser.symbols import SymbolIndex

# contexts: what the last label asked for
NONE, ENTRY, ENTRY2, SL, TP = 0, 1, 2, 3, 4


class ScanState:
    __slots__ = (
        "ctx",
        "cur",
        "idx",
        "last_tp",
        "line",
        "line_start",
        "n",
        "negate",
        "norm",
        "numbers",
        "paren",
        "plus",
        "prev_word",
        "scan",
        "skip_line",
        "skip_numbers",
        "toks",
        "tp_idx",
        "tp_line",
        "tp_mode",
    )

    def __init__(self, norm: str, low: str, idx: SymbolIndex) -> None:
        self.norm = norm  # case kept: two-letter aliases count only in upper case
        self.toks: list[str] = g.TOKEN_RE.findall(low)
        self.n = len(self.toks)
        self.idx = idx
        self.scan = Scan()
        self.cur: Draft | None = None  # the signal being read
        self.ctx = NONE
        self.tp_mode = False  # inside a take-profit list
        self.tp_line = -1  # the line of the last TP label
        self.tp_idx: int | None = None  # the index the last TP label gave ('TP2')
        self.last_tp = ""  # text of the previous take-profit, for short forms
        self.line = 0
        self.line_start = True
        self.paren = 0  # open parentheses on this line
        self.skip_numbers = 0  # numbers still to skip (after 'lot', 'RR')
        self.skip_line = False  # the rest of the line holds no level ('Date: ...')
        self.plus = False  # the next number follows a '+' ('+40 pips')
        self.negate = 0  # tokens left in which a direction is negated
        self.prev_word = ""
        self.numbers = 0  # price-like numbers seen

    def new_draft(self) -> Draft:
        """Start the next signal of the message."""
        d = self.cur = Draft()
        self.scan.drafts.append(d)
        return d

    def new_line(self) -> None:
        self.line += 1
        self.line_start = True
        self.paren = 0
        self.skip_numbers = 0
        self.skip_line = False
        self.plus = False
        if self.ctx == ENTRY2:
            self.ctx = NONE
