"""Whether one bot may apply one management update to its order: the MODIFICATION decision.

Always allowed, whatever the breaker mode (SAFE_MODE, HALTED), the bot's status, the governor's
liveness or the policy (even unreachable), because getting out must never be blocked:
CLOSE_ALL, CLOSE_PARTIAL and CANCEL (`modification.exit`), BREAKEVEN
(`modification.breakeven`), a MOVE_SL towards the entry (`modification.tightens_stop`), and
changes that put no more money at risk: MOVE_TP, a stop moved but still on the profit side of
the entry (`modification.no_added_risk`).

A MOVE_SL away from the entry adds risk and is judged like a new position of that risk:

1. the governor silent denies (`guard.governor_silent`), SAFE_MODE / HALTED deny
   (`modification.no_new_risk`): the bot could open nothing now;
2. the new risk: the order's quantity x the distance from its entry to the new stop, in the
   account currency (`sizing.stop_risk`; `sizing.*` reasons when it cannot be measured);
3. the allowance: the risk budget sizing gives the bot now at full confidence (its risk per
   trade from `sizing.risk_per_trade_pct`, halved in REDUCED_CAPACITY, capped by the
   constitution's 5 %), from the same `sizing.size_position` as entries; above it denies
   `modification.above_risk_per_trade`;
4. the modification rule set (`data.hive.modification.decision`, policies/CONTRACT.md): the
   bot's profile cap per trade, its status, the breaker. Unreachable denies
   `policy.unavailable`, an answer the gate cannot read `policy.invalid_output` (fail closed).

The decision's event_id is the update's event_id + ':' + bot_id; ts_event and ts_init are the
update's ts_event (no wall clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hive.bots import Bot
from hive.constitution import (
    NO_NEW_POSITIONS,
    REDUCED_CAPACITY_MULTIPLIER,
    BreakerMode,
    normalise_breaker_mode,
)
from hive.instruments import InstrumentCatalogue
from hive_risk_gate.account import AccountState, account_state
from hive_risk_gate.decide import Decision
from hive_risk_gate.held import HeldOrder
from hive_risk_gate.policy_input import PolicyFn
from hive_risk_gate.reasons import Reason
from hive_risk_gate.sizing import (
    DEFAULT_SIZING,
    SizingConfig,
    SizingError,
    risk_per_trade_pct,
    size_position,
    stop_risk,
)
from hive_risk_gate.updates import SignalUpdate

EXITS = frozenset({"CLOSE_ALL", "CLOSE_PARTIAL", "CANCEL"})
# Rounding room when comparing the new risk with the allowance (money, account currency).
_TOLERANCE = 1e-6


def modification_id_for(update_event_id: str, bot_id: str) -> str:
    return f"{update_event_id}:{bot_id}"


@dataclass
class _Verdict:
    allowed: bool
    reasons: list[str]
    adds_risk: bool = False
    risk_amount: float | None = None
    bundle_version: str | None = None
    details: dict[str, str] | None = None


def _s(x: float) -> str:
    return format(float(x), ".10g")


def judge_modification(
    update: SignalUpdate,
    order: HeldOrder,
    bot: Bot | None,
    *,
    account: Mapping[str, Any] | AccountState | None,
    breaker_mode: str,
    policy: PolicyFn | None,
    catalogue: InstrumentCatalogue,
    sizing: SizingConfig = DEFAULT_SIZING,
    governor_alive: bool = True,
) -> Decision:
    """The decision on `update` for `order` of `bot` (see the module doc). `bot` None (no longer
    in the registry): exits still pass, anything adding risk is denied."""
    case = _Case(
        update=update,
        order=order,
        bot=bot,
        acct=account_state(bot, account) if bot is not None else None,
        mode=normalise_breaker_mode(breaker_mode),
        policy=policy,
        catalogue=catalogue,
        sizing=sizing,
        governor_alive=governor_alive,
    )
    return Decision(case.record(case.verdict()))


@dataclass(frozen=True)
class _Case:
    """One (update, held order, bot) and what the judgement reads."""

    update: SignalUpdate
    order: HeldOrder
    bot: Bot | None
    acct: AccountState | None
    mode: BreakerMode
    policy: PolicyFn | None
    catalogue: InstrumentCatalogue
    sizing: SizingConfig
    governor_alive: bool

    def verdict(self) -> _Verdict:
        update, order = self.update, self.order
        action = update.action
        if action in EXITS:
            return _Verdict(True, [Reason.MODIFICATION_EXIT])
        if action == "BREAKEVEN":
            return _Verdict(True, [Reason.MODIFICATION_BREAKEVEN])
        if action != "MOVE_SL":  # MOVE_TP: the stop, hence the risk, is unchanged
            return _Verdict(True, [Reason.MODIFICATION_NO_ADDED_RISK])
        assert update.price is not None
        sign = 1.0 if order.is_long else -1.0
        if order.stop_loss is None or (update.price - order.stop_loss) * sign >= 0:
            return _Verdict(True, [Reason.MODIFICATION_TIGHTENS])
        if order.entry is not None and (order.entry - update.price) * sign <= 0:
            return _Verdict(True, [Reason.MODIFICATION_NO_ADDED_RISK])  # still in profit
        return self.widening()

    def widening(self) -> _Verdict:
        update, order, bot, acct, mode = self.update, self.order, self.bot, self.acct, self.mode

        def deny(*reasons: str, **more: Any) -> _Verdict:
            return _Verdict(False, list(reasons), adds_risk=True, **more)

        if bot is None or acct is None:
            return deny(Reason.MODIFICATION_NO_NEW_RISK, details={"bot": "not in the registry"})
        guard = self._guard()
        if guard is not None:
            return deny(guard)
        inst = self.catalogue.get(order.symbol)
        if inst is None:
            return deny(Reason.SIZING_UNKNOWN_INSTRUMENT)
        multiplier = REDUCED_CAPACITY_MULTIPLIER if mode == "REDUCED_CAPACITY" else 1.0
        try:
            risk = stop_risk(
                inst,
                order.account_currency,
                stop_loss=update.price,
                entries=[order.entry],
                config=self.sizing,
            )
            budget = size_position(
                equity=acct.equity,
                risk_per_trade_pct=risk_per_trade_pct(bot),
                risk_per_lot=risk.risk_per_lot,
                size_multiplier=multiplier,
                config=self.sizing,
            )
        except SizingError as exc:
            return deny(exc.reason, details={"sizing_error": exc.detail})
        new_risk = round(risk.risk_per_lot * order.quantity, 6)
        new_pct = new_risk / acct.equity * 100.0
        allowance = acct.equity * budget.target_pct / 100.0
        details = {
            "new_stop_loss": _s(update.price or 0.0),
            "previous_stop_loss": _s(order.stop_loss or 0.0),
            "quantity": _s(order.quantity),
            "new_risk_pct": _s(new_pct),
            "allowed_risk_amount": _s(round(allowance, 6)),
            "allowed_risk_pct": _s(budget.target_pct),
            "cap": budget.cap,
        }
        if new_risk > allowance + _TOLERANCE:
            return deny(
                Reason.MODIFICATION_ABOVE_RISK_PER_TRADE, risk_amount=new_risk, details=details
            )
        doc = modification_policy_input(
            update=update,
            bot=bot,
            account=acct,
            breaker_mode=mode,
            risk_amount=new_risk,
            risk_pct=new_pct,
            allowed_risk_pct=budget.target_pct,
        )
        return _ask_policy(self.policy, doc, new_risk, details)

    def _guard(self) -> str | None:
        """Why no risk may be added now, whatever the policy says (None: it may be asked)."""
        if not self.governor_alive:
            return Reason.GOVERNOR_SILENT
        if self.mode in NO_NEW_POSITIONS:
            return Reason.MODIFICATION_NO_NEW_RISK
        return None

    def record(self, verdict: _Verdict) -> dict[str, Any]:
        update, order, bot, acct = self.update, self.order, self.bot, self.acct
        return {
            "event_id": modification_id_for(update.event_id, order.bot_id),
            "ts_event": update.ts_event,
            "ts_init": update.ts_event,
            "signal_id": order.signal_id,
            "signal_revision": order.revision,
            "bot_id": order.bot_id,
            "cell_id": bot.cell_id if bot is not None else order.cell_id,
            "source": update.source,
            "symbol": order.symbol,
            "direction": order.side,
            "allowed": verdict.allowed,
            "reasons": verdict.reasons,
            "policy_bundle_version": verdict.bundle_version,
            "strategy_card": order.strategy_card,
            "requested_size": None,
            "approved_size": None,
            "risk_amount": verdict.risk_amount,
            "account_currency": order.account_currency,
            "equity_used": acct.equity if acct is not None else None,
            "breaker_mode": self.mode,
            "confidence_used": update.confidence,
            "confidence_source": "PARSER",
            "model_version": None,
            "regime": "UNKNOWN",
            "order_id": order.order_id,
            "shadow": order.shadow,
            "details": dict(sorted((verdict.details or {}).items())),
            "kind": "MODIFICATION",
            "modification": {
                "update_event_id": update.event_id,
                "action": update.action,
                "price": update.price,
                "fraction": update.fraction,
                "tp_index": update.tp_index,
                "adds_risk": verdict.adds_risk,
            },
        }


def modification_policy_input(
    *,
    update: SignalUpdate,
    bot: Bot,
    account: AccountState,
    breaker_mode: str,
    risk_amount: float,
    risk_pct: float,
    allowed_risk_pct: float,
) -> dict[str, Any]:
    """The input of `POST /v1/data/hive/modification/decision` (policies/CONTRACT.md)."""
    return {
        "modification": {
            "action": update.action,
            "adds_risk": True,
            "risk_amount": risk_amount,
            "risk_pct": risk_pct,
            "allowed_risk_pct": allowed_risk_pct,
        },
        "bot": {"bot_id": bot.bot_id, "rule_set": bot.rule_set, "status": bot.status},
        "account": {"currency": account.currency, "equity": account.equity},
        "breaker": {"mode": breaker_mode},
        "time": {"ts": update.ts_event},
    }


def _ask_policy(
    policy: PolicyFn | None, doc: dict[str, Any], new_risk: float, details: dict[str, str]
) -> _Verdict:
    """The rule set's answer about a stop moved away from the entry (fail closed)."""
    try:
        if policy is None:
            raise RuntimeError("no modification policy configured")
        out = policy(doc)
    except Exception as exc:  # OPA unreachable, timeout, HTTP error: fail closed
        details["policy_error"] = f"{type(exc).__name__}: {exc}"[:300]
        return _Verdict(False, [Reason.POLICY_UNAVAILABLE], True, new_risk, None, details)
    if isinstance(out, Mapping) and "allow" not in out and isinstance(out.get("result"), Mapping):
        out = out["result"]
    allow = out.get("allow") if isinstance(out, Mapping) else None
    reasons = out.get("reasons", []) if isinstance(out, Mapping) else None
    version = out.get("bundle_version") if isinstance(out, Mapping) else None
    if (
        not isinstance(allow, bool)
        or not isinstance(reasons, list)
        or not all(isinstance(r, str) for r in reasons)
        or (version is not None and not isinstance(version, str))
    ):
        details["policy_error"] = f"not a decision: {out!r}"[:300]
        return _Verdict(False, [Reason.POLICY_INVALID_OUTPUT], True, new_risk, None, details)
    codes = sorted(set(reasons)) or ([] if allow else [Reason.POLICY_DENIED])
    return _Verdict(allow, codes, True, new_risk, version, details)
