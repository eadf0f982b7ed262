"""The numbers of a run: what became of the signals, why orders were allowed or denied, how
each bot did against its loss limits, which sources and regimes paid, which breakers tripped.

Plain dataclasses computed from `RunData` alone, so the terminal summary, the HTML report and
tests all read the same numbers. Conventions:

- a trade counts for a bot only when it is not shadow (shadow and counterfactual trades never
  touch an account); wins have pnl > 0, losses pnl < 0 (a break-even trade is neither);
- a signal is *taken* when at least one bot's decision allowed it for real (not shadow);
- limits are `hive.limits`' (the numbers the executor's guard and the governor stop a bot at),
  from the bot's rule set in the registry; a bot the registry does not know gets the
  constitution alone. Per snapshot: daily loss = day_start_balance - equity against the day's
  limit; drawdown = peak - equity against peak - equity floor (so reaching 100 % of it is
  exactly reaching the floor), with peak = max(peak_equity, initial_balance, equity) as in the
  governor.

Over 400 lines and kept whole: every number comes from the same `RunData` under the conventions
above; the renderers are separate (text.py, html.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hive.limits import (
    RuleSet,
    RuleSetError,
    account_limits,
    breached,
    load_rule_sets,
    rule_set_or_constitution,
)
from hive.topics import (
    ACCOUNTS_SNAPSHOTS,
    AUDIT_EVENTS,
    CONTROL_BREAKERS,
    CONTROL_PARAMETERS,
    LEARNER_MODELS,
    ORDERS_DECISIONS,
    ORDERS_EXECUTIONS,
    ORDERS_INTENTS,
    SIGNALS_PARSED,
    SIGNALS_RAW,
    SIGNALS_SCORED,
    SIGNALS_UPDATES,
    TRADES_CLOSED,
)
from hive_tools.report.collect import RunData
from hive_tools.report.learning import Learning, learning

PARSED = "parsed"
UPDATE = "update"
PARSED_AND_UPDATE = "parsed+update"
NO_OUTPUT = "no output"
DEAD_LETTER = "dead-letter: "


@dataclass(frozen=True)
class GroupStats:
    """Signals, how many were taken, and the real trades of one source or regime."""

    key: str
    signals: int = 0
    taken: int = 0
    trades: int = 0
    wins: int = 0
    losses: int = 0
    pnl: float = 0.0
    avg_r: float | None = None

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades if self.trades else None


@dataclass(frozen=True)
class LimitPoint:
    """One account snapshot of a bot with its limits at that moment (a chart point)."""

    ts: int
    trading_day: str
    balance: float
    equity: float
    daily_loss: float
    daily_limit: float
    daily_line: float  # equity at which the daily loss limit is reached
    drawdown: float
    drawdown_limit: float  # peak - equity floor
    floor: float  # equity floor (max loss / drawdown hard stop)
    breach: str | None


@dataclass(frozen=True)
class BotSummary:
    bot_id: str
    cell_id: str
    rule_set: str
    currency: str
    decisions: int = 0
    allowed: int = 0
    trades: int = 0
    wins: int = 0
    losses: int = 0
    shadow_trades: int = 0
    net_pnl: float = 0.0
    initial_balance: float | None = None
    final_balance: float | None = None
    final_equity: float | None = None
    max_daily_loss: float = 0.0
    daily_loss_limit: float | None = None  # the limit at the snapshot of the largest daily loss
    daily_loss_rule: str | None = None
    max_drawdown: float = 0.0
    drawdown_limit: float | None = None  # peak - floor at the snapshot of the largest drawdown
    drawdown_rule: str | None = None
    breaches: tuple[str, ...] = ()  # "daily_loss 2017-03-02", "max_loss 2017-05-01"

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades if self.trades else None

    @property
    def daily_loss_used(self) -> float | None:
        """Largest daily loss as a fraction of its limit (1.0 = the limit was reached)."""
        return self.max_daily_loss / self.daily_loss_limit if self.daily_loss_limit else None

    @property
    def drawdown_used(self) -> float | None:
        return self.max_drawdown / self.drawdown_limit if self.drawdown_limit else None


@dataclass(frozen=True)
class BreakerTrip:
    """A scope's breaker record that put a fallback in force (state OPEN)."""

    ts: int
    scope_level: str
    scope_id: str
    previous_state: str | None
    fallback_mode: str
    cause: str
    failure_count: int
    failure_threshold: int
    until: int | None  # event time of the scope's next record that is not OPEN

    @property
    def scope(self) -> str:
        return f"{self.scope_level}:{self.scope_id}"


