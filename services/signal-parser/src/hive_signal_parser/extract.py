"""Reading free text: signals (token scanner), management instructions and expiry.

The scanner walks the tokens of the normalised text once, left to right, with a little state:
the signal being read (a Draft), and what the last label asked for (an entry, a stop, the
take-profits). A number goes where the current label says; an unlabelled number right after the
direction or symbol is the entry; bare numbers on the lines after a TP label are more
take-profits; a number followed by a unit (pips, %, x, h) or inside a ratio or a time is an
annotation and never a level. A new symbol or direction after levels starts the next signal of a
multi-signal message.
"""

from __future__ import annotations

from functools import lru_cache

from hive.instruments import Instrument, InstrumentCatalogue
from hive_signal_parser import grammar as g
from hive_signal_parser.model import Action, Draft, Scan
from hive_signal_parser.text import shift_thousands

# scanner contexts: what the last label asked for
_NONE, _ENTRY, _ENTRY2, _SL, _TP = 0, 1, 2, 3, 4

# word kinds (one dict lookup per word)
(
    _K_DIR,
    _K_SL,
    _K_STOP,
    _K_TP,
    _K_TAKE,
    _K_PROFIT,
    _K_SPLIT,
    _K_ENTRY,
    _K_OPEN,
    _K_MARKET,
    _K_CURRENT,
    _K_LIMIT,
    _K_SOFT,
    _K_QTY,
    _K_RATIO,
    _K_R,
    _K_HEADER,
    _K_LINESKIP,
    _K_NEG,
    _K_CUE,
    _K_IF,
    _K_EXPIRY,
) = range(1, 23)


def _kinds() -> dict[str, int]:
    kinds: dict[str, int] = {}
    # later groups only fill words not claimed by earlier ones (the order is the precedence)
    groups: list[tuple[int, frozenset[str] | set[str]]] = [
        (_K_DIR, set(g.DIRECTIONS)),
        (_K_SL, set(g.SL_WORDS)),
        (_K_STOP, {"stop"}),
        (_K_TP, set(g.TP_WORDS)),
        (_K_TAKE, {"take"}),
        (_K_PROFIT, {"profit"}),
        (_K_SPLIT, {"s", "t"}),
        (_K_OPEN, {"open"}),
        (_K_CURRENT, {"current"}),
        (_K_ENTRY, set(g.ENTRY_WORDS)),
        (_K_MARKET, set(g.MARKET_WORDS)),
        (_K_LIMIT, set(g.LIMIT_WORDS)),
        (_K_OPEN, set(g.OPEN_WORDS)),
        (_K_SOFT, set(g.SOFT_ENTRY_WORDS)),
        (_K_QTY, set(g.QUANTITY_WORDS)),
        (_K_RATIO, set(g.RATIO_WORDS)),
        (_K_R, {"r"}),
        (_K_HEADER, set(g.HEADER_WORDS)),
        (_K_LINESKIP, set(g.LINE_SKIP_WORDS)),
        (_K_NEG, set(g.NEGATIONS)),
        (_K_CUE, set(g.CUE_WORDS)),
        (_K_IF, {"if"}),
        (_K_EXPIRY, set(g.EXPIRY_WORDS)),
    ]
    for kind, words in groups:
        for word in words:
            kinds.setdefault(word, kind)
    return kinds


_KIND = _kinds()
_TP_GLUED = ("tp", "target", "tgt", "tg", "t", "takeprofit")
_ENTRY_GLUED = ("entry", "ep", "e")
_ENTRY_AFTER_DIRECTION = frozenset({"zone", "area", "range", "entry", "price", "from", "between"})


def _glued_forms() -> dict[str, tuple[int, int]]:
    forms: dict[str, tuple[int, int]] = {}
    for k in range(1, 21):
        for head in _TP_GLUED:
            forms[f"{head}{k}"] = (_K_TP, k)
        for head in _ENTRY_GLUED:
            forms[f"{head}{k}"] = (_K_ENTRY, k)
    return forms


