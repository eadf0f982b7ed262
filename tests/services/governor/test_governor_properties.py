"""Properties of the governor over adversarial price paths (hypothesis), with a tiny account model.

The model: one bot, one instrument, money per price unit = position quantity. Each bar has an
open (a gap of any size from the previous close), a high, a low and a close. At each bar's open
the governor's pending FLATTEN commands are filled (every position closed at the open), then the
bot may open a position (long or short, any size, with or without a stop) if the governor's
state lets it (not SAFE_MODE/HALTED; SHADOW_MODE means simulated only, so nothing real is
opened; REDUCED_CAPACITY halves the size) or close its oldest position. Inside the bar, stops are
filled at the stop, or at the open if the bar gapped through it. Snapshots go to the governor at
each bar's close (MARK_TO_MARKET), at each trading-day boundary (DAY_BOUNDARY, the day's starting
balance being the balance then, as FTMO measures it), and after a FLATTEN fill (CHANGE); closed
trades go to it too (its breakers act on them).

What is asserted, exactly:

1. Exits are never refused: every close (stop, bot's own exit, FLATTEN fill) happens in a state
   for which `permits(mode, reduces_exposure=True)` holds, whatever the governor's published
   mode over the bot is at that moment.
2. No missed breach: after any snapshot at which the account breaches a limit (`hive.limits`:
   daily loss from the day's starting balance, or the equity floor), the bot's mode is HALTED;
   and if it was not HALTED before that snapshot, the governor's outputs for it contain a FLATTEN
   of the bot.
3. Bounded loss beyond the limit: for each FLATTEN the governor issues on a limit breach at
   snapshot m, let L be the limit's equity level at m (day_start_balance - daily_loss_limit for a
   daily breach, the equity floor for max loss / drawdown), P the bot's snapshot before m (with
   equity E_P), and E_f the equity once the FLATTEN is filled at the next bar's open. Then

       L - E_f <= max(0, L - E_P) + A,

   where A, "the adverse move of the bar in which the limit was crossed plus the gap to the next
   open", is the sum over every position open at any time between P and the fill of
   quantity x max(0, adverse price move from its reference to its exit), its reference being the
   price P marked it at (or its entry, if opened after P) and its exit its stop fill or the
   FLATTEN fill. The term max(0, L - E_P) is zero except when the limit moved past the equity
   without any price move: a new trading day whose daily limit, measured from the day's starting
   balance, is already broken by the unrealised loss carried over midnight; the test checks that
   it is then a DAY_BOUNDARY snapshot and a daily-loss breach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive.limits import account_limits, breached
from hive_governor import Output, permits

from support.governor import (
    RULE_SETS,
    T0,
    audits,
    bot,
    commands,
    details,
    governor,
    snapshot,
    trade,
)

pytestmark = pytest.mark.unit

H = 3_600_000
START_PRICE = 20_000.0
INITIAL = 100_000.0
TOL = 1e-6


@dataclass
class Pos:
    pid: int
    side: int
    qty: float
    entry: float
    sl: float | None
    opened_at: int
    exit: float | None = None
    closed_at: int | None = None


@dataclass
class Mark:
    seq: int
    at: int  # model event counter
    equity: float
    price: float
    reason: str


@dataclass
class Check:
    mark_index: int
    level: float
    cause: str
    fill_at: int | None = None
    equity_after_fill: float | None = None


@dataclass
class Sim:
    rule_set: str
    g: Any = None
    balance: float = INITIAL
    peak: float = INITIAL
    day_start: float = INITIAL
    day: int = 0
    positions: list[Pos] = field(default_factory=list)
    closed: list[Pos] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    counter: int = 0
    pending_flatten: bool = False
    exits_checked: int = 0

    def __post_init__(self) -> None:
        self.g = governor()
        self.g.on_bot(bot("b1", "c1", self.rule_set), "b1")

    def tick(self) -> int:
        self.counter += 1
        return self.counter

    def mode(self) -> str:
        return str(self.g.mode_for("b1", "c1"))

    def equity(self, price: float) -> float:
        return self.balance + sum(p.side * p.qty * (price - p.entry) for p in self.positions)

    def trading_day(self) -> str:
        return (date(2017, 6, 14) + timedelta(days=self.day)).isoformat()

    # --------------------------------------------------------------------------------- actions
    def open(self, side: int, qty: float, sl_dist: float | None, price: float) -> None:
        mode = self.mode()
        if not permits(mode, reduces_exposure=False) or mode == "SHADOW_MODE":
            return  # refused, or simulated only: the account does not change
        if mode == "REDUCED_CAPACITY":
            qty /= 2
        sl = None if sl_dist is None else price - side * sl_dist
        self.positions.append(
            Pos(len(self.closed) + len(self.positions), side, qty, price, sl, self.tick())
        )

    def exit(self, pos: Pos, price: float, ts: int) -> None:
        assert permits(self.mode(), reduces_exposure=True)  # property 1
        self.exits_checked += 1
        pnl = pos.side * pos.qty * (price - pos.entry)
        self.balance += pnl
        pos.exit, pos.closed_at = price, self.tick()
        self.positions.remove(pos)
        self.closed.append(pos)
        self.g.on_trade(trade(f"t{pos.pid}", ts, pnl=pnl))

    def mark(self, ts: int, price: float, reason: str) -> None:
        eq = self.equity(price)
        self.peak = max(self.peak, eq)
        seq = len(self.marks) + 1
        record = snapshot(
            seq,
            ts,
            eq,
            balance=self.balance,
            initial=INITIAL,
            day_start=self.day_start,
            peak=self.peak,
            day=self.trading_day(),
            reason=reason,
            open_positions=len(self.positions),
        )
        self.marks.append(Mark(seq, self.tick(), eq, price, reason))
        halted_before = self.mode() == "HALTED"
        outs: list[Output] = self.g.on_snapshot(record)
        flattens = [
            c for c in commands(outs) if c["command"] == "FLATTEN" and c["scope_id"] == "b1"
        ]
        for breach in audits(outs, "LIMIT_BREACHED"):
            d = details(breach)
            level = (
                d["day_start_balance"] - d["daily_loss_limit"]
                if d["cause"] == "DAILY_LOSS"
                else d["equity_floor"]
            )
            self.checks.append(Check(len(self.marks) - 1, level, d["cause"]))
        if flattens:
            self.pending_flatten = True
        # property 2, with the limits computed here from the snapshot
        limits = account_limits(
            RULE_SETS[self.rule_set],
            initial_balance=INITIAL,
            day_start_balance=self.day_start,
            peak_equity=max(self.peak, INITIAL, eq),
        )
        if breached(limits, equity=eq, day_start_balance=self.day_start) is not None:
            assert self.mode() == "HALTED"
            assert halted_before or flattens

    def fill_flatten(self, price: float, ts: int) -> None:
        for pos in list(self.positions):
            self.exit(pos, price, ts)
        self.pending_flatten = False
        at = self.tick()
        for check in self.checks:
            if check.fill_at is None:
                check.fill_at, check.equity_after_fill = at, self.balance
        self.mark(ts, price, "CHANGE")

    # --------------------------------------------------------------------------------- property 3
    def verify_bounds(self) -> int:
        verified = 0
        for check in self.checks:
            if check.fill_at is None or check.equity_after_fill is None:
                continue  # the run ended before the next bar's open
            m = self.marks[check.mark_index]
            prev = (
                self.marks[check.mark_index - 1]
                if check.mark_index > 0
                else Mark(0, 0, INITIAL, START_PRICE, "INITIAL")
            )
            adverse = 0.0
            for p in self.closed:
                assert p.closed_at is not None and p.exit is not None
                if p.opened_at < check.fill_at and p.closed_at > prev.at:
                    ref = prev.price if p.opened_at < prev.at else p.entry
                    adverse += p.qty * max(0.0, p.side * (ref - p.exit))
            carried = max(0.0, check.level - prev.equity)
            if carried > TOL:
                assert m.reason == "DAY_BOUNDARY" and check.cause == "DAILY_LOSS"
            overshoot = check.level - check.equity_after_fill
            assert overshoot <= carried + adverse + TOL, (check, prev, m, adverse)
            verified += 1
        return verified


action = st.one_of(
    st.just(("none",)),
    st.tuples(
        st.just("open"),
        st.sampled_from([1, -1]),
        st.floats(1, 400),
        st.one_of(st.none(), st.floats(1, 300)),
    ),
    st.just(("close",)),
)
bar = st.tuples(
    st.one_of(st.floats(-20, 20), st.floats(-250, 250)),  # gap from the previous close
    st.floats(-80, 80),  # close - open
    st.floats(0, 80),  # wick above
    st.floats(0, 80),  # wick below
    action,
)


def run(rule_set: str, bars_per_day: int, bars: list[Any]) -> Sim:
    sim = Sim(rule_set)
    close = START_PRICE
    for k, (gap, body, up, down, act) in enumerate(bars):
        start = T0 + k * H
        if k > 0 and k % bars_per_day == 0:
            sim.day += 1
            sim.day_start = sim.balance
            sim.mark(start, close, "DAY_BOUNDARY")
        o = close + gap
        c = o + body
        hi, lo = max(o, c) + up, min(o, c) - down
        if sim.pending_flatten:
            sim.fill_flatten(o, start + 1)
        if act[0] == "open":
            sim.open(act[1], act[2], act[3], o)
        elif act[0] == "close" and sim.positions:
            sim.exit(sim.positions[0], o, start + 2)
        for p in list(sim.positions):
            if p.sl is None:
                continue
            if p.side > 0 and lo <= p.sl:
                sim.exit(p, min(o, p.sl), start + H - 1)
            elif p.side < 0 and hi >= p.sl:
                sim.exit(p, max(o, p.sl), start + H - 1)
        sim.mark(start + H, c, "MARK_TO_MARKET")
        close = c
    return sim


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rule_set=st.sampled_from(["ftmo_2step", "strict", "constitution"]),
    bars_per_day=st.integers(2, 8),
    bars=st.lists(bar, min_size=2, max_size=40),
)
def test_losses_stay_within_limits_plus_the_bar_and_the_gap(
    rule_set: str, bars_per_day: int, bars: list[Any]
) -> None:
    sim = run(rule_set, bars_per_day, bars)
    sim.verify_bounds()


def test_the_model_does_breach_and_flatten() -> None:
    """The property is not vacuous: a steady fall through the limits is caught and bounded."""
    bars = [(0.0, -30.0, 0.0, 0.0, ("open", 1, 30.0, None))] + [
        (-5.0, -30.0, 5.0, 5.0, ("none",)) for _ in range(10)
    ]
    sim = run("strict", 100, bars)
    assert [c.cause for c in sim.checks] == ["DAILY_LOSS"]
    assert sim.verify_bounds() == 1
    assert sim.exits_checked == 1 and sim.positions == []
    # a gap through the limit: the loss beyond it is the gap, no more
    gap = [
        (0.0, 0.0, 0.0, 0.0, ("open", 1, 100.0, None)),
        (-40.0, 0.0, 0.0, 0.0, ("none",)),  # -4,000: past 1.5 % daily and 4 % max loss
        (-100.0, 0.0, 0.0, 0.0, ("none",)),  # FLATTEN filled after another -10,000 gap
    ]
    sim = run("strict", 100, gap)
    assert [c.cause for c in sim.checks] == ["MAX_LOSS"]
    assert sim.verify_bounds() == 1
    assert sim.balance == pytest.approx(INITIAL - 14_000)
