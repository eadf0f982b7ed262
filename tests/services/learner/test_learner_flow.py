"""The learner end to end without Kafka: trades in, release records out (valid against the
schema, deterministic ids, event time), lineage and parents, restarts, the change guard seam,
the service handler and the settings."""

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
from hive.topics import LEARNER_MODELS, TRADES_CLOSED
from hive.winprob import load_release
from hive_learner.learner import Learner, LearnerConfig
from hive_learner.promotion import Approval, PromotionRules
from hive_learner.service import make_handler
from hive_learner.settings import LearnerSettings
from hive_learner.store import ModelStore, default_store
from hive_learner.synthetic import generate_trades
from hive_learner.train import TrainConfig
from hive_learner.trigger import DAY_MS, TriggerRules

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[3]
SCHEMA = fastavro.parse_schema(json.loads((ROOT / "schemas/avro/learner_models.avsc").read_text()))
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


def _feed(learner: Learner, trades) -> list[dict]:
    out = []
    for t in trades:
        out += learner.on_trade(t)
    return out


@pytest.fixture(scope="module")
def uninterrupted(trades, tmp_path_factory):
    store = ModelStore(tmp_path_factory.mktemp("store"))
    learner = Learner(CONFIG, store)
    return store, learner, _feed(learner, trades)


def test_releases_are_valid_records_with_deterministic_ids_and_event_times(uninterrupted, trades):
    releases = uninterrupted[2]
    assert len(releases) >= 4
    for rec in releases:
        validate(rec, SCHEMA, raise_errors=True)
        assert rec["event_id"] == f"win-prob:{rec['version']}:{rec['status']}"
        assert rec["ts_init"] == rec["ts_event"]
        if rec["status"] == "PROMOTED":  # approved by the daily change guard, with its id
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


def test_the_first_release_beats_the_prior_and_later_ones_name_their_parent(uninterrupted):
    _, learner, releases = uninterrupted
    verdicts = [r for r in releases if r["status"] != "CANDIDATE"]
    first = verdicts[0]
    assert first["status"] == "PROMOTED" and first["parent_version"] is None
    assert "first release" in first["reason"]
    for before, after in itertools.pairwise(verdicts):
        current = [
            v for v in verdicts if v["status"] == "PROMOTED" and v["ts_event"] <= before["ts_event"]
        ]
        assert after["parent_version"] == current[-1]["version"]
    # The lineage's current model is loadable without torch, hash-checked.
    current = learner.lineage.current()
    model = load_release(current["artifact_uri"], current["sha256"])
    assert model.version == current["version"]
    assert 0 < model.predict({"source": "alpha", "rr": 1.2, "sl_atr": 1.0}) < 1


def test_a_restart_adopts_what_was_published_and_continues_identically(uninterrupted, trades):
    store, _, expected = uninterrupted
    half = len(trades) // 2
    before = Learner(CONFIG, store)
    published = _feed(before, trades[:half])
    assert published  # something was released before the "crash"
    # The restarted service: lineage loaded (table), consumed trades replayed, then live.
    after = Learner(CONFIG, store)
    for rec in published:
        after.on_release(rec)
    after.restoring = True
    assert _feed(after, sorted(trades[:half], key=lambda t: t["ts_event"])) == []
    after.go_live()
    assert after.stats.adopted == len({r["version"] for r in published})
    assert after.stats.runs == 0  # nothing retrained
    assert published + _feed(after, trades[half:]) == expected


def test_a_run_missing_from_the_lineage_waits_for_the_first_live_trade(trades, tmp_path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    learner.restoring = True
    half = len(trades) // 3
    assert _feed(learner, trades[:half]) == []
    learner.go_live()
    out = learner.on_trade(trades[half])
    assert (out[0]["version"], out[0]["status"]) == ("0001", "CANDIDATE")
    # trained on the trades up to the one it was due at (the 300th, min_trades), as it would
    # have been without the restart
    assert out[0]["trade_count"] + out[0]["holdout_count"] == 300


def test_redelivered_trades_change_nothing(trades, tmp_path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    first = _feed(learner, trades[:600])
    assert _feed(learner, trades[:600]) == []
    assert learner.stats.duplicates == 600 and first


class RefusingGuard:
    def approve(self, model_name, version, parent_version, ts_event):
        return Approval(False, None, "3 changes today already")


class ApprovingGuard:
    def approve(self, model_name, version, parent_version, ts_event):
        return Approval(True, f"chg-{version}")


def test_the_change_guard_can_refuse_or_stamp_a_promotion(trades, tmp_path):
    # the first run is due at the 300th trade and runs once it is settled (the 515th)
    refused = _feed(Learner(CONFIG, ModelStore(tmp_path / "a"), RefusingGuard()), trades[:600])
    assert refused[1]["status"] == "REJECTED"
    assert refused[1]["reason"].startswith("rejected by the change guard: 3 changes today")
    approved = _feed(Learner(CONFIG, ModelStore(tmp_path / "b"), ApprovingGuard()), trades[:600])
    assert approved[1]["status"] == "PROMOTED" and approved[1]["change_id"] == "chg-0001"


def test_the_handler_routes_trades_and_releases_and_dead_letters_bad_trades(trades, tmp_path):
    learner = Learner(CONFIG, ModelStore(tmp_path))
    handle = make_handler(learner)
    out = []
    for i, t in enumerate(trades[:600]):
        out += handle(InboundRecord(TRADES_CLOSED, 0, i, t["bot_id"], t))
    assert out and all(
        o.topic == LEARNER_MODELS and o.key == f"win-prob:{o.value['version']}" for o in out
    )
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
