"""Instrument names in the token stream: the catalogue's aliases as the scanner looks them up.

A name may run over several tokens ('EUR/USD', 'US 30', 'S&P 500'), carry a broker suffix
('EURUSD.m', 'XAUUSD-pro', 'GER40+'), or be a two-letter alias that only counts in upper case
('EU', 'GU'). A name that looks like an instrument but is not in the catalogue (USDTRY, PEPE/USDT)
is kept apart, so a rejection can say which name it did not know.
"""

from __future__ import annotations

from functools import lru_cache

from hive.instruments import Instrument, InstrumentCatalogue
from hive_signal_parser import grammar as g
from hive_signal_parser.tokens import is_int


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
        # a word outside this set starts no instrument name (one set test for most words)
        self.starts = frozenset(self.names) | frozenset(self.prefixes)
        self.suffixes = frozenset(catalogue.broker_suffixes)
        self.attached = tuple(catalogue.attached_suffixes)


@lru_cache(maxsize=8)
def symbol_index(catalogue: InstrumentCatalogue) -> SymbolIndex:
    return SymbolIndex(catalogue)


def unknown_pair(toks: list[str], i: int, w: str) -> str | None:
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


def match_symbol(
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
            if not (t[0].isalpha() or is_int(t)):
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
