"""The patterns of management instructions: move SL, breakeven, close (partial or all), TP or SL
hit, move TP, cancel; and of recaps, which look like instructions but report the past.

Each pattern runs on the normalised, lower-cased text, and only when the text holds one of its
gate words (a set test, before any regex). management.py turns the matches into actions.
"""

from __future__ import annotations

import re
from typing import Final

# These patterns use ASCII classes: a superscript or Arabic digit is no price and must never
# reach float().
_A = re.ASCII


def _num(name: str = "price") -> str:
    """A price (never a pip count, a percentage, leverage or R multiple) in group `name`."""
    return rf"(?P<{name}>\d+(?:\.\d+)?)(?!\s*+(?:pips?|points?|pts|%|x\b|r\b|\d))"


_SL = r"(?:sl|s/l|stop\s*+-?\s*+loss|stoploss|stops?)"
_TP = r"(?:tp|t/p|take\s*+-?\s*+profit|takeprofit|target|tgt)"
_TO_ENTRY = (
    r"(?:entry(?:\s*+(?:price|point|level))?|open(?:ing)?\s*+price|break\s*+-?\s*+even|breakeven|"
    r"b\s*+/\s*+e|b\.e\.?|be|cost|the\s*+entry|our\s*+entry|entries)"
)
_HIT = (
    r"(?:(?:is|was|has\s*+been|have\s*+been|got|just|already|successfully)\s*+)?"
    r"(?:hit|reached|done|achieved|smashed|touched|secured|booked|filled|taken|completed|"
    r"\u2713)"
)
_ORDINALS = r"(?P<ord>1st|2nd|3rd|[4-9]th|first|second|third|fourth|fifth|final|last)"