# 'tp2' -> (TP, 2), 'entry1' -> (ENTRY, 1)
_GLUED = _glued_forms()
_NOT_GLUED = (0, None)
# after these a number needs the slow checks (annotation, list marker, ratio, 'k', range)
_AFTER_NUMBER_RARE = g.UNIT_WORDS | g.UNIT_PUNCT | {"k", ":", ")", ".", "-"}
# kinds whose meaning depends on the next tokens
_ADJUSTED = frozenset({_K_SPLIT, _K_STOP, _K_TAKE, _K_PROFIT, _K_OPEN, _K_CURRENT, _K_R})
_TAIL_START = g.LABEL_PUNCT | {
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


DAY_MS = 86_400_000
_UNIT_MS = {
    "h": 3_600_000,
    "hr": 3_600_000,
    "hrs": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "d": DAY_MS,
    "day": DAY_MS,
    "days": DAY_MS,
}


class SymbolIndex:
    """Lower-case alias lookup for the scanner, with the prefixes multi-token names pass through."""

    def __init__(self, catalogue: InstrumentCatalogue) -> None:
        self.catalogue = catalogue
        self.names: dict[str, Instrument] = {}
        self.prefixes: set[str] = set()
        for key, sym in catalogue.alias_index.items():
            low = key.lower()
            self.names[low] = catalogue.instruments[sym]
            for k in range(1, len(low)):
                self.prefixes.add(low[:k])
        self.suffixes = frozenset(catalogue.broker_suffixes)
        self.attached = tuple(catalogue.attached_suffixes)


@lru_cache(maxsize=8)
def symbol_index(catalogue: InstrumentCatalogue) -> SymbolIndex:
    return SymbolIndex(catalogue)


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


def _is_int(tok: str) -> bool:
    """An integer token (ASCII digits only: '²' is a digit to str.isdigit, not to float)."""
    return tok.isdigit() and tok.isascii()


def _is_number(tok: str) -> bool:
    return "0" <= tok[0] <= "9"


def _unknown_pair(toks: list[str], i: int, w: str) -> str | None:
    """An instrument-looking name that is not in the catalogue (USDTRY, PEPE/USDT), else None."""
    if not w.isalpha():
        return None
    n = len(w)
    if n == 6 and w[:3] in g.FX_CODES and w[3:] in g.FX_CODES:
        return w.upper()
    if 6 <= n <= 12 and w.endswith(("usdt", "usdc", "busd")):
        return w.upper()
    if 2 <= n <= 8 and i + 2 < len(toks) and toks[i + 1] == "/":
        quote = toks[i + 2]
        if quote in g.QUOTE_CODES or quote in g.FX_CODES:
            return f"{w}/{quote}".upper()
    return None


def _cased_token(text: str, toks: list[str], i: int) -> str:
    """Token i as written (case kept): `toks` are the tokens of text.lower()."""
    cased = g.TOKEN_RE.findall(text)
    return cased[i] if len(cased) == len(toks) else ""


def _match_symbol(
    toks: list[str], i: int, w: str, idx: SymbolIndex, text: str
) -> tuple[Instrument | None, int]:
    """The instrument named at token i (possibly over several tokens) and the last token used."""
    n = len(toks)
    best = idx.names.get(w)
    if best is not None and len(w) <= 2 and not _cased_token(text, toks, i).isupper():
        best = None  # two-letter aliases (EU, GU, NQ) only in upper case
    best_j = i
    if w in idx.prefixes:
        joined = w
        j = i + 1
        used = 1
        while used < 4 and j < n:
            t = toks[j]
            if t in ("/", "-", ".") and j + 1 < n:
                j += 1
                t = toks[j]
            if not (t[0].isalpha() or _is_int(t)):
                break
            joined += t
            used += 1
            found = idx.names.get(joined)
            if found is not None:
                best, best_j = found, j
            if joined not in idx.prefixes:
                break
            j += 1
    if best is None:
        if len(w) >= 5 and w.endswith(idx.attached):
            best = idx.catalogue.resolve(w)
        return best, i
    # broker suffix behind a separator or a trailing mark: EURUSD.m, XAUUSD-pro, GER40+
    j = best_j + 1
    if j + 1 < n and toks[j] in (".", "-") and toks[j + 1] in idx.suffixes:
        best_j = j + 1
    elif j < n and toks[j] in ("+", "!"):
        best_j = j
    return best, best_j


def scan_text(  # noqa: PLR0912, PLR0915 - one pass of a state machine, kept flat for speed
    norm: str, catalogue: InstrumentCatalogue, low: str | None = None
) -> Scan:
    """Read the signals of a normalised message (see the module doc); `low` = norm.lower()."""
    idx = symbol_index(catalogue)
    if low is None or len(low) != len(norm):
        low = norm.lower()
    toks = g.TOKEN_RE.findall(low)

    n = len(toks)
    scan = Scan()
    drafts = scan.drafts
    cur: Draft | None = None
    ctx = _NONE
    tp_mode = False
    tp_line = -1
    tp_idx: int | None = None
    last_tp = ""  # text of the previous take-profit, for short forms
    line = 0
    line_start = True
    paren = 0
    skip_numbers = 0
    skip_line = False
    plus = False
    negate = 0  # tokens left in which a direction is negated
    prev_word = ""
    numbers = 0

    i = 0
    while i < n:
        t = toks[i]
        c = t[0]
        if t == "\n":
            line += 1
            line_start = True
            paren = 0
            skip_numbers = 0
            skip_line = False
            plus = False
            if ctx == _ENTRY2:
                ctx = _NONE
            i += 1
            continue

        # ---- numbers ------------------------------------------------------------------------
        if "0" <= c <= "9":
            nxt = toks[i + 1] if i + 1 < n else ""
            nl = nxt
            first_on_line = line_start
            if nxt in _AFTER_NUMBER_RARE or plus or skip_line or skip_numbers or paren:
                # list marker at the start of a line: '1) 65000', '2. 66000', '3- 67000'
                if line_start and len(t) <= 2 and nxt in (")", ".", ":", "-") and int(t) <= 20:
                    i += 2
                    continue
                line_start = False
                if nl in g.UNIT_WORDS or nxt in g.UNIT_PUNCT:
                    # 'SL 30 pips' right after the label is a distance; '+40 pips' never is
                    if nl in g.PIP_UNITS and prev_word in ("sl", "tp") and toks[i - 1] != "+":
                        if ctx == _SL and cur is not None and cur.stop_loss is None:
                            cur.sl_pips = float(t)
                            ctx = _NONE
                        elif ctx == _TP and cur is not None:
                            cur.tp_pips.append((tp_idx, float(t)))
                            tp_idx = None
                            ctx = _NONE
                        scan.annotations.add("PIPS_ANNOTATION_IGNORED")
                    elif nl in g.RATIO_WORDS or nl == "r":
                        scan.annotations.add("RR_ANNOTATION_IGNORED")
                    i += 2
                    plus = False
                    continue
                if nl == "k" and i + 2 <= n:
                    t = shift_thousands(t)
                    i += 1
                if plus:
                    plus = False
                    i += 1
                    continue
                if skip_line:
                    i += 1
                    continue
                if skip_numbers > 0:
                    skip_numbers -= 1
                    i += 1
                    continue
                # a ratio or a time (1:3, 16:00): never a level
                if nxt == ":" and i + 2 < n and _is_number(toks[i + 2]):
                    if i + 3 < n and toks[i + 3] == ":" and i + 4 < n and _is_number(toks[i + 4]):
                        i += 5
                    else:
                        i += 3
                    continue
                awaiting = ctx in (_ENTRY, _SL) or (ctx == _TP and line == tp_line)
                if paren and not awaiting:
                    i += 1
                    continue
            line_start = False
            value = float(t)
            numbers += 1
            d = cur
            if ctx == _SL and d is not None:
                if d.stop_loss is None:
                    d.stop_loss = value
                else:
                    d.note("EXTRA_NUMBER_IGNORED", 10)
                ctx = _NONE
                i += 1
                continue
            if ctx in (_ENTRY, _ENTRY2) and d is not None:
                if ctx == _ENTRY2:
                    if len(d.entries) == 1:
                        d.entries.append(value)
                        d.note("MULTIPLE_ENTRIES_AS_RANGE", 5)
                    ctx = _NONE
                    i += 1
                    continue
                i = _read_entry(toks, i, t, value, d)
                d.entry_labelled = True
                ctx = _NONE
                continue
            if tp_mode and d is not None and (ctx == _TP or line == tp_line or first_on_line):
                text = t
                if (
                    i >= 2
                    and toks[i - 1] in ("-", "/", "~")
                    and last_tp
                    and _is_number(toks[i - 2])
                ):
                    short = expand_short(last_tp, t)
                    if short is not None:
                        text = short
                        value = float(short)
                        d.note("SHORT_RANGE_EXPANDED", 5)
                d.take_profits.append((tp_idx, value))
                tp_idx = None
                last_tp = text
                ctx = _NONE
                i += 1
                continue
            if (
                d is not None
                and not d.entries
                and d.stop_loss is None
                and not d.take_profits
                and not d.sl_label
                and not d.tp_label
                and (d.direction is not None or d.symbol is not None)
            ):
                i = _read_entry(toks, i, t, value, d)
                continue
            if d is not None and (d.direction is not None or d.has_levels()):
                d.note("EXTRA_NUMBER_IGNORED", 10)
            i += 1
            continue

        # ---- words --------------------------------------------------------------------------
        if c.isalpha():
            w = t
            line_start = False
            if negate:
                negate -= 1
            kind = _KIND.get(w, 0)
            glued: int | None = None
            if kind == 0:
                if w[-1].isdigit():
                    kind, glued = _GLUED.get(w, _NOT_GLUED)
                if kind == 0:
                    # fast path for words that are no keyword: a symbol, or nothing
                    inst = idx.names.get(w)
                    if (
                        inst is None
                        and w not in idx.prefixes
                        and not (len(w) >= 5 and w.endswith(idx.attached))
                    ):
                        if scan.unknown_symbol is None and (
                            len(w) >= 6 or (i + 1 < n and toks[i + 1] == "/")
                        ):
                            scan.unknown_symbol = _unknown_pair(toks, i, w)
                        prev_word = w
                        i += 1
                        continue
            if kind not in _ADJUSTED:
                pass
            elif kind == _K_SPLIT:  # s/l, t/p
                if i + 2 < n and toks[i + 1] == "/":
                    second = toks[i + 2]
                    if w == "s" and second == "l":
                        kind = _K_SL
                    elif w == "t" and second == "p":
                        kind = _K_TP
                    else:
                        kind = 0
                else:
                    kind = 0
            elif kind == _K_STOP:
                kind = 0 if i + 1 < n and toks[i + 1] == "order" else _K_SL
            elif kind == _K_TAKE:
                nxt = toks[i + 1] if i + 1 < n else ""
                if nxt in ("profit", "profits"):
                    kind, glued = _K_TP, -2
                elif nxt == "-" and i + 2 < n and toks[i + 2] == "profit":
                    kind, glued = _K_TP, -3
                else:
                    kind = 0
            elif kind == _K_PROFIT:
                nxt = toks[i + 1] if i + 1 < n else ""
                kind, glued = (_K_TP, -2) if nxt in ("target", "targets") else (0, None)
            elif kind == _K_OPEN:
                if i + 1 < n and toks[i + 1] == "price":
                    kind = _K_ENTRY
            elif kind == _K_CURRENT:
                kind = _K_MARKET if i + 1 < n and toks[i + 1] == "price" else 0
            elif kind == _K_R:
                kind = (
                    _K_RATIO
                    if i + 2 < n and toks[i + 1] in (":", "/") and toks[i + 2] == "r"
                    else 0
                )

            if kind == _K_DIR:
                direction = g.DIRECTIONS[w]
                if cur is None:
                    cur = Draft()
                    drafts.append(cur)
                elif cur.direction is not None:
                    if cur.has_levels():
                        cur = Draft()
                        drafts.append(cur)
                    elif cur.direction != direction:
                        cur.conflict = True
                d = cur
                if d.direction is None:
                    d.direction = direction
                if negate or prev_word in g.NEGATIONS:
                    d.negated = True
                ctx = _NONE
                tp_mode = False
                # buy limit / sell stop / buy now / buy zone
                nxt = toks[i + 1] if i + 1 < n else ""
                i += 1
                if nxt in g.LIMIT_WORDS:
                    d.order_type = "LIMIT"
                    i += 1
                elif nxt == "stop" and not (i + 1 < n and toks[i + 1] in ("loss", "-")):
                    d.order_type = "STOP"
                    i += 1
                elif nxt in g.MARKET_WORDS:
                    d.order_type = d.order_type or "MARKET"
                    i += 1
                elif nxt in _ENTRY_AFTER_DIRECTION:
                    ctx = _ENTRY if not d.entries else _NONE
                    i += 1
                prev_word = w
                continue

            if kind == _K_SL:
                if cur is None:
                    cur = Draft()
                    drafts.append(cur)
                d = cur
                d.sl_label = True
                tp_mode = False
                ctx = _SL
                j = i + 1
                nxt = toks[j] if j < n else ""
                if w == "s":
                    j += 2
                elif w == "stop" and nxt in ("loss", "targets", "target", "level", "price"):
                    j += 1
                elif w == "stop" and nxt == "-" and i + 2 < n and toks[i + 2] == "loss":
                    j += 2
                if j < n and toks[j] in _TAIL_START:
                    j = _skip_label_tail(toks, j)
                if j < n and toks[j] in g.OPEN_WORDS:
                    d.sl_open = True
                    ctx = _NONE
                    j += 1
                elif j + 2 < n and toks[j] == "n" and toks[j + 1] == "/":
                    d.sl_open = True  # 'SL: n/a'
                    ctx = _NONE
                    j += 3
                i = j
                prev_word = "sl"
                continue

            if kind == _K_TP:
                if cur is None:
                    cur = Draft()
                    drafts.append(cur)
                d = cur
                d.tp_label = True
                ctx = _TP
                tp_mode = True
                tp_line = line
                if glued is not None and glued < 0:  # multi-token label, no index
                    j = i - glued
                    glued = None
                elif w == "t":
                    j = i + 3
                else:
                    j = i + 1
                tp_idx = glued
                if tp_idx is None and j < n and (toks[j] == "#" or _is_int(toks[j])):
                    tp_idx, j = _tp_index(toks, j)
                if j < n and toks[j] in _TAIL_START:
                    j = _skip_label_tail(toks, j)
                if j < n and toks[j] in g.OPEN_WORDS:
                    d.tp_open = True
                    ctx = _NONE
                    j += 1
                i = j
                prev_word = "tp"
                continue

            if kind == _K_ENTRY:
                if cur is None:
                    cur = Draft()
                    drafts.append(cur)
                d = cur
                tp_mode = False
                if d.entries and not d.entry_labelled and d.stop_loss is None:
                    # 'buy if 0.6600 holds: entry 0.6605' -> the labelled entry wins
                    d.entries.clear()
                    d.short_range = False
                if not d.entries:
                    ctx = _ENTRY
                elif (
                    w.rstrip("0123456789") in ("entry", "entries", "enter", "ep")
                    and len(d.entries) == 1
                ):
                    ctx = _ENTRY2
                j = i + (2 if w == "open" else 1)
                if glued is None and j < n and _is_int(toks[j]):  # 'Entry 1: 1.0850'
                    _, j = _tp_index(toks, j)
                i = _skip_label_tail(toks, j) if j < n and toks[j] in _TAIL_START else j
                prev_word = w
                continue

            if kind == _K_MARKET:
                if cur is None:
                    cur = Draft()
                    drafts.append(cur)
                d = cur
                if d.order_type is None:
                    d.order_type = "MARKET"
                i += 2 if w == "current" else 1
                prev_word = w
                continue
            if kind == _K_LIMIT:
                if w == "pending":
                    scan.expiry_hint = True
                if cur is not None and (cur.order_type is None or cur.order_type == "MARKET"):
                    cur.order_type = "LIMIT"
                i += 1
                prev_word = w
                continue
            if kind == _K_OPEN:
                if ctx == _SL and cur is not None and cur.stop_loss is None:
                    cur.sl_open = True
                    ctx = _NONE
                elif tp_mode and line == tp_line and cur is not None:
                    cur.tp_open = True
                    ctx = _NONE
                i += 1
                prev_word = w
                continue
            if kind == _K_SOFT:
                if cur is not None and not cur.entries and ctx == _NONE and not tp_mode:
                    ctx = _ENTRY
                i += 1
                prev_word = w
                continue
            if kind == _K_QTY:
                skip_numbers = 1
                i += 1
                prev_word = w
                continue
            if kind == _K_RATIO:
                skip_numbers = 2
                scan.annotations.add("RR_ANNOTATION_IGNORED")
                i += 3 if w == "r" else 1
                prev_word = "rr"
                continue
            if kind == _K_HEADER:
                j = i + 1
                while j < n and toks[j] in ("#", ".", ":", "-", "\u2116"):
                    j += 1
                i = j + 1 if j < n and _is_int(toks[j]) else i + 1
                prev_word = w
                continue
            if kind == _K_LINESKIP:
                skip_line = True
                i += 1
                prev_word = w
                continue
            if kind >= _K_NEG:
                if kind == _K_NEG:
                    negate = 2
                elif kind == _K_CUE:
                    if scan.cue is None:
                        scan.cue = w
                    i += 1
                    prev_word = w
                    continue
                elif kind == _K_IF:
                    nxt = toks[i + 1] if i + 1 < n else ""
                    if nxt in g.IF_FOLLOWERS and scan.cue is None:
                        scan.cue = f"if {nxt}"
                else:
                    scan.expiry_hint = True

            inst, last = _match_symbol(toks, i, w, idx, norm)
            if inst is not None:
                if prev_word in g.CLOSE_WORDS:
                    scan.close_symbol_pos.append((i, inst))
                if inst not in scan.symbols:
                    scan.symbols.append(inst)
                if cur is None or (
                    cur.symbol is not None and (cur.symbol is not inst or cur.has_levels())
                ):
                    cur = Draft()
                    drafts.append(cur)
                    cur.symbol = inst
                elif cur.symbol is None:
                    cur.symbol = inst
                ctx = _NONE
                tp_mode = False
                i = last + 1
                prev_word = "symbol"
                continue
            if scan.unknown_symbol is None:
                scan.unknown_symbol = _unknown_pair(toks, i, w)
            prev_word = w
            i += 1
            continue

        # ---- punctuation --------------------------------------------------------------------
        if t == "(":
            paren += 1
        elif t == ")":
            paren = max(0, paren - 1)
        elif t == "+":
            plus = i + 1 < n and _is_number(toks[i + 1])
        elif t == "?" and scan.cue is None:
            scan.cue = "?"
        elif t == "@" and ctx == _NONE and cur is not None and not cur.entries and not tp_mode:
            ctx = _ENTRY
        i += 1
    scan.numbers = numbers
    return scan


def _tp_index(toks: list[str], j: int) -> tuple[int | None, int]:
    """An index written apart from its label ('TP 2: 1.09', 'TP #3 1.10'), and the next token."""
    n = len(toks)
    k = j
    if k < n and toks[k] == "#":
        k += 1
    if k < n and _is_int(toks[k]) and len(toks[k]) <= 2 and 1 <= int(toks[k]) <= 10:
        after = toks[k + 1] if k + 1 < n else ""
        if after in g.INDEX_FOLLOWERS or (after and _is_number(after)):
            return int(toks[k]), k + 1
    return None, j


def _skip_label_tail(toks: list[str], j: int) -> int:
    """The first token after a label's decoration (':', '-', 'price', 'zone', 'at'...)."""
    n = len(toks)
    while j < n and toks[j] in _TAIL_START:
        j += 1
    return j


def _read_entry(toks: list[str], i: int, t: str, value: float, d: Draft) -> int:
    """An entry at token i, with a range end behind '-', '/', '~', 'to' or 'and'; next index."""
    n = len(toks)
    d.entries.append(value)
    j = i + 1
    if j + 1 < n and toks[j] in g.RANGE_SEPS and _is_number(toks[j + 1]):
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


# ---- management ---------------------------------------------------------------------------------


def might_manage(low: str) -> bool:
    """False when no management pattern can match (no gate word, no check mark): skip them all."""
    return not g.ANY_MGMT_WORD.isdisjoint(g.WORDS_RE.findall(low))


_FRACTIONS = {
    "half": 0.5,
    "a third": 1 / 3,
    "one third": 1 / 3,
    "a quarter": 0.25,
    "quarter": 0.25,
}


def _fraction(text: str) -> tuple[float, bool]:
    """(fraction, guessed) for a partial-close object ('half', '30%', '1/3', 'partials')."""
    t = " ".join(text.split())
    if t in _FRACTIONS:
        return _FRACTIONS[t], False
    if t.endswith("%"):
        pct = float(t[:-1].strip())
        if 0 < pct <= 100:
            return pct / 100.0, False
        return 0.5, True
    if "/" in t:
        a, _, b = t.partition("/")
        try:
            num, den = int(a.strip()), int(b.strip())
        except ValueError:
            return 0.5, True
        if 0 < num < den:
            return num / den, False
    return 0.5, True


_ORDINAL_INDEX = {
    "1st": 1,
    "first": 1,
    "2nd": 2,
    "second": 2,
    "3rd": 3,
    "third": 3,
    "4th": 4,
    "fourth": 4,
    "5th": 5,
    "fifth": 5,
}


def _price(m_groups: dict[str, str | None]) -> float | None:
    for name in ("p1", "p2", "p3", "price"):
        v = m_groups.get(name)
        if v:
            return float(v)
    return None


def find_management(  # noqa: PLR0912 - one branch per kind of instruction
    low: str, norm: str, scan: Scan, is_reply: bool
) -> list[Action]:
    """The management instructions in a message, in text order (overlaps resolved by priority)."""
    spans: list[tuple[int, int]] = []
    actions: list[Action] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in spans)

    words = set(g.WORDS_RE.findall(low))
    gates = g.MGMT_GATES
    for name, pattern in g.MGMT_PATTERNS:
        if words.isdisjoint(gates[name]):
            continue
        for m in pattern.finditer(low):
            s, e = m.span()
            while s < e and low[s] in "\n ":
                s += 1
            if s >= e or not free(s, e):
                continue
            act = _action(name, m.groupdict(), s)
            if act is None:
                continue
            if act.action == "CLOSE_ALL" and g.CLOSE_EVERYTHING_RE.search(
                low, s, min(len(low), e + 20)
            ):
                act.all_signals = True
            more = m.groupdict().get("more") if act.action == "TP_HIT" else None
            if more:
                # 'TP1 and TP2 hit' -> one TP_HIT per index
                extra = [int(x) for x in _digits(more)]
                if act.tp_index is None:  # 'take-profit target 1 hit'
                    act.tp_index = extra.pop(0) if extra else None
                extra = [x for x in extra if 1 <= x <= 20]
                spans.append((s, e))
                actions.append(act)
                for k, extra_ix in enumerate(extra, start=1):
                    actions.append(Action("TP_HIT", s + k, price=None, tp_index=extra_ix))
                continue
            spans.append((s, e))
            actions.append(act)
    if "BE" in norm and not any(a.action == "BREAKEVEN" for a in actions):
        for m in g.UPPER_BE_RE.finditer(norm):
            s, e = m.span()
            if free(s, e):
                spans.append((s, e))
                actions.append(Action("BREAKEVEN", s))
                break
    for _, inst in scan.close_symbol_pos:
        # 'close EURUSD': a full close of that symbol's signal unless a partial close says more
        if not any(a.action in ("CLOSE_ALL", "CLOSE_PARTIAL") for a in actions):
            found = [p for p in (low.find("clos"), low.find("exit")) if p >= 0]
            actions.append(Action("CLOSE_ALL", min(found) if found else 0, symbol=inst))
        else:
            for a in actions:
                if a.action in ("CLOSE_ALL", "CLOSE_PARTIAL") and a.symbol is None:
                    a.symbol = inst
                    break
    if is_reply and not actions:
        for m in g.BARE_SL_RE.finditer(low):
            actions.append(Action("MOVE_SL", m.start(), price=float(m.group("price"))))
        for m in g.BARE_TP_RE.finditer(low):
            ix = m.group("idx")
            actions.append(
                Action(
                    "MOVE_TP",
                    m.start(),
                    price=float(m.group("price")),
                    tp_index=int(ix) if ix else None,
                    guessed=ix is None,
                )
            )
    actions.sort(key=lambda a: a.pos)
    return actions