@dataclass(frozen=True)
class Summary:
    period: tuple[int, int] | None  # first and last event time of the run (epoch ms UTC)
    records: dict[str, int]  # records read per topic
    raw_messages: int
    signals_by_outcome: dict[str, int]  # raw messages per outcome, most frequent first
    parsed_signals: int  # distinct signal ids
    signal_revisions: int
    updates: int
    dead_letters: dict[tuple[str, str], int]  # (dead-letter topic, reason) -> records
    decisions: int
    allowed: int
    denied: int
    allowed_reasons: dict[str, int]  # informational codes on allowed decisions
    denied_reasons: dict[str, int]  # each reason code of the denials (a denial may have several)
    bots: list[BotSummary] = field(default_factory=list)
    sources: list[GroupStats] = field(default_factory=list)
    regimes: list[GroupStats] = field(default_factory=list)
    breakers: list[BreakerTrip] = field(default_factory=list)
    learning: Learning = field(default_factory=Learning)  # what the hive taught itself

    def breaker_counts(self) -> list[tuple[str, str, str, int, int, int]]:
        """Trips per (scope, cause, fallback): count, first and last time; most first."""
        groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for t in self.breakers:
            groups[(t.scope, t.cause, t.fallback_mode)].append(t.ts)
        rows = [(*k, len(v), min(v), max(v)) for k, v in groups.items()]
        return sorted(rows, key=lambda r: (-r[3], r[0], r[1]))


def default_rule_sets() -> dict[str, RuleSet]:
    """The policies' rule sets; without the file every bot is judged by the constitution."""
    try:
        return load_rule_sets()
    except RuleSetError:
        return {}


def _f(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) else default


def _counted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _message_key(record: Mapping[str, Any]) -> tuple[str, str, int]:
    return (str(record.get("source")), str(record.get("message_id")), int(record["revision"]))


def _outcomes(data: RunData) -> tuple[int, dict[str, int]]:
    """Each raw message's fate, matched by (source, message_id, revision)."""
    parsed = {_message_key(r) for r in data.parsed}
    updated = {_message_key(r) for r in data.updates}
    dead: dict[tuple[str, str, int], str] = {}
    unreadable = Counter[str]()
    for d in data.dead_letters:
        if d["source_topic"] != SIGNALS_RAW:
            continue
        value = d["value"]
        if value is None:  # bytes no schema reads: a raw message the report never decoded
            unreadable[DEAD_LETTER + str(d["reason"])] += 1
        else:
            dead.setdefault(_message_key(value), str(d["reason"]))
    outcomes = Counter[str](unreadable)
    seen: set[tuple[str, str, int]] = set()
    for raw in data.raw:
        key = _message_key(raw)
        if key in seen:
            continue
        seen.add(key)
        if key in parsed and key in updated:
            outcomes[PARSED_AND_UPDATE] += 1
        elif key in parsed:
            outcomes[PARSED] += 1
        elif key in updated:
            outcomes[UPDATE] += 1
        elif key in dead:
            outcomes[DEAD_LETTER + dead[key]] += 1
        else:
            outcomes[NO_OUTPUT] += 1
    return sum(outcomes.values()), _counted(outcomes)


def _real_trades(data: RunData) -> list[dict[str, Any]]:
    return [t for t in data.trades if not t.get("shadow")]