MGMT_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (
        "BREAKEVEN",
        re.compile(
            r"\b(?:(?:move|moved|moving|set|put|place|shift|bring|adjust|trail)\s*+"
            r"(?:your|the|our|all)?\s*+)?"
            + _SL
            + r"\s*+(?:(?:moved|now|is|set|placed|adjusted|goes)\s*+)?"
            r"(?:to|at|@|on|=|:|->)?\s*+" + _TO_ENTRY + r"(?![\w.])"
            r"|\b(?:move|moved|set|put)\s*+(?:it|them|trades?)?\s*+(?:to|at)\s*+"
            r"(?:be|b/e|breakeven|break\s*+even|entry)\b"
            r"|\b(?:breakeven|break\s*+-?\s*+even|b/e)\b(?!\s*+(?:above|below|higher|lower))"
            r"|\brisk\s*+-?\s*+free\b|\bno\s*+risk\s*+now\b|\bzero\s*+risk\b",
            _A,
        ),
    ),
    (
        "TP_HIT",
        re.compile(
            r"\ball\s*+(?P<all>targets?|tps?|take\s*+profits?)\s*+"
            r"(?:are\s*+|were\s*+|have\s*+been\s*+|got\s*+)?"
            r"(?:hit|reached|done|achieved|smashed|completed|secured|booked|\u2713)"
            r"|\b"
            + _ORDINALS
            + r"\s*+"
            + _TP
            + r"\s*+"
            + _HIT
            + r"(?:\s*+(?:at|@)\s*+"
            + _num("p1")
            + ")?"
            r"|\b" + _TP + r"\s*+#?\s*+(?P<idx>\d{1,2})?"
            r"(?P<more>(?:\s*+(?:,|&|and|\+|/)?\s*+(?:"
            + _TP
            + r")?\s*+#?\s*+\d{1,2}(?![\d.])){0,6}+)\s*+"
            + _HIT
            + r"(?:\s*+(?:at|@)\s*+"
            + _num("p2")
            + ")?"
            r"|\b"
            + _TP
            + r"\s*+[:@]?\s*+"
            + _num("p3")
            + r"\s*+"
            + _HIT
            + r"|\b(?:hit|reached|touched|smashed)\s*+(?:the\s*+|our\s*+)?(?:tp|target)\s*+#?\s*+"
            r"(?P<idx4>\d{1,2})(?![\d.])",
            _A,
        ),
    ),
    (
        "SL_HIT",
        re.compile(
            r"\b" + _SL + r"\s*+(?:was\s*+|got\s*+|has\s*+been\s*+|is\s*+|just\s*+)?"
            r"(?:hit|taken|triggered|reached|touched)\b(?:\s*+(?:at|@)\s*+" + _num("p1") + ")?"
            r"|\bstopped\s*+out\b(?:\s*+(?:at|@)\s*+" + _num("p2") + ")?"
            r"|\bhit\s*+(?:the\s*+|our\s*+|my\s*+)?(?:sl|stop\s*+loss|stop)\b",
            _A,
        ),
    ),
    (
        "MOVE_TP",
        re.compile(
            r"\b(?:move|moved|set|change|changed|adjust|update|updated|modify|extend|raise|lower)\s*+"
            r"(?:the\s*+|your\s*+)?" + _TP + r"\s*+#?\s*+(?P<idx>\d{1,2}(?![\d.]))?\s*+"
            r"(?:to|at|@|=|:|is|->)?\s*+(?:to\s*+)?"
            + _num("p1")
            + r"|\bnew\s*+"
            + _TP
            + r"\s*+#?\s*+(?P<idx2>\d{1,2}(?![\d.]))?\s*+(?:is|at|@|=|:|-|->)?\s*+"
            + _num("p2")
            + r"|\b"
            + _TP
            + r"\s*+#?\s*+(?P<idx3>\d{1,2}(?![\d.]))?\s*+"
            r"(?:moved|changed|updated|adjusted|now)\s*+(?:to|at|@|=|:|->)?\s*+" + _num("p3"),
            _A,
        ),
    ),
    (
        "MOVE_SL",
        re.compile(
            r"\b(?:move|moved|moving|set|put|place|shift|adjust|trail|trailing|change|update|"
            r"modify|raise|lower|tighten|bring)\s*+(?:the\s*+|your\s*+|our\s*+)?"
            + _SL
            + r"\s*+(?:to|at|@|=|:|now|->)?\s*+(?:to\s*+)?"
            + _num("p1")
            + r"|\bnew\s*+"
            + _SL
            + r"\s*+(?:is|at|@|=|:|-|->)?\s*+"
            + _num("p2")
            + r"|\b"
            + _SL
            + r"\s*+(?:moved|changed|updated|adjusted|now|->|to)\s*+(?:to|at|@|=|:)?\s*+"
            + _num("p3"),
            _A,
        ),
    ),
    (
        "CLOSE_PARTIAL",
        re.compile(
            r"\b(?:close|closed|closing|take|took|taking|secure|secured|book|booked|cut|reduce|"
            r"exit|lock|bank)\s*+(?:the\s*+|your\s*+|some\s*+|our\s*+|a\s*+)?"
            r"(?P<frac>half|\d{1,3}(?:\.\d+)?\s*+%|1\s*+/\s*+[234]|2\s*+/\s*+3|3\s*+/\s*+4|a\s*+third|"
            r"one\s*+third|a\s*+quarter|quarter|partials?(?:\s*+(?:profits?|position))?|"
            r"some\s*+profits?|part|some|profits?|first\s*+(?:entr(?:y|ies)|positions?|lots?|"
            r"layers?|orders?|trades?))(?![\w])"
            r"|\bpartial\s*+(?:close|closing|profits?|tp|exit)\b"
            r"(?:\s*+(?:of\s*+)?(?P<frac3>\d{1,3}(?:\.\d+)?\s*+%))?"
            r"|\b(?P<frac2>half)\s*+(?:close|off|closed)\b",
            _A,
        ),
    ),
    (
        "CLOSE_ALL",
        re.compile(
            r"(?:^|\n)\s*+(?:close|exit|closed)(?![\w'])(?!\s*+(?:to|above|below|under|over|at\s*+\d|"
            r"the\s*+(?:day|week|candle)|candle|price|is|was|of|on|in\b))"
            r"|\b(?:close|exit|closed|closing|exiting)\s*+(?:it|them|this|that|all|everything|now|"
            r"trade|trades|the\s*+trades?|position|positions|the\s*+positions?|at\s*+market|manually|"
            r"early|in\s*+profit|in\s*+loss|full|fully|remaining|rest|the\s*+rest|100\s*+%|asap|"
            r"immediately|our|your|my)(?![\w])"
            r"|\bget\s*+out\b|\bexit\s*+now\b|\b(?:we\s*+are|we're|i'm|i\s*+am|we\s*+got)\s*+out\b"
            r"|\bclosed\s*+(?:at|with|in|for\s*+a|manually|early|the)\b",
            _A,
        ),
    ),
    (
        "CANCEL",
        re.compile(
            r"\b(?:cancel|cancelled|canceled|cancelling|delete|deleted|remove|removed|void)\b"
            r"|\b(?:signal|setup|trade|order|entry|limit)\s*+(?:is\s*+|was\s*+|got\s*+)?"
            r"(?:invalid|invalidated)\b"
            r"|\b(?:ignore|skip)\s*+(?:this|that|the|previous|last)\s*+(?:signal|trade|setup|one|order)\b"
            r"|\bdo\s*+n[o']?t\s*+(?:enter|take\s*+(?:this|the)\s*+(?:trade|signal))\b",
            _A,
        ),
    ),
)
# A full close that means every open signal, not only the latest ('close all trades').
CLOSE_EVERYTHING_RE: Final = re.compile(
    r"\b(?:all\s*+(?:trades|positions|orders|signals|open\s*+trades|open\s*+positions)|everything)\b",
    _A,
)
# A pattern only runs when the text holds one of its gate words (a set test, before any regex).
MGMT_GATES: Final[dict[str, frozenset[str]]] = {
    "BREAKEVEN": frozenset(
        {"breakeven", "break", "be", "b", "risk", "riskfree", "cost", "entry", "entries", "even"}
    ),
    "TP_HIT": frozenset(
        {"hit", "reached", "done", "achieved", "smashed", "touched", "secured", "booked",
         "filled", "taken", "completed", "tp", "target", "targets", "tps"}
    ),
    "SL_HIT": frozenset({"hit", "taken", "triggered", "reached", "touched", "stopped"}),
    "MOVE_TP": frozenset({"tp", "t", "take", "takeprofit", "target", "tgt"}),
    "MOVE_SL": frozenset({"sl", "s", "stop", "stoploss", "stops"}),
    "CLOSE_PARTIAL": frozenset(
        {"close", "closed", "closing", "take", "took", "taking", "secure", "secured", "book",
         "booked", "cut", "reduce", "exit", "lock", "bank", "partial", "half"}
    ),
    "CLOSE_ALL": frozenset({"close", "closed", "closing", "exit", "exiting", "get", "out"}),
    "CANCEL": frozenset(
        {"cancel", "cancelled", "canceled", "cancelling", "delete", "deleted", "remove",
         "removed", "void", "invalid", "invalidated", "ignore", "skip", "enter", "don", "dont",
         "do"}
    ),
}  # fmt: skip
ANY_MGMT_WORD: Final = frozenset().union(*MGMT_GATES.values())
WORDS_RE: Final = re.compile(r"[a-z]+", _A)