def _digits(text: str) -> list[str]:
    out: list[str] = []
    cur = ""
    for ch in text:
        if "0" <= ch <= "9":
            cur += ch
        elif cur:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def _action(  # noqa: PLR0911 - one return per kind of instruction
    name: str, gd: dict[str, str | None], pos: int
) -> Action | None:
    price = _price(gd)
    if name == "TP_HIT":
        if gd.get("all"):
            return Action("TP_HIT", pos, all_tps=True)
        ordinal = gd.get("ord")
        if ordinal:
            if ordinal in ("final", "last"):
                return Action("TP_HIT", pos, price=price, all_tps=True)
            return Action("TP_HIT", pos, price=price, tp_index=_ORDINAL_INDEX.get(ordinal))
        ix = gd.get("idx") or gd.get("idx4")
        tp_index = int(ix) if ix else None
        if tp_index is not None and not 1 <= tp_index <= 20:
            return None
        return Action("TP_HIT", pos, price=price, tp_index=tp_index)
    if name == "MOVE_TP":
        ix = gd.get("idx") or gd.get("idx2") or gd.get("idx3")
        if price is None:
            return None
        return Action(
            "MOVE_TP", pos, price=price, tp_index=int(ix) if ix else None, guessed=ix is None
        )
    if name == "MOVE_SL":
        if price is None:
            return None
        return Action("MOVE_SL", pos, price=price)
    if name == "CLOSE_PARTIAL":
        obj = gd.get("frac") or gd.get("frac2") or gd.get("frac3") or "partial"
        frac, guessed = _fraction(obj)
        if frac >= 1.0:
            return Action("CLOSE_ALL", pos)
        return Action("CLOSE_PARTIAL", pos, fraction=frac, guessed=guessed)
    if name == "SL_HIT":
        return Action("SL_HIT", pos, price=price)
    return Action(name, pos)


