"""The self-modification rules in force (control.parameters) applied by the gate: a matching skip
rule denies with `rule.<rule_id>`, a matching risk_scale rule scales the risk exactly and names
the rule; rules apply at the global scope, the bot's cell or the bot; a rule-skipped signal still
gets its counterfactual intent."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hive_risk_gate import RiskGate

from support.rules import make_rule, rule_record

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SCORED: dict[str, Any] = json.loads((ROOT / "schemas/examples/signals_scored.json").read_text())
SNAPSHOT: dict[str, Any] = json.loads(
    (ROOT / "schemas/examples/accounts_snapshots.json").read_text()
)
BOT: dict[str, Any] = json.loads((ROOT / "schemas/examples/registry_bots.json").read_text())


def allow_all(inp: dict[str, Any]) -> dict[str, Any]:
    return {
        "allow": True,
        "reasons": [],
        "max_risk_pct": 5.0,
        "size_multiplier": 1.0,
        "shadow": False,
        "limits": {"daily_loss_pct": 5.0, "max_risk_per_position_pct": 5.0},
        "bundle_version": "allow-1",
    }


def gate(counterfactuals: bool = False) -> RiskGate:
    g = RiskGate(allow_all, counterfactuals=counterfactuals)
    g.on_bot(dict(BOT, strategy_card="follow", strategy_parameters={}))
    g.on_snapshot(SNAPSHOT)
    return g


def signal(regime: str = "TREND", session: str = "LONDON") -> dict[str, Any]:
    record = copy.deepcopy(SCORED)
    record["regime"] = regime
    record["market"]["session"] = session
    return record


def test_a_matching_skip_rule_denies_with_a_reason_naming_the_rule() -> None:
    g = gate()
    g.on_parameter(rule_record(make_rule("weak.fx-vip.TREND", source="fx-vip", regime="TREND")))
    [d] = g.on_signal(signal())
    assert not d.allowed and d.reasons == ["rule.weak.fx-vip.TREND"]
    assert d.intent is None and d.counterfactual is None  # counterfactuals off
    [other] = g.on_signal(signal(regime="CALM"))  # the rule does not match
    assert other.allowed and other.reasons == []


def test_every_matching_skip_rule_is_named_in_rule_id_order() -> None:
    g = gate()
    g.on_parameter(
        rule_record(make_rule("b-regime", source="fx-vip", regime="TREND"), change_id="c1")
    )
    g.on_parameter(rule_record(make_rule("a-session", session="LONDON"), change_id="c2"))
    g.on_parameter(
        rule_record(
            make_rule("c-scale", action="risk_scale", risk_scale=0.5, symbol="EURUSD"),
            change_id="c3",
        )
    )
    [d] = g.on_signal(signal())
    assert d.reasons == ["rule.a-session", "rule.b-regime"]


def test_a_risk_scale_rule_scales_the_risk_exactly_and_names_the_rule() -> None:
    plain = gate().on_signal(signal())[0].decision
    g = gate()
    g.on_parameter(
        rule_record(
            make_rule(
                "half.fx-vip.LONDON",
                action="risk_scale",
                risk_scale=0.5,
                source="fx-vip",
                session="LONDON",
            )
        )
    )
    [d] = g.on_signal(signal())
    scaled = d.decision
    assert d.allowed and d.reasons == ["rule.half.fx-vip.LONDON"]
    assert scaled["details"]["rule_risk_scale"] == "0.5"
    # 1 % of equity x confidence scale (prior 0.5 -> 0.58333) x 0.5, stop 34.2 pips
    target = 1.0 * (0.5 + 0.5 * 0.1 / 0.6) * 0.5
    assert float(scaled["details"]["target_risk_pct"]) == pytest.approx(target, rel=1e-9)
    assert float(plain["details"]["target_risk_pct"]) == pytest.approx(2 * target, rel=1e-9)
    lots = int(SNAPSHOT["equity"] * target / 100 / 342.0 / 0.01 + 1e-9) * 0.01
    assert (
        scaled["approved_size"] == pytest.approx(lots)
        and scaled["approved_size"] < plain["approved_size"]
    )
    assert scaled["requested_size"] == plain["requested_size"]  # the card's request, before rules


def test_the_smallest_scale_of_several_matching_rules_applies() -> None:
    g = gate()
    g.on_parameter(
        rule_record(
            make_rule("a", action="risk_scale", risk_scale=0.8, source="fx-vip"), change_id="c1"
        )
    )
    g.on_parameter(
        rule_record(
            make_rule("b", action="risk_scale", risk_scale=0.25, symbol="EURUSD"), change_id="c2"
        )
    )
    [d] = g.on_signal(signal())
    assert d.reasons == ["rule.a", "rule.b"] and d.decision["details"]["rule_risk_scale"] == "0.25"


def test_rules_apply_globally_at_the_bots_cell_or_the_bot_only() -> None:
    rule = make_rule("skip-all-fx-vip", source="fx-vip")
    for level, scope_id, applies in (
        ("GLOBAL", "global", True),
        ("CELL", BOT["cell_id"], True),
        ("BOT", BOT["bot_id"], True),
        ("CELL", "other-cell", False),
        ("BOT", "other-bot", False),
    ):
        g = gate()
        g.on_parameter(rule_record(rule, level=level, scope_id=scope_id))
        [d] = g.on_signal(signal())
        assert d.allowed is not applies, (level, scope_id)


def test_a_rule_taken_out_of_force_no_longer_applies() -> None:
    g = gate()
    rule = make_rule("weak.fx-vip.TREND", source="fx-vip", regime="TREND")
    g.on_parameter(rule_record(rule))
    g.on_parameter(rule_record(None, rule_id=rule.rule_id))  # rolled back: null value
    assert g.on_signal(signal())[0].allowed
    g.on_parameter(rule_record(rule))
    g.on_parameter(None, key="GLOBAL:global:rule.weak.fx-vip.TREND")  # a tombstone
    assert g.on_signal(signal())[0].allowed


def test_a_rule_in_force_that_would_add_risk_or_cannot_be_read_is_not_applied() -> None:
    g = gate()
    g.on_parameter(
        rule_record(make_rule("boost", action="risk_scale", risk_scale=2.0), change_id="c1")
    )
    g.on_parameter(rule_record(None, rule_id="broken", value="{not json", change_id="c2"))
    plain = gate().on_signal(signal())[0].decision
    [d] = g.on_signal(signal())
    assert d.allowed and d.reasons == [] and d.decision["approved_size"] == plain["approved_size"]


def test_a_rule_skipped_signal_still_gets_its_counterfactual_intent() -> None:
    g = gate(counterfactuals=True)
    g.on_parameter(rule_record(make_rule("weak.fx-vip.TREND", source="fx-vip", regime="TREND")))
    [d] = g.on_signal(signal())
    cf = d.counterfactual
    assert not d.allowed and cf is not None
    assert (cf["shadow_reason"], cf["decision_event_id"]) == (
        "COUNTERFACTUAL",
        d.decision["event_id"],
    )
    assert (cf["features"]["source"], cf["features"]["regime"], cf["features"]["session"]) == (
        "fx-vip",
        "TREND",
        "LONDON",
    )


def test_the_service_reads_rules_from_control_parameters_and_dead_letters_a_bad_record() -> None:
    from hive.audit import AuditChain
    from hive.runtime import InboundRecord, RejectRecord
    from hive.topics import CONTROL_PARAMETERS, ORDERS_DECISIONS, SIGNALS_SCORED
    from hive_risk_gate.service import INPUTS, TABLES, make_handler

    assert CONTROL_PARAMETERS in INPUTS and CONTROL_PARAMETERS in TABLES
    g = gate()
    handle = make_handler(g, AuditChain("risk-gate"))
    rule = make_rule("weak.fx-vip.TREND", source="fx-vip", regime="TREND")
    key = "GLOBAL:global:rule.weak.fx-vip.TREND"
    assert handle(InboundRecord(CONTROL_PARAMETERS, 0, 0, key, rule_record(rule))) == []
    [decision] = handle(InboundRecord(SIGNALS_SCORED, 0, 0, "EURUSD", signal()))
    assert decision.value["reasons"] == ["rule.weak.fx-vip.TREND"]
    handle(InboundRecord(CONTROL_PARAMETERS, 0, 1, key, {}, tombstone=True))
    [decision] = [
        o
        for o in handle(InboundRecord(SIGNALS_SCORED, 0, 1, "EURUSD", signal()))
        if o.topic == ORDERS_DECISIONS
    ]
    assert decision.value["allowed"]
    with pytest.raises(RejectRecord) as err:
        handle(InboundRecord(CONTROL_PARAMETERS, 0, 2, key, {**rule_record(rule), "kind": "SPELL"}))
    assert err.value.reason == "unknown_symbol"
