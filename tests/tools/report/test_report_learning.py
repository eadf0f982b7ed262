"""The summary's "What the hive taught itself" section from a hand-built year of change guard
verdicts, control.parameters records and model releases: every count and line exact."""

from __future__ import annotations

import json

import pytest

from hive_tools.report import RunData, format_summary, render_report, summarize
from hive_tools.report.learning import action_text, evidence_text, learning, when_text
from hive_tools.report.text import learning_lines

from support.changes import HALVE_ASIA, proposal, rule, ts, year
from support.report import RULE_SETS, example

pytestmark = pytest.mark.unit


def _models() -> list[dict]:
    return [
        example("learner_models", event_id="win-prob:0007:CANDIDATE", status="CANDIDATE",
                ts_event=ts("2017-04-30")),
        example("learner_models", event_id="win-prob:0007:PROMOTED", ts_event=ts("2017-05-01")),
        example("learner_models", event_id="win-prob:0008:REJECTED", version="0008",
                status="REJECTED", ts_event=ts("2017-06-01")),
    ]  # fmt: skip


def _year() -> RunData:
    y = year()
    return RunData(change_verdicts=y["audit"], parameters=y["parameters"], models=_models())


def test_the_year_counts_rules_parameters_and_promotions():
    got = summarize(_year(), RULE_SETS).learning
    assert (len(got.rules), got.rules_deployed, got.rules_refused, got.rules_rolled_back) == (
        3, 2, 1, 1,
    )  # fmt: skip
    assert got.rules_active == 1
    assert (got.parameters_applied, got.parameters_refused, got.parameters_rolled_back) == (1, 1, 0)
    assert [(p.model_name, p.version, p.ts) for p in got.promotions] == [
        ("win-prob", "0007", ts("2017-05-01"))
    ]
    fates = [
        (r.rule_id, r.scope, r.status, r.deployed_at, r.rolled_back_at, r.refusal)
        for r in got.rules
    ]
    assert fates == [
        ("skip-chaos-fxvip", "GLOBAL:global", "active", ts("2017-02-01"), None, None),
        ("halve-asia-gold", "GLOBAL:global", "refused", None, None, "max_active_rules"),
        ("cut-london-eurusd", "GLOBAL:global", "rolled back", ts("2017-04-01"), ts("2017-04-20"), None),
    ]  # fmt: skip
    assert [(p.scope, p.name, p.kind) for p in got.in_force] == [
        ("BOT:b1", "risk_per_trade", "PARAMETER"),
        ("GLOBAL:global", "rule.skip-chaos-fxvip", "RULE"),
    ]


def test_the_section_reads_exactly():
    lines = learning_lines(summarize(_year(), RULE_SETS).learning)
    assert lines == [
        "What the hive taught itself",
        "  rules: 3 proposed, 2 deployed, 1 refused, 1 rolled back (1 still active at the end)",
        "  parameter changes: 1 applied, 1 refused, 0 rolled back",
        "  model promotions: 1 (win-prob 0007 on 2017-05-01)",
        "  rule               status                     when                          action     evidence                          deployed    rolled back",
        "  skip-chaos-fxvip   active                     source=fx-vip regime=CHAOS    skip       41 trades, mean R -0.42, p 0.004  2017-02-01  -",
        "  halve-asia-gold    refused: max_active_rules  session=ASIA symbol=XAUUSD    risk x0.5  25 trades, mean R -0.20, p 0.030  -           -",
        "  cut-london-eurusd  rolled back                session=LONDON symbol=EURUSD  skip       30 trades, mean R -0.25, p 0.020  2017-04-01  2017-04-20",
        "  in force at the end (control.parameters): BOT:b1 risk_per_trade = 0.005; GLOBAL:global rule.skip-chaos-fxvip",
    ]  # fmt: skip


def test_an_empty_year_says_nothing_was_learned():
    text = format_summary(summarize(RunData(), RULE_SETS))
    assert text.endswith(
        "What the hive taught itself\n"
        "  no rules were proposed\n"
        "  no parameter changes were proposed\n"
        "  no model was promoted\n"
    )


def test_the_section_ends_the_terminal_summary_and_is_in_the_html_report():
    data = _year()
    assert format_summary(summarize(data, RULE_SETS)).endswith(
        "\n".join(learning_lines(summarize(data, RULE_SETS).learning)) + "\n"
    )
    html = render_report(data, rule_sets=RULE_SETS)
    assert "<h2>What the hive taught itself</h2>" in html
    assert (
        "<li>rules: 3 proposed, 2 deployed, 1 refused, 1 rolled back (1 still active at the end)</li>"
        in html
    )
    assert "<td>refused: max_active_rules</td>" in html and "<td>2017-04-20</td>" in html
    assert "<h3>In force at the end (control.parameters)</h3>" in html
    empty = render_report(RunData(), rule_sets=RULE_SETS)
    assert "<li>no rules were proposed</li><li>no parameter changes were proposed</li>" in empty
    assert "<h3>Rules</h3>" not in empty


def test_a_long_year_lists_the_first_rules_and_counts_the_rest():
    audit = [
        proposal(i, ts("2017-02-01") + i, f"r-{i}", f"rule.r{i:02d}",
                 json.dumps(rule(f"r{i:02d}", symbol="EURUSD")), applied=True)
        for i in range(14)
    ]  # fmt: skip
    lines = learning_lines(learning(audit))
    assert (
        lines[1]
        == "  rules: 14 proposed, 14 deployed, 0 refused, 0 rolled back (14 still active at the end)"
    )
    assert [line.split()[0] for line in lines[5:17]] == [f"r{i:02d}" for i in range(12)]
    assert lines[-1] == "  (+2 more rules)"


def test_rule_texts():
    assert when_text({"regime": "CHAOS", "source": "fx-vip"}) == "source=fx-vip regime=CHAOS"
    assert when_text({}) == "any signal" and when_text(None) == "?"
    assert action_text(HALVE_ASIA) == "risk x0.5" and action_text({"action": "skip"}) == "skip"
    assert evidence_text({"trades": 3, "expectancy_r": 0.5, "p_value": 0.2, "note": 1.5}) == (
        "3 trades, mean R +0.50, p 0.200, note=1.5"
    )
    assert evidence_text(None) == "-" and evidence_text({}) == "-"
    unreadable = proposal(1, ts("2017-02-01"), "r-x", "rule.bad", "not json", applied=False,
                          code="invalid_rule")  # fmt: skip
    (fate,) = learning([unreadable]).rules
    assert (fate.rule_id, fate.when, fate.action, fate.evidence, fate.status) == (
        "bad", "?", "?", "-", "refused",
    )  # fmt: skip
