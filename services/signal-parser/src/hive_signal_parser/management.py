"""Reading management instructions: move SL, breakeven, close partial or all, TP/SL hit, move TP,
cancel.

The patterns (management_grammar.py) run in priority order and a later match may not overlap an
earlier one; a reply that is only levels ('SL 1.0830') moves them on the replied-to signal, and
'close EURUSD' closes that symbol's signal. The actions found here are not yet linked to a signal:
the parser links them (reply, explicit id, or the latest open signal).
"""

from __future__ import annotations

from hive_signal_parser import management_grammar as mg
from hive_signal_parser.model import Action, Scan


def might_manage(low: str) -> bool:
    """False when no management pattern can match (no gate word, no check mark): skip them all."""
    return not mg.ANY_MGMT_WORD.isdisjoint(mg.WORDS_RE.findall(low))


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

    words = set(mg.WORDS_RE.findall(low))
    gates = mg.MGMT_GATES
    for name, pattern in mg.MGMT_PATTERNS:
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
            if act.action == "CLOSE_ALL" and mg.CLOSE_EVERYTHING_RE.search(
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
        for m in mg.UPPER_BE_RE.finditer(norm):
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
        for m in mg.BARE_SL_RE.finditer(low):
            actions.append(Action("MOVE_SL", m.start(), price=float(m.group("price"))))
        for m in mg.BARE_TP_RE.finditer(low):
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
