"""Self-modification rules: JSON in and out, validation messages, the constitution, matching."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hive.rules import Rule, RuleError, read_proposal, rule_name, within_constitution

from support.rules import EVIDENCE, make_rule

pytestmark = pytest.mark.unit


def _raw(**changes: Any) -> dict[str, Any]:
    raw = json.loads(make_rule(action="risk_scale", risk_scale=0.5).to_json())
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


def test_a_rule_round_trips_through_its_canonical_json() -> None:
    rule = make_rule(
        "weak.fx-vip.ASIA", action="risk_scale", risk_scale=0.5, source="fx-vip", session="ASIA"
    )
    text = rule.to_json()
    assert text == (
        '{"action":"risk_scale","evidence":{"expectancy_r":-0.5,"p_value":0.002,'
        '"statistic":-3.1,"test":"one-sided t-test of mean R < 0","trades":40,'
        '"window_end":1497398400000,"window_start":1494806400000},"risk_scale":0.5,'
        '"rule_id":"weak.fx-vip.ASIA","when":{"session":"ASIA","source":"fx-vip"}}'
    )
    assert Rule.from_json(text) == rule
    assert rule.name == rule.reason_code == "rule.weak.fx-vip.ASIA" == rule_name(rule.rule_id)
    skip = make_rule()
    assert Rule.from_json(skip.to_json()) == skip and "risk_scale" not in skip.to_dict()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"rule_id": "a:b"},
            "rule_id must be 1-120 letters, digits, '.', '_' or '-' (no ':'), got 'a:b'",
        ),
        ({"rule_id": ""}, "rule_id must be"),
        ({"action": "boost"}, "action must be one of skip, risk_scale, got 'boost'"),
        ({"risk_scale": "half"}, "risk_scale must be a number for action risk_scale, got 'half'"),
        ({"risk_scale": True}, "risk_scale must be a number"),
        ({"action": "skip"}, "risk_scale is only for action risk_scale"),
        ({"when": {}}, "when must name at least one of: source, regime, session, symbol"),
        (
            {"when": {"regime": "STORM"}},
            "when.regime must be one of CALM, TREND, CHAOS, got 'STORM'",
        ),
        ({"when": {"session": "TOKYO"}}, "when.session must be one of ASIA, LONDON"),
        ({"when": {"hour": "3"}}, "unknown when fields: hour"),
        ({"when": {"source": ""}}, "when.source must be a non-empty string, got ''"),
        ({"evidence": {"trades": 3}}, "evidence lacks: expectancy_r, test, statistic, p_value"),
        (
            {"evidence": {**EVIDENCE.to_dict(), "p_value": 1.5}},
            "evidence.p_value must be in [0, 1], got 1.5",
        ),
        (
            {"evidence": {**EVIDENCE.to_dict(), "trades": -1}},
            "evidence.trades must be a whole number >= 0",
        ),
        (
            {"evidence": {**EVIDENCE.to_dict(), "statistic": "big"}},
            "evidence.statistic must be a finite number",
        ),
        ({"evidence": None}, "evidence must be an object with: trades, expectancy_r"),
        ({"colour": "red"}, "unknown rule fields: colour"),
    ],
)
def test_an_invalid_rule_is_refused_with_a_message_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(RuleError) as err:
        Rule.from_dict(_raw(**changes))
    assert str(err.value).startswith(message)


def test_unreadable_json_is_refused() -> None:
    for text, message in (
        (None, "a rule's value must be its JSON"),
        ("{", "a rule's value must be JSON"),
        ("[]", "a rule must be a JSON object"),
    ):
        with pytest.raises(RuleError, match=message):
            Rule.from_json(text)


@pytest.mark.parametrize(
    ("scale", "allowed"),
    [
        (0.5, True),
        (1.0, True),
        (1e-9, True),
        (1.01, False),
        (2.0, False),
        (0.0, False),
        (-0.5, False),
    ],
)
def test_a_rule_may_only_reduce_risk(scale: float, allowed: bool) -> None:
    rule = make_rule(action="risk_scale", risk_scale=scale)
    problem = within_constitution(Rule.from_json(rule.to_json()))
    if allowed:
        assert problem is None
    else:
        assert problem == (
            f"rule weak.fx-vip.CHAOS would not reduce risk: risk_scale must be in (0, 1] "
            f"(a rule may only skip or scale risk down), got {scale!r}"
        )
    assert within_constitution(make_rule()) is None  # a skip always reduces risk


def test_a_proposal_must_carry_the_rule_it_names() -> None:
    rule = make_rule()
    assert read_proposal("rule.weak.fx-vip.CHAOS", rule.to_json()) == rule
    with pytest.raises(RuleError) as err:
        read_proposal("rule.other", rule.to_json())
    assert (
        str(err.value) == "parameter rule.other carries rule 'weak.fx-vip.CHAOS': they must agree"
    )


def test_every_field_the_rule_names_must_match() -> None:
    rule = make_rule(source="fx-vip", regime="CHAOS")
    signal = {"source": "fx-vip", "regime": "CHAOS", "session": "ASIA", "symbol": "EURUSD"}
    assert rule.matches(**signal)
    assert rule.matches(**{**signal, "session": "LONDON", "symbol": "XAUUSD"})
    assert not rule.matches(**{**signal, "regime": "CALM"})
    assert not rule.matches(**{**signal, "source": "gold-club"})
    narrow = make_rule(source="fx-vip", session="ASIA", symbol="EURUSD")
    assert narrow.matches(**signal) and not narrow.matches(**{**signal, "symbol": "GBPUSD"})
