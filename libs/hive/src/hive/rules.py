"""Self-modification rules: what a rule says, its JSON, and whether the constitution allows it.

A rule names a pattern of signals (`when`: any of source, regime, session, symbol; at least
one) and what the risk gate does with a matching signal (`action`):

- `skip`: deny it (reason code `rule.<rule_id>`);
- `risk_scale` with `risk_scale` in (0, 1]: trade it at that fraction of the risk it would
  otherwise take.

A rule may only reduce risk (`within_constitution`): a skip, or a scale of at most 1. Anything
else is refused by the governor's change guard. Each rule carries the evidence it was made on
(trades, mean R, the test, its statistic and p-value, the window of trades). A rule travels as
the value of a `SET_PARAMETER` command named `rule.<rule_id>` and is in force as a RULE record
of `control.parameters` (hive.parameters).

JSON (keys sorted, no spaces: `Rule.to_json`)::

    {"action": "risk_scale", "evidence": {"expectancy_r": -0.12, "p_value": 0.01,
     "statistic": -2.4, "test": "...", "trades": 40, "window_end": ..., "window_start": ...},
     "risk_scale": 0.5, "rule_id": "...", "when": {"regime": "CHAOS", "source": "fx-vip"}}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hive.market.sessions import SESSIONS
from hive.parameters import RULE_PREFIX

SKIP: Final = "skip"
RISK_SCALE: Final = "risk_scale"
ACTIONS: Final = (SKIP, RISK_SCALE)
REGIMES: Final = ("CALM", "TREND", "CHAOS")
WHEN_FIELDS: Final = ("source", "regime", "session", "symbol")
RULE_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")
EVIDENCE_FIELDS: Final = (
    "trades",
    "expectancy_r",
    "test",
    "statistic",
    "p_value",
    "window_start",
    "window_end",
)


class RuleError(ValueError):
    """A rule that cannot be read; the message says what is wrong."""


def rule_name(rule_id: str) -> str:
    """The parameter name of a rule (`rule.` + rule_id)."""
    return RULE_PREFIX + rule_id


def is_rule_name(name: str) -> bool:
    return name.startswith(RULE_PREFIX)


@dataclass(frozen=True)
class RuleWhen:
    """The pattern: every field that is set must equal the signal's."""

    source: str | None = None
    regime: str | None = None
    session: str | None = None
    symbol: str | None = None

    def matches(self, *, source: str, regime: str, session: str, symbol: str) -> bool:
        wanted = (self.source, self.regime, self.session, self.symbol)
        actual = (source, regime, session, symbol)
        return all(w is None or w == a for w, a in zip(wanted, actual, strict=True))

    def to_dict(self) -> dict[str, str]:
        values = (self.source, self.regime, self.session, self.symbol)
        return {k: v for k, v in zip(WHEN_FIELDS, values, strict=True) if v is not None}


@dataclass(frozen=True)
class RuleEvidence:
    """What the rule was made on: `trades` signals' outcomes, their mean R (`expectancy_r`),
    the test (`test`, its `statistic` and one-sided `p_value`), and the event-time window."""

    trades: int
    expectancy_r: float
    test: str
    statistic: float
    p_value: float
    window_start: int
    window_end: int

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in EVIDENCE_FIELDS}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    when: RuleWhen
    action: str
    evidence: RuleEvidence
    risk_scale: float | None = None  # set for RISK_SCALE only

    @property
    def name(self) -> str:
        return rule_name(self.rule_id)

    @property
    def reason_code(self) -> str:
        """The risk gate's reason code for a signal this rule matched."""
        return rule_name(self.rule_id)

    def matches(self, *, source: str, regime: str, session: str, symbol: str) -> bool:
        return self.when.matches(source=source, regime=regime, session=session, symbol=symbol)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "when": self.when.to_dict(),
            "action": self.action,
            "evidence": self.evidence.to_dict(),
        }
        if self.risk_scale is not None:
            out["risk_scale"] = self.risk_scale
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> Rule:
        """Raises `RuleError` with a message naming the field."""
        if text is None or not text.strip():
            raise RuleError("a rule's value must be its JSON, got nothing")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RuleError(f"a rule's value must be JSON: {exc}") from None
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Any) -> Rule:
        if not isinstance(raw, Mapping):
            raise RuleError("a rule must be a JSON object")
        unknown = sorted(set(raw) - {"rule_id", "when", "action", "risk_scale", "evidence"})
        if unknown:
            raise RuleError(f"unknown rule fields: {', '.join(unknown)}")
        rule_id = raw.get("rule_id")
        if not isinstance(rule_id, str) or not RULE_ID_PATTERN.match(rule_id):
            raise RuleError(
                f"rule_id must be 1-120 letters, digits, '.', '_' or '-' (no ':'), got {rule_id!r}"
            )
        action = raw.get("action")
        if action not in ACTIONS:
            raise RuleError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        scale = raw.get("risk_scale")
        if action == RISK_SCALE:
            if isinstance(scale, bool) or not isinstance(scale, int | float):
                raise RuleError(f"risk_scale must be a number for action risk_scale, got {scale!r}")
            if not math.isfinite(scale):
                raise RuleError(f"risk_scale must be finite, got {scale!r}")
            scale = float(scale)
        elif scale is not None:
            raise RuleError("risk_scale is only for action risk_scale")
        return cls(
            rule_id=rule_id,
            when=_when(raw.get("when")),
            action=action,
            evidence=_evidence(raw.get("evidence")),
            risk_scale=scale,
        )


