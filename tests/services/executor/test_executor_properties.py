"""Properties over random markets and orders: money is conserved (balance = initial + the sum
of the non-shadow trades' net P&L once flat), a repeated intent never produces anything,
snapshot sequences have no gaps, and every record is valid."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive_executor import Executor, Output

from support.executor import (
    SNAPSHOTS,
    T0,
    TRADES,
    H,
    allowed_for,
    bar,
    bot,
    check_record,
    command,
    config,
    intent,
    replay,
    update,
)

pytestmark = pytest.mark.unit

PIP = 0.0001


@st.composite
def markets(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A random walk of hourly EURUSD bars with gaps, in pips."""
    n = draw(st.integers(min_value=5, max_value=60))
    price = 1.1000
    bars = []
    for i in range(n):
        o = price + draw(st.integers(-15, 15)) * PIP
        c = o + draw(st.integers(-40, 40)) * PIP
        hi = max(o, c) + draw(st.integers(0, 30)) * PIP
        lo = min(o, c) - draw(st.integers(0, 30)) * PIP
        spread = draw(st.sampled_from([0.0, 0.00008, 0.0002]))
        bars.append(bar(i, round(o, 5), round(hi, 5), round(lo, 5), round(c, 5), spread=spread))
        price = c
    return bars


@st.composite
def orders(draw: st.DrawFn, n_bars: int) -> dict[str, Any]:
    side = draw(st.sampled_from(["BUY", "SELL"]))
    sign = 1 if side == "BUY" else -1
    kind = draw(st.sampled_from(["MARKET", "LIMIT", "STOP"]))
    ref = 1.1000 + draw(st.integers(-50, 50)) * PIP
    entry = None if kind == "MARKET" else round(ref, 5)
    sl = draw(st.one_of(st.none(), st.integers(5, 80)))
    n_tps = draw(st.integers(0, 3))
    tps = [round(ref + sign * (10 + 15 * k) * PIP, 5) for k in range(n_tps)]
    at = draw(st.integers(0, n_bars - 1))
    shadow = draw(st.booleans())
    record = intent(
        f"o-{at}-{draw(st.integers(0, 10**6))}",
        bot_id=draw(st.sampled_from(["b1", "b2"])),
        signal_id=f"s-{draw(st.integers(0, 5))}",
        side=side,
        order_type=kind,
        entry=entry,
        sl=None if sl is None else round(ref - sign * sl * PIP, 5),
        tps=tps,
        qty=draw(st.sampled_from([0.01, 0.1, 0.37, 1.0, 2.5])),
        ts=T0 + at * H + draw(st.integers(0, H - 1)),
        shadow=shadow,
        shadow_reason="COUNTERFACTUAL" if shadow else "NONE",
    )
    record["_deliver_after"] = at + draw(st.integers(0, 4))  # arrives late, sometimes
    return record


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, Any]]:
    bars = draw(markets())
    n = len(bars)
    intents = draw(st.lists(orders(n), min_size=1, max_size=12, unique_by=lambda r: r["order_id"]))
    updates = [
        update(
            action,
            ts=T0 + draw(st.integers(0, n)) * H,
            target=f"s-{draw(st.integers(0, 5))}",
            price=round(1.1000 + draw(st.integers(-60, 60)) * PIP, 5),
            fraction=draw(st.sampled_from([0.25, 0.5, 1.0])),
            tp_index=draw(st.integers(1, 3)),
            event_id=f"u-{k}",
        )
        for k, action in enumerate(
            draw(
                st.lists(
                    st.sampled_from(
                        ["MOVE_SL", "MOVE_TP", "BREAKEVEN", "CLOSE_PARTIAL", "CLOSE_ALL", "CANCEL"]
                    ),
                    max_size=6,
                )
            )
        )
    ]
    events: list[tuple[str, Any]] = [("bot", bot("b1", ts=T0)), ("bot", bot("b2", ts=T0))]
    for i, b in enumerate(bars):
        for rec in intents:
            if rec["_deliver_after"] == i:
                events.append(("intent", {k: v for k, v in rec.items() if k != "_deliver_after"}))
        for u in updates:
            if b["open_time"] - H < u["ts_event"] <= b["open_time"]:
                events += [("decision", allowed_for(u, bot_id)) for bot_id in ("b1", "b2")]
        events.append(("bar", b))
    for rec in intents:
        if rec["_deliver_after"] >= n:
            events.append(("intent", {k: v for k, v in rec.items() if k != "_deliver_after"}))
    events.append(("command", command("FLATTEN")))
    return events


def _engine() -> Executor:
    return Executor(
        config(
            commission_per_lot=3.5,
            slippage_pips=0.2,
            swap_long_per_lot=-4.0,
            swap_short_per_lot=1.0,
        )
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_balance_is_initial_plus_the_non_shadow_trades_pnl_once_flat(
    events: list[tuple[str, Any]],
) -> None:
    out = replay(_engine(), events)
    for o in out:
        check_record(o)
    for bot_id in ("b1", "b2"):
        snaps = [o.value for o in out if o.topic == SNAPSHOTS and o.key == bot_id]
        assert [s["sequence"] for s in snaps] == list(range(1, len(snaps) + 1))
        trades = [o.value for o in out if o.topic == TRADES and o.key == bot_id]
        real = [t["pnl"] for t in trades if not t["shadow"]]
        final = snaps[-1]
        assert final["open_positions"] == 0
        assert final["balance"] == pytest.approx(100_000.0 + sum(real), abs=1e-6)
        assert final["equity"] == final["balance"]
        for t in trades:
            assert t["pnl"] == pytest.approx(t["gross_pnl"] - t["commission"] + t["swap"], abs=1e-6)
            assert sum(leg["quantity"] for leg in t["legs"]) == pytest.approx(t["quantity"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.data())
def test_a_repeated_intent_never_produces_anything(
    events: list[tuple[str, Any]], data: st.DataObject
) -> None:
    engine = _engine()
    seen: list[dict[str, Any]] = []
    for event in events:
        replay(engine, [event])
        if event[0] == "intent":
            seen.append(event[1])
        if seen and data.draw(st.booleans()):
            again = data.draw(st.sampled_from(seen))
            got: list[Output] = engine.on_intent(again)
            assert got == []