# ---- expiry -------------------------------------------------------------------------------------


def find_expiry(low: str, posted_ms: int) -> tuple[int | None, str | None]:
    """(expires_at in epoch ms or None, warning or None) for the expiry written in a signal."""
    m = g.EXPIRY_REL_RE.search(low)
    if m is not None:
        amount = float(m.group("n"))
        unit = _UNIT_MS.get(m.group("unit"), 0)
        if amount > 0 and unit:
            return posted_ms + round(amount * unit), None
    m = g.EXPIRY_ABS_RE.search(low)
    if m is not None:
        hour = int(m.group("h"))
        minute = int(m.group("m") or 0)
        ampm = m.group("ampm") or m.group("ampm2")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour <= 23 and minute <= 59:
            offset_h = 0
            if m.group("sign") and m.group("off"):
                offset_h = int(m.group("off")) * (1 if m.group("sign") == "+" else -1)
            day = posted_ms - posted_ms % DAY_MS
            at = day + (hour * 60 + minute) * 60_000 - offset_h * 3_600_000
            while at <= posted_ms:
                at += DAY_MS
            warning = None if m.group("tz") else "EXPIRY_TZ_ASSUMED_UTC"
            return at, warning
    if g.EXPIRY_EOD_RE.search(low):
        return posted_ms - posted_ms % DAY_MS + DAY_MS, None
    return None, None
