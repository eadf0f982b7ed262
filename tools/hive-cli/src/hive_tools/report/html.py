"""The run report: one self-contained HTML file (inline CSS and SVG charts, nothing fetched), so
it opens on a machine without internet access and can be archived or mailed as it is.

Charts are drawn with matplotlib (Agg-free: an SVG canvas on a bare Figure, no pyplot state) as
SVG text with real <text> elements, and each bot's equity is thinned to at most `max_points`
points, keeping each bucket's lowest and highest equity so drawdowns and limit touches survive.

Over 400 lines and kept whole: the page template and its chart helpers make one document.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from hive.limits import RuleSet, rule_set_or_constitution
from hive_tools.report.collect import RunData
from hive_tools.report.learning import day
from hive_tools.report.summary import (
    BotSummary,
    GroupStats,
    LimitPoint,
    Summary,
    bot_series,
    default_rule_sets,
    summarize,
)
from hive_tools.report.text import (
    GROUP_HEADERS,
    breach_text,
    group_rows,
    learning_counts,
    money,
    pct,
    rule_status,
    when,
)

MAX_POINTS = 2000
MAX_BREAKER_ROWS = 1000
_MIN_TS, _MAX_TS = 0, 253_402_300_799_000  # 1970 to the end of year 9999, epoch ms

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1180px;color:#1b1f24;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;
padding-bottom:4px}h3{font-size:15px;margin:18px 0 4px}
table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{padding:3px 10px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap}
th{background:#f6f8fa;font-weight:600}td.n,th.n{text-align:right}
.muted{color:#57606a}.bad{color:#b42318;font-weight:600}.ok{color:#1a7f37}
.bar{display:inline-block;height:10px;background:#0969da;vertical-align:middle;margin-right:6px}
.bar.deny{background:#cf222e}.chart svg{max-width:100%;height:auto}
.kv td{border:none;padding:1px 12px 1px 0}td:last-child{white-space:normal}
"""