# Upper-case BE on its own ('SL BE', 'BE now', 'BE ✓') is breakeven; lower-case 'be' is a verb.
UPPER_BE_RE: Final = re.compile(
    r"\bBE\b(?![\w'])(?!\s*+(?i:careful|ready|patient|safe|aware|sure|prepared|there|back|the|a|"
    r"an|in|on|with|like)\b)",
    _A,
)
# A reply that is only levels ('SL 1.0830', 'TP2 1.0950') moves them on the replied-to signal.
BARE_SL_RE: Final = re.compile(
    r"(?:^|\n)\s*+(?:sl|s/l|stop\s*+loss|stop)\s*+[:=@-]?\s*+" + _num(), _A
)
BARE_TP_RE: Final = re.compile(
    r"(?:^|\n)\s*+" + _TP + r"\s*+#?\s*+(?P<idx>\d{1,2}(?![\d.]))?\s*+[:=@-]?\s*+" + _num(), _A
)

# A recap of past trades, not an instruction (checked when a message holds management words).
RECAP_RE: Final = re.compile(
    r"\b(?:yesterday|last\s*+(?:week|month|night|trade)|this\s*+week|weekly|monthly|results?|"
    r"recap|summary|report|stats|statistics|performance|total|bought|sold|congrat\w*|"
    r"well\s*+done|review)\b",
    _A,
)
