"""A promotion goes through the governor's change guard: the learner proposes the release on
control.commands and settles it by the answer (the version in force on control.parameters, or
the guard's refusal on audit.events). A fake change guard plays the governor."""

from __future__ import annotations

from pathlib import Path

import pytest

from hive.parameters import EffectiveParameter
from hive.topics import CONTROL_COMMANDS, LEARNER_MODELS
from hive_learner.learner import Learner, LearnerConfig
from hive_learner.promotion import PromotionRules
from hive_learner.proposals import refusal
from hive_learner.store import ModelStore
from hive_learner.synthetic import generate_trades
from hive_learner.train import TrainConfig
from hive_learner.trigger import DAY_MS, TriggerRules

from support.learner import FakeChangeGuard, feed, releases

pytestmark = pytest.mark.unit

CONFIG = LearnerConfig(
    model_name="win-prob",
    train=TrainConfig(min_holdout=40),
    promotion=PromotionRules(max_kl=0.5),
    trigger=TriggerRules(
        min_trades=300,
        every_trades=400,
        every_ms=14 * DAY_MS,
        min_new_trades=50,
        cooldown_ms=2 * DAY_MS,
        settle_ms=0,  # trades are fed in time order here; reading order is test_learner_reading_order's
    ),
)
FIRST_TS = 1_484_234_976_356  # exit time of the 300th trade: the first run
SECOND_TS = 1_485_343_812_998  # of the 700th: the second run
FIRST_REASON = (
    "log loss 0.6120 < prior 0.6931, Brier 0.2118 <= 0.2500, ECE 0.0410; "
    "first release (no trust region)"
)


@pytest.fixture(scope="module")
def trades():
    return generate_trades(1_500, seed=31)


