"""write_report: one self-contained HTML file with a chart per bot, its limits and the codes."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from hive_tools.cli.main import app
from hive_tools.report import RunData, write_report
from hive_tools.report.html import downsample
from hive_tools.report.summary import bot_series

from support.report import HOUR, RULE_SETS, T0, scenario, snapshot

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    path = write_report(scenario(), tmp_path_factory.mktemp("r") / "sub" / "report.html")
    assert path.name == "report.html"
    return path.read_text(encoding="utf-8")


def test_one_inline_svg_chart_per_bot(html):
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 3  # ftmo-a, ghost-c, strict-b
    for bot in ("ftmo-a", "ghost-c", "strict-b"):
        assert f"{bot}: equity against its limits" in html  # the chart's title, as SVG text
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_nothing_is_fetched_from_elsewhere(html):
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html and "<link" not in html


def test_limit_values_and_rules_are_shown(html):
    for value in ("3,027.00", "10,090.00", "750.00", "2,000.00", "600.00", "145.4%"):
        assert value in html
    for rule in ("constitution.max_drawdown", "profile.max_loss", "ftmo_2step", "strict"):
        assert rule in html
    assert "daily_loss 2017-06-14" in html


def test_reason_codes_outcomes_sources_regimes_breakers_and_period(html):
    for code in (
        "card.regime_filtered",
        "allowlist.symbol",
        "confidence.below_minimum",
        "profile.daily_loss_headroom",
        "dead-letter: wrong_side_stop",
        "no_market_data",
        "fx-vip",
        "gold-room",
        "TREND",
        "CHAOS",
        "BOT:ftmo-a",
        "DAILY_LOSS",
        "SHADOW_MODE",
    ):
        assert code in html, code
    assert "2017-06-14 08:00 &rarr; 2017-06-15 08:00 UTC" in html


def test_text_is_escaped(tmp_path):
    data = scenario()
    data.decisions[2]["reasons"] = ["<script>alert(1)</script>"]
    text = write_report(data, tmp_path / "r.html").read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_equity_is_thinned_keeping_the_extremes(tmp_path):
    snaps = [
        snapshot(
            "big",
            i,
            T0 + i * HOUR,
            equity=100_000 + (i % 97) * 10 - (5_000 if i == 4321 else 0),
            balance=100_000,
            initial=100_000,
            day_start=100_000,
            peak=101_000,
            day="2017-06-14",
        )
        for i in range(1, 10_001)
    ]
    points = bot_series(snaps, RULE_SETS["ftmo_2step"])
    thin = downsample(points, 2000)
    assert len(thin) <= 2000
    assert thin[0] == points[0] and thin[-1] == points[-1]
    assert min(p.equity for p in thin) == min(p.equity for p in points)  # the worst moment
    assert [p.ts for p in thin] == sorted(p.ts for p in thin)
    data = RunData(snapshots=snaps)
    size = write_report(data, tmp_path / "big.html", rule_sets=RULE_SETS).stat().st_size
    assert size < 1_500_000


def test_a_bot_without_snapshots_gets_a_note_not_a_chart(tmp_path):
    data = scenario()
    data.snapshots = []
    text = write_report(data, tmp_path / "r.html", rule_sets=RULE_SETS).read_text()
    assert "<svg" not in text and "No account snapshots for this bot." in text


def test_cli_reports_an_unreachable_broker_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("HIVE_KAFKA_BOOTSTRAP", "127.0.0.1:9")
    monkeypatch.setenv("HIVE_SCHEMA_REGISTRY_URL", "http://127.0.0.1:9/apis/ccompat/v7")
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert result.output.strip().startswith(
        "error: cannot reach the schema registry at http://127.0.0.1:9"
    )
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_cli_refuses_a_directory_as_output(tmp_path):
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path)])
    assert result.exit_code == 2


def test_cli_help_names_the_options():
    out = CliRunner().invoke(app, ["report", "--help"]).output
    assert "--out" in out and "--summary-only" in out
