"""Conflicting signals on one symbol: weighted vote per bot, event time only."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from hive.bots import Bot, from_record
from hive_risk_gate.cards import CardBook, CardLoader
from hive_risk_gate.conflicts import ConflictResolver, Vote
from hive_risk_gate.decide import decide

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
BOT_RECORD: dict[str, Any] = json.loads(
    (ROOT / "schemas/examples/registry_bots.json").read_text(encoding="utf-8")
)
SCORED: dict[str, Any] = json.loads(
    (ROOT / "schemas/examples/signals_scored.json").read_text(encoding="utf-8")
)
T0 = 1497427511000
MIN = 60_000


def bot(weights: dict[str, float], bot_id: str = "b1") -> Bot:
    return from_record(
        dict(
            BOT_RECORD,
            bot_id=bot_id,
            sources=[{"source": s, "weight": w} for s, w in weights.items()],
            strategy_card="follow",
            strategy_parameters={},
        )
    )


def vote(sid: str, source: str, direction: str, minute: float, rev: int = 0) -> Vote:
    return Vote(
        signal_id=sid,
        revision=rev,
        source=source,
        symbol="EURUSD",
        direction=direction,
        ts_event=T0 + int(minute * MIN),
    )


HEAVY_LIGHT = bot({"heavy": 1.0, "light": 0.5})


def test_no_opposing_vote_is_no_conflict() -> None:
    r = ConflictResolver()
    r.observe(vote("a", "heavy", "BUY", 0))
    v = r.check(HEAVY_LIGHT, vote("b", "light", "BUY", 1))
    assert v.outcome == "clear" and not v.denied and v.reason is None
    assert v.supporting == ("a",)
    assert v.details() == {}


def test_the_minority_is_outvoted_and_the_majority_goes_on() -> None:
    r = ConflictResolver()
    first = r.check(HEAVY_LIGHT, vote("h", "heavy", "BUY", 0))
    assert first.outcome == "clear"
    late = r.check(HEAVY_LIGHT, vote("l", "light", "SELL", 5))
    assert (late.outcome, late.reason, late.opposing) == ("outvoted", "conflict.outvoted", ("h",))
    assert late.details() == {
        "conflict": "outvoted",
        "conflict_weight_with": "0.5",
        "conflict_weight_against": "1.0",
        "conflict_opposing": "h",
    }
    # The other order: the light one first, the heavy one wins the vote later.
    r2 = ConflictResolver()
    assert r2.check(HEAVY_LIGHT, vote("l", "light", "SELL", 0)).outcome == "clear"
    heavy = r2.check(HEAVY_LIGHT, vote("h", "heavy", "BUY", 5))
    assert (heavy.outcome, heavy.denied, heavy.opposing) == ("majority", False, ("l",))


def test_a_tie_denies_both_new_signals() -> None:
    even = bot({"a": 1.0, "b": 1.0})
    r = ConflictResolver()
    buy, sell = vote("x", "a", "BUY", 0), vote("y", "b", "SELL", 0)
    r.observe(buy)
    r.observe(sell)
    assert r.verdict(even, buy).reason == "conflict.tie"
    assert r.verdict(even, sell).reason == "conflict.tie"
    # A later signal that ties with an earlier one is denied as well.
    r2 = ConflictResolver()
    r2.check(even, vote("x", "a", "BUY", 0))
    assert r2.check(even, vote("y", "b", "SELL", 3)).outcome == "tie"


def test_weights_sum_as_written_decimals() -> None:
    b = bot({"a": 0.1, "b": 0.2, "c": 0.3})
    r = ConflictResolver()
    r.observe(vote("1", "a", "BUY", 0))
    r.observe(vote("2", "b", "BUY", 0))
    v = r.check(b, vote("3", "c", "SELL", 1))
    assert v.outcome == "tie"  # 0.1 + 0.2 == 0.3 here, unlike in binary floating point


def test_the_window_is_event_time_inclusive() -> None:
    r = ConflictResolver(window_ms=15 * MIN)
    r.observe(vote("old", "heavy", "BUY", 0))
    assert r.verdict(HEAVY_LIGHT, vote("edge", "light", "SELL", 15)).outcome == "outvoted"
    assert r.verdict(HEAVY_LIGHT, vote("out", "light", "SELL", 15.01)).outcome == "clear"
    short = ConflictResolver(window_ms=MIN)
    short.observe(vote("old", "heavy", "BUY", 0))
    assert short.verdict(HEAVY_LIGHT, vote("l", "light", "SELL", 5)).outcome == "clear"


def test_verdicts_do_not_depend_on_arrival_order() -> None:
    b = bot({"a": 1.0, "b": 0.7, "c": 0.3, "d": 0.3})
    votes = [
        vote("1", "a", "BUY", 0),
        vote("2", "b", "SELL", 2),
        vote("3", "c", "SELL", 4),
        vote("4", "d", "BUY", 6),
        vote("5", "a", "SELL", 20),
    ]
    outcomes = set()
    for order in itertools.permutations(votes):
        r = ConflictResolver()
        for v in order:
            r.observe(v)
        outcomes.add(tuple(r.verdict(b, v).outcome for v in votes))
    # 2: 0.7 vs 1.0; 3: 0.7 + 0.3 vs 1.0; 4: 1.0 + 0.3 vs 1.0; 5: only 4 is in its window.
    assert outcomes == {("clear", "outvoted", "tie", "majority", "majority")}


def test_a_sources_newer_call_replaces_its_older_one_and_revisions_replace() -> None:
    r = ConflictResolver()
    r.observe(vote("h1", "heavy", "BUY", 0))
    r.observe(vote("h2", "heavy", "SELL", 2))  # heavy changed its mind
    assert r.verdict(HEAVY_LIGHT, vote("l", "light", "SELL", 3)).outcome == "clear"
    r.observe(vote("h2", "heavy", "BUY", 2, rev=1))  # an edit of h2 flips it back
    assert r.verdict(HEAVY_LIGHT, vote("l", "light", "SELL", 3)).outcome == "outvoted"
    r.observe(vote("h2", "heavy", "SELL", 2, rev=0))  # a stale revision is ignored
    assert r.verdict(HEAVY_LIGHT, vote("l", "light", "SELL", 3)).outcome == "outvoted"


def test_votes_are_per_bot_and_unfollowed_sources_do_not_count() -> None:
    r = ConflictResolver()
    r.observe(vote("h", "heavy", "BUY", 0))
    r.observe(vote("x", "stranger", "BUY", 0))
    sell = vote("l", "light", "SELL", 1)
    assert r.verdict(HEAVY_LIGHT, sell).outcome == "outvoted"
    assert r.verdict(bot({"heavy": 0.2, "light": 1.0}), sell).outcome == "majority"
    assert r.verdict(bot({"light": 1.0, "stranger": 5.0}), sell).outcome == "outvoted"
    assert r.verdict(bot({"light": 1.0}), sell).outcome == "clear"


def test_other_symbols_do_not_conflict_and_old_votes_are_pruned() -> None:
    r = ConflictResolver(window_ms=10 * MIN)
    r.observe(vote("h", "heavy", "BUY", 0))
    gbp = Vote("g", 0, "light", "GBPUSD", "SELL", T0 + MIN)
    assert r.verdict(HEAVY_LIGHT, gbp).outcome == "clear"
    r.observe(vote("later", "light", "BUY", 25))
    assert [v.signal_id for v in r.votes("EURUSD")] == ["later"]


def always_allow(_: dict[str, Any]) -> dict[str, Any]:
    return {
        "allow": True,
        "reasons": [],
        "max_risk_pct": 5,
        "size_multiplier": 1,
        "shadow": False,
        "limits": {},
        "bundle_version": "t",
    }


def test_decide_denies_the_outvoted_signal_with_the_reason() -> None:
    b = bot({"fx-vip": 1.0, "swing-fx": 2.0})
    book, resolver = CardBook(CardLoader()), ConflictResolver()
    opposing = copy.deepcopy(SCORED)
    sig = opposing["signal"]
    sig.update(
        signal_id="swing-fx:77:0",
        event_id="swing-fx:77:0:r0",
        source="swing-fx",
        direction="SELL",
        stop_loss=1.1250,
        take_profits=[1.115],
    )
    opposing["ts_event"] -= 5 * MIN
    common: dict[str, Any] = {
        "account": None,
        "breaker_mode": "NONE",
        "model": None,
        "cards": book,
        "policy": always_allow,
        "conflicts": resolver,
    }
    assert decide(opposing, b, **common).allowed
    result = decide(SCORED, b, **common)
    assert not result.allowed
    assert result.reasons == ["conflict.outvoted"]
    assert result.decision["details"]["conflict_opposing"] == "swing-fx:77:0"
    assert result.decision["policy_bundle_version"] is None  # the policy was not asked
    assert result.intent is None
