"""Record factories and a hand-built run for the report's tests (no tests here).

Records start from the schema examples (schemas/examples/*.json), so each is a complete, valid
record and only the fields a test is about are changed. `scenario()` is one small run whose
every number is worked out in the comments, for the tests to assert.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from hive.limits import load_rule_sets
from hive_tools.report import RunData

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schemas" / "examples"
T0 = 1_497_427_200_000  # 2017-06-14 08:00 UTC
HOUR = 3_600_000
DAY = 24 * HOUR
RULE_SETS = load_rule_sets()


@cache
def _example_cached(stem: str) -> str:
    return (EXAMPLES / f"{stem}.json").read_text()


def example(stem: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(_example_cached(stem))
    record.update(copy.deepcopy(changes))
    return record


def raw(source: str, message_id: str, ts: int, revision: int = 0) -> dict[str, Any]:
    return example(
        "signals_raw",
        event_id=f"raw:{source}:{message_id}:{revision}",
        ts_event=ts,
        source=source,
        message_id=message_id,
        revision=revision,
        posted_at=ts,
    )


def parsed(source: str, message_id: str, ts: int, revision: int = 0) -> dict[str, Any]:
    signal_id = f"{source}:{message_id}:0"
    return example(
        "signals_parsed",
        event_id=f"{signal_id}:r{revision}",
        ts_event=ts,
        signal_id=signal_id,
        source=source,
        message_id=message_id,
        revision=revision,
    )


def update(source: str, message_id: str, ts: int) -> dict[str, Any]:
    return example(
        "signals_updates",
        event_id=f"upd:{source}:{message_id}",
        ts_event=ts,
        source=source,
        message_id=message_id,
        revision=0,
    )


def dead_letter(
    reason: str, value: dict[str, Any] | None, source_topic: str = "signals.raw.v1"
) -> dict[str, Any]:
    return {
        "topic": f"{source_topic}.dlq",
        "partition": 0,
        "offset": 0,
        "key": None if value is None else value.get("source"),
        "reason": reason,
        "error": f"{reason}: test",
        "source_topic": source_topic,
        "source_partition": "0",
        "source_offset": "0",
        "service": "signal-parser",
        "value": value,
    }


def scored(signal: dict[str, Any], regime: str) -> dict[str, Any]:
    return example(
        "signals_scored",
        event_id=f"scored:{signal['signal_id']}",
        ts_event=signal["ts_event"],
        signal=signal,
        regime=regime,
    )


def decision(
    signal_id: str,
    bot_id: str,
    allowed: bool,
    reasons: list[str],
    ts: int,
    regime: str,
    shadow: bool = False,
) -> dict[str, Any]:
    return example(
        "orders_decisions",
        event_id=f"{signal_id}:{bot_id}",
        ts_event=ts,
        signal_id=signal_id,
        bot_id=bot_id,
        source=signal_id.split(":", maxsplit=1)[0],
        allowed=allowed,
        reasons=reasons,
        regime=regime,
        shadow=shadow,
    )


def trade(
    bot_id: str,
    signal_id: str,
    pnl: float,
    r: float | None,
    ts: int,
    regime: str,
    shadow: bool = False,
) -> dict[str, Any]:
    record = example(
        "trades_closed",
        event_id=f"trade:{bot_id}:{signal_id}:{shadow}",
        ts_event=ts,
        trade_id=f"trade:{bot_id}:{signal_id}",
        signal_id=signal_id,
        bot_id=bot_id,
        pnl=pnl,
        r_multiple=r,
        shadow=shadow,
        shadow_reason="COUNTERFACTUAL" if shadow else "NONE",
    )
    record["features"]["source"] = signal_id.split(":", maxsplit=1)[0]
    record["features"]["regime"] = regime
    return record


def snapshot(
    bot_id: str,
    sequence: int,
    ts: int,
    *,
    equity: float,
    balance: float,
    initial: float,
    day_start: float,
    peak: float,
    day: str,
) -> dict[str, Any]:
    return example(
        "accounts_snapshots",
        event_id=f"{bot_id}:{sequence}",
        ts_event=ts,
        bot_id=bot_id,
        sequence=sequence,
        balance=balance,
        equity=equity,
        initial_balance=initial,
        day_start_balance=day_start,
        day_start_equity=day_start,
        peak_equity=peak,
        trading_day=day,
        daily_loss=max(0.0, day_start - equity),
        drawdown=max(0.0, peak - equity),
        total_loss=max(0.0, initial - equity),
    )


def breaker(
    scope_id: str, seq: int, ts: int, state: str, fallback: str, cause: str, level: str = "BOT"
) -> dict[str, Any]:
    return example(
        "control_breakers",
        event_id=f"{level}:{scope_id}:{seq}",
        ts_event=ts,
        scope_level=level,
        scope_id=scope_id,
        state=state,
        fallback_mode=fallback,
        cause=cause,
        transition_seq=seq,
    )


def bot(bot_id: str, rule_set: str, size: float) -> dict[str, Any]:
    return example(
        "registry_bots", event_id=f"{bot_id}:1", bot_id=bot_id, rule_set=rule_set, account_size=size
    )


def scenario() -> RunData:
    """Two registered bots (ftmo-a: ftmo_2step 100k; strict-b: strict 50k) and one the
    registry does not know (ghost-c: the constitution), two sources, eight raw messages."""
    t = T0
    fx1, fx2, fx3, fx4, fx5 = (raw("fx-vip", str(i), t + i * 60_000) for i in range(1, 6))
    gr1, gr2 = raw("gold-room", "1", t + 600_000), raw("gold-room", "2", t + 660_000)
    p_fx1, p_fx2 = parsed("fx-vip", "1", t + 60_000), parsed("fx-vip", "2", t + 120_000)
    p_gr1 = parsed("gold-room", "1", t + 600_000)
    s1, s2, s3 = "fx-vip:1:0", "fx-vip:2:0", "gold-room:1:0"
    data = RunData(
        # outcomes: parsed 3 (fx1, fx2, gr1), update 1 (fx3), dead letters wrong_side_stop (fx4),
        # not_a_signal (gr2), deserialization_error (bytes unreadable), no output 1 (fx5): 8
        raw=[fx1, fx2, fx3, fx4, fx5, gr1, gr2],
        parsed=[p_fx1, p_fx2, p_gr1],
        updates=[update("fx-vip", "3", t + 180_000)],
        dead_letters=[
            dead_letter("wrong_side_stop", fx4),
            dead_letter("not_a_signal", gr2),
            dead_letter("deserialization_error", None),
            dead_letter("no_market_data", None, source_topic="signals.parsed.v1"),
        ],
        scored=[scored(p_fx1, "TREND"), scored(p_fx2, "CHAOS"), scored(p_gr1, "CALM")],
        # 6 decisions: 3 allowed, 3 denied (4 denial codes)
        decisions=[
            decision(s1, "ftmo-a", True, [], t + 60_000, "TREND"),
            decision(s1, "strict-b", True, ["profile.daily_loss_headroom"], t + 60_000, "TREND"),
            decision(s2, "ftmo-a", False, ["card.regime_filtered"], t + 120_000, "CHAOS"),
            decision(
                s2,
                "strict-b",
                False,
                ["confidence.below_minimum", "profile.daily_loss_reached"],
                t + 120_000,
                "CHAOS",
            ),
            decision(s3, "ftmo-a", True, [], t + 600_000, "CALM"),
            decision(s3, "strict-b", False, ["allowlist.symbol"], t + 600_000, "CALM"),
        ],
        trades=[
            trade("ftmo-a", s1, 900.0, 0.9, t + 2 * HOUR, "TREND"),
            trade("ftmo-a", s3, -500.0, -1.0, t + 6 * HOUR, "CALM"),
            trade("strict-b", s1, -400.0, -1.0, t + 3 * HOUR, "TREND"),
            trade("ftmo-a", s2, -1000.0, -1.0, t + 4 * HOUR, "CHAOS", shadow=True),
        ],
        snapshots=[
            # ftmo-a: daily limit = min(3 % of 100,900 = 3,027 constitution, 5 % of 100k) =
            # 3,027; a 4,400 open loss breaches it; floor = max(90 % of peak 100,900, 90k) =
            # 90,810, so the drawdown limit is 10,090
            snapshot(
                "ftmo-a",
                1,
                t,
                equity=100_000,
                balance=100_000,
                initial=100_000,
                day_start=100_000,
                peak=100_000,
                day="2017-06-14",
            ),
            snapshot(
                "ftmo-a",
                2,
                t + 2 * HOUR,
                equity=100_900,
                balance=100_900,
                initial=100_000,
                day_start=100_000,
                peak=100_900,
                day="2017-06-14",
            ),
            snapshot(
                "ftmo-a",
                3,
                t + 5 * HOUR,
                equity=96_500,
                balance=100_900,
                initial=100_000,
                day_start=100_900,
                peak=100_900,
                day="2017-06-14",
            ),
            snapshot(
                "ftmo-a",
                4,
                t + DAY,
                equity=100_400,
                balance=100_400,
                initial=100_000,
                day_start=100_400,
                peak=100_900,
                day="2017-06-15",
            ),
            # strict-b: daily 1.5 % of 50k = 750; floor max(96 % of 50k, 90 % of 50k) = 48,000
            snapshot(
                "strict-b",
                1,
                t,
                equity=50_000,
                balance=50_000,
                initial=50_000,
                day_start=50_000,
                peak=50_000,
                day="2017-06-14",
            ),
            snapshot(
                "strict-b",
                2,
                t + 3 * HOUR,
                equity=49_600,
                balance=49_600,
                initial=50_000,
                day_start=50_000,
                peak=50_000,
                day="2017-06-14",
            ),
            # ghost-c: constitution only, daily 600, drawdown limit 2,000
            snapshot(
                "ghost-c",
                1,
                t,
                equity=20_000,
                balance=20_000,
                initial=20_000,
                day_start=20_000,
                peak=20_000,
                day="2017-06-14",
            ),
        ],
        breakers=[
            breaker("strict-b", 1, t + 3 * HOUR, "OPEN", "SHADOW_MODE", "LOSING_TRADE"),
            breaker("strict-b", 2, t + 3 * HOUR + 30_000, "HALF_OPEN", "NONE", "RESET_TIMEOUT"),
            breaker("strict-b", 3, t + 4 * HOUR, "CLOSED", "NONE", "PROBE_SUCCEEDED"),
            breaker("ftmo-a", 1, t + 5 * HOUR, "OPEN", "HALTED", "DAILY_LOSS"),
            breaker("ftmo-a", 2, t + DAY, "CLOSED", "NONE", "DAY_BOUNDARY"),
        ],
        bots={
            "ftmo-a": bot("ftmo-a", "ftmo_2step", 100_000),
            "strict-b": bot("strict-b", "strict", 50_000),
            "old-bot": bot("old-bot", "strict", 10_000),  # registered, not in this run
        },
    )
    return data
