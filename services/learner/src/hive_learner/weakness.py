"""The weakness analyzer: closed trades in, rule proposals and rollbacks out (control.commands).

It reads every closed trade, real and shadow (COUNTERFACTUAL: signals the gate skipped,
BREAKER: orders simulated under an open breaker), since all are outcomes of their signal.

**When.** At each UTC day boundary of trade event time, once it is *settled*: the boundary
(00:00 UTC) is checked, over the trades before it, when a trade that closed `settle_ms` (a
week, hive.event_order) after it has been read, so every partition has delivered the trades
before it (the same horizon as the learner's trigger). Trades are kept by `trade_id` (a
redelivery counts once) and every computation runs over them sorted, so the order in which
they were read cannot change a check. A trade read even later than that (a partition running
more than a week late) joins the next check.

**What is a data point.** One per signal: the mean R multiple (clipped to +-10 R) of its
trades, since a signal followed by ten bots is still one outcome, not ten. Trades whose close
says nothing about the signal (END_OF_DATA, FLATTEN, RISK_LIMIT, UNKNOWN) and trades without an
R multiple (no stop) are left out.

**Proposals.** Patterns are (source, regime) for CALM/TREND/CHAOS and (source, session) for the
sessions of hive.market.sessions, over the signals whose trades closed in the `window_ms`
before the boundary. A pattern with at least `min_trades` signals is tested with a one-sided
one-sample t-test of mean R < 0 (stats.py); with `m` patterns having that many signals at
that check, it is weak
when p x m < `alpha` (Bonferroni: about `alpha` false proposals per check however many patterns
there are). A weak pattern with mean R at or below `skip_at_r` (-0.25 R) gets a `skip` rule,
a milder one a `risk_scale` rule of `scale` (0.5): halving the risk of a pattern that loses a
little keeps most of its data coming in real trades at half the cost. The id is
`weak.<source>.<regime or session>` (characters a rule id cannot hold become '_', plus a short
hash of the source then). At most `max_proposals` (the constitution's 3 changes a day) per
check, lowest p first. Not proposed again: a rule in force, or one proposed within
`repropose_after_ms` (refused or not yet seen in force). After a rule was rolled back, only
trades from then on count as evidence for it again.

**Rollbacks.** A rule the learner proposed (actor "learner") that is in force is rolled back
(ROLLBACK_CHANGE of its change id) when the signals it matched since it came into force
(`signal_time` >= the control.parameters record's ts_event) number at least `min_trades` and
average R >= 0: it stopped paying. For a skip rule these are the gate's COUNTERFACTUAL trades.

Commands: actor "learner", role SYSTEM, origin "learner", scope GLOBAL, ts_event the boundary
(the same whichever trade crossed it), command_id `learner:rule:<rule_id>:<boundary>` and
`learner:rollback:<change_id>`. While the service replays the trades it had consumed at a
restart (`restoring`), day boundaries pass without a check; the first boundary after it checks.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hive.constitution import MAX_CHANGES_PER_DAY
from hive.event_order import REORDER_HORIZON_MS
from hive.market.sessions import SESSIONS
from hive.parameters import GLOBAL_SCOPE_ID, RULE, RULE_PREFIX, ParameterBook
from hive.rules import REGIMES, RISK_SCALE, SKIP, Rule, RuleError, RuleEvidence, RuleWhen
from hive_learner.dataset import UNINFORMATIVE_EXITS
from hive_learner.stats import mean_below_zero
from hive_learner.trigger import DAY_MS

LEARNER = "learner"
TEST_NAME = "one-sided one-sample t-test of mean R < 0 per signal, Bonferroni over patterns"


@dataclass(frozen=True)
class WeaknessConfig:
    min_trades: int = 30  # signals a pattern needs, to be proposed or rolled back
    alpha: float = 0.05
    skip_at_r: float = -0.25
    scale: float = 0.5
    window_ms: int = 90 * DAY_MS
    max_proposals: int = MAX_CHANGES_PER_DAY
    repropose_after_ms: int = 7 * DAY_MS
    r_clip: float = 10.0
    settle_ms: int = (
        REORDER_HORIZON_MS  # a boundary is checked once a trade this much later is read
    )

    def __post_init__(self) -> None:
        if self.min_trades < 2:
            raise ValueError("min_trades must be >= 2 (a t-test needs two values)")
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must be in (0, 1)")
        if not 0 < self.scale <= 1:
            raise ValueError("scale must be in (0, 1]: a rule may only reduce risk")
        if self.window_ms <= 0 or self.max_proposals < 0 or self.repropose_after_ms < 0:
            raise ValueError("window_ms must be > 0, max_proposals and repropose_after_ms >= 0")
        if self.settle_ms < 0:
            raise ValueError("settle_ms must be >= 0")


@dataclass(frozen=True)
class Outcome:
    """One closed trade as the analyzer reads it."""

    trade_id: str
    ts: int
    signal_id: str
    signal_time: int
    source: str
    regime: str
    session: str
    symbol: str
    r: float


def outcome_of(record: Mapping[str, Any], r_clip: float = 10.0) -> Outcome | None:
    """None for a trade that says nothing about its signal or lacks what the analyzer needs."""
    features = record.get("features") or {}
    r = record.get("r_multiple")
    trade_id, signal_id, source = (
        record.get("trade_id"),
        record.get("signal_id"),
        features.get("source"),
    )
    if str(record.get("exit_reason") or "UNKNOWN") in UNINFORMATIVE_EXITS:
        return None
    if not isinstance(r, int | float) or isinstance(r, bool) or not math.isfinite(r):
        return None
    if not (isinstance(trade_id, str) and isinstance(signal_id, str) and isinstance(source, str)):
        return None
    ts = int(record.get("ts_event") or 0)
    return Outcome(
        trade_id=trade_id,
        ts=ts,
        signal_id=signal_id,
        signal_time=int(features.get("signal_time") or ts),
        source=source,
        regime=str(features.get("regime") or "UNKNOWN"),
        session=str(features.get("session") or "UNKNOWN"),
        symbol=str(features.get("symbol") or record.get("symbol") or ""),
        r=max(-r_clip, min(r_clip, float(r))),
    )


@dataclass(frozen=True)
class _Signal:
    """One signal's outcome: the mean R of its trades."""

    first: Outcome  # its earliest trade by (ts, trade_id): the signal's attributes
    r: float


