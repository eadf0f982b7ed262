"""The OPA question and answer (policies/CONTRACT.md): the input the gate builds, the output it reads.

`build_policy_input` gives exactly the contract's input document; `read_policy_output` checks
the answer (`data.hive.risk.decision`) and raises `PolicyOutputError` for anything the gate
cannot act on safely (the decision is then denied `policy.invalid_output`: fail closed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hive.bots import Bot
from hive_risk_gate.account import AccountState
from hive_risk_gate.signals import ScoredSignal, utc

PolicyFn = Callable[[dict[str, Any]], Mapping[str, Any]]


class PolicyOutputError(ValueError):
    """The policy's answer is not a decision per the contract."""


@dataclass(frozen=True)
class OrderRisk:
    risk_amount: float
    risk_pct: float
    reduces_exposure: bool = False


@dataclass(frozen=True)
class PolicyDecision:
    allow: bool
    reasons: tuple[str, ...]
    max_risk_pct: float
    size_multiplier: float
    shadow: bool
    limits: Mapping[str, Any] = field(default_factory=dict)
    bundle_version: str | None = None


def build_policy_input(
    *,
    signal: ScoredSignal,
    bot: Bot,
    account: AccountState,
    order: OrderRisk,
    breaker_mode: str,
    confidence: float,
    strategy_card: str | None = None,
) -> dict[str, Any]:
    """The input document of `POST /v1/data/hive/risk/decision` for one (signal, bot).

    `signal.confidence` is the trading confidence used (model or prior), not the parser's.
    `strategy_card` is the card actually running (after a swap), default the registry's.
    """
    t = utc(signal.ts_event)
    return {
        "signal": {
            "signal_id": signal.signal_id,
            "source": signal.source,
            "symbol": signal.symbol,
            "direction": signal.direction,
            "order_type": signal.order_type,
            "entry": signal.entry,
            "stop_loss": signal.stop_loss,
            "take_profits": list(signal.take_profits),
            "ts_event": signal.ts_event,
            "regime": signal.regime,
            "confidence": confidence,
            "stale": signal.stale,
            "implausible": signal.implausible,
            "wrong_side_stop": signal.wrong_side_stop,
            "no_market_data": signal.no_market_data,
        },
        "bot": {
            "bot_id": bot.bot_id,
            "cell_id": bot.cell_id,
            "rule_set": bot.rule_set,
            "allowed_symbols": list(bot.allowed_symbols),
            "strategy_card": strategy_card or bot.strategy_card,
            "allowed_cards": [],
            "status": bot.status,
            "mode": bot.mode,
        },
        "account": {
            "currency": account.currency,
            "initial_balance": account.initial_balance,
            "balance": account.balance,
            "equity": account.equity,
            "day_start_balance": account.day_start_balance,
            "peak_equity": account.peak_equity,
            "open_positions": account.open_positions,
            "open_risk": account.open_risk,
            "holds_weekend_positions": account.holds_weekend_positions,
        },
        "order": {
            "risk_amount": order.risk_amount,
            "risk_pct": order.risk_pct,
            "reduces_exposure": order.reduces_exposure,
        },
        "breaker": {"mode": breaker_mode},
        "time": {
            "ts": signal.ts_event,
            "weekday": t.weekday(),
            "hour_utc": t.hour,
            "minute_utc": t.minute,
        },
    }


def _number(out: Mapping[str, Any], name: str) -> float:
    value = out.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PolicyOutputError(f"{name} must be a number, got {value!r}")
    return float(value)


def read_policy_output(out: Any) -> PolicyDecision:
    """Check the policy's answer (raises `PolicyOutputError`).

    An allow must carry `max_risk_pct` >= 0 and `size_multiplier` in [0, 1]; a deny may omit
    them (read as 0: nothing may be placed). `reasons` are sorted and de-duplicated. A `result` wrapper (OPA's raw HTTP body)
    is unwrapped.
    """
    if isinstance(out, Mapping) and "allow" not in out and isinstance(out.get("result"), Mapping):
        out = out["result"]
    if not isinstance(out, Mapping) or not out:
        raise PolicyOutputError(f"expected the decision object, got {out!r:.200}")
    allow = out.get("allow")
    if not isinstance(allow, bool):
        raise PolicyOutputError(f"allow must be true or false, got {allow!r}")
    reasons = out.get("reasons", [])
    if not isinstance(reasons, list | tuple) or not all(isinstance(r, str) for r in reasons):
        raise PolicyOutputError(f"reasons must be a list of codes, got {reasons!r:.200}")
    shadow = out.get("shadow", False)
    if not isinstance(shadow, bool):
        raise PolicyOutputError(f"shadow must be true or false, got {shadow!r}")
    version = out.get("bundle_version")
    if version is not None and not isinstance(version, str):
        raise PolicyOutputError(f"bundle_version must be a string, got {version!r}")
    limits = out.get("limits", {})
    if not isinstance(limits, Mapping):
        raise PolicyOutputError("limits must be an object")
    try:
        max_risk = _number(out, "max_risk_pct")
        multiplier = _number(out, "size_multiplier")
        if max_risk < 0:
            raise PolicyOutputError(f"max_risk_pct must be >= 0, got {max_risk!r}")
        if not 0 <= multiplier <= 1:
            raise PolicyOutputError(f"size_multiplier must be in [0, 1], got {multiplier!r}")
    except PolicyOutputError:
        if allow:
            raise
        max_risk, multiplier = 0.0, 0.0  # a denial need not size anything
    return PolicyDecision(
        allow=allow,
        reasons=tuple(sorted(set(reasons))),
        max_risk_pct=max_risk,
        size_multiplier=multiplier,
        shadow=shadow,
        limits=dict(limits),
        bundle_version=version,
    )
