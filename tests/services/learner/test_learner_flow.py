"""The learner end to end without Kafka: trades in, release records and proposals out (valid
against the schemas, deterministic ids, event time), the governor's answers settling them
(a fake change guard plays the governor), lineage and parents, restarts, the service handler
and the settings."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import fastavro
import pytest
from fastavro.validation import validate
from pydantic import ValidationError

from hive.config import load_settings
from hive.runtime import InboundRecord, RejectRecord
from hive.topics import (
    AUDIT_EVENTS,
    CONTROL_COMMANDS,
    CONTROL_PARAMETERS,
    LEARNER_MODELS,
    TRADES_CLOSED,
)
from hive.winprob import load_release
from hive_learner.learner import Learner, LearnerConfig
from hive_learner.promotion import PromotionRules
from hive_learner.service import make_handler
from hive_learner.settings import LearnerSettings
from hive_learner.store import ModelStore, default_store
from hive_learner.synthetic import generate_trades
from hive_learner.train import TrainConfig
from hive_learner.trigger import DAY_MS, TriggerRules

from support.learner import FakeChangeGuard, feed, proposals, releases

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[3]
SCHEMA = fastavro.parse_schema(json.loads((ROOT / "schemas/avro/learner_models.avsc").read_text()))
COMMANDS = fastavro.parse_schema(
    json.loads((ROOT / "schemas/avro/control_commands.avsc").read_text())
)
CONFIG = LearnerConfig(
    model_name="win-prob",
    train=TrainConfig(min_holdout=40),
    # A wide trust region: these tests are about the flow; test_learner_promotion is about it.
    promotion=PromotionRules(max_kl=0.5),
    trigger=TriggerRules(
        min_trades=300,
        every_trades=400,
        every_ms=14 * DAY_MS,
        min_new_trades=50,
        cooldown_ms=2 * DAY_MS,
    ),
)


@pytest.fixture(scope="module")
def trades():
    return generate_trades(1_500, seed=31)


def _feed(learner: Learner, trades, guard: FakeChangeGuard | None = None) -> list[dict]:
    """The release records the trades cause, proposals answered by `guard` (a fresh one that
    applies up to 3 changes a day when none is given)."""
    return releases(feed(learner, trades, guard or FakeChangeGuard()))


@pytest.fixture(scope="module")
def uninterrupted(trades, tmp_path_factory):
    store = ModelStore(tmp_path_factory.mktemp("store"))
    learner = Learner(CONFIG, store)
    guard = FakeChangeGuard()
    return store, learner, releases(feed(learner, trades, guard)), guard


def test_releases_are_valid_records_with_deterministic_ids_and_event_times(uninterrupted, trades):
    releases = uninterrupted[2]
    assert len(releases) >= 4
    for rec in releases:
        validate(rec, SCHEMA, raise_errors=True)
        assert rec["event_id"] == f"win-prob:{rec['version']}:{rec['status']}"
        assert rec["ts_init"] == rec["ts_event"]
        if rec["status"] == "PROMOTED":  # put in force by the change guard, with its id
            assert rec["change_id"] == f"learner:win-prob:{rec['version']}"
        else:
            assert rec["change_id"] is None
        assert rec["training_window_start"] <= rec["training_window_end"] <= rec["ts_event"]
        assert rec["holdout_count"] >= 40 and rec["trade_count"] > 0
        assert {"brier", "log_loss", "ece", "kl_to_parent", "parent_log_loss"} <= set(
            rec["metrics"]
        )
    # Every run: a CANDIDATE, then its verdict, under one version; versions count up.
    statuses = [(r["version"], r["status"]) for r in releases]
    assert statuses[0] == ("0001", "CANDIDATE") and statuses[1][0] == "0001"
    versions = sorted({r["version"] for r in releases})
    assert versions == [f"{i:04d}" for i in range(1, len(versions) + 1)]
    # The event time is the exit time of the last trade seen, never the wall clock.
    exits = {t["exit_time"] for t in trades}
    assert all(r["ts_event"] in exits for r in releases)
    # Every PROMOTED version went through the change guard: one proposal each, valid commands.
    commands = uninterrupted[3].commands
    promoted = [r["version"] for r in releases if r["status"] == "PROMOTED"]
    assert [c["parameters"]["value"] for c in commands] == promoted
    for cmd in commands:
        validate(cmd, COMMANDS, raise_errors=True)


def test_the_first_release_beats_the_prior_and_later_ones_name_their_parent(uninterrupted):
    _, learner, releases, _ = uninterrupted
    verdicts = [r for r in releases if r["status"] != "CANDIDATE"]
    first = verdicts[0]
    assert first["status"] == "PROMOTED" and first["parent_version"] is None
    assert "first release" in first["reason"]
    for before, after in itertools.pairwise(verdicts):
        current = [
            v for v in verdicts if v["status"] == "PROMOTED" and v["ts_event"] <= before["ts_event"]
        ]
        assert after["parent_version"] == current[-1]["version"]
    # The model in use is the version in force; loadable without torch, hash-checked.
    current = learner.current_release()
    assert current["version"] == learner.in_force == promoted_last(verdicts)
    model = load_release(current["artifact_uri"], current["sha256"])
    assert model.version == current["version"]
    assert 0 < model.predict({"source": "alpha", "rr": 1.2, "sl_atr": 1.0}) < 1


def promoted_last(verdicts: list[dict]) -> str:
    return [v["version"] for v in verdicts if v["status"] == "PROMOTED"][-1]


def test_a_restart_adopts_what_was_published_and_continues_identically(uninterrupted, trades):
    store, _, expected, _ = uninterrupted
    half = len(trades) // 2
    before = Learner(CONFIG, store)
    guard = FakeChangeGuard()
    published = _feed(before, trades[:half], guard)
    assert published  # something was released before the "crash"
    # The restarted service: lineage loaded (table), consumed trades and the governor's answers
    # replayed, then live.
    after = Learner(CONFIG, store)
    for rec in published:
        after.on_release(rec)
    after.restoring = True
    assert _feed(after, sorted(trades[:half], key=lambda t: t["ts_event"]), guard) == []
    for kind, answer in guard.answers:
        assert (after.on_parameter if kind == "parameters" else after.on_audit)(answer) == []
    after.go_live()
    assert after.stats.adopted == len({r["version"] for r in published})
    assert after.stats.runs == 0  # nothing retrained
    assert after.in_force == before.in_force
    assert published + _feed(after, trades[half:], guard) == expected


def test_a_proposal_answered_after_a_restart_is_settled_live(trades, tmp_path):
    before = Learner(CONFIG, ModelStore(tmp_path))
    out = feed(before, trades[:600], None)  # the governor has not answered yet
    assert [(r["version"], r["status"]) for r in releases(out)] == [("0001", "CANDIDATE")]
    after = Learner(CONFIG, ModelStore(tmp_path))
    after.on_release(releases(out)[0])
    after.restoring = True
    assert _feed(after, trades[:600]) == []  # the proposed run is adopted, not proposed again
    after.go_live()
    assert after.stats.adopted == 1
    kind, answer = FakeChangeGuard().answer(proposals(out)[0])
    assert kind == "parameters"  # the governor put 0001 in force while the learner was down
    [promoted] = releases(after.on_parameter(answer))
    assert (promoted["version"], promoted["status"], promoted["change_id"]) == (
        "0001",
        "PROMOTED",
        "learner:win-prob:0001",
    )


def test_a_run_missing_from_the_lineage_waits_for_the_first_live_trade(trades, tmp_path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    learner.restoring = True
    half = len(trades) // 3
    assert _feed(learner, trades[:half]) == []
    learner.go_live()
    out = releases(learner.on_trade(trades[half]))
    assert (out[0]["version"], out[0]["status"]) == ("0001", "CANDIDATE")
    # trained on the trades up to the one it was due at (the 300th, min_trades), as it would
    # have been without the restart
    assert out[0]["trade_count"] + out[0]["holdout_count"] == 300


def test_redelivered_trades_change_nothing(trades, tmp_path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    guard = FakeChangeGuard()
    first = _feed(learner, trades[:600], guard)
    assert _feed(learner, trades[:600], guard) == []
    assert learner.stats.duplicates == 600 and first


def test_the_handler_routes_trades_and_releases_and_dead_letters_bad_trades(trades, tmp_path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    handle = make_handler(learner)
    out = []
    for i, t in enumerate(trades[:600]):
        out += handle(InboundRecord(TRADES_CLOSED, 0, i, t["bot_id"], t))
    assert [(o.topic, o.key) for o in out] == [
        (LEARNER_MODELS, "win-prob:0001"),
        (CONTROL_COMMANDS, "GLOBAL:global"),
    ]
    kind, answer = FakeChangeGuard().answer(out[1].value)
    assert kind == "parameters"
    settled = list(
        handle(InboundRecord(CONTROL_PARAMETERS, 0, 0, "GLOBAL:global:model.win-prob", answer))
    )
    assert [(o.topic, o.key, o.value["status"]) for o in settled] == [
        (LEARNER_MODELS, "win-prob:0001", "PROMOTED")
    ]
    refused = FakeChangeGuard(refuse="no").chain.append(
        ts_event=1, actor="learner", role="SYSTEM", action="CHANGE_REFUSED", scope_level="GLOBAL",
        scope_id="global", details={"command_id": "learner:win-prob:0001", "code": "x", "message": "no"},
    )  # fmt: skip
    # Already in force: a late refusal of the same proposal changes nothing.
    assert list(handle(InboundRecord(AUDIT_EVENTS, 0, 0, "governor", refused))) == []
    with pytest.raises(RejectRecord) as bad:
        list(handle(InboundRecord(CONTROL_PARAMETERS, 0, 1, "k", {**answer, "scope_id": ""})))
    assert bad.value.reason == "empty_string"
    tombstone = InboundRecord(
        CONTROL_PARAMETERS, 0, 2, "GLOBAL:global:model.win-prob", {}, tombstone=True
    )
    assert list(handle(tombstone)) == [] and learner.in_force is None
    with pytest.raises(RejectRecord) as err:
        list(
            handle(
                InboundRecord(
                    TRADES_CLOSED, 0, 999, "b", {**trades[0], "trade_id": "x", "pnl": None}
                )
            )
        )
    assert err.value.reason == "bad_pnl"
    other = {**out[-1].value, "model_name": "other-model", "version": "0042"}
    assert list(handle(InboundRecord(LEARNER_MODELS, 0, 0, "k", other))) == []
    assert learner.lineage.get("0042") is None  # another family's release is not ours
    assert list(handle(InboundRecord(LEARNER_MODELS, 0, 1, "k", {}, tombstone=True))) == []


def test_a_learner_can_be_limited_to_some_sources(trades, tmp_path):
    config = dataclasses.replace(CONFIG, sources=frozenset({"alpha", "beta"}))
    learner = Learner(config, ModelStore(tmp_path))
    _feed(learner, trades[:600])
    kept = [t for t in trades[:600] if t["features"]["source"] in ("alpha", "beta")]
    assert learner.stats.trades == len(kept) and learner.stats.other_sources == 600 - len(kept)
    settings = LearnerSettings(learner_sources=" alpha, beta ,")
    assert settings.learner_config().sources == {"alpha", "beta"}


def test_settings_fail_fast_and_read_the_model_store(monkeypatch, tmp_path, capsys):
    assert LearnerSettings().model_store == default_store()
    assert default_store().parts[-2:] == (".hive", "models")
    monkeypatch.setenv("HIVE_MODEL_STORE", str(tmp_path))
    monkeypatch.setenv("HIVE_LEARNER_HALF_LIFE_DAYS", "14")
    s = LearnerSettings()
    assert s.model_store == tmp_path and s.learner_config().train.half_life_days == 14
    with pytest.raises(ValidationError, match="learner_min_trades must exceed"):
        LearnerSettings(learner_min_trades=50, learner_min_holdout=50)
    monkeypatch.setenv("HIVE_LEARNER_MAX_KL", "-1")
    with pytest.raises(SystemExit) as exit_:
        load_settings(LearnerSettings)
    assert exit_.value.code == 2
    assert "HIVE_LEARNER_MAX_KL" in capsys.readouterr().err