def _group_stats(
    signals: Iterable[tuple[str, str]],
    taken: Iterable[tuple[str, str]],
    trades: Iterable[tuple[str, Mapping[str, Any]]],
    order: Callable[[GroupStats], Any],
) -> list[GroupStats]:
    """Stats per group key from (key, signal_id) pairs and (key, trade) pairs."""
    sig: dict[str, set[str]] = defaultdict(set)
    for key, signal_id in signals:
        sig[key].add(signal_id)
    took: dict[str, set[str]] = defaultdict(set)
    for key, signal_id in taken:
        took[key].add(signal_id)
    by: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for key, trade in trades:
        by[key].append(trade)
    out = []
    for key in set(sig) | set(took) | set(by):
        ts = by.get(key, [])
        rs = [float(t["r_multiple"]) for t in ts if isinstance(t.get("r_multiple"), int | float)]
        out.append(
            GroupStats(
                key=key,
                signals=len(sig.get(key, ())),
                taken=len(took.get(key, ())),
                trades=len(ts),
                wins=sum(1 for t in ts if _f(t.get("pnl")) > 0),
                losses=sum(1 for t in ts if _f(t.get("pnl")) < 0),
                pnl=round(sum(_f(t.get("pnl")) for t in ts), 2),
                avg_r=sum(rs) / len(rs) if rs else None,
            )
        )
    return sorted(out, key=order)


def _features(trade: Mapping[str, Any]) -> Mapping[str, Any]:
    f = trade.get("features")
    return f if isinstance(f, Mapping) else {}


def _entries(data: RunData) -> list[dict[str, Any]]:
    """The decisions on new positions: the gate's MODIFICATION decisions (on updates) are not
    signals taken or denied."""
    return [d for d in data.decisions if d.get("kind", "ENTRY") != "MODIFICATION"]


def _taken(data: RunData, field_name: str) -> list[tuple[str, str]]:
    return [
        (str(d.get(field_name)), str(d["signal_id"]))
        for d in _entries(data)
        if d.get("allowed") and not d.get("shadow")
    ]


def sources(data: RunData) -> list[GroupStats]:
    trades = _real_trades(data)
    return _group_stats(
        [(str(p["source"]), str(p["signal_id"])) for p in data.parsed],
        _taken(data, "source"),
        [(str(_features(t).get("source", "?")), t) for t in trades],
        order=lambda g: (-g.signals, g.key),
    )


def regimes(data: RunData) -> list[GroupStats]:
    rank = {"CALM": 0, "TREND": 1, "CHAOS": 2}
    trades = _real_trades(data)
    return _group_stats(
        [(str(s.get("regime")), str(s["signal"]["signal_id"])) for s in data.scored],
        _taken(data, "regime"),
        [(str(_features(t).get("regime", "UNKNOWN")), t) for t in trades],
        order=lambda g: (rank.get(g.key, 9), g.key),
    )


def bot_series(snapshots: Sequence[Mapping[str, Any]], rule_set: RuleSet) -> list[LimitPoint]:
    """A bot's snapshots in order, each with the limits in force at it (hive.limits)."""
    ordered = sorted(snapshots, key=lambda s: (int(s.get("sequence", 0)), int(s["ts_event"])))
    points = []
    for s in ordered:
        equity = _f(s.get("equity"))
        initial = _f(s.get("initial_balance"))
        day_start = _f(s.get("day_start_balance"))
        peak = max(_f(s.get("peak_equity")), initial, equity)
        lim = account_limits(
            rule_set, initial_balance=initial, day_start_balance=day_start, peak_equity=peak
        )
        points.append(
            LimitPoint(
                ts=int(s["ts_event"]),
                trading_day=str(s.get("trading_day") or ""),
                balance=_f(s.get("balance")),
                equity=equity,
                daily_loss=max(0.0, day_start - equity),
                daily_limit=lim.daily_loss_limit,
                daily_line=day_start - lim.daily_loss_limit,
                drawdown=max(0.0, peak - equity),
                drawdown_limit=peak - lim.equity_floor,
                floor=lim.equity_floor,
                breach=breached(lim, equity=equity, day_start_balance=day_start),
            )
        )
    return points


def _limit_rules(rule_set: RuleSet, snap: Mapping[str, Any]) -> tuple[str, str]:
    lim = account_limits(
        rule_set,
        initial_balance=_f(snap.get("initial_balance")),
        day_start_balance=_f(snap.get("day_start_balance")),
        peak_equity=max(_f(snap.get("peak_equity")), _f(snap.get("initial_balance"))),
    )
    return lim.daily_loss_rule, lim.equity_floor_rule


