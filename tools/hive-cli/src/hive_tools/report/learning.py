"""What the hive taught itself during a run: the rules the learner proposed and what the
governor's change guard made of them (deployed, refused, rolled back), the parameter changes,
the model releases promoted, and what `control.parameters` had in force at the end.

Computed from `RunData` alone: verdicts are read with hive.change_log (as the hub reads them),
one `RuleFate` per rule proposal in the order they were decided. The short texts (`when_text`,
`action_text`, `evidence_text`) are shared by the terminal summary and the HTML report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from hive.change_log import APPLIED, ROLLED_BACK, ChangeVerdict, rule_json
from hive.parameters import RULE, parameter_key

ACTIVE: Final = "active"
ROLLED_BACK_STATUS: Final = "rolled back"
REFUSED_STATUS: Final = "refused"
_WHEN_ORDER: Final = ("source", "regime", "session", "symbol")
_EVIDENCE_SHOWN: Final = ("trades", "expectancy_r", "p_value")
_EVIDENCE_HIDDEN: Final = frozenset({"test", "statistic", "window_start", "window_end"})


@dataclass(frozen=True)
class RuleFate:
    """One rule proposal and what became of it."""

    rule_id: str
    scope: str  # "GLOBAL:global", "CELL:majors", "BOT:b1"
    when: str
    action: str
    evidence: str
    status: str  # ACTIVE, ROLLED_BACK_STATUS or REFUSED_STATUS
    proposed_at: int
    deployed_at: int | None = None
    rolled_back_at: int | None = None
    refusal: str | None = None  # the change guard's code


@dataclass(frozen=True)
class Promotion:
    ts: int
    model_name: str
    version: str


@dataclass(frozen=True)
class InForce:
    """A control.parameters key with a value in force at the end of the run."""

    scope: str
    name: str
    kind: str
    value: str


@dataclass(frozen=True)
class Learning:
    rules: tuple[RuleFate, ...] = ()
    parameters_applied: int = 0
    parameters_refused: int = 0
    parameters_rolled_back: int = 0
    promotions: tuple[Promotion, ...] = ()
    in_force: tuple[InForce, ...] = ()

    def _count(self, status: str) -> int:
        return sum(1 for r in self.rules if r.status == status)

    @property
    def rules_deployed(self) -> int:
        return sum(1 for r in self.rules if r.deployed_at is not None)

    @property
    def rules_refused(self) -> int:
        return self._count(REFUSED_STATUS)

    @property
    def rules_rolled_back(self) -> int:
        return self._count(ROLLED_BACK_STATUS)

    @property
    def rules_active(self) -> int:
        return self._count(ACTIVE)

    @property
    def parameter_changes(self) -> int:
        return self.parameters_applied + self.parameters_refused


def day(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def when_text(when: Any) -> str:
    """ "source=fx-vip regime=CHAOS" (the fields a rule sets, in hive.rules' order)."""
    if not isinstance(when, Mapping):
        return "?"
    keys = [k for k in _WHEN_ORDER if when.get(k) is not None]
    keys += sorted(k for k in when if k not in _WHEN_ORDER and when[k] is not None)
    return " ".join(f"{k}={when[k]}" for k in keys) or "any signal"


def action_text(rule: Mapping[str, Any]) -> str:
    """ "skip", or "risk x0.5" for a risk scale."""
    action = str(rule.get("action") or "?")
    scale = rule.get("risk_scale")
    if action == "risk_scale" and isinstance(scale, int | float):
        return f"risk x{scale:g}"
    return action


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def evidence_text(evidence: Any) -> str:
    """ "41 trades, mean R -0.42, p 0.004" and any field hive.rules does not name."""
    if not isinstance(evidence, Mapping):
        return "-"
    parts = []
    if "trades" in evidence:
        parts.append(f"{evidence['trades']} trades")
    if isinstance(evidence.get("expectancy_r"), int | float):
        parts.append(f"mean R {evidence['expectancy_r']:+.2f}")
    if isinstance(evidence.get("p_value"), int | float):
        parts.append(f"p {evidence['p_value']:.3f}")
    known = (*_EVIDENCE_SHOWN, *_EVIDENCE_HIDDEN)
    parts += [f"{k}={_number(evidence[k])}" for k in sorted(evidence) if k not in known]
    return ", ".join(parts) or "-"


def _rule_fate(proposal: ChangeVerdict, rollback: ChangeVerdict | None) -> RuleFate:
    rule = rule_json(proposal.new_value) or {}
    deployed = proposal.action == APPLIED
    status = REFUSED_STATUS if not deployed else ROLLED_BACK_STATUS if rollback else ACTIVE
    return RuleFate(
        rule_id=proposal.rule_id or "?",
        scope=f"{proposal.scope_level}:{proposal.scope_id}",
        when=when_text(rule.get("when")),
        action=action_text(rule),
        evidence=evidence_text(rule.get("evidence")),
        status=status,
        proposed_at=proposal.ts,
        deployed_at=proposal.ts if deployed else None,
        rolled_back_at=rollback.ts if rollback else None,
        refusal=None if deployed else proposal.code,
    )


def _in_force(records: Sequence[Mapping[str, Any]]) -> tuple[InForce, ...]:
    """The latest record per key (records in the order read); those with a value."""
    latest: dict[str, Mapping[str, Any]] = {}
    for r in records:
        latest[parameter_key(str(r["scope_level"]), str(r["scope_id"]), str(r["name"]))] = r
    return tuple(
        InForce(
            scope=f"{r['scope_level']}:{r['scope_id']}",
            name=str(r["name"]),
            kind=str(r.get("kind")),
            value=str(r["value"]),
        )
        for _, r in sorted(latest.items())
        if r.get("value") is not None
    )


def learning(
    change_verdicts: Sequence[Mapping[str, Any]],
    parameters: Sequence[Mapping[str, Any]] = (),
    models: Sequence[Mapping[str, Any]] = (),
) -> Learning:
    """From the run's change guard verdicts (audit events), control.parameters records and
    learner.models records, each in event-time order."""
    verdicts = [v for v in map(ChangeVerdict.from_audit, change_verdicts) if v is not None]
    rollbacks: dict[str, ChangeVerdict] = {}
    for v in verdicts:
        if v.action == ROLLED_BACK and v.change_id is not None:
            rollbacks.setdefault(v.change_id, v)
    rules = tuple(
        _rule_fate(v, rollbacks.get(v.change_id or "") if v.action == APPLIED else None)
        for v in verdicts
        if v.is_proposal and v.kind == RULE
    )
    params = [v for v in verdicts if v.kind != RULE]
    promotions = tuple(
        Promotion(int(m["ts_event"]), str(m["model_name"]), str(m["version"]))
        for m in models
        if m.get("status") == "PROMOTED"
    )
    return Learning(
        rules=rules,
        parameters_applied=sum(1 for v in params if v.action == APPLIED),
        parameters_refused=sum(1 for v in params if v.is_proposal and v.action != APPLIED),
        parameters_rolled_back=sum(1 for v in params if v.action == ROLLED_BACK),
        promotions=promotions,
        in_force=_in_force(parameters),
    )