def within_constitution(rule: Rule) -> str | None:
    """Why the constitution refuses the rule (a rule may only reduce risk), None if it allows it."""
    if rule.action == SKIP:
        return None
    scale = rule.risk_scale
    if rule.action == RISK_SCALE and scale is not None and 0 < scale <= 1:
        return None
    return (
        f"rule {rule.rule_id} would not reduce risk: risk_scale must be in (0, 1] "
        f"(a rule may only skip or scale risk down), got {scale!r}"
    )


def read_proposal(name: str, value: str | None) -> Rule:
    """The rule of a `SET_PARAMETER` named `rule.<rule_id>`; raises `RuleError` when the value
    is not a valid rule or names another rule_id."""
    rule = Rule.from_json(value)
    if rule.name != name:
        raise RuleError(f"parameter {name} carries rule {rule.rule_id!r}: they must agree")
    return rule


def _when(raw: Any) -> RuleWhen:
    if not isinstance(raw, Mapping):
        raise RuleError("when must be an object with any of: " + ", ".join(WHEN_FIELDS))
    unknown = sorted(set(raw) - set(WHEN_FIELDS))
    if unknown:
        raise RuleError(f"unknown when fields: {', '.join(unknown)}")
    for key, value in raw.items():
        if not isinstance(value, str) or not value:
            raise RuleError(f"when.{key} must be a non-empty string, got {value!r}")
    if not raw:
        raise RuleError("when must name at least one of: " + ", ".join(WHEN_FIELDS))
    regime, session = raw.get("regime"), raw.get("session")
    if regime is not None and regime not in REGIMES:
        raise RuleError(f"when.regime must be one of {', '.join(REGIMES)}, got {regime!r}")
    if session is not None and session not in SESSIONS:
        raise RuleError(f"when.session must be one of {', '.join(SESSIONS)}, got {session!r}")
    return RuleWhen(
        source=raw.get("source"), regime=regime, session=session, symbol=raw.get("symbol")
    )


def _evidence(raw: Any) -> RuleEvidence:
    if not isinstance(raw, Mapping):
        raise RuleError("evidence must be an object with: " + ", ".join(EVIDENCE_FIELDS))
    missing = [f for f in EVIDENCE_FIELDS if f not in raw]
    if missing:
        raise RuleError(f"evidence lacks: {', '.join(missing)}")
    trades, test = raw["trades"], raw["test"]
    if isinstance(trades, bool) or not isinstance(trades, int) or trades < 0:
        raise RuleError(f"evidence.trades must be a whole number >= 0, got {trades!r}")
    if not isinstance(test, str) or not test:
        raise RuleError("evidence.test must name the test")
    numbers = {f: _number(raw[f], f) for f in ("expectancy_r", "statistic", "p_value")}
    if not 0 <= numbers["p_value"] <= 1:
        raise RuleError(f"evidence.p_value must be in [0, 1], got {numbers['p_value']!r}")
    window = [raw["window_start"], raw["window_end"]]
    if any(isinstance(w, bool) or not isinstance(w, int) for w in window):
        raise RuleError(f"evidence.window_start/window_end must be epoch ms, got {window!r}")
    return RuleEvidence(
        trades=trades,
        test=test,
        window_start=window[0],
        window_end=window[1],
        **numbers,
    )


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleError(f"evidence.{field} must be a finite number, got {value!r}")
    return float(value)