def downsample(points: Sequence[LimitPoint], max_points: int = MAX_POINTS) -> list[LimitPoint]:
    """At most `max_points` points in time order: the first and last, and each bucket's
    lowest and highest equity."""
    if len(points) <= max_points:
        return list(points)
    buckets = max(1, (max_points - 2) // 2)
    size = (len(points) - 2) / buckets
    keep = {0, len(points) - 1}
    for b in range(buckets):
        lo, hi = 1 + int(b * size), 1 + int((b + 1) * size)
        if hi <= lo:
            continue
        chunk = range(lo, min(hi, len(points) - 1))
        keep.add(min(chunk, key=lambda i: points[i].equity))
        keep.add(max(chunk, key=lambda i: points[i].equity))
    return [points[i] for i in sorted(keep)]


def _svg(fig: Any, salt: str) -> str:
    """The figure as inline SVG text (no XML prolog), with ids unique to `salt`."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def equity_chart(bot: BotSummary, points: Sequence[LimitPoint]) -> str:
    """Equity and balance against the daily-loss and max-loss lines; below, the daily loss and
    the drawdown against their limits (both panels cross their line at the same moment)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    points = [p for p in points if _MIN_TS <= p.ts <= _MAX_TS]  # a datetime axis needs real times
    if not points:
        return '<p class="muted">No snapshot with a plottable time.</p>'
    times = [datetime.fromtimestamp(p.ts / 1000, UTC) for p in points]
    fig = Figure(figsize=(11, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    few = len(points) < 50  # a handful of snapshots: mark them, or a lone one is invisible
    step: Any = {"drawstyle": "steps-post", "linewidth": 1.1}
    # Snapshots are changes of state: every series holds its value until the next one.
    top.plot(times, [p.balance for p in points], color="#8c959f", label="balance", **step)
    top.plot(
        times,
        [p.equity for p in points],
        color="#0969da",
        label="equity",
        drawstyle="steps-post",
        linewidth=1.4,
        marker="o" if few else None,
        markersize=3,
    )
    top.plot(
        times,
        [p.daily_line for p in points],
        color="#d4a72c",
        linestyle="--",
        label=f"daily-loss line ({bot.daily_loss_rule or 'constitution'})",
        **step,
    )
    top.plot(
        times,
        [p.floor for p in points],
        color="#cf222e",
        linestyle="--",
        label=f"max-loss floor ({bot.drawdown_rule or 'constitution.max_drawdown'})",
        **step,
    )
    top.set_ylabel(bot.currency)
    top.set_title(f"{bot.bot_id}: equity against its limits ({bot.rule_set})", loc="left")
    top.legend(loc="best", fontsize=8)
    top.grid(alpha=0.3)
    bottom.fill_between(
        times,
        [p.drawdown for p in points],
        step="post",
        color="#0969da",
        alpha=0.25,
        label="drawdown from peak",
    )
    bottom.plot(times, [p.daily_loss for p in points], color="#9a6700", label="daily loss", **step)
    bottom.plot(
        times,
        [p.daily_limit for p in points],
        color="#d4a72c",
        linestyle="--",
        label="daily-loss limit",
        **step,
    )
    bottom.plot(
        times,
        [p.drawdown_limit for p in points],
        color="#cf222e",
        linestyle="--",
        label="drawdown to the floor",
        **step,
    )
    bottom.set_ylabel(f"loss ({bot.currency})")
    bottom.legend(loc="upper left", fontsize=8)
    bottom.grid(alpha=0.3)
    if times[0] == times[-1]:  # one moment: give the axis an hour either side
        bottom.set_xlim(times[0] - timedelta(hours=1), times[0] + timedelta(hours=1))
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    return _svg(fig, f"hive-report-{bot.bot_id}")


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[bool] = ()
) -> str:
    nums = list(numeric) or [False] * len(headers)
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if n else f"<th>{escape(h)}</th>"
        for h, n in zip(headers, nums, strict=True)
    )
    body = []
    for r in rows:
        cells = []
        for c, n in zip(r, nums, strict=True):
            text = c.html if isinstance(c, _Raw) else escape(str(c))
            cells.append(f'<td class="n">{text}</td>' if n else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Raw:
    """Cell content that is already HTML."""

    def __init__(self, html: str) -> None:
        self.html = html


def _bar(count: int, total: int, deny: bool = False) -> _Raw:
    width = round(160 * count / total) if total else 0
    cls = "bar deny" if deny else "bar"
    return _Raw(f'<span class="{cls}" style="width:{width}px"></span>{count}')


def _used(fraction: float | None) -> _Raw:
    if fraction is None:
        return _Raw("-")
    cls = "bad" if fraction >= 1 else ("muted" if fraction < 0.5 else "")
    return _Raw(f'<span class="{cls}">{escape(pct(fraction))}</span>')


def _bots_section(s: Summary, charts: Mapping[str, str]) -> str:
    if not s.bots:
        return '<h2>Bots</h2><p class="muted">No bot activity in this run.</p>'
    results = [
        [
            b.bot_id,
            b.cell_id,
            b.rule_set,
            b.currency,
            b.trades,
            b.wins,
            b.losses,
            pct(b.win_rate),
            money(b.net_pnl),
            money(b.initial_balance),
            money(b.final_balance),
            money(b.final_equity),
            b.shadow_trades,
        ]
        for b in s.bots
    ]
    limits = [
        [
            b.bot_id,
            money(b.max_daily_loss),
            money(b.daily_loss_limit),
            _used(b.daily_loss_used),
            b.daily_loss_rule or "-",
            money(b.max_drawdown),
            money(b.drawdown_limit),
            _used(b.drawdown_used),
            b.drawdown_rule or "-",
            _Raw(
                f'<span class="bad">{escape(breach_text(b))}</span>'
                if b.breaches
                else '<span class="ok">none</span>'
            ),
        ]
        for b in s.bots
    ]
    parts = [
        "<h2>Bots</h2>",
        _table(
            (
                "bot",
                "cell",
                "rule set",
                "ccy",
                "trades",
                "wins",
                "losses",
                "win rate",
                "net P&L",
                "initial",
                "balance",
                "equity",
                "shadow trades",
            ),
            results,
            [False] * 4 + [True] * 9,
        ),
        '<p class="muted">Real trades only: shadow and counterfactual trades never touch an '
        "account (their count is shown apart).</p>",
        "<h3>Loss limits</h3>",
        _table(
            (
                "bot",
                "max daily loss",
                "daily limit",
                "used",
                "daily rule",
                "max drawdown",
                "drawdown limit",
                "used",
                "floor rule",
                "breaches",
            ),
            limits,
            [False, True, True, True, False, True, True, True, False, False],
        ),
        '<p class="muted">The limits the executor\'s guard and the governor stop a bot at '
        "(hive.limits, from the bot's rule set in the registry; the constitution alone for a bot "
        "the registry does not know), each the one in force at the worst moment. Drawdown "
        "limit = peak equity - equity floor, so 100 % used is the floor reached.</p>",
    ]
    for b in s.bots:
        parts.append(f'<h3 id="bot-{escape(b.bot_id)}">{escape(b.bot_id)}</h3>')
        parts.append(
            '<table class="kv"><tr>'
            f"<td>rule set <b>{escape(b.rule_set)}</b></td>"
            f"<td>daily-loss limit <b>{money(b.daily_loss_limit)}</b> "
            f"({escape(b.daily_loss_rule or '-')})</td>"
            f"<td>drawdown limit <b>{money(b.drawdown_limit)}</b> "
            f"({escape(b.drawdown_rule or '-')})</td>"
            f"<td>shadow trades {b.shadow_trades}</td>"
            f"<td>decisions {b.decisions} ({b.allowed} allowed)</td></tr></table>"
        )
        chart = charts.get(b.bot_id)
        parts.append(
            f'<div class="chart">{chart}</div>'
            if chart
            else '<p class="muted">No account snapshots for this bot.</p>'
        )
    return "".join(parts)


def _signals_section(s: Summary) -> str:
    total = s.raw_messages
    rows = [
        [k, _bar(v, total, k.startswith("dead-letter")), pct(v / total) if total else "-"]
        for k, v in s.signals_by_outcome.items()
    ]
    out = [
        "<h2>Signals by outcome</h2>",
        f"<p>{total} raw message(s) &rarr; {s.parsed_signals} signal(s) in "
        f"{s.signal_revisions} revision(s), {s.updates} update(s).</p>",
        _table(("outcome", "messages", "share"), rows, (False, False, True))
        if rows
        else '<p class="muted">No raw messages.</p>',
    ]
    if s.dead_letters:
        out.append("<h3>Dead letters by topic and reason</h3>")
        out.append(
            _table(
                ("dead-letter topic", "reason", "records"),
                [[t, r, n] for (t, r), n in s.dead_letters.items()],
                (False, False, True),
            )
        )
    return "".join(out)


def _decisions_section(s: Summary) -> str:
    rows: list[list[object]] = [["allowed", "(all allowed)", _bar(s.allowed, s.decisions)]]
    rows += [["allowed", k, _bar(v, s.decisions)] for k, v in s.allowed_reasons.items()]
    rows += [["denied", k, _bar(v, s.decisions, deny=True)] for k, v in s.denied_reasons.items()]
    return (
        "<h2>Decisions by reason</h2>"
        f"<p>{s.decisions} decision(s): {s.allowed} allowed, {s.denied} denied. A denial "
        "counts once under each of its reason codes; codes on allowed decisions are "
        "informational.</p>"
        + (_table(("verdict", "reason", "decisions"), rows) if s.decisions else "")
    )


def _groups_section(title: str, key: str, groups: Sequence[GroupStats], note: str) -> str:
    if not groups:
        return f'<h2>{title}</h2><p class="muted">None.</p>'
    return f"<h2>{title}</h2><p class='muted'>{note}</p>" + _table(
        (key, *GROUP_HEADERS), group_rows(groups), (False, *[True] * 8)
    )


def _breakers_section(s: Summary) -> str:
    if not s.breakers:
        return "<h2>Breakers tripped</h2><p>None.</p>"
    counts = _table(
        ("scope", "cause", "fallback", "times", "first", "last"),
        [[sc, c, f, n, when(a), when(b)] for sc, c, f, n, a, b in s.breaker_counts()],
        (False, False, False, True, False, False),
    )
    rows = [
        [
            when(t.ts),
            t.scope,
            t.previous_state or "-",
            t.fallback_mode,
            t.cause,
            f"{t.failure_count}/{t.failure_threshold}",
            when(t.until),
        ]
        for t in s.breakers[:MAX_BREAKER_ROWS]
    ]
    more = len(s.breakers) - len(rows)
    return (
        f"<h2>Breakers tripped ({len(s.breakers)})</h2>"
        + counts
        + "<h3>Every trip</h3>"
        + _table(
            ("time", "scope", "from", "fallback", "cause", "failures", "left OPEN"),
            rows,
        )
        + (f'<p class="muted">{more} more not shown.</p>' if more > 0 else "")
    )


def _learning_section(s: Summary) -> str:
    learned = s.learning
    counts = "".join(f"<li>{escape(line)}</li>" for line in learning_counts(learned))
    out = ["<h2>What the hive taught itself</h2>", f"<ul>{counts}</ul>"]
    if learned.rules:
        out.append(
            "<h3>Rules</h3>"
            + _table(
                (
                    "rule",
                    "scope",
                    "status",
                    "when",
                    "action",
                    "evidence",
                    "proposed",
                    "deployed",
                    "rolled back",
                ),
                [
                    [
                        r.rule_id,
                        r.scope,
                        rule_status(r),
                        r.when,
                        r.action,
                        r.evidence,
                        day(r.proposed_at),
                        day(r.deployed_at),
                        day(r.rolled_back_at),
                    ]
                    for r in learned.rules
                ],
            )
        )
    if learned.in_force:
        out.append(
            "<h3>In force at the end (control.parameters)</h3>"
            + _table(
                ("scope", "name", "kind", "value"),
                [[p.scope, p.name, p.kind, p.value] for p in learned.in_force],
            )
        )
    return "".join(out)


def render_report(
    data: RunData,
    *,
    summary: Summary | None = None,
    rule_sets: Mapping[str, RuleSet] | None = None,
    max_points: int = MAX_POINTS,
    title: str = "Trading Hive run report",
) -> str:
    """The report's HTML text (write_report writes it to a file)."""
    sets = default_rule_sets() if rule_sets is None else rule_sets
    s = summary or summarize(data, sets)
    charts: dict[str, str] = {}
    for b in s.bots:
        definition = data.bots.get(b.bot_id, {})
        rs = rule_set_or_constitution(sets, definition.get("rule_set"))
        snaps = [r for r in data.snapshots if r.get("bot_id") == b.bot_id]
        points = downsample(bot_series(snaps, rs), max_points)
        if points:
            charts[b.bot_id] = equity_chart(b, points)
    period = (
        f"{when(s.period[0])} &rarr; {when(s.period[1])} UTC (event time)"
        if s.period
        else "no records"
    )
    counts = ", ".join(f"{escape(k)} {v}" for k, v in s.records.items())
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p><b>Period</b> {period}</p>",
        f'<p class="muted">Records read: {counts}. Generated '
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC.</p>",
        _bots_section(s, charts),
        _groups_section(
            "Sources",
            "source",
            s.sources,
            "Signals: distinct parsed signals; taken: signals at least one bot allowed for "
            "real; trades, win rate, P&L and average R of the real trades they led to.",
        ),
        _groups_section(
            "Regimes",
            "regime",
            s.regimes,
            "Signals by the regime they were scored in; trades by the regime in their "
            "features at entry.",
        ),
        _decisions_section(s),
        _signals_section(s),
        _breakers_section(s),
        _learning_section(s),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def write_report(
    data: RunData,
    path: Path,
    *,
    summary: Summary | None = None,
    rule_sets: Mapping[str, RuleSet] | None = None,
    max_points: int = MAX_POINTS,
) -> Path:
    """Write the HTML report of a run to `path` (parent folders created); returns the path."""
    text = render_report(data, summary=summary, rule_sets=rule_sets, max_points=max_points)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
