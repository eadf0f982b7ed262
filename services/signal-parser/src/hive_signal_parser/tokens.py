"""The scanner's token vocabulary: the kind of each keyword, and small tests on tokens.

A word is looked up once in `KIND` (one dict lookup per word); words whose meaning depends on the
next tokens ('stop' vs 'stop order', 'take profit', 's/l') are settled by `resolve_kind`. Glued
labels ('tp2', 'entry1') carry their index. The readers (entries, stops and targets, instrument
and side, remarks) share these, so they live here and not in any one of them.
"""

from __future__ import annotations

from hive_signal_parser import grammar as g

# word kinds
(
    K_DIR,
    K_SL,
    K_STOP,
    K_TP,
    K_TAKE,
    K_PROFIT,
    K_SPLIT,
    K_ENTRY,
    K_OPEN,
    K_MARKET,
    K_CURRENT,
    K_LIMIT,
    K_SOFT,
    K_QTY,
    K_RATIO,
    K_R,
    K_HEADER,
    K_LINESKIP,
    K_NEG,
    K_CUE,
    K_IF,
    K_EXPIRY,
) = range(1, 23)


def _kinds() -> dict[str, int]:
    kinds: dict[str, int] = {}
    # later groups only fill words not claimed by earlier ones (the order is the precedence)
    groups: list[tuple[int, frozenset[str] | set[str]]] = [
        (K_DIR, set(g.DIRECTIONS)),
        (K_SL, set(g.SL_WORDS)),
        (K_STOP, {"stop"}),
        (K_TP, set(g.TP_WORDS)),
        (K_TAKE, {"take"}),
        (K_PROFIT, {"profit"}),
        (K_SPLIT, {"s", "t"}),
        (K_OPEN, {"open"}),
        (K_CURRENT, {"current"}),
        (K_ENTRY, set(g.ENTRY_WORDS)),
        (K_MARKET, set(g.MARKET_WORDS)),
        (K_LIMIT, set(g.LIMIT_WORDS)),
        (K_OPEN, set(g.OPEN_WORDS)),
        (K_SOFT, set(g.SOFT_ENTRY_WORDS)),
        (K_QTY, set(g.QUANTITY_WORDS)),
        (K_RATIO, set(g.RATIO_WORDS)),
        (K_R, {"r"}),
        (K_HEADER, set(g.HEADER_WORDS)),
        (K_LINESKIP, set(g.LINE_SKIP_WORDS)),
        (K_NEG, set(g.NEGATIONS)),
        (K_CUE, set(g.CUE_WORDS)),
        (K_IF, {"if"}),
        (K_EXPIRY, set(g.EXPIRY_WORDS)),
    ]
    for kind, words in groups:
        for word in words:
            kinds.setdefault(word, kind)
    return kinds


KIND = _kinds()
_TP_GLUED = ("tp", "target", "tgt", "tg", "t", "takeprofit")
_ENTRY_GLUED = ("entry", "ep", "e")


def _glued_forms() -> dict[str, tuple[int, int]]:
    forms: dict[str, tuple[int, int]] = {}
    for k in range(1, 21):
        for head in _TP_GLUED:
            forms[f"{head}{k}"] = (K_TP, k)
        for head in _ENTRY_GLUED:
            forms[f"{head}{k}"] = (K_ENTRY, k)
    return forms


# 'tp2' -> (TP, 2), 'entry1' -> (ENTRY, 1)
GLUED = _glued_forms()
NOT_GLUED = (0, None)
# kinds whose meaning depends on the next tokens
ADJUSTED = frozenset({K_SPLIT, K_STOP, K_TAKE, K_PROFIT, K_OPEN, K_CURRENT, K_R})
# after these a number needs the slow checks (annotation, list marker, ratio, 'k', range)
AFTER_NUMBER_RARE = g.UNIT_WORDS | g.UNIT_PUNCT | {"k", ":", ")", ".", "-"}
# a label's decoration before its value ('SL at', 'Entry zone:', 'TP target price')
LABEL_TAIL = g.LABEL_PUNCT | {
    "target",
    "targets",
    "at",
    "price",
    "level",
    "is",
    "zone",
    "point",
    "area",
    "range",
    "loss",
    "profit",
    "profits",
    "around",
    "from",
    "between",
}


def resolve_kind(  # noqa: PLR0911 - one return per reading
    toks: list[str], i: int, w: str, kind: int
) -> tuple[int, int | None]:
    """The kind of an ADJUSTED word at token i from the tokens after it, and the glued index
    (-2 / -3: a label of that many tokens without an index, 'take profit', 'take - profit')."""
    n = len(toks)
    if kind == K_SPLIT:  # s/l, t/p
        if i + 2 < n and toks[i + 1] == "/":
            second = toks[i + 2]
            if w == "s" and second == "l":
                return K_SL, None
            if w == "t" and second == "p":
                return K_TP, None
        return 0, None
    if kind == K_STOP:
        return (0 if i + 1 < n and toks[i + 1] == "order" else K_SL), None
    if kind == K_TAKE:
        nxt = toks[i + 1] if i + 1 < n else ""
        if nxt in ("profit", "profits"):
            return K_TP, -2
        if nxt == "-" and i + 2 < n and toks[i + 2] == "profit":
            return K_TP, -3
        return 0, None
    if kind == K_PROFIT:
        nxt = toks[i + 1] if i + 1 < n else ""
        return (K_TP, -2) if nxt in ("target", "targets") else (0, None)
    if kind == K_OPEN:
        return (K_ENTRY if i + 1 < n and toks[i + 1] == "price" else K_OPEN), None
    if kind == K_CURRENT:
        return (K_MARKET if i + 1 < n and toks[i + 1] == "price" else 0), None
    # K_R: 'r:r', 'r/r'
    ratio = i + 2 < n and toks[i + 1] in (":", "/") and toks[i + 2] == "r"
    return (K_RATIO if ratio else 0), None


def is_int(tok: str) -> bool:
    """An integer token (ASCII digits only: '²' is a digit to str.isdigit, not to float)."""
    return tok.isdigit() and tok.isascii()


def is_number(tok: str) -> bool:
    return "0" <= tok[0] <= "9"


def skip_label_tail(toks: list[str], j: int) -> int:
    """The first token after a label's decoration (':', '-', 'price', 'zone', 'at'...)."""
    n = len(toks)
    while j < n and toks[j] in LABEL_TAIL:
        j += 1
    return j


def label_index(toks: list[str], j: int) -> tuple[int | None, int]:
    """An index written apart from its label ('TP 2: 1.09', 'TP #3 1.10'), and the next token."""
    n = len(toks)
    k = j
    if k < n and toks[k] == "#":
        k += 1
    if k < n and is_int(toks[k]) and len(toks[k]) <= 2 and 1 <= int(toks[k]) <= 10:
        after = toks[k + 1] if k + 1 < n else ""
        if after in g.INDEX_FOLLOWERS or (after and is_number(after)):
            return int(toks[k]), k + 1
    return None, j
