"""The run summary as aligned plain-text tables, for a terminal or a log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from hive.topics import SIGNALS_RAW_DLQ
from hive_tools.report.learning import REFUSED_STATUS, Learning, RuleFate, day
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


RULES_SHOWN = 12  # the terminal lists this many rules; the HTML report and /v1/rules list all
PROMOTIONS_SHOWN = 5


def rule_status(r: RuleFate) -> str:
    return f"{r.status}: {r.refusal}" if r.status == REFUSED_STATUS and r.refusal else r.status


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _in_force_text(scope: str, name: str, kind: str, value: str) -> str:
    """A parameter with its value; a rule by its name (its JSON is in the table above)."""
    return f"{scope} {name}" if kind == "RULE" else f"{scope} {name} = {value}"


def learning_counts(learned: Learning) -> list[str]:
    """The section's sentences: rules, parameter changes, model promotions (or that there
    were none)."""
    s = learned
    out = []
    if s.rules:
        out.append(
            f"rules: {len(s.rules)} proposed, {s.rules_deployed} deployed, "
            f"{s.rules_refused} refused, {s.rules_rolled_back} rolled back "
            f"({s.rules_active} still active at the end)"
        )
    else:
        out.append("no rules were proposed")
    if s.parameter_changes or s.parameters_rolled_back:
        out.append(
            f"parameter changes: {s.parameters_applied} applied, {s.parameters_refused} "
            f"refused, {s.parameters_rolled_back} rolled back"
        )
    else:
        out.append("no parameter changes were proposed")
    if s.promotions:
        shown = ", ".join(
            f"{p.model_name} {p.version} on {day(p.ts)}" for p in s.promotions[:PROMOTIONS_SHOWN]
        )
        more = len(s.promotions) - PROMOTIONS_SHOWN
        tail = f", +{more} more" if more > 0 else ""
        out.append(f"model promotions: {len(s.promotions)} ({shown}{tail})")
    else:
        out.append("no model was promoted")
    return out


def learning_lines(learned: Learning) -> list[str]:
    """The "What the hive taught itself" section: counts, then the rules one a line."""
    s = learned
    out = ["What the hive taught itself", *(f"  {line}" for line in learning_counts(s))]
    if s.rules:
        out.extend(
            table(
                ("rule", "status", "when", "action", "evidence", "deployed", "rolled back"),
                [
                    [
                        r.rule_id,
                        rule_status(r),
                        r.when,
                        r.action,
                        r.evidence,
                        day(r.deployed_at),
                        day(r.rolled_back_at),
                    ]
                    for r in s.rules[:RULES_SHOWN]
                ],
            ).splitlines()
        )
        if len(s.rules) > RULES_SHOWN:
            out.append(f"  (+{_plural(len(s.rules) - RULES_SHOWN, 'more rule', 'more rules')})")
    if s.in_force:
        values = "; ".join(_in_force_text(p.scope, p.name, p.kind, p.value) for p in s.in_force)
        out.append(f"  in force at the end (control.parameters): {values}")
    return out


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
    out.append("")
    out.extend(learning_lines(s.learning))
    return "\n".join(out) + "\n"
