"""The run summary as aligned plain-text tables, for a terminal or a log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from hive.topics import SIGNALS_RAW_DLQ
from hive_tools.report.summary import BotSummary, GroupStats, Summary

_NUMBER = re.compile(r"-|[-+]?[\d,]*\.?\d+%?")


def when(ms: int | None) -> str:
    """Event time as UTC minutes (what a reader compares with a chart)."""
    if ms is None:
        return "-"
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):  # a record with an absurd time: show it raw
        return f"{ms} ms"


def money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def pct(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.1f}%"


def num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> str:
    """Columns padded to their widest cell; text left-aligned, numbers right-aligned."""
    cells = [[str(c) for c in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    right = [all(_numeric(r[i]) for r in cells[1:]) and len(cells) > 1 for i in range(len(headers))]
    lines = []
    for r in cells:
        parts = [
            c.rjust(w) if ra else c.ljust(w) for c, w, ra in zip(r, widths, right, strict=True)
        ]
        lines.append(indent + "  ".join(parts).rstrip())
    return "\n".join(lines)


def _numeric(cell: str) -> bool:
    """A number, a percentage, "-", or "a / b" of those: right-aligned."""
    return all(_NUMBER.fullmatch(tok) for tok in cell.split() if tok != "/")


def breach_text(bot: BotSummary, first: int = 4) -> str:
    """The bot's breaches, the first few named (a bad year can breach on many days)."""
    if not bot.breaches:
        return "none"
    more = len(bot.breaches) - first
    return ", ".join(bot.breaches[:first]) + (f" (+{more} more)" if more > 0 else "")


def _share(count: int, total: int) -> str:
    return pct(count / total) if total else "-"


def group_rows(groups: Sequence[GroupStats]) -> list[list[object]]:
    return [
        [
            g.key,
            g.signals,
            g.taken,
            g.trades,
            g.wins,
            g.losses,
            pct(g.win_rate),
            money(g.pnl),
            num(g.avg_r),
        ]
        for g in groups
    ]


GROUP_HEADERS = ("signals", "taken", "trades", "wins", "losses", "win rate", "P&L", "avg R")


def format_summary(summary: Summary) -> str:
    """Every section of the summary, one aligned table each."""
    s = summary
    out: list[str] = []
    if s.period is None:
        out.append("Run: no records")
    else:
        out.append(f"Run: {when(s.period[0])} -> {when(s.period[1])} UTC (event time)")
    out.append("")
    out.append(f"Signals by outcome ({s.raw_messages} raw message(s))")
    out.append(
        table(
            ("outcome", "messages", "share"),
            [[k, v, _share(v, s.raw_messages)] for k, v in s.signals_by_outcome.items()],
        )
        if s.signals_by_outcome
        else "  (no raw messages)"
    )
    out.append(
        f"  -> {s.parsed_signals} signal(s) in {s.signal_revisions} revision(s), "
        f"{s.updates} update(s)"
    )
    other_dead = {k: v for k, v in s.dead_letters.items() if k[0] != SIGNALS_RAW_DLQ}
    if other_dead:
        out.append("")
        out.append("Dead letters after the parser")
        out.append(table(("topic", "reason", "records"), [[*k, v] for k, v in other_dead.items()]))
    out.append("")
    out.append(f"Decisions ({s.decisions}: {s.allowed} allowed, {s.denied} denied)")
    rows: list[list[object]] = [["allowed", "(all)", s.allowed, _share(s.allowed, s.decisions)]]
    rows += [["allowed", k, v, _share(v, s.decisions)] for k, v in s.allowed_reasons.items()]
    rows += [["denied", k, v, _share(v, s.decisions)] for k, v in s.denied_reasons.items()]
    out.append(table(("verdict", "reason", "decisions", "share"), rows) if s.decisions else "  -")
    out.append("")
    out.append("Bots (real trades only)")
    if s.bots:
        out.append(
            table(
                (
                    "bot",
                    "cell",
                    "rule set",
                    "trades",
                    "wins",
                    "losses",
                    "win rate",
                    "net P&L",
                    "balance",
                    "equity",
                    "ccy",
                ),
                [
                    [
                        b.bot_id,
                        b.cell_id,
                        b.rule_set,
                        b.trades,
                        b.wins,
                        b.losses,
                        pct(b.win_rate),
                        money(b.net_pnl),
                        money(b.final_balance),
                        money(b.final_equity),
                        b.currency,
                    ]
                    for b in s.bots
                ],
            )
        )
        out.append("")
        out.append(
            "Loss limits (hive.limits, from each bot's rule set; the limit at the worst moment)"
        )
        out.append(
            table(
                (
                    "bot",
                    "max daily loss / limit",
                    "used",
                    "max drawdown / limit",
                    "used",
                    "breaches",
                ),
                [
                    [
                        b.bot_id,
                        f"{money(b.max_daily_loss)} / {money(b.daily_loss_limit)}",
                        pct(b.daily_loss_used),
                        f"{money(b.max_drawdown)} / {money(b.drawdown_limit)}",
                        pct(b.drawdown_used),
                        breach_text(b),
                    ]
                    for b in s.bots
                ],
            )
        )
    else:
        out.append("  (no bot activity)")
    for title, groups in (("Sources", s.sources), ("Regimes", s.regimes)):
        out.append("")
        out.append(title)
        key = "source" if title == "Sources" else "regime"
        out.append(table((key, *GROUP_HEADERS), group_rows(groups)) if groups else "  -")
    out.append("")
    out.append(f"Breakers tripped ({len(s.breakers)})")
    counts = s.breaker_counts()
    out.append(
        table(
            ("scope", "cause", "fallback", "times", "first", "last"),
            [[sc, c, f, n, when(a), when(b)] for sc, c, f, n, a, b in counts],
        )
        if counts
        else "  none"
    )
    return "\n".join(out) + "\n"