class WeaknessAnalyzer:
    def __init__(self, config: WeaknessConfig | None = None) -> None:
        self.config = config or WeaknessConfig()
        self.book = ParameterBook()  # control.parameters: what is in force
        self.trades: dict[str, Outcome] = {}
        self.checked: int | None = None  # the last boundary checked (or passed), epoch ms
        self.proposed_at: dict[str, int] = {}  # rule_id -> boundary of its last proposal
        self.evidence_since: dict[str, int] = {}  # rule_id -> when it was last rolled back
        self.rollbacks_sent: set[str] = set()
        # While the service replays the trades it had consumed (outputs discarded), days pass
        # without checks: a check's commands must be published, not just remembered.
        self.restoring = False

    # -- inputs --------------------------------------------------------------------------

    def on_parameter(self, record: Mapping[str, Any] | None, key: str | None = None) -> None:
        """A control.parameters record or tombstone (raises `RecordError` if unreadable)."""
        self.book.apply(record, key)
        if record is not None and record.get("kind") == RULE and record.get("value") is None:
            rule_id = str(record["name"]).removeprefix(RULE_PREFIX)
            ts = int(record["ts_event"])
            self.evidence_since[rule_id] = max(self.evidence_since.get(rule_id, ts), ts)

    def on_trade(self, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A trades.closed record; returns the control.commands records of a check it caused."""
        outcome = outcome_of(record, self.config.r_clip)
        if outcome is None or outcome.trade_id in self.trades:
            return []
        self.trades[outcome.trade_id] = outcome
        settled = (outcome.ts - self.config.settle_ms) // DAY_MS * DAY_MS
        if self.checked is None:
            # The first boundary is the one after the earliest trade's day: known for sure only
            # once that day is settled (a trade of it may be read after later ones).
            first_day = min(o.ts for o in self.trades.values()) // DAY_MS * DAY_MS
            if settled <= first_day:
                return []
            self.checked = first_day
        commands: list[dict[str, Any]] = []
        while self.checked < settled:
            self.checked += DAY_MS
            if not self.restoring:
                commands += self.check(self.checked)
        return commands

    def go_live(self) -> None:
        """The replay of consumed trades is over: checks from now on publish."""
        self.restoring = False

    # -- the check -----------------------------------------------------------------------

    def check(self, boundary: int) -> list[dict[str, Any]]:
        """Rollbacks, then proposals, from the trades before `boundary` (epoch ms)."""
        self._forget(boundary)
        return self._rollbacks(boundary) + self._proposals(boundary)

    def _forget(self, boundary: int) -> None:
        """Trades too old to count as evidence for anything (memory stays bounded)."""
        oldest = boundary - self.config.window_ms
        deployed = [p.ts for p in self.book.rules()]
        keep_from = min([oldest, *deployed])
        for trade_id in [t for t, o in self.trades.items() if o.ts < keep_from]:
            del self.trades[trade_id]

    def _signals(
        self, boundary: int, since: int = 0, *, by_signal_time: bool = False
    ) -> list[_Signal]:
        """One data point per signal, from trades before `boundary` and from `since` on (exit
        time, or the signal's time with `by_signal_time`), in signal_id order."""
        grouped: dict[str, list[Outcome]] = defaultdict(list)
        for o in sorted(self.trades.values(), key=lambda o: (o.ts, o.trade_id)):
            start = o.signal_time if by_signal_time else o.ts
            if o.ts < boundary and start >= since:
                grouped[o.signal_id].append(o)
        return [
            _Signal(first=trades[0], r=math.fsum(t.r for t in trades) / len(trades))
            for _, trades in sorted(grouped.items())
        ]

    def _rollbacks(self, boundary: int) -> list[dict[str, Any]]:
        out = []
        for param in self.book.rules():
            if param.actor != LEARNER or param.change_id is None or param.value is None:
                continue
            if param.change_id in self.rollbacks_sent:
                continue
            try:
                rule = Rule.from_json(param.value)
            except RuleError:
                continue
            since = self._signals(boundary, param.ts, by_signal_time=True)
            matched = [s.r for s in since if _matches(rule, s.first)]
            if len(matched) < self.config.min_trades:
                continue
            mean = math.fsum(sorted(matched)) / len(matched)
            if mean < 0:
                continue
            self.rollbacks_sent.add(param.change_id)
            self.evidence_since[rule.rule_id] = boundary
            reason = (
                f"rule {rule.rule_id} stopped paying: the {len(matched)} signals it matched "
                f"since {_date(param.ts)} averaged {mean:+.4f} R (>= 0)"
            )
            out.append(
                _command(
                    "ROLLBACK_CHANGE",
                    f"{LEARNER}:rollback:{param.change_id}",
                    boundary,
                    reason,
                    {"change_id": param.change_id},
                )
            )
        return out

    def _proposals(self, boundary: int) -> list[dict[str, Any]]:
        cfg = self.config
        signals = self._signals(boundary, boundary - cfg.window_ms)
        patterns: dict[tuple[str, str, str], list[_Signal]] = defaultdict(list)
        for s in signals:
            o = s.first
            if o.regime in REGIMES:
                patterns[(o.source, "regime", o.regime)].append(s)
            if o.session in SESSIONS:
                patterns[(o.source, "session", o.session)].append(s)
        tested = {k: v for k, v in sorted(patterns.items()) if len(v) >= cfg.min_trades}
        weak: list[tuple[float, str, Rule]] = []
        for (source, field, value), members in tested.items():
            rule_id = rule_id_for(source, value)
            if self._in_force(rule_id) or self._pending(rule_id, boundary):
                continue
            since = self.evidence_since.get(rule_id, 0)
            values = [s.r for s in members if s.first.ts >= since]
            if len(values) < cfg.min_trades:
                continue
            test = mean_below_zero(values)
            if test.p_value * len(tested) >= cfg.alpha:
                continue
            skip = test.mean <= cfg.skip_at_r
            window = [s.first.ts for s in members if s.first.ts >= since]
            rule = Rule(
                rule_id=rule_id,
                when=RuleWhen(source=source, **{field: value}),
                action=SKIP if skip else RISK_SCALE,
                risk_scale=None if skip else cfg.scale,
                evidence=RuleEvidence(
                    trades=test.n,
                    expectancy_r=round(test.mean, 6),
                    test=f"{TEST_NAME} (m={len(tested)}, alpha={cfg.alpha:g})",
                    statistic=round(test.statistic, 6),
                    p_value=test.p_value,
                    window_start=min(window),
                    window_end=max(window),
                ),
            )
            weak.append((test.p_value, rule_id, rule))
        out = []
        for _, rule_id, rule in sorted(weak, key=lambda w: (w[0], w[1]))[: cfg.max_proposals]:
            self.proposed_at[rule_id] = boundary
            ev = rule.evidence
            what = "skip" if rule.action == SKIP else f"risk x{rule.risk_scale:g}"
            reason = (
                f"{what}: {ev.trades} signals averaged {ev.expectancy_r:+.4f} R, "
                f"t = {ev.statistic:.3f}, p = {ev.p_value:.3g} ({len(tested)} patterns tested)"
            )
            out.append(
                _command(
                    "SET_PARAMETER",
                    f"{LEARNER}:rule:{rule_id}:{boundary}",
                    boundary,
                    reason,
                    {"name": rule.name, "value": rule.to_json()},
                )
            )
        return out

    def _in_force(self, rule_id: str) -> bool:
        return any(p.name == f"rule.{rule_id}" for p in self.book.rules())

    def _pending(self, rule_id: str, boundary: int) -> bool:
        last = self.proposed_at.get(rule_id)
        return last is not None and boundary - last < self.config.repropose_after_ms


_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def rule_id_for(source: str, value: str) -> str:
    """`weak.<source>.<regime or session>`, deterministic; a source with characters a rule id
    cannot hold has them replaced by '_' and a short hash of it added, so ids stay distinct."""
    slug = _ID_CHARS.sub("_", source)
    if slug != source:
        slug = f"{slug[:80]}.{hashlib.sha256(source.encode()).hexdigest()[:8]}"
    return f"weak.{slug[:100]}.{value}"


def _matches(rule: Rule, o: Outcome) -> bool:
    return rule.matches(source=o.source, regime=o.regime, session=o.session, symbol=o.symbol)


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts / 1000, UTC).isoformat(timespec="minutes")


def _command(
    command: str, command_id: str, ts: int, reason: str, parameters: dict[str, str]
) -> dict[str, Any]:
    return {
        "event_id": command_id,
        "ts_event": ts,
        "ts_init": ts,
        "command_id": command_id,
        "command": command,
        "scope_level": "GLOBAL",
        "scope_id": GLOBAL_SCOPE_ID,
        "actor": LEARNER,
        "role": "SYSTEM",
        "reason": reason,
        "parameters": parameters,
        "origin": LEARNER,
        "cause_event_id": None,
    }
