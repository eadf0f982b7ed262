"""Reading the change guard's verdicts back from audit events (hive.change_log)."""

from __future__ import annotations

import pytest

from hive.change_log import ChangeVerdict, rule_id_of, rule_json

from support.changes import CUT_LONDON, HALVE_ASIA, SKIP_CHAOS, audit_event, ts, year

pytestmark = pytest.mark.unit


def _verdicts() -> list[ChangeVerdict]:
    out = [ChangeVerdict.from_audit(e) for e in year()["audit"]]
    assert all(v is not None for v in out)
    return [v for v in out if v is not None]


def test_each_verdict_names_its_change_values_and_outcome() -> None:
    vs = _verdicts()
    rows = [
        (v.action, v.verdict, v.command, v.command_id, v.change_id, v.name, v.kind, v.code, v.actor)
        for v in vs
    ]
    assert rows == [
        ("CHANGE_APPLIED", "APPLIED", "SET_PARAMETER", "r-1", "r-1", "rule.skip-chaos-fxvip", "RULE", "applied", "learner"),
        ("CHANGE_REFUSED", "REFUSED", "SET_PARAMETER", "r-2", "r-2", "rule.halve-asia-gold", "RULE", "max_active_rules", "learner"),
        ("CHANGE_APPLIED", "APPLIED", "SET_PARAMETER", "c-3", "c-3", "risk_per_trade", "PARAMETER", "applied", "alice"),
        ("CONSTITUTION_CHANGE_REFUSED", "REFUSED", "SET_PARAMETER", "c-4", "c-4", "max_drawdown", "PARAMETER", "constitution", "alice"),
        ("CHANGE_APPLIED", "APPLIED", "SET_PARAMETER", "r-5", "r-5", "rule.cut-london-eurusd", "RULE", "applied", "learner"),
        # a rollback is about the change it undoes
        ("CHANGE_ROLLED_BACK", "ROLLED_BACK", "ROLLBACK_CHANGE", "rb-6", "r-5", "rule.cut-london-eurusd", "RULE", "rolled_back", "learner"),
        ("ROLLBACK_REFUSED", "REFUSED", "ROLLBACK_CHANGE", "rb-7", "r-5", "rule.cut-london-eurusd", "RULE", "already_rolled_back", "learner"),
    ]  # fmt: skip
    values = [
        (rule_json(v.old_value) or v.old_value, rule_json(v.new_value) or v.new_value) for v in vs
    ]
    assert values == [
        (None, SKIP_CHAOS),
        (None, HALVE_ASIA),  # refused: only the proposed value
        ("0.01", "0.005"),
        (None, "20"),
        (None, CUT_LONDON),
        (CUT_LONDON, None),  # the rollback took the rule out, restoring no value
        (None, None),  # a refused rollback changed nothing
    ]
    assert [v.rule_id for v in vs[:2]] == ["skip-chaos-fxvip", "halve-asia-gold"]


def test_other_audit_events_are_not_verdicts_and_odd_details_still_read() -> None:
    assert ChangeVerdict.from_audit(audit_event(1, ts("2017-01-02"), "BREAKER_OPENED", {})) is None
    bare = audit_event(2, ts("2017-01-02"), "ROLLBACK_REFUSED", {})
    bare["details"] = "not json"
    v = ChangeVerdict.from_audit(bare)
    assert v is not None
    assert (v.command, v.command_id, v.change_id, v.name, v.kind, v.code) == (
        "ROLLBACK_CHANGE", "governor:2", None, None, "PARAMETER", None,
    )  # fmt: skip


def test_rule_names_and_values() -> None:
    assert rule_id_of("rule.skip-chaos") == "skip-chaos"
    assert rule_id_of("risk_per_trade") is None and rule_id_of(None) is None
    assert rule_json('{"rule_id": "x"}') == {"rule_id": "x"}
    assert rule_json("[1]") is None and rule_json("{oops") is None and rule_json(None) is None
