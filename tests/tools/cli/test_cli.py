"""The `hive` command line: clear errors and exit codes for bad input (no servers needed)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hive_tools.cli.main import app

pytestmark = pytest.mark.unit

runner = CliRunner()
DATA = Path(__file__).parents[2] / "data"


def test_help_lists_the_command_groups():
    out = runner.invoke(app, ["--help"]).output
    for group in ("topics", "schemas", "infra", "ingest", "feed", "regimes", "parser"):
        assert group in out


def test_topics_list_prints_the_catalogue():
    result = runner.invoke(app, ["topics", "list"])
    assert result.exit_code == 0
    assert "signals.raw.v1" in result.output and "dlq=signals.raw.v1.dlq" in result.output


def test_ingest_dry_run_reads_without_publishing():
    result = runner.invoke(
        app,
        [
            "ingest",
            "telegram-export",
            str(DATA / "intake/telegram_result.json"),
            "--source",
            "vip",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "3 message(s) read; nothing published" in result.output


def test_ingest_bad_file_exits_2_naming_the_line(tmp_path):
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"message_id": 1, "text": "x", "posted_at": 1}\n{"message_id": 2}\n')
    result = runner.invoke(app, ["ingest", "jsonl", str(bad), "--source", "s"])
    assert result.exit_code == 2
    assert "line 2" in result.output and "text: Field required" in result.output


def test_ingest_source_with_spaces_is_refused():
    result = runner.invoke(
        app,
        [
            "ingest",
            "telegram-export",
            str(DATA / "intake/telegram_result.json"),
            "--source",
            "my vip",
        ],
    )
    assert result.exit_code == 2
    assert "--source" in result.output


def test_ingest_unknown_time_zone_is_refused():
    result = runner.invoke(
        app,
        [
            "ingest",
            "telegram-export",
            str(DATA / "intake/telegram_result.json"),
            "--source",
            "v",
            "--tz",
            "Mars/Base",
        ],
    )
    assert result.exit_code == 2
    assert "unknown time zone" in result.output


def test_feed_replay_bad_csv_exits_2_naming_line_and_column(tmp_path):
    bad = tmp_path / "bars.csv"
    bad.write_text(
        "Time,Open,High,Low,Close,Volume\n2017-01-02T00:00Z,1.05,1.06,1.04,1.055,10\n2017-01-02T01:00Z,1.05,abc,1.04,1.05,10\n"
    )
    result = runner.invoke(app, ["feed", "replay", "--csv", str(bad), "--time-format", "iso"])
    assert result.exit_code == 2
    assert "line 3" in result.output and "High" in result.output


def test_parser_eval_on_the_corpus_and_on_a_broken_corpus(tmp_path):
    ok = runner.invoke(
        app, ["parser", "eval", str(DATA / "parser/corpus.jsonl"), "--min-rate", "1.0"]
    )
    assert ok.exit_code == 0, ok.output
    assert "whole-message exact match" in ok.output
    broken = tmp_path / "c.jsonl"
    broken.write_text('{"id": "a"}\n')
    bad = runner.invoke(app, ["parser", "eval", str(broken)])
    assert bad.exit_code == 2 and "line 1" in bad.output


def test_regimes_plot_offline_writes_a_png(tmp_path):
    out = tmp_path / "regimes.png"
    result = runner.invoke(app, ["regimes", "plot", "--offline", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "6225 bars" in result.output


def _chain_file(tmp_path, edit=None):  # type: ignore[no-untyped-def]
    import json

    from support.audit import card_swap_chain

    events = card_swap_chain(4, chain_id="governor")
    if edit is not None:
        edit(events)
    path = tmp_path / "audit.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    return path


def test_audit_verify_passes_an_intact_chain(tmp_path):
    result = runner.invoke(app, ["audit", "verify", "--from-file", str(_chain_file(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "chain governor: 4 event(s), OK" in result.output


def test_audit_verify_names_an_edited_a_deleted_and_a_reordered_event(tmp_path):
    def edited(events):  # type: ignore[no-untyped-def]
        events[2]["details"] = '{"i":99}'

    result = runner.invoke(
        app, ["audit", "verify", "--from-file", str(_chain_file(tmp_path, edited))]
    )
    assert result.exit_code == 1
    assert (
        "BROKEN governor #2 (governor:2): hash does not match the content (edited)" in result.output
    )

    deleted = _chain_file(tmp_path, lambda events: events.pop(1))
    result = runner.invoke(app, ["audit", "verify", "--from-file", str(deleted)])
    assert result.exit_code == 1 and "governor #1 (governor:2)" in result.output

    def swapped(events):  # type: ignore[no-untyped-def]
        events[1], events[2] = events[2], events[1]

    result = runner.invoke(
        app, ["audit", "verify", "--from-file", str(_chain_file(tmp_path, swapped))]
    )
    assert result.exit_code == 1 and "deleted or reordered" in result.output


def test_audit_verify_refuses_a_file_that_is_not_json_lines(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = runner.invoke(app, ["audit", "verify", "--from-file", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1: not JSON" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["control", "halt", "--actor", "a", "--reason", "r"],
            "exactly one of --bot, --cell or --global",
        ),
        (
            ["control", "halt", "--bot", "b", "--cell", "c", "--actor", "a", "--reason", "r"],
            "exactly one",
        ),
        (
            ["control", "halt", "--bot", "b", "--actor", "a", "--reason", " "],
            "a reason is required",
        ),
        (
            ["control", "unlock", "--bot", "b", "--actor", "a", "--reason", "r", "--role", "root"],
            "one of viewer, operator, admin",
        ),
        (
            [
                "control",
                "resume",
                "--bot",
                "b",
                "--actor",
                "a",
                "--reason",
                "r",
                "--at",
                "yesterday",
            ],
            "--at",
        ),
    ],
)
def test_control_commands_refuse_bad_arguments_before_publishing(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
