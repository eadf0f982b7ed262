"""Conflicting signals on one symbol from several sources: a weighted vote per bot.

Every signal observed is a source's vote for a direction on a symbol at its event time. When
a bot decides on a signal S (symbol X, time t), the votes are, for each source the bot follows,
that source's latest signal on X with event time in [t - window, t] (S itself for S's source: a
source's newer call replaces its older one). Each vote weighs the bot's weight for its source.

- no vote against S's direction: no conflict;
- more weight with S than against it: S has the majority and goes on (the opposing signals are
  named in the verdict);
- less weight with S: S is denied `conflict.outvoted`;
- equal weight: S is denied `conflict.tie`.

Only event time counts (never arrival or wall-clock time), and a vote only sees signals at or
before its own time, so the verdict on a signal does not depend on what arrived after it. Two
opposing signals with the same event time see each other: on a tie both are denied. A signal
decided earlier is not revisited by a later one (its decision is already out); the verdict of
the later one names it (`opposing`) for whoever wants to act on it. Weights are summed as
decimals of their written values (0.1 + 0.2 ties 0.3).
"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from hive.bots import Bot
from hive_risk_gate.reasons import Reason
from hive_risk_gate.signals import ScoredSignal

DEFAULT_WINDOW_MS = 15 * 60 * 1000

Outcome = Literal["clear", "majority", "outvoted", "tie"]


@dataclass(frozen=True)
class Vote:
    """One signal as a vote."""

    signal_id: str
    revision: int
    source: str
    symbol: str
    direction: str
    ts_event: int

    @classmethod
    def of(cls, signal: ScoredSignal) -> Vote:
        return cls(
            signal_id=signal.signal_id,
            revision=signal.revision,
            source=signal.source,
            symbol=signal.symbol,
            direction=signal.direction,
            ts_event=signal.ts_event,
        )


@dataclass(frozen=True)
class ConflictVerdict:
    outcome: Outcome
    weight_with: Decimal
    weight_against: Decimal
    opposing: tuple[str, ...] = ()  # signal ids voting against
    supporting: tuple[str, ...] = ()  # other signal ids voting with

    @property
    def denied(self) -> bool:
        return self.outcome in ("outvoted", "tie")

    @property
    def reason(self) -> str | None:
        if self.outcome == "outvoted":
            return Reason.CONFLICT_OUTVOTED
        if self.outcome == "tie":
            return Reason.CONFLICT_TIE
        return None

    def details(self) -> dict[str, str]:
        if self.outcome == "clear":
            return {}
        return {
            "conflict": self.outcome,
            "conflict_weight_with": str(self.weight_with),
            "conflict_weight_against": str(self.weight_against),
            "conflict_opposing": ",".join(self.opposing),
        }


def _weight(value: float) -> Decimal:
    return Decimal(repr(float(value)))


class _SourceVotes:
    """One source's votes on one symbol, ordered by (ts_event, signal_id)."""

    __slots__ = ("order", "votes")

    def __init__(self) -> None:
        self.votes: dict[str, Vote] = {}
        self.order: list[tuple[int, str]] = []

    def put(self, vote: Vote) -> None:
        old = self.votes.get(vote.signal_id)
        if old is not None:
            self.drop(old)
        self.votes[vote.signal_id] = vote
        bisect.insort(self.order, (vote.ts_event, vote.signal_id))

    def drop(self, vote: Vote) -> None:
        key = (vote.ts_event, vote.signal_id)
        at = bisect.bisect_left(self.order, key)
        if at < len(self.order) and self.order[at] == key:
            del self.order[at]
        if self.votes.get(vote.signal_id) is vote:
            del self.votes[vote.signal_id]

    def latest(self, lo: int, hi: int) -> Vote | None:
        """The latest vote with lo <= ts_event <= hi (ties: the greatest signal_id)."""
        at = bisect.bisect_left(self.order, (hi + 1, "")) - 1
        if at < 0 or self.order[at][0] < lo:
            return None
        return self.votes[self.order[at][1]]


class ConflictResolver:
    """Recent votes per symbol and source, and the per-bot verdicts over them."""

    def __init__(self, window_ms: int = DEFAULT_WINDOW_MS) -> None:
        if window_ms < 0:
            raise ValueError("window_ms must be >= 0")
        self.window_ms = window_ms
        self._sources: dict[tuple[str, str], _SourceVotes] = {}  # (symbol, source) -> votes
        self._expiry: dict[str, list[tuple[int, str, str]]] = {}  # symbol -> heap (ts, id, src)
        self._watermark: dict[str, int] = {}

    def observe(self, vote: Vote) -> None:
        """Record a signal (idempotent; a higher revision replaces a lower one)."""
        votes = self._sources.setdefault((vote.symbol, vote.source), _SourceVotes())
        seen = votes.votes.get(vote.signal_id)
        if seen is None or vote.revision >= seen.revision:
            votes.put(vote)
            heapq.heappush(
                self._expiry.setdefault(vote.symbol, []),
                (vote.ts_event, vote.signal_id, vote.source),
            )
        mark = max(self._watermark.get(vote.symbol, vote.ts_event), vote.ts_event)
        self._watermark[vote.symbol] = mark
        # Keep twice the window behind the newest vote: late signals still see their peers.
        horizon = mark - 2 * self.window_ms
        heap = self._expiry.get(vote.symbol, [])
        while heap and heap[0][0] < horizon:
            ts, sid, source = heapq.heappop(heap)
            held = self._sources.get((vote.symbol, source))
            old = held.votes.get(sid) if held is not None else None
            if held is not None and old is not None and old.ts_event == ts:
                held.drop(old)

    def votes(self, symbol: str) -> list[Vote]:
        """The votes held for a symbol, by time."""
        held = [
            v for (sym, _), sv in self._sources.items() if sym == symbol for v in sv.votes.values()
        ]
        return sorted(held, key=lambda v: (v.ts_event, v.signal_id))

    def verdict(self, bot: Bot, vote: Vote) -> ConflictVerdict:
        """The bot's vote on `vote` (which need not have been observed)."""
        lo, hi = vote.ts_event - self.window_ms, vote.ts_event
        own = bot.weight_of(vote.source)
        weight_with = _weight(own) if own is not None else Decimal(0)
        weight_against = Decimal(0)
        opposing: list[str] = []
        supporting: list[str] = []
        for sub in sorted(bot.sources, key=lambda s: s.source):
            if sub.source == vote.source:
                continue
            held = self._sources.get((vote.symbol, sub.source))
            other = held.latest(lo, hi) if held is not None else None
            if other is None:
                continue
            if other.direction == vote.direction:
                weight_with += _weight(sub.weight)
                supporting.append(other.signal_id)
            else:
                weight_against += _weight(sub.weight)
                opposing.append(other.signal_id)
        if not opposing:
            outcome: Outcome = "clear"
        elif weight_with > weight_against:
            outcome = "majority"
        elif weight_with < weight_against:
            outcome = "outvoted"
        else:
            outcome = "tie"
        return ConflictVerdict(
            outcome=outcome,
            weight_with=weight_with,
            weight_against=weight_against,
            opposing=tuple(sorted(opposing)),
            supporting=tuple(sorted(supporting)),
        )

    def check(self, bot: Bot, vote: Vote) -> ConflictVerdict:
        """Observe `vote`, then give the bot's verdict on it."""
        self.observe(vote)
        return self.verdict(bot, vote)
