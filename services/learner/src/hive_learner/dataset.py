"""Training examples from trades.closed, and how much each one counts.

Unbiasing (why shadow trades are data, not noise): a model trained only on the trades that
were taken learns from the signals the gate (and therefore the model itself) already liked;
signals it skipped never get a chance to prove it wrong. The executor also simulates skipped
signals (COUNTERFACTUAL shadow fills) and the orders of bots whose breaker is open (BREAKER
shadow), with the same paper-broker rules as real fills. Both are the outcome of the signal,
so both are training data. We chose these shadow outcomes over inverse-propensity weights
because the gate's decisions are mostly deterministic (propensity 0 or 1, where IPS is
undefined or explodes in variance) and no propensity is recorded on a trade.

Weighting: every *signal* counts once, whichever bots took it, skipped it or shadowed it: its
weight is shared evenly among its trades. Otherwise a signal followed by ten bots would count
ten times, and whether a signal was taken would again change how much it counts. A shadow
trade's share is multiplied by `shadow_weight` (default 1: the paper broker fills shadows like
real paper orders; lower it if live fills diverge from the simulation). On top of that a trade
counts less the older it is: 0.5 ** (age / half_life), age = reference time - exit time.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hive.winprob import raw_categories, raw_numeric

DAY_MS = 86_400_000
# Closes that say nothing about the signal: the replay ended, an operator or a hard limit
# flattened the position. Weekend closes and channel closes are part of the signal's outcome.
UNINFORMATIVE_EXITS = frozenset({"END_OF_DATA", "FLATTEN", "RISK_LIMIT", "UNKNOWN"})


class TradeInputError(ValueError):
    """A trades.closed record the learner cannot read; `reason` is a short code for the DLQ."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class TradeExample:
    trade_id: str
    signal_id: str
    exit_time: int
    # The features as the encoding reads them, extracted once on arrival (training re-encodes
    # tens of thousands of trades on every run).
    categories: tuple[str, ...]
    numeric: tuple[float, ...]
    win: bool  # net P&L > 0
    r_multiple: float | None
    shadow: bool
    shadow_reason: str

    @property
    def order(self) -> tuple[int, str]:
        return (self.exit_time, self.trade_id)


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def example_from_trade(record: Mapping[str, Any], r_clip: float = 10.0) -> TradeExample | None:
    """The training example of a closed trade; None when its close says nothing about the
    signal (UNINFORMATIVE_EXITS). Raises TradeInputError for a record that cannot be read."""
    trade_id = record.get("trade_id") or record.get("event_id")
    if not isinstance(trade_id, str) or not trade_id:
        raise TradeInputError("missing_trade_id", "the trade has no trade_id")
    exit_time = record.get("exit_time", record.get("ts_event"))
    if not isinstance(exit_time, int) or isinstance(exit_time, bool):
        raise TradeInputError("bad_exit_time", f"{trade_id}: exit_time is {exit_time!r}")
    features = record.get("features")
    if not isinstance(features, Mapping) or not features.get("source"):
        raise TradeInputError("missing_features", f"{trade_id}: no signal features")
    pnl = _finite(record.get("pnl"))
    if pnl is None:
        raise TradeInputError("bad_pnl", f"{trade_id}: pnl is {record.get('pnl')!r}")
    if str(record.get("exit_reason") or "UNKNOWN") in UNINFORMATIVE_EXITS:
        return None
    r = _finite(record.get("r_multiple"))
    if r is not None:
        r = min(max(r, -r_clip), r_clip)  # a data error must not drag a linear head around
    shadow = bool(record.get("shadow", False))
    return TradeExample(
        trade_id=trade_id,
        signal_id=str(record.get("signal_id") or trade_id),
        exit_time=exit_time,
        categories=raw_categories(features),
        numeric=tuple(raw_numeric(features)),
        win=pnl > 0,
        r_multiple=r,
        shadow=shadow,
        shadow_reason=str(record.get("shadow_reason") or ("UNKNOWN" if shadow else "NONE")),
    )


class TrainingSet:
    """Every usable trade seen, de-duplicated on trade_id (delivery is at-least-once).

    Memory is bounded: beyond `capacity` examples the oldest (by exit time) are dropped; their
    ids are remembered so a late redelivery is still recognised as a duplicate.
    """

    def __init__(self, capacity: int = 200_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._examples: list[TradeExample] = []
        self._seen: set[str] = set()
        self._sorted = True

    def __len__(self) -> int:
        return len(self._examples)

    def seen(self, trade_id: str) -> bool:
        return trade_id in self._seen

    def add(self, example: TradeExample) -> bool:
        """True if new; a trade id seen before is ignored."""
        if example.trade_id in self._seen:
            return False
        self._seen.add(example.trade_id)
        if self._examples and example.order < self._examples[-1].order:
            self._sorted = False
        self._examples.append(example)
        if len(self._examples) > self.capacity * 1.1:  # amortised: trim in chunks
            self._trim()
        return True

    def mark_seen(self, trade_id: str) -> bool:
        """Remember an id without an example (an uninformative close); True if new."""
        if trade_id in self._seen:
            return False
        self._seen.add(trade_id)
        return True

    def _trim(self) -> None:
        self.examples()
        del self._examples[: len(self._examples) - self.capacity]

    def examples(self) -> list[TradeExample]:
        """All examples in (exit time, trade id) order: the same data gives the same list."""
        if not self._sorted:
            self._examples.sort(key=lambda e: e.order)
            self._sorted = True
        if len(self._examples) > self.capacity:
            del self._examples[: len(self._examples) - self.capacity]
        return self._examples

    def examples_upto(self, last: tuple[int, str]) -> list[TradeExample]:
        """The examples up to `last` (exit time, trade id) included, in that order."""
        examples = self.examples()
        return examples[: bisect.bisect_right(examples, last, key=lambda e: e.order)]


def example_weights(
    examples: Sequence[TradeExample],
    reference_ms: int | None,
    half_life_days: float | None,
    shadow_weight: float,
) -> npt.NDArray[np.float64]:
    """Per-example weight: the signal's share x shadow multiplier x recency decay.

    `reference_ms` / `half_life_days` None: no recency decay (holdout metrics)."""
    per_signal: dict[str, int] = {}
    for e in examples:
        per_signal[e.signal_id] = per_signal.get(e.signal_id, 0) + 1
    weights = np.empty(len(examples), dtype=np.float64)
    for i, e in enumerate(examples):
        weights[i] = (shadow_weight if e.shadow else 1.0) / per_signal[e.signal_id]
    if reference_ms is not None and half_life_days is not None:
        ages = np.fromiter((max(0, reference_ms - e.exit_time) for e in examples), np.float64)
        weights *= 0.5 ** (ages / (half_life_days * DAY_MS))
    return weights


def effective_size(weights: npt.NDArray[np.float64]) -> float:
    """Kish's effective sample size: how many equally weighted trades the weights are worth."""
    total = float(weights.sum())
    squares = float((weights * weights).sum())
    return total * total / squares if squares > 0 else 0.0


def labels(examples: Iterable[TradeExample]) -> npt.NDArray[np.float64]:
    return np.fromiter((1.0 if e.win else 0.0 for e in examples), dtype=np.float64)


def raw_matrix(examples: Sequence[TradeExample]) -> npt.NDArray[np.float64]:
    """The examples' raw numeric features as an n x k array (NaN = missing)."""
    return np.asarray([e.numeric for e in examples], dtype=np.float64).reshape(len(examples), -1)