def _bot(
    bot_id: str, data: RunData, rule_sets: Mapping[str, RuleSet], by_bot: Mapping[str, Any]
) -> BotSummary:
    definition = data.bots.get(bot_id, {})
    rule_set = rule_set_or_constitution(rule_sets, definition.get("rule_set"))
    trades = [t for t in by_bot["trades"] if not t.get("shadow")]
    snaps = by_bot["snapshots"]
    decisions = by_bot["decisions"]
    any_record: Mapping[str, Any] = next(iter([*snaps, *trades, *decisions, *by_bot["other"]]), {})
    common: dict[str, Any] = {
        "bot_id": bot_id,
        "cell_id": str(definition.get("cell_id") or any_record.get("cell_id") or "?"),
        "rule_set": rule_set.name,
        "currency": str(
            definition.get("account_currency")
            or any_record.get("currency")
            or any_record.get("account_currency")
            or "?"
        ),
        "decisions": len(decisions),
        "allowed": sum(1 for d in decisions if d.get("allowed")),
        "trades": len(trades),
        "wins": sum(1 for t in trades if _f(t.get("pnl")) > 0),
        "losses": sum(1 for t in trades if _f(t.get("pnl")) < 0),
        "shadow_trades": len(by_bot["trades"]) - len(trades),
        "net_pnl": round(sum(_f(t.get("pnl")) for t in trades), 2),
    }
    points = bot_series(snaps, rule_set)
    if not points:
        return BotSummary(**common)
    last = max(snaps, key=lambda s: (int(s.get("sequence", 0)), int(s["ts_event"])))
    daily_rule, floor_rule = _limit_rules(rule_set, last)
    worst_day = max(points, key=lambda p: p.daily_loss)
    worst_dd = max(points, key=lambda p: p.drawdown)
    breaches: list[str] = []  # each daily breach with its day; a max-loss breach once (it holds)
    for p in points:
        text = f"{p.breach} {p.trading_day}".strip()
        if p.breach is None or text in breaches:
            continue
        if p.breach == "daily_loss" or not any(b.startswith("max_loss") for b in breaches):
            breaches.append(text)
    return BotSummary(
        **common,
        initial_balance=_f(last.get("initial_balance")),
        final_balance=_f(last.get("balance")),
        final_equity=_f(last.get("equity")),
        max_daily_loss=round(worst_day.daily_loss, 2),
        daily_loss_limit=round(worst_day.daily_limit, 2),
        daily_loss_rule=daily_rule,
        max_drawdown=round(worst_dd.drawdown, 2),
        drawdown_limit=round(worst_dd.drawdown_limit, 2),
        drawdown_rule=floor_rule,
        breaches=tuple(breaches),
    )


def bots(data: RunData, rule_sets: Mapping[str, RuleSet] | None = None) -> list[BotSummary]:
    """Every bot that left a decision, order, trade or snapshot in the run."""
    sets = default_rule_sets() if rule_sets is None else rule_sets
    by_bot: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"decisions": [], "trades": [], "snapshots": [], "other": []}
    )
    for name, records in (
        ("decisions", _entries(data)),
        ("trades", data.trades),
        ("snapshots", data.snapshots),
        ("other", [*data.intents, *data.executions]),
    ):
        for r in records:
            by_bot[str(r["bot_id"])][name].append(r)
    return [_bot(b, data, sets, by_bot[b]) for b in sorted(by_bot)]