def test_a_candidate_that_passes_its_metrics_is_proposed_not_promoted(trades, tmp_path: Path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    out = feed(learner, trades[:300], None)
    assert [(o.topic, o.key) for o in out] == [
        (LEARNER_MODELS, "win-prob:0001"),
        (CONTROL_COMMANDS, "GLOBAL:global"),
    ]
    candidate = out[0].value
    assert (candidate["status"], candidate["ts_event"], candidate["reason"]) == (
        "CANDIDATE",
        FIRST_TS,
        FIRST_REASON,
    )
    assert candidate["change_id"] is None
    assert out[1].value == {
        "event_id": "learner:win-prob:0001",
        "ts_event": FIRST_TS,
        "ts_init": FIRST_TS,
        "command_id": "learner:win-prob:0001",
        "command": "SET_PARAMETER",
        "scope_level": "GLOBAL",
        "scope_id": "global",
        "actor": "learner",
        "role": "SYSTEM",
        "reason": f"promote win-prob 0001: {FIRST_REASON}",
        "parameters": {"name": "model.win-prob", "value": "0001"},
        "origin": "learner",
        "cause_event_id": "win-prob:0001:CANDIDATE",
    }
    # Nothing is in force until the governor says so: the next run is judged against the prior.
    assert learner.in_force is None and learner.current_model() is None
    assert (learner.stats.proposed, learner.stats.promoted) == (1, 0)
    second = releases(feed(learner, trades[300:700], None))
    assert [(r["version"], r["status"], r["parent_version"]) for r in second] == [
        ("0002", "CANDIDATE", None)
    ]


def test_the_version_put_in_force_is_promoted_with_the_change_id(trades, tmp_path: Path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    guard = FakeChangeGuard()
    out = feed(learner, trades[:300], guard)
    candidate = out[0].value
    assert guard.answers[0][1]["value"] == "0001"
    assert releases(out)[1:] == [
        {
            **candidate,
            "event_id": "win-prob:0001:PROMOTED",
            "status": "PROMOTED",
            "change_id": "learner:win-prob:0001",
            "reason": FIRST_REASON,
        }
    ]
    assert learner.in_force == "0001" and learner.current_model() is not None
    assert learner.current_model().version == "0001"  # type: ignore[union-attr]
    # The version in force is the parent of the next run.
    second = releases(feed(learner, trades[300:700], guard))
    assert [(r["version"], r["status"], r["parent_version"]) for r in second] == [
        ("0002", "CANDIDATE", "0001"),
        ("0002", "PROMOTED", "0001"),
    ]
    assert second[1]["ts_event"] == SECOND_TS and learner.in_force == "0002"
    # Redelivered, the same answer settles nothing twice.
    assert learner.on_parameter(guard.answers[-1][1]) == []


def test_a_refused_proposal_is_rejected_with_the_guards_reason(trades, tmp_path: Path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    guard = FakeChangeGuard(per_day=0)
    out = feed(learner, trades[:300], guard)
    [kind, event] = guard.answers[0]
    assert (kind, event["action"]) == ("audit", "CHANGE_REFUSED")
    assert releases(out)[1] == {
        **out[0].value,
        "event_id": "win-prob:0001:REJECTED",
        "status": "REJECTED",
        "change_id": None,
        "reason": "rejected by the change guard: GLOBAL:global already had 0 changes on that "
        f"day (UTC); the constitution allows 0 a day; {FIRST_REASON}",
    }
    assert learner.in_force is None and learner.stats.rejected == 1
    # A redelivered refusal changes nothing; nor does one of another family's proposal.
    assert learner.on_audit(event) == []
    other = dict(event, details=event["details"].replace("win-prob:0001", "edge:0001"))
    assert learner.on_audit(other) == []


def test_a_rollback_withdraws_the_version_and_the_previous_one_is_in_use_again(
    trades, tmp_path: Path
):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    guard = FakeChangeGuard()
    promoted = releases(feed(learner, trades[:700], guard))[-1]
    assert (promoted["version"], learner.in_force) == ("0002", "0002")
    ts = SECOND_TS + 60_000
    rolled = learner.on_parameter(guard.rollback("model.win-prob", ts, "rb-1"))
    assert [o.value for o in rolled] == [
        {
            **promoted,
            "event_id": "win-prob:0002:ROLLED_BACK",
            "ts_event": ts,
            "ts_init": ts,
            "status": "ROLLED_BACK",
            "reason": "rolled back by alice (rb-1): the new model sizes badly",
            "change_id": "learner:win-prob:0002",
        }
    ]
    assert learner.in_force == "0001" and learner.current_release()["version"] == "0001"  # type: ignore[index]
    # Rolled back again: no version in force, the next run is judged against the prior.
    [first] = learner.on_parameter(guard.rollback("model.win-prob", ts + 1, "rb-2"))
    assert (first.value["version"], first.value["status"]) == ("0001", "ROLLED_BACK")
    assert learner.in_force is None and learner.current_model() is None
    # An operator may put a version back in force: it is PROMOTED again, saying who did.
    again = EffectiveParameter(
        event_id="op-1", ts=ts + 2, scope_level="GLOBAL", scope_id="global",
        name="model.win-prob", kind="PARAMETER", value="0002", previous_value=None,
        change_id="op-1", actor="bob", reason="it was fine after all",
    ).record()  # fmt: skip
    [back] = learner.on_parameter(again)
    assert (back.value["version"], back.value["status"], back.value["change_id"]) == (
        "0002",
        "PROMOTED",
        "op-1",
    )
    assert back.value["reason"] == "put in force by bob (op-1): it was fine after all"
    assert learner.stats.rolled_back == 2 and learner.in_force == "0002"


def test_other_parameters_and_scopes_are_not_the_learners(trades, tmp_path: Path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    feed(learner, trades[:300], FakeChangeGuard())
    base = FakeChangeGuard.parameter(
        "model.win-prob", FIRST_TS, "x", "0009", "x", None, {"actor": "a", "reason": "r"}
    )
    for record in (
        {**base, "name": "risk_per_trade"},
        {**base, "name": "model.edge"},
        {**base, "scope_level": "BOT", "scope_id": "b1"},
    ):
        assert learner.on_parameter(record) == []
    assert learner.in_force == "0001"


def test_only_the_governors_refusals_of_a_change_are_read_as_answers() -> None:
    event = FakeChangeGuard().chain.append(
        ts_event=5, actor="learner", role="SYSTEM", action="CHANGE_REFUSED",
        scope_level="GLOBAL", scope_id="global",
        details={"command_id": "learner:win-prob:0001", "code": "daily_change_limit", "message": "m"},
    )  # fmt: skip
    found = refusal(event)
    assert found is not None
    assert (found.command_id, found.code, found.message, found.ts) == (
        "learner:win-prob:0001",
        "daily_change_limit",
        "m",
        5,
    )
    assert refusal({**event, "action": "CHANGE_APPLIED"}) is None
    assert refusal({**event, "details": "not json"}) is None
    duplicate = event["details"].replace("daily_change_limit", "duplicate_change")
    assert refusal({**event, "details": duplicate}) is None
