"""`hive models list|lineage --from-file`: the lineage as a table and a PNG, offline."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hive_learner.learner import Learner, LearnerConfig
from hive_learner.promotion import PromotionRules
from hive_learner.store import ModelStore
from hive_learner.synthetic import generate_trades
from hive_learner.train import TrainConfig
from hive_learner.trigger import DAY_MS, TriggerRules
from hive_tools.cli.models import latest_per_version, models_app

from support import learner as fake_governor

pytestmark = pytest.mark.unit

runner = CliRunner()


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    config = LearnerConfig(
        train=TrainConfig(min_holdout=40),
        promotion=PromotionRules(max_kl=0.5),
        trigger=TriggerRules(min_trades=300, every_trades=400, every_ms=14 * DAY_MS,
                             min_new_trades=50, cooldown_ms=2 * DAY_MS),
    )  # fmt: skip
    learner = Learner(config, ModelStore(tmp_path_factory.mktemp("store")))
    # Proposals answered by a change guard that applies them, as the governor does.
    out = fake_governor.feed(
        learner, generate_trades(1_200, seed=41), fake_governor.FakeChangeGuard()
    )
    return fake_governor.releases(out)


@pytest.fixture
def release_file(tmp_path, releases):
    path = tmp_path / "releases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in releases))
    return path


def test_lineage_prints_each_version_once_marks_the_current_and_saves_a_png(
    release_file, releases, tmp_path
):
    png = tmp_path / "plots" / "lineage.png"
    result = runner.invoke(
        models_app, ["lineage", "--from-file", str(release_file), "--png", str(png)]
    )
    assert result.exit_code == 0, result.output
    versions = sorted({r["version"] for r in releases})
    table = [
        line.lstrip("* ").split() for line in result.output.splitlines()[1 : 1 + len(versions)]
    ]
    assert [row[0] for row in table] == versions  # one row per version, in order
    assert {row[2] for row in table} <= {"PROMOTED", "REJECTED"}  # the verdict, not CANDIDATE
    current = max((r for r in releases if r["status"] == "PROMOTED"), key=lambda r: r["ts_event"])[
        "version"
    ]
    assert [line for line in result.output.splitlines() if line.startswith("*")] == [
        next(line for line in result.output.splitlines() if f" {current} " in line)
    ]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in result.output


def test_list_shows_the_latest_status_per_version_and_writes_json_lines(
    release_file, releases, tmp_path
):
    out = tmp_path / "copy.jsonl"
    result = runner.invoke(
        models_app, ["list", "--from-file", str(release_file), "--json-lines", str(out)]
    )
    assert result.exit_code == 0, result.output
    latest = latest_per_version(releases)
    assert len(latest) == len({r["version"] for r in releases})
    assert all(r["status"] in ("PROMOTED", "REJECTED") for r in latest)
    assert len(out.read_text().splitlines()) == len(latest)
    assert "win-prob" in result.output and "file://" in result.output


def test_a_bad_release_file_or_an_unknown_model_exits_2(tmp_path, release_file):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"model_name": "win-prob", "version": "0001", "status": "PROMOTED", "ts_event": 1}\n{"version": "0002"}\n'
    )
    result = runner.invoke(models_app, ["lineage", "--from-file", str(bad)])
    assert result.exit_code == 2
    assert "line 2: missing model_name, status, ts_event" in result.output
    result = runner.invoke(
        models_app, ["lineage", "--from-file", str(release_file), "--model", "nope"]
    )
    assert result.exit_code == 2 and "no releases of 'nope'" in result.output


def test_a_late_candidate_record_does_not_undo_a_verdict():
    a = {"model_name": "m", "version": "0001", "ts_event": 1}
    recs = latest_per_version([{**a, "status": "CANDIDATE"}, {**a, "status": "PROMOTED"},
                               {**a, "status": "CANDIDATE"}])  # fmt: skip
    assert [r["status"] for r in recs] == ["PROMOTED"]
