"""The vocabulary of signal channels: the tokens and keyword tables the text scanner reads.

Everything here is built once at import. The signal grammar works on tokens (see scan.py): a word
is looked up in these tables, so adding a synonym is adding a string. Management instructions and
expiry are recognised with regular expressions instead (management_grammar.py, expiry.py), which
run on the normalised, lower-cased text.
"""

from __future__ import annotations

import re
from typing import Final

# ---- tokens ---------------------------------------------------------------------------------
# A word (letters first, digits, '&' and apostrophes allowed: us30, tp2, s&p500, don't), a
# number, a line break, or one of the punctuation marks the grammar uses. Everything else
# (emojis, arrows, markdown, quotes, '$', '*', '|') is decoration and yields no token.
TOKEN_RE: Final = re.compile(
    r"\n|[^\W\d_][^\W_]*(?:['\u2019&][^\W_]*)*|[0-9]+(?:\.[0-9]+)?|[-/:@().,+%~=?;!#&\u2116]"
)

# ---- words ----------------------------------------------------------------------------------
DIRECTIONS: Final = {
    "buy": "BUY",
    "long": "BUY",
    "buying": "BUY",
    "sell": "SELL",
    "short": "SELL",
    "selling": "SELL",
    "shorting": "SELL",
}
MARKET_WORDS: Final = frozenset(
    {"now", "market", "cmp", "instant", "immediately", "asap", "mkt", "instantly", "execution"}
)
LIMIT_WORDS: Final = frozenset({"limit", "pending"})
SL_WORDS: Final = frozenset({"sl", "stoploss", "invalidation", "sls"})
TP_WORDS: Final = frozenset(
    {"tp", "tps", "target", "targets", "tgt", "tgts", "takeprofit", "objective", "objectives"}
)
ENTRY_WORDS: Final = frozenset({"entry", "entries", "enter", "price", "zone", "area", "ep"})
# Words that introduce an entry only when no entry has been read yet.
SOFT_ENTRY_WORDS: Final = frozenset({"at", "around", "between", "from", "near"})
OPEN_WORDS: Final = frozenset(
    {"open", "none", "nil", "tbd", "tba", "na", "manual", "later", "free", "unlimited"}
)
# A number followed by one of these is an annotation (30 pips, 10x, 1%, 4h), never a level.
UNIT_WORDS: Final = frozenset(
    {
        "pips",
        "pip",
        "points",
        "point",
        "pts",
        "pt",
        "x",
        "lots",
        "lot",
        "h",
        "hr",
        "hrs",
        "hour",
        "hours",
        "min",
        "mins",
        "minute",
        "minutes",
        "m",
        "d",
        "day",
        "days",
        "w",
        "wk",
        "weeks",
        "r",
        "rr",
        "usd",
        "usdt",
        "dollars",
        "percent",
        "sec",
        "seconds",
        "ticks",
        "tick",
        "am",
        "pm",
        "utc",
        "gmt",
        "cents",
    }
)
PIP_UNITS: Final = frozenset({"pips", "pip", "points", "point", "pts", "pt"})
UNIT_PUNCT: Final = frozenset({"%"})
# After these the next number on the line is not a level (risk 1%, lot 0.01, leverage 20).
QUANTITY_WORDS: Final = frozenset(
    {
        "risk",
        "lot",
        "lots",
        "leverage",
        "lev",
        "volume",
        "size",
        "margin",
        "balance",
        "account",
        "capital",
        "position",
        "qty",
        "quantity",
        "amount",
        "cross",
        "isolated",
    }
)
RATIO_WORDS: Final = frozenset({"rr", "ratio", "reward", "rrr"})
# After these the number that follows is an id or a count, not a level (Signal #12, Trade no 4).
HEADER_WORDS: Final = frozenset(
    {
        "signal",
        "signals",
        "trade",
        "trades",
        "setup",
        "idea",
        "no",
        "id",
        "vip",
        "channel",
        "message",
        "msg",
        "post",
        "number",
        "nr",
        "part",
        "step",
        "layer",
        "wave",
        "version",
    }
)
# After these the rest of the line holds no level (Date: 12.05.2024, Time 14:30).
LINE_SKIP_WORDS: Final = frozenset({"date", "time", "posted", "updated", "timeframe", "tf"})
NEGATIONS: Final = frozenset({"not", "don't", "don\u2019t", "dont", "never", "avoid", "no"})
# Separators that make two numbers one entry range (take-profit lists take any separator).
RANGE_SEPS: Final = frozenset({"-", "/", "~", "to", "and", "&"})
LABEL_PUNCT: Final = frozenset({":", "-", "=", "@", ".", ")", "#", ",", "~", "/", "\u2713"})
INDEX_FOLLOWERS: Final = frozenset({":", ")", "-", "=", ".", "#", "\u2713"})

# Currency and coin codes, to tell an unknown pair (USDTRY, PEPE/USDT) from a word.
FX_CODES: Final = frozenset(
    [
        "usd",
        "eur",
        "gbp",
        "jpy",
        "chf",
        "cad",
        "aud",
        "nzd",
        "try",
        "zar",
        "mxn",
        "sek",
        "nok",
        "dkk",
        "pln",
        "huf",
        "czk",
        "sgd",
        "hkd",
        "cnh",
        "cny",
        "rub",
        "inr",
        "brl",
        "krw",
        "thb",
        "ils",
        "xau",
        "xag",
        "xpt",
        "xpd",
    ]
)
QUOTE_CODES: Final = frozenset({"usdt", "usdc", "busd", "usd", "eur", "btc", "eth"})
# Words that close a signal when a symbol follows them ('close EURUSD', 'exit gold').
CLOSE_WORDS: Final = frozenset({"close", "exit", "closing"})

# ---- commentary, recaps, conditional language ---------------------------------------------------
# Words of commentary and conditional language ('might', 'wait', 'if it...'): a message with one
# of them is a signal only when it is complete (direction, symbol, entry, SL and TP).
CUE_WORDS: Final = frozenset(
    {
        "might",
        "could",
        "would",
        "may",
        "maybe",
        "possible",
        "possibly",
        "potential",
        "potentially",
        "watch",
        "watching",
        "expect",
        "expecting",
        "expected",
        "analysis",
        "outlook",
        "bias",
        "opinion",
        "think",
        "thinking",
        "consider",
        "considering",
        "prefer",
        "likely",
        "unlikely",
        "careful",
        "confirmation",
        "forecast",
        "prediction",
        "wait",
        "waiting",
        "soon",
        "planning",
        "interested",
        "tomorrow",
        "looking",
        "looks",
        "tuned",
        "ready",
        "eye",
        "want",
    }
)
# 'if' is a cue when one of these follows it ('if it breaks', 'if price holds').
IF_FOLLOWERS: Final = frozenset({"it", "price", "we", "the", "this", "that", "gold", "there"})
# Words without which no expiry pattern can match (the expiry patterns run only after one).
EXPIRY_WORDS: Final = frozenset(
    {
        "valid",
        "until",
        "till",
        "til",
        "expires",
        "expire",
        "expiry",
        "expiration",
        "exp",
        "gtc",
        "good",
        "today",
        "eod",
        "intraday",
        "before",
        "cancel",
        "cancelled",
        "active",
        "pending",
        "end",
    }
)