def breaker_history(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One scope's transitions as the governor finally judged them, in event-time order.

    Each record says "from ts_event on, the state is this". When the governor reads an outcome
    late it judges the scope again and publishes the new state from an earlier time (the
    breakers.py doc), so a record replaces every record published before it whose ts_event is not
    earlier: a trip judged away is not a trip. Which trips were shown provisionally depends on
    reading order; the history left is the same in every replay.
    """
    history: list[Mapping[str, Any]] = []
    for r in sorted(records, key=lambda r: (int(r.get("transition_seq", 0)), int(r["ts_event"]))):
        ts = int(r["ts_event"])
        while history and int(history[-1]["ts_event"]) >= ts:
            history.pop()
        history.append(r)
    return history


def breaker_trips(records: Sequence[Mapping[str, Any]]) -> list[BreakerTrip]:
    """Every transition into OPEN of the final history, with when the scope next left OPEN."""
    by_scope: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        by_scope[(str(r["scope_level"]), str(r["scope_id"]))].append(r)
    trips = []
    for (level, scope_id), unordered in by_scope.items():
        recs = breaker_history(unordered)
        for i, r in enumerate(recs):
            if r.get("state") != "OPEN":
                continue
            until = next((int(n["ts_event"]) for n in recs[i + 1 :] if n["state"] != "OPEN"), None)
            trips.append(
                BreakerTrip(
                    ts=int(r["ts_event"]),
                    scope_level=level,
                    scope_id=scope_id,
                    previous_state=r.get("previous_state"),
                    fallback_mode=str(r.get("fallback_mode")),
                    cause=str(r.get("cause") or "?"),
                    failure_count=int(r.get("failure_count", 0)),
                    failure_threshold=int(r.get("failure_threshold", 0)),
                    until=until,
                )
            )
    return sorted(trips, key=lambda t: (t.ts, t.scope))


def period(data: RunData) -> tuple[int, int] | None:
    """First and last event time over the run's records (registry times are wall clock)."""
    times = [
        int(r["ts_event"])
        for name in (
            "raw",
            "parsed",
            "updates",
            "scored",
            "decisions",
            "intents",
            "executions",
            "trades",
            "snapshots",
            "breakers",
        )
        for r in getattr(data, name)
        if isinstance(r.get("ts_event"), int)
    ]
    return (min(times), max(times)) if times else None


def summarize(data: RunData, rule_sets: Mapping[str, RuleSet] | None = None) -> Summary:
    """All the numbers of a run (`rule_sets`: default the policies' profiles file)."""
    raw_total, outcomes = _outcomes(data)
    allowed_reasons = Counter[str]()
    denied_reasons = Counter[str]()
    allowed = 0
    entries = _entries(data)
    for d in entries:
        if d.get("allowed"):
            allowed += 1
            allowed_reasons.update(str(r) for r in d.get("reasons") or ())
        else:
            denied_reasons.update(str(r) for r in d.get("reasons") or ("(none given)",))
    dead = Counter[tuple[str, str]]((d["topic"], str(d["reason"])) for d in data.dead_letters)
    records = {
        SIGNALS_RAW: len(data.raw),
        SIGNALS_PARSED: len(data.parsed),
        SIGNALS_UPDATES: len(data.updates),
        SIGNALS_SCORED: len(data.scored),
        ORDERS_DECISIONS: len(data.decisions),
        ORDERS_INTENTS: len(data.intents),
        ORDERS_EXECUTIONS: len(data.executions),
        TRADES_CLOSED: len(data.trades),
        ACCOUNTS_SNAPSHOTS: len(data.snapshots),
        CONTROL_BREAKERS: len(data.breakers),
        f"{AUDIT_EVENTS} (change verdicts)": len(data.change_verdicts),
        CONTROL_PARAMETERS: len(data.parameters),
        LEARNER_MODELS: len(data.models),
        "dead letters": len(data.dead_letters),
    }
    return Summary(
        period=period(data),
        records=records,
        raw_messages=raw_total,
        signals_by_outcome=outcomes,
        parsed_signals=len({str(p["signal_id"]) for p in data.parsed}),
        signal_revisions=len(data.parsed),
        updates=len(data.updates),
        dead_letters=dict(sorted(dead.items(), key=lambda kv: (-kv[1], kv[0]))),
        decisions=len(entries),
        allowed=allowed,
        denied=len(entries) - allowed,
        allowed_reasons=_counted(allowed_reasons),
        denied_reasons=_counted(denied_reasons),
        bots=bots(data, rule_sets),
        sources=sources(data),
        regimes=regimes(data),
        breakers=breaker_trips(data.breakers),
        learning=learning(data.change_verdicts, data.parameters, data.models),
    )
