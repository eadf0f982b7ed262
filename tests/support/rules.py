"""Builders for self-modification rules (hive.rules) and their control.parameters records."""

from __future__ import annotations

from typing import Any

from hive.parameters import EffectiveParameter, kind_of
from hive.rules import Rule, RuleEvidence, RuleWhen

T_RULE = 1_497_398_400_000  # 2017-06-14 00:00 UTC

EVIDENCE = RuleEvidence(
    trades=40,
    expectancy_r=-0.5,
    test="one-sided t-test of mean R < 0",
    statistic=-3.1,
    p_value=0.002,
    window_start=T_RULE - 30 * 86_400_000,
    window_end=T_RULE,
)


def make_rule(
    rule_id: str = "weak.fx-vip.CHAOS",
    *,
    action: str = "skip",
    risk_scale: float | None = None,
    **when: str,
) -> Rule:
    return Rule(
        rule_id=rule_id,
        when=RuleWhen(**(when or {"source": "fx-vip", "regime": "CHAOS"})),
        action=action,
        evidence=EVIDENCE,
        risk_scale=risk_scale,
    )


def rule_record(
    rule: Rule | None,
    *,
    rule_id: str | None = None,
    level: str = "GLOBAL",
    scope_id: str = "global",
    ts: int = T_RULE,
    change_id: str = "chg-rule",
    actor: str = "learner",
    value: str | None = None,
) -> dict[str, Any]:
    """The control.parameters record of a rule in force (`rule`), or of one no longer in force
    (`rule` None: give `rule_id`); `value` overrides the rule's JSON."""
    rid = rule.rule_id if rule is not None else rule_id
    assert rid is not None
    text = value if value is not None else (rule.to_json() if rule is not None else None)
    return EffectiveParameter(
        event_id=f"{change_id}:{rid}:{ts}",
        ts=ts,
        scope_level=level,
        scope_id=scope_id,
        name=f"rule.{rid}",
        kind=kind_of(f"rule.{rid}"),
        value=text,
        previous_value=None,
        change_id=change_id if text is not None else None,
        actor=actor,
        reason="test",
    ).record()
