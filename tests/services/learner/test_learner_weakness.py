"""The weakness analyzer: a pattern that loses with statistical support gets exactly the rule
expected (skip or halve risk), too few signals give nothing, a rule that pays again is rolled
back, and the order trades are read in cannot change what is proposed."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from hive.rules import Rule
from hive_learner.stats import mean_below_zero, student_t_cdf
from hive_learner.weakness import WeaknessAnalyzer, WeaknessConfig, rule_id_for

from support.rules import make_rule, rule_record

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
COMMANDS = fastavro.parse_schema(
    json.loads((ROOT / "schemas/avro/control_commands.avsc").read_text())
)
EXAMPLE: dict[str, Any] = json.loads((ROOT / "schemas/examples/trades_closed.json").read_text())
DAY = 86_400_000
D0 = 1_496_275_200_000  # 2017-06-01 00:00 UTC
HOUR = 3_600_000


def trade(
    n: int,
    r: float,
    *,
    regime: str = "CHAOS",
    session: str = "LONDON",
    ts: int | None = None,
    source: str = "fx-vip",
    bot: str = "b1",
    signal: str | None = None,
    shadow_reason: str = "NONE",
    exit_reason: str = "STOP_LOSS",
) -> dict[str, Any]:
    at = D0 + 8 * HOUR + n * 60_000 if ts is None else ts
    sid = signal or f"{source}:{regime}:{session}:{n}"
    record = copy.deepcopy(EXAMPLE)
    record.update(
        event_id=f"{sid}:{bot}", trade_id=f"{sid}:{bot}", signal_id=sid, bot_id=bot,
        ts_event=at, ts_init=at, exit_time=at, r_multiple=r, exit_reason=exit_reason,
        shadow=shadow_reason != "NONE", shadow_reason=shadow_reason,
    )  # fmt: skip
    record["features"].update(source=source, regime=regime, session=session, signal_time=at - HOUR)
    return record


# Checks at each boundary as soon as a later day's trade is read: the checks themselves are what
# most tests here are about; reading order (what settle_ms is for) has its own tests below.
EAGER = WeaknessConfig(settle_ms=0)


def alternating(n: int, a: float, b: float, **kw: Any) -> list[dict[str, Any]]:
    return [trade(i, a if i % 2 == 0 else b, **kw) for i in range(n)]


def next_day(day: int = 1) -> dict[str, Any]:
    return trade(10_000 + day, 0.0, regime="CALM", source="other", ts=D0 + day * DAY + HOUR)


def feed(analyzer: WeaknessAnalyzer, trades: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for t in trades:
        out += analyzer.on_trade(t)
    return out


def test_the_t_test_gives_students_p_values() -> None:
    # Tables: t(0.05, 29) = 1.699127, t(0.025, 29) = 2.045230, t(0.05, 10) = 1.812461.
    assert student_t_cdf(-1.699127, 29) == pytest.approx(0.05, abs=1e-7)
    assert student_t_cdf(-2.045230, 29) == pytest.approx(0.025, abs=1e-7)
    assert student_t_cdf(1.812461, 10) == pytest.approx(0.95, abs=1e-7)
    assert student_t_cdf(0.0, 5) == 0.5
    test = mean_below_zero([-1.0, 0.2, -1.0, 0.2])
    assert (test.n, test.mean) == (4, pytest.approx(-0.4))
    assert test.statistic == pytest.approx(-0.4 / (0.69282032 / 2), rel=1e-7)
    assert mean_below_zero([-1.0] * 5).p_value < 1e-30  # no spread: certainly below 0


def test_a_strongly_losing_pattern_gets_exactly_a_skip_rule() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    losers = alternating(40, -1.0, 0.2, regime="CHAOS")  # mean -0.4 R
    winners = [trade(100 + i, 1.0 if i % 2 == 0 else -0.6, regime="TREND") for i in range(40)]
    assert feed(analyzer, losers + winners) == []  # no day boundary yet
    [cmd] = analyzer.on_trade(next_day())
    assert validate(cmd, COMMANDS, raise_errors=True)
    boundary = D0 + DAY
    assert {
        k: cmd[k]
        for k in (
            "event_id",
            "command_id",
            "command",
            "scope_level",
            "scope_id",
            "actor",
            "role",
            "origin",
            "ts_event",
            "ts_init",
        )
    } == {
        "event_id": f"learner:rule:weak.fx-vip.CHAOS:{boundary}",
        "command_id": f"learner:rule:weak.fx-vip.CHAOS:{boundary}",
        "command": "SET_PARAMETER",
        "scope_level": "GLOBAL",
        "scope_id": "global",
        "actor": "learner",
        "role": "SYSTEM",
        "origin": "learner",
        "ts_event": boundary,
        "ts_init": boundary,
    }
    rule = Rule.from_json(cmd["parameters"]["value"])
    assert cmd["parameters"]["name"] == "rule.weak.fx-vip.CHAOS"
    expected = mean_below_zero([-1.0, 0.2] * 20)
    # three patterns had 30+ signals: (fx-vip, CHAOS), (fx-vip, TREND), (fx-vip, LONDON)
    assert rule.to_dict() == {
        "rule_id": "weak.fx-vip.CHAOS",
        "when": {"source": "fx-vip", "regime": "CHAOS"},
        "action": "skip",
        "evidence": {
            "trades": 40,
            "expectancy_r": -0.4,
            "test": "one-sided one-sample t-test of mean R < 0 per signal, Bonferroni over patterns (m=3, alpha=0.05)",
            "statistic": round(expected.statistic, 6),
            "p_value": expected.p_value,
            "window_start": losers[0]["ts_event"],
            "window_end": losers[-1]["ts_event"],
        },
    }
    assert expected.p_value * 3 < 0.05 and round(expected.statistic, 3) == -4.163
    assert cmd["reason"] == (
        "skip: 40 signals averaged -0.4000 R, t = -4.163, p = 8.38e-05 (3 patterns tested)"
    )


def test_a_mildly_losing_pattern_gets_its_risk_halved() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    feed(analyzer, alternating(40, -0.3, 0.1, regime="CALM", session="ASIA"))
    cmds = analyzer.on_trade(next_day())
    names = [c["parameters"]["name"] for c in cmds]
    assert names == ["rule.weak.fx-vip.ASIA", "rule.weak.fx-vip.CALM"]  # equal p: by id
    rule = Rule.from_json(cmds[0]["parameters"]["value"])
    assert (rule.action, rule.risk_scale, rule.when.to_dict()) == (
        "risk_scale",
        0.5,
        {"source": "fx-vip", "session": "ASIA"},
    )
    assert rule.evidence.expectancy_r == -0.1 and rule.evidence.trades == 40


def test_too_few_signals_or_no_support_propose_nothing() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    feed(analyzer, alternating(29, -1.0, 0.2))  # strongly negative, one signal short
    assert analyzer.on_trade(next_day()) == []
    noisy = WeaknessAnalyzer(EAGER)  # 40 signals, mean -0.1 R, far too noisy
    feed(noisy, alternating(40, -2.0, 1.8))
    assert noisy.on_trade(next_day()) == []


def test_a_signal_counts_once_whatever_number_of_bots_traded_it() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    trades = alternating(20, -1.0, 0.2)
    doubled = [
        trade(i, t["r_multiple"], bot="b2", signal=t["signal_id"]) for i, t in enumerate(trades)
    ]
    feed(analyzer, trades + doubled + trades)  # and a redelivery
    assert analyzer.on_trade(next_day()) == []  # 20 signals, not 60 trades


def test_uninformative_closes_and_trades_without_r_are_left_out() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    feed(analyzer, alternating(40, -1.0, 0.2, exit_reason="END_OF_DATA"))
    feed(analyzer, [{**trade(200 + i, -1.0), "r_multiple": None} for i in range(40)])
    assert analyzer.on_trade(next_day()) == []


def test_counterfactual_trades_are_evidence_too() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    feed(analyzer, alternating(40, -1.0, 0.2, shadow_reason="COUNTERFACTUAL"))
    assert [c["parameters"]["name"] for c in analyzer.on_trade(next_day())] == [
        "rule.weak.fx-vip.CHAOS",
        "rule.weak.fx-vip.LONDON",
    ]


def test_a_rule_in_force_or_just_proposed_is_not_proposed_again() -> None:
    analyzer = WeaknessAnalyzer(WeaknessConfig(max_proposals=1, settle_ms=0))
    feed(analyzer, alternating(40, -1.0, 0.2))
    [first] = analyzer.on_trade(next_day(1))
    assert first["parameters"]["name"] == "rule.weak.fx-vip.CHAOS"
    [second] = analyzer.on_trade(next_day(2))  # CHAOS pending: the next weakest
    assert second["parameters"]["name"] == "rule.weak.fx-vip.LONDON"
    analyzer.on_parameter(rule_record(Rule.from_json(first["parameters"]["value"]), ts=D0 + DAY))
    assert analyzer.on_trade(next_day(3)) == []  # one in force, one pending
    # a week after its proposal a rule not in force (refused) is proposed again
    [again] = analyzer.on_trade(next_day(9))
    assert again["parameters"]["name"] == "rule.weak.fx-vip.LONDON"
    assert again["command_id"] == f"learner:rule:weak.fx-vip.LONDON:{D0 + 9 * DAY}"


def test_at_most_three_proposals_a_check_lowest_p_first() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    for k, source in enumerate(("a", "b", "c", "d")):
        feed(
            analyzer,
            [
                trade(
                    40 * k + i,
                    -1.0 if i % 2 == 0 else 0.2 + 0.1 * k,
                    source=source,
                    session=["ASIA", "LONDON", "NEW_YORK", "OFF_HOURS"][k],
                )
                for i in range(40)
            ],
        )
    cmds = analyzer.on_trade(next_day())
    assert len(cmds) == 3
    assert [c["parameters"]["name"] for c in cmds] == [
        "rule.weak.a.ASIA",
        "rule.weak.a.CHAOS",
        "rule.weak.b.CHAOS",
    ]


def test_a_rule_that_pays_again_is_rolled_back() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    rule = make_rule("weak.fx-vip.CHAOS", source="fx-vip", regime="CHAOS")
    deployed = D0 + DAY
    analyzer.on_parameter(
        rule_record(rule, ts=deployed, change_id="learner:rule:weak.fx-vip.CHAOS:x")
    )
    other = make_rule("weak.fx-vip.TREND", source="fx-vip", regime="TREND")
    analyzer.on_parameter(rule_record(other, ts=deployed, change_id="alice-1", actor="alice"))
    feed(analyzer, [next_day(1)])
    # signals before the rule came into force do not count; 30 skipped ones since then won +0.1 R
    before = [trade(i, -1.0, ts=deployed - 2 * HOUR + i) for i in range(40)]
    since = [
        trade(
            100 + i,
            0.5 if i % 2 == 0 else -0.3,
            ts=deployed + 2 * HOUR + i,
            shadow_reason="COUNTERFACTUAL",
        )
        for i in range(29)
    ]
    feed(analyzer, before + since)
    rollbacks = [c for c in analyzer.on_trade(next_day(2)) if c["command"] == "ROLLBACK_CHANGE"]
    assert rollbacks == []  # 29: not enough yet
    feed(analyzer, [trade(200, 0.5, ts=D0 + 2 * DAY + 2 * HOUR, shadow_reason="COUNTERFACTUAL")])
    paying_trend = [
        trade(300 + i, 0.5, regime="TREND", ts=deployed + 2 * HOUR + i) for i in range(40)
    ]
    feed(analyzer, paying_trend)
    [cmd] = [c for c in analyzer.on_trade(next_day(3)) if c["command"] == "ROLLBACK_CHANGE"]
    assert validate(cmd, COMMANDS, raise_errors=True)
    assert cmd["parameters"] == {"change_id": "learner:rule:weak.fx-vip.CHAOS:x"}
    assert cmd["command_id"] == "learner:rollback:learner:rule:weak.fx-vip.CHAOS:x"
    assert (cmd["scope_level"], cmd["role"], cmd["actor"], cmd["ts_event"]) == (
        "GLOBAL",
        "SYSTEM",
        "learner",
        D0 + 3 * DAY,
    )
    assert (
        cmd["reason"]
        == "rule weak.fx-vip.CHAOS stopped paying: the 30 signals it matched since 2017-06-02T00:00+00:00 averaged +0.1267 R (>= 0)"
    )
    # sent once; alice's rule is hers to roll back
    assert [c for c in analyzer.on_trade(next_day(4)) if c["command"] == "ROLLBACK_CHANGE"] == []


def test_two_reading_orders_give_the_same_commands() -> None:
    days = [
        alternating(40, -1.0, 0.2, regime="CHAOS")
        + alternating(40, -0.3, 0.1, regime="CALM", session="ASIA"),
        [
            trade(
                500 + i,
                0.4 if i % 3 else -1.0,
                regime="TREND",
                ts=D0 + DAY + HOUR + i * 60_000,
                bot=f"b{i % 3}",
            )
            for i in range(60)
        ],
        [next_day(2)],
    ]
    runs = []
    for seed in (1, 2):
        rng = random.Random(seed)
        analyzer = WeaknessAnalyzer(EAGER)
        out: list[dict[str, Any]] = []
        for day in days:
            shuffled = day[:]
            rng.shuffle(shuffled)
            out += feed(analyzer, shuffled)
        runs.append(out)
    assert runs[0] == runs[1]
    assert [(c["ts_event"], c["parameters"]["name"]) for c in runs[0]] == [
        (D0 + DAY, "rule.weak.fx-vip.CHAOS"),  # equal p: by rule id
        (D0 + DAY, "rule.weak.fx-vip.LONDON"),
        (D0 + DAY, "rule.weak.fx-vip.ASIA"),  # at most 3 a check: CALM waits a day
        (D0 + 2 * DAY, "rule.weak.fx-vip.CALM"),
    ]


def test_rule_ids_are_deterministic_and_valid() -> None:
    assert rule_id_for("fx-vip", "CHAOS") == "weak.fx-vip.CHAOS"
    odd = rule_id_for("Gold Club: VIP", "ASIA")
    assert (
        odd
        == "weak.Gold_Club__VIP."
        + __import__("hashlib").sha256(b"Gold Club: VIP").hexdigest()[:8]
        + ".ASIA"
    )
    assert rule_id_for("Gold Club; VIP", "ASIA") != odd
    make_rule(odd)  # a valid rule id


def test_no_check_while_restoring() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    analyzer.restoring = True
    feed(analyzer, alternating(40, -1.0, 0.2))
    assert analyzer.on_trade(next_day(1)) == []
    analyzer.go_live()
    assert len(analyzer.on_trade(next_day(2))) == 2


def test_the_service_publishes_the_commands_and_reads_what_is_in_force(tmp_path: Path) -> None:
    from hive.runtime import InboundRecord, RejectRecord
    from hive.topics import CONTROL_COMMANDS, CONTROL_PARAMETERS, TRADES_CLOSED
    from hive_learner.learner import Learner
    from hive_learner.service import make_handler
    from hive_learner.settings import LearnerSettings
    from hive_learner.store import ModelStore

    analyzer = WeaknessAnalyzer(EAGER)
    handle = make_handler(
        Learner(LearnerSettings().learner_config(), ModelStore(tmp_path)), analyzer
    )
    rule = make_rule("weak.fx-vip.CHAOS", source="fx-vip", regime="CHAOS")
    key = "GLOBAL:global:rule.weak.fx-vip.CHAOS"
    handle(InboundRecord(CONTROL_PARAMETERS, 0, 0, key, rule_record(rule)))
    assert [p.name for p in analyzer.book.rules()] == ["rule.weak.fx-vip.CHAOS"]
    handle(InboundRecord(CONTROL_PARAMETERS, 0, 1, key, {}, tombstone=True))
    assert analyzer.book.rules() == []
    with pytest.raises(RejectRecord):
        handle(InboundRecord(CONTROL_PARAMETERS, 0, 2, key, {"kind": "RULE"}))
    for i, t in enumerate([*alternating(40, -1.0, 0.2), next_day()]):
        out = handle(InboundRecord(TRADES_CLOSED, 0, i, t["bot_id"], t))
    assert [(o.topic, o.key, o.value["parameters"]["name"]) for o in out] == [
        (CONTROL_COMMANDS, "GLOBAL:global", "rule.weak.fx-vip.CHAOS"),
        (CONTROL_COMMANDS, "GLOBAL:global", "rule.weak.fx-vip.LONDON"),
    ]
    # self-modification off: no analyzer, trades give no commands
    off = make_handler(Learner(LearnerSettings().learner_config(), ModelStore(tmp_path)))
    assert off(InboundRecord(CONTROL_PARAMETERS, 0, 0, key, rule_record(rule))) == []
    outs = [
        off(InboundRecord(TRADES_CLOSED, 0, i, "b1", t))
        for i, t in enumerate([*alternating(40, -1.0, 0.2), next_day()])
    ]
    assert all(o == [] for o in outs)


def test_a_trade_arriving_after_its_day_was_checked_joins_the_next_check() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    losers = alternating(30, -1.0, 0.2, session="ASIA")
    feed(analyzer, losers[:-1])
    assert analyzer.on_trade(next_day(1)) == []  # 29 signals
    assert analyzer.on_trade(losers[-1]) == []  # late: day 0, no check
    [asia, chaos] = analyzer.on_trade(next_day(2))  # equal p: by rule id
    assert Rule.from_json(chaos["parameters"]["value"]).evidence.trades == 30
    assert asia["parameters"]["name"] == "rule.weak.fx-vip.ASIA"


def test_after_a_rollback_only_later_trades_count_for_the_rule() -> None:
    analyzer = WeaknessAnalyzer(EAGER)
    rolled_back = rule_record(None, rule_id="weak.fx-vip.CHAOS", ts=D0 + 12 * HOUR)
    analyzer.on_parameter(rolled_back)
    feed(analyzer, alternating(40, -1.0, 0.2))  # all before 12:00
    names = [c["parameters"]["name"] for c in analyzer.on_trade(next_day(1))]
    assert names == ["rule.weak.fx-vip.LONDON"]


def test_a_boundary_is_checked_once_a_trade_a_week_later_is_read_whatever_the_reading_order() -> (
    None
):
    """The shipped settle_ms (a week): day 1's trades read before day 0's (another partition
    ahead by a day) propose exactly what reading them in time order does, at the same
    boundaries, and nothing is checked before a trade a week after the boundary is read."""
    day0 = alternating(40, -1.0, 0.2, regime="CHAOS")
    day1 = [
        trade(500 + i, -1.0 if i % 2 else 0.2, regime="TREND", ts=D0 + DAY + HOUR + i * 60_000)
        for i in range(40)
    ]
    week_later = [next_day(8), next_day(9)]
    outs = []
    for order in (day0 + day1, day1 + day0):
        analyzer = WeaknessAnalyzer()
        assert feed(analyzer, order) == []  # nothing settled yet
        outs.append(feed(analyzer, week_later))
    assert outs[0] == outs[1]
    assert [(c["ts_event"], c["parameters"]["name"]) for c in outs[0]] == [
        (D0 + DAY, "rule.weak.fx-vip.CHAOS"),  # equal p: by rule id
        (D0 + DAY, "rule.weak.fx-vip.LONDON"),
        (D0 + 2 * DAY, "rule.weak.fx-vip.TREND"),
    ]
    # Eager checks would have judged day 0 before day 1's trades were all read, or not at all.
    eager = WeaknessAnalyzer(EAGER)
    assert feed(eager, day1 + day0 + week_later) != outs[0]
