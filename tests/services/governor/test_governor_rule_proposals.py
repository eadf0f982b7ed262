"""Rule proposals through the change guard: SET_PARAMETER `rule.<rule_id>` with the rule's JSON
(hive.rules) is applied within the constitution, refused outside it with the reason, counted
like a parameter change, and rolled back by id."""

from __future__ import annotations

from typing import Any

import pytest

from hive.parameters import ParameterBook
from hive.topics import CONTROL_PARAMETERS
from hive_governor import Governor
from hive_governor.change_guard import ChangeGuard

from support.governor import T0, audits, breakers, command, details, governor
from support.rules import make_rule

pytestmark = pytest.mark.unit


def propose(g: Governor, name: str, value: str, ts: int, cid: str) -> dict[str, Any]:
    outs = g.on_command(
        command(
            "SET_PARAMETER",
            ts,
            level="GLOBAL",
            scope_id="global",
            role="SYSTEM",
            actor="learner",
            params={"name": name, "value": value},
            command_id=cid,
            origin="learner",
        )
    )
    assert breakers(outs) == []
    [audit] = audits(outs)
    return audit


def test_a_rule_within_the_constitution_is_applied_and_rolled_back_by_id() -> None:
    g = governor()
    rule = make_rule(
        "weak.fx-vip.ASIA", action="risk_scale", risk_scale=0.5, source="fx-vip", session="ASIA"
    )
    audit = propose(g, rule.name, rule.to_json(), T0, "learner:rule:1")
    d = details(audit)
    assert (audit["action"], audit["scope_level"], audit["actor"]) == (
        "CHANGE_APPLIED",
        "GLOBAL",
        "learner",
    )
    assert (d["change_id"], d["name"], d["old_value"], d["new_value"]) == (
        "learner:rule:1",
        "rule.weak.fx-vip.ASIA",
        None,
        rule.to_json(),
    )
    assert d["changes_that_day"] == 1
    [done] = audits(
        g.on_command(
            command(
                "ROLLBACK_CHANGE",
                T0 + 1,
                level="GLOBAL",
                scope_id="global",
                role="SYSTEM",
                params={"change_id": "learner:rule:1"},
            )
        )
    )
    assert done["action"] == "CHANGE_ROLLED_BACK"
    assert details(done)["message"] == "rule.weak.fx-vip.ASIA back to default"
    # the same rule may be proposed again: a new change of its own
    again = propose(g, rule.name, rule.to_json(), T0 + 2, "learner:rule:2")
    assert (again["action"], details(again)["old_value"]) == ("CHANGE_APPLIED", None)


def test_an_applied_rule_is_published_as_a_rule_the_gates_book_lists() -> None:
    """The risk gate applies only records of kind RULE (ParameterBook.rules): a rule published
    as a PARAMETER would be in force on the topic and never applied."""
    g = governor()
    rule = make_rule("weak.tv-alerts.CALM", source="tv-alerts", regime="CALM")
    outs = g.on_command(
        command(
            "SET_PARAMETER",
            T0,
            level="GLOBAL",
            scope_id="global",
            role="SYSTEM",
            actor="learner",
            params={"name": rule.name, "value": rule.to_json()},
            command_id="learner:rule:1",
            origin="learner",
        )
    )
    [published] = [o for o in outs if o.topic == CONTROL_PARAMETERS]
    assert (published.key, published.value["kind"], published.value["value"]) == (
        "GLOBAL:global:rule.weak.tv-alerts.CALM",
        "RULE",
        rule.to_json(),
    )
    book = ParameterBook()
    book.apply(published.value)
    assert [(p.name, p.value) for p in book.rules()] == [(rule.name, rule.to_json())]


def test_a_skip_rule_is_applied() -> None:
    rule = make_rule()
    assert propose(governor(), rule.name, rule.to_json(), T0, "c1")["action"] == "CHANGE_APPLIED"


@pytest.mark.parametrize("scale", [1.5, 0.0, -1.0])
def test_a_rule_that_would_add_risk_is_refused_as_outside_the_constitution(scale: float) -> None:
    rule = make_rule(action="risk_scale", risk_scale=scale)
    audit = propose(governor(), rule.name, rule.to_json(), T0, "c1")
    assert audit["action"] == "CHANGE_REFUSED"
    d = details(audit)
    assert d["code"] == "outside_constitution"
    assert d["message"] == (
        "rule weak.fx-vip.CHAOS would not reduce risk: risk_scale must be in (0, 1] "
        f"(a rule may only skip or scale risk down), got {scale!r}"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("rule.weak.fx-vip.CHAOS", "{", "rule.weak.fx-vip.CHAOS: a rule's value must be JSON"),
        (
            "rule.other",
            make_rule().to_json(),
            "rule.other: parameter rule.other carries rule 'weak.fx-vip.CHAOS'",
        ),
        (
            "rule.weak.fx-vip.CHAOS",
            make_rule().to_json().replace('"skip"', '"boost"'),
            "rule.weak.fx-vip.CHAOS: action must be one of skip, risk_scale",
        ),
    ],
)
def test_an_invalid_rule_is_refused_with_its_reason(name: str, value: str, message: str) -> None:
    audit = propose(governor(), name, value, T0, "c1")
    assert audit["action"] == "CHANGE_REFUSED"
    assert details(audit)["code"] == "invalid_rule"
    assert details(audit)["message"].startswith(message)


def test_rules_count_in_the_days_changes_and_in_the_active_limit() -> None:
    g = governor()
    for i in range(3):
        rule = make_rule(f"r{i}", source=f"s{i}")
        assert propose(g, rule.name, rule.to_json(), T0 + i, f"c{i}")["action"] == "CHANGE_APPLIED"
    fourth = make_rule("r3", source="s3")
    refused = propose(g, fourth.name, fourth.to_json(), T0 + 3, "c3")
    assert (refused["action"], details(refused)["code"]) == ("CHANGE_REFUSED", "daily_change_limit")

    guard = ChangeGuard(max_per_day=1000, max_active=2)
    kw: dict[str, Any] = {
        "ts": T0,
        "scope_key": "GLOBAL:global",
        "default": None,
        "actor": "learner",
        "reason": "r",
    }
    assert guard.propose(change_id="p", name="min_confidence", value="0.5", **kw).accepted
    one = make_rule("one", source="a")
    assert guard.propose(change_id="a", name=one.name, value=one.to_json(), **kw).accepted
    two = make_rule("two", source="b")
    verdict = guard.propose(change_id="b", name=two.name, value=two.to_json(), **kw)
    assert verdict.code == "max_active_rules"
