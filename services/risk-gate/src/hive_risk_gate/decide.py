"""The decision for one (scored signal, bot): card, conflict vote, sizing, policy, caps.

`decide` is plain Python (no Kafka, no HTTP): the OPA call is the injected `policy` callable
(input and output per policies/CONTRACT.md). It always returns the `orders.decisions` record,
with reasons, and the `orders.intents` record when the order is approved. In order:

0. the self-modification rules in force over the bot (hive.rules): a matching `skip` rule
   denies with the reason `rule.<rule_id>` (every matching skip rule is named); a matching
   `risk_scale` rule scales the bot's risk per trade by its scale (the smallest one when
   several match; each is named in the reasons, the scale in details `rule_risk_scale`);
1. the bot's card (`CardBook`) proposes an intent or skips: `card.<name>.skipped` plus
   `card.<name>.<code>` and the card's reason in details; a card that fails or cannot be
   created: `card.<name>.error` / `card.unavailable`;
2. sizing inputs: the bot's own min_confidence (`confidence.below_bot_minimum` when its
   rule override, or a change in force, is above the constitution's and the card's confidence
   is below it), instrument, stop distance, pip value (`sizing.*` reasons when impossible);
3. the conflict vote of the bot's sources on the symbol (`conflict.outvoted`, `conflict.tie`);
4. the policy, asked about the planned order (risk per trade x confidence scale, halved in
   REDUCED_CAPACITY): raising (OPA unreachable) denies `policy.unavailable`, an answer the gate
   cannot read denies `policy.invalid_output` (fail closed); a deny carries the policy's
   reasons. A deny whose `max_risk_pct` is above 0 but below the order's risk (a per-trade cap,
   the day's loss headroom) is asked once more with the order resized to it; that answer
   decides (details: `policy_first_reasons`, `policy_resized_risk_pct`);
5. guards in code, whatever the policy said: no new position in SAFE_MODE/HALTED, sizes at
   most halved in REDUCED_CAPACITY, risk capped by the policy's `max_risk_pct` and the
   constitution's 5 %; a size below the minimum lot denies `sizing.below_min_lot`.

Ids are deterministic: order_id = 'o-' + sha256(signal_id + '|' + bot_id)[:24], decision
event_id = signal_id + ':r' + revision + ':' + bot_id, intent event_id = order_id + ':r' +
revision. ts_init of both records is the signal's ts_event (no wall clock).

Over 400 lines and kept whole: the five steps share one decision under construction and its
reasons; each step's own logic lives elsewhere (cards/, sizing.py, conflicts.py,
policy_input.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hive.bots import Bot
from hive.bots.cards import CardError
from hive.constitution import (
    NO_NEW_POSITIONS,
    REDUCED_CAPACITY_MULTIPLIER,
    BreakerMode,
    normalise_breaker_mode,
)
from hive.instruments import InstrumentCatalogue, load_instruments
from hive.parameters import min_confidence
from hive.rules import SKIP, Rule
from hive_risk_gate.account import AccountState, account_state
from hive_risk_gate.cards.base import CardContext, Intent, follow_intent
from hive_risk_gate.cards.book import CardBook
from hive_risk_gate.conflicts import ConflictResolver, Vote
from hive_risk_gate.control import ModelInfo
from hive_risk_gate.policy_input import (
    OrderRisk,
    PolicyDecision,
    PolicyFn,
    PolicyOutputError,
    build_policy_input,
    read_policy_output,
)
from hive_risk_gate.reasons import Reason
from hive_risk_gate.record_enums import ConfidenceSource
from hive_risk_gate.signals import ScoredSignal, signal_features
from hive_risk_gate.sizing import (
    DEFAULT_SIZING,
    Size,
    SizingConfig,
    SizingError,
    StopRisk,
    confidence_scale,
    risk_per_trade_pct,
    size_position,
    stop_risk,
)


def order_id_for(signal_id: str, bot_id: str) -> str:
    digest = hashlib.sha256(f"{signal_id}|{bot_id}".encode()).hexdigest()
    return f"o-{digest[:24]}"


def decision_id_for(signal_id: str, revision: int, bot_id: str) -> str:
    return f"{signal_id}:r{revision}:{bot_id}"


@dataclass(frozen=True)
class Decision:
    """The outcome for one (signal, bot): the records to publish."""

    decision: dict[str, Any]
    intent: dict[str, Any] | None = None
    policy_input: dict[str, Any] | None = None  # what OPA was asked (None if not asked)
    # A denied signal simulated anyway (shadow, COUNTERFACTUAL), so the learner also sees the
    # outcomes of signals that were not taken; never touches an account.
    counterfactual: dict[str, Any] | None = None

    @property
    def allowed(self) -> bool:
        return bool(self.decision["allowed"])

    @property
    def reasons(self) -> list[str]:
        return list(self.decision["reasons"])


def _s(x: float) -> str:
    return format(float(x), ".10g")


@dataclass
class _Draft:
    """What the decision record will say, filled in as the steps go."""

    signal: ScoredSignal
    bot: Bot
    account: AccountState
    breaker_mode: BreakerMode
    card_name: str
    confidence: float
    confidence_source: ConfidenceSource
    model_version: str | None
    reasons: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    requested_size: float | None = None
    bundle_version: str | None = None

    def record(
        self,
        *,
        allowed: bool,
        approved_size: float | None = None,
        risk_amount: float | None = None,
        order_id: str | None = None,
        shadow: bool = False,
    ) -> dict[str, Any]:
        sig, bot = self.signal, self.bot
        reasons = list(dict.fromkeys(self.reasons))  # de-duplicated, first occurrence kept
        if not allowed and not reasons:
            reasons = [Reason.POLICY_DENIED]
        return {
            "event_id": decision_id_for(sig.signal_id, sig.revision, bot.bot_id),
            "ts_event": sig.ts_event,
            "ts_init": sig.ts_event,
            "signal_id": sig.signal_id,
            "signal_revision": sig.revision,
            "bot_id": bot.bot_id,
            "cell_id": bot.cell_id,
            "source": sig.source,
            "symbol": sig.symbol,
            "direction": sig.direction,
            "allowed": allowed,
            "reasons": reasons,
            "policy_bundle_version": self.bundle_version,
            "strategy_card": self.card_name,
            "requested_size": self.requested_size,
            "approved_size": approved_size,
            "risk_amount": None if risk_amount is None else _money(risk_amount),
            "account_currency": bot.account_currency,
            "equity_used": self.account.equity,
            "breaker_mode": self.breaker_mode,
            "confidence_used": self.confidence,
            "confidence_source": self.confidence_source,
            "model_version": self.model_version if self.confidence_source == "MODEL" else None,
            "regime": sig.regime,
            "order_id": order_id,
            "shadow": shadow,
            "details": dict(sorted(self.details.items())),
            "kind": "ENTRY",
            "modification": None,
        }

    def deny(self, *reasons: str, policy_input: dict[str, Any] | None = None) -> Decision:
        self.reasons.extend(reasons)
        return Decision(self.record(allowed=False), None, policy_input)


class _DeniedError(Exception):
    """A step denied the order: carries the finished decision."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reasons)
        self.decision = decision


def decide(
    scored: Mapping[str, Any] | ScoredSignal,
    bot: Bot,
    *,
    account: Mapping[str, Any] | AccountState | None,
    breaker_mode: str,
    model: ModelInfo | None,
    cards: CardBook,
    policy: PolicyFn,
    conflicts: ConflictResolver | None = None,
    rates: Mapping[str, float] | None = None,
    catalogue: InstrumentCatalogue | None = None,
    sizing: SizingConfig = DEFAULT_SIZING,
    governor_alive: bool = True,
    counterfactual: bool = False,
    rules: Sequence[Rule] = (),
) -> Decision:
    """Decide on one scored signal for one bot that follows its source (see the module doc).

    `account`: the bot's latest `accounts.snapshots` record (or `AccountState`), None before
    the first one (the bot's account size is then the equity). `breaker_mode`: the most severe
    mode over the bot. `model`: the released learner model, None before the first release.
    `conflicts`: the conflict window (None: no conflict vote). `rates`: known prices for
    currency conversion (see `hive.fx`). `governor_alive`: False when the governor's heartbeat
    is older than the timeout: every new position is denied (`guard.governor_silent`).
    `counterfactual`: a denied signal with a stop loss also gets a shadow intent
    (`shadow_reason` COUNTERFACTUAL, the minimum lot, its own order id) for the executor to
    simulate, so the learner sees what skipped signals would have done (a signal a rule
    skipped too: the learner judges from these whether the rule still pays).
    `rules`: the self-modification rules in force over the bot (step 0).
    Raises `SignalInputError` for a record that is not a readable scored signal, ValueError
    when the bot does not follow the signal's source.
    """
    sig = scored if isinstance(scored, ScoredSignal) else ScoredSignal.from_record(scored)
    if not bot.follows(sig.source):
        raise ValueError(f"bot {bot.bot_id} does not follow source {sig.source!r}")
    run = _Run(
        sig,
        bot,
        acct=account_state(bot, account),
        mode=normalise_breaker_mode(breaker_mode),
        model=model,
        sizing=sizing,
    )
    if conflicts is not None:
        conflicts.observe(Vote.of(sig))
    try:
        if not governor_alive:
            raise run.deny(Reason.GOVERNOR_SILENT)
        run.check_account()
        run.apply_rules(rules)
        intent = run.card(cards)
        risk = run.size_inputs(intent, catalogue or load_instruments(), rates)
        if conflicts is not None:
            run.conflict(conflicts)
        answer = run.ask_policy(intent, risk, policy)
        return run.approve(intent, risk, answer)
    except _DeniedError as denied:
        if counterfactual:
            return replace(
                denied.decision, counterfactual=run.counterfactual(denied.decision.decision)
            )
        return denied.decision


class _Run:
    """The steps of one decision; each step raises `_DeniedError` to stop with a denial."""

    def __init__(
        self,
        sig: ScoredSignal,
        bot: Bot,
        *,
        acct: AccountState,
        mode: BreakerMode,
        model: ModelInfo | None,
        sizing: SizingConfig,
    ) -> None:
        self.sig, self.bot, self.acct, self.mode, self.sizing = sig, bot, acct, mode, sizing
        self.features = signal_features(sig)
        self.calibrated = model.confidence(self.features) if model is not None else None
        self.model_version = model.version if model and self.calibrated is not None else None
        self.draft = _Draft(
            signal=sig,
            bot=bot,
            account=acct,
            breaker_mode=mode,
            card_name=bot.strategy_card,
            confidence=self.calibrated
            if self.calibrated is not None
            else _unit(sig.parser_confidence),
            confidence_source="MODEL" if self.calibrated is not None else "PARSER",
            model_version=self.model_version,
        )
        self.scale = 0.0
        self.rule_scale = 1.0  # the smallest risk_scale of the matching rules
        # What the order may be at most: the policy's max_risk_pct and size multiplier (the
        # smallest of its answers), never above what the breaker mode allows.
        self.cap = float("inf")
        self.multiplier = REDUCED_CAPACITY_MULTIPLIER if mode == "REDUCED_CAPACITY" else 1.0
        self.planned: Size | None = None
        self.policy_input: dict[str, Any] | None = None

    def counterfactual(self, decision: Mapping[str, Any]) -> dict[str, Any] | None:
        return _counterfactual(self, decision)

    def intent_record(
        self,
        intent: Intent,
        *,
        order_id: str,
        decision: Mapping[str, Any],
        quantity: float,
        risk_amount: float | None,
        shadow_reason: str,
        bundle_version: str | None,
    ) -> dict[str, Any]:
        """The `orders.intents` record of this signal for this bot."""
        sig, bot = self.sig, self.bot
        return {
            "event_id": f"{order_id}:r{sig.revision}",
            "ts_event": sig.ts_event,
            "ts_init": sig.ts_event,
            "order_id": order_id,
            "signal_id": sig.signal_id,
            "signal_revision": sig.revision,
            "decision_event_id": decision["event_id"],
            "bot_id": bot.bot_id,
            "cell_id": bot.cell_id,
            "source": sig.source,
            "symbol": sig.symbol,
            "side": intent.direction,
            "order_type": intent.order_type,
            "entry": intent.entry if intent.entry is not None else sig.price,
            "entry_low": sig.entry_low,
            "entry_high": sig.entry_high,
            "stop_loss": intent.stop_loss,
            "take_profits": list(intent.take_profits),
            "tp_fractions": list(intent.tp_fractions),
            "quantity": quantity,
            "risk_amount": risk_amount,
            "account_currency": bot.account_currency,
            "mode": bot.mode,
            "venue": bot.venue,
            "shadow": shadow_reason != "NONE",
            "shadow_reason": shadow_reason,
            "breaker_mode": self.mode,
            "expires_at": sig.expires_at,
            "confidence_used": intent.confidence,
            "model_version": decision.get("model_version"),
            "strategy_card": self.draft.card_name,
            "policy_bundle_version": bundle_version,
            "features": self.features,
        }

    def deny(self, *reasons: str) -> _DeniedError:
        return _DeniedError(self.draft.deny(*reasons, policy_input=self.policy_input))

    def check_account(self) -> None:
        if self.acct.currency != self.bot.account_currency:
            self.draft.details["account_currency_snapshot"] = self.acct.currency
            raise self.deny(Reason.ACCOUNT_CURRENCY_MISMATCH)

    # 0. the self-modification rules
    def apply_rules(self, rules: Sequence[Rule]) -> None:
        sig = self.sig
        matching = [
            r
            for r in rules
            if r.matches(
                source=sig.source, regime=sig.regime, session=sig.session, symbol=sig.symbol
            )
        ]
        skips = [r.reason_code for r in matching if r.action == SKIP]
        if skips:
            raise self.deny(*skips)
        for rule in matching:
            assert rule.risk_scale is not None  # a non-skip rule is a risk_scale rule
            self.rule_scale = min(self.rule_scale, rule.risk_scale)
            self.draft.reasons.append(rule.reason_code)
        if matching:
            self.draft.details["rule_risk_scale"] = _s(self.rule_scale)

    # 1. the card
    def card(self, cards: CardBook) -> Intent:
        draft, sig = self.draft, self.sig
        try:
            active = cards.card_for(self.bot)
        except CardError as exc:
            draft.details["card_error"] = str(exc)[:300]
            raise self.deny(Reason.CARD_UNAVAILABLE) from None
        draft.card_name = active.name
        ctx = CardContext(
            bot=self.bot,
            account=self.acct,
            breaker_mode=self.mode,
            calibrated_confidence=self.calibrated,
            model_version=self.model_version,
            regime=sig.regime,
            ts_event=sig.ts_event,
        )
        try:
            intent = active.card.on_signal(sig, ctx)
        except Exception as exc:  # a card's bug denies this signal, never stops the gate
            draft.details["card_error"] = f"{type(exc).__name__}: {exc}"[:300]
            raise self.deny(Reason.card_error(active.name)) from None
        finally:
            draft.details.update({k: str(v) for k, v in ctx.details.items()})
            if ctx.confidence_used is not None and ctx.confidence_source is not None:
                draft.confidence = _unit(ctx.confidence_used)
                draft.confidence_source = ctx.confidence_source
        if intent is None:
            codes = [Reason.card_skipped(active.name)]
            if ctx.skip_code:
                codes.append(Reason.card_code(active.name, ctx.skip_code))
            if ctx.skip_reason:
                draft.details["card_reason"] = ctx.skip_reason
            raise self.deny(*codes)
        if not isinstance(intent, Intent):
            draft.details["card_error"] = f"on_signal returned {type(intent).__name__}, not Intent"
            raise self.deny(Reason.card_error(active.name))
        draft.confidence = intent.confidence
        draft.confidence_source = intent.confidence_source
        return intent

    # 2. sizing inputs
    def size_inputs(
        self, intent: Intent, catalogue: InstrumentCatalogue, rates: Mapping[str, float] | None
    ) -> StopRisk:
        sig, draft = self.sig, self.draft
        floor = min_confidence(self.bot)
        if floor > self.sizing.min_confidence and intent.confidence < floor:
            draft.details["bot_min_confidence"] = _s(floor)
            raise self.deny(Reason.CONFIDENCE_BELOW_BOT_MINIMUM)
        inst = catalogue.get(sig.symbol)
        if inst is None:
            raise self.deny(Reason.SIZING_UNKNOWN_INSTRUMENT)
        entries = [intent.entry, sig.entry_low, sig.entry_high]
        if intent.order_type == "MARKET" or intent.entry is None:
            entries.append(sig.price)  # a market order fills near the market price
        self.scale = confidence_scale(intent.confidence, self.sizing)
        draft.details["confidence_scale"] = _s(self.scale)
        try:
            risk = stop_risk(
                inst,
                self.bot.account_currency,
                stop_loss=intent.stop_loss,
                entries=entries,
                rates=rates,
                config=self.sizing,
            )
            draft.details.update(
                sl_distance=_s(risk.sl_distance),
                sl_pips=_s(risk.sl_distance / inst.pip_size),
                pip_value=_s(risk.pip_value),
                fx_rate=_s(risk.fx_rate),
                fx_source=risk.fx_source,
            )
            draft.requested_size = self._size(risk, confidence_factor=1.0, rules=False).lots
            self.planned = self._size(
                risk, confidence_factor=self.scale, size_multiplier=self.multiplier
            )
        except SizingError as exc:
            draft.details["sizing_error"] = exc.detail
            raise self.deny(exc.reason) from None
        return risk

    def _size(
        self,
        risk: StopRisk,
        *,
        confidence_factor: float,
        size_multiplier: float = 1.0,
        max_risk_pct: float | None = None,
        rules: bool = True,
    ) -> Size:
        """`rules`: with the rules' risk scale (the requested size is the card's, without)."""
        return size_position(
            equity=self.acct.equity,
            risk_per_trade_pct=risk_per_trade_pct(self.bot) * (self.rule_scale if rules else 1.0),
            risk_per_lot=risk.risk_per_lot,
            confidence_factor=confidence_factor,
            size_multiplier=size_multiplier,
            max_risk_pct=max_risk_pct,
            config=self.sizing,
        )

    # 3. the conflict vote
    def conflict(self, conflicts: ConflictResolver) -> None:
        verdict = conflicts.verdict(self.bot, Vote.of(self.sig))
        self.draft.details.update(verdict.details())
        if verdict.reason is not None:
            raise self.deny(verdict.reason)

    # 4. the policy
    def ask_policy(self, intent: Intent, risk: StopRisk, policy: PolicyFn) -> PolicyDecision:
        """Ask about the planned order. When the policy denies it but allows a smaller risk
        (`max_risk_pct` below the order's, e.g. a per-trade cap or the day's loss headroom),
        ask once more about the order resized to that risk: the second answer decides."""
        draft, planned = self.draft, self.planned
        assert planned is not None
        answer = self._ask(intent, planned, policy)
        if not answer.allow and 0 < answer.max_risk_pct < planned.risk_pct:
            resized = self._size(
                risk,
                confidence_factor=self.scale,
                size_multiplier=min(self.multiplier, answer.size_multiplier or 1.0),
                max_risk_pct=answer.max_risk_pct,
            )
            if resized.reason is None:
                draft.details["policy_first_reasons"] = ",".join(answer.reasons)
                draft.details["policy_resized_risk_pct"] = _s(resized.risk_pct)
                self.cap = answer.max_risk_pct
                self.multiplier = min(self.multiplier, answer.size_multiplier or 1.0)
                answer = self._ask(intent, resized, policy)
                planned = resized
        if not answer.allow:
            extra = [planned.reason] if planned.reason else []
            raise self.deny(*(answer.reasons or (Reason.POLICY_DENIED,)), *extra)
        draft.reasons.extend(answer.reasons)  # informational codes of an allow
        self.cap = min(self.cap, answer.max_risk_pct)
        self.multiplier = min(self.multiplier, answer.size_multiplier)
        return answer

    def _ask(self, intent: Intent, order: Size, policy: PolicyFn) -> PolicyDecision:
        draft = self.draft
        self.policy_input = build_policy_input(
            signal=self.sig,
            bot=self.bot,
            account=self.acct,
            order=OrderRisk(risk_amount=order.risk_amount, risk_pct=order.risk_pct),
            breaker_mode=self.mode,
            confidence=intent.confidence,
            strategy_card=draft.card_name,
        )
        try:
            raw = policy(self.policy_input)
        except Exception as exc:  # OPA unreachable, timeout, HTTP error: fail closed
            draft.details["policy_error"] = f"{type(exc).__name__}: {exc}"[:300]
            raise self.deny(Reason.POLICY_UNAVAILABLE) from None
        try:
            answer = read_policy_output(raw)
        except PolicyOutputError as exc:
            draft.details["policy_error"] = str(exc)[:300]
            raise self.deny(Reason.POLICY_INVALID_OUTPUT) from None
        draft.bundle_version = answer.bundle_version
        return answer

    # 5. guards in code and the final size
    def approve(self, intent: Intent, risk: StopRisk, answer: PolicyDecision) -> Decision:
        draft, sig, bot, mode = self.draft, self.sig, self.bot, self.mode
        if mode in NO_NEW_POSITIONS:
            raise self.deny(Reason.GUARD_NO_NEW_POSITIONS)
        multiplier = self.multiplier
        if answer.size_multiplier > multiplier:
            draft.details["guard"] = "reduced_capacity multiplier applied by the gate"
        final = self._size(
            risk,
            confidence_factor=self.scale,
            size_multiplier=multiplier,
            max_risk_pct=self.cap,
        )
        draft.details.update(
            max_risk_pct=_s(self.cap),
            size_multiplier=_s(multiplier),
            target_risk_pct=_s(final.target_pct),
            cap=final.cap,
        )
        if final.reason is not None:
            raise self.deny(final.reason)
        shadow = answer.shadow or mode == "SHADOW_MODE"
        oid = order_id_for(sig.signal_id, bot.bot_id)
        decision = draft.record(
            allowed=True,
            approved_size=final.lots,
            risk_amount=final.risk_amount,
            order_id=oid,
            shadow=shadow,
        )
        intent_record = self.intent_record(
            intent,
            order_id=oid,
            decision=decision,
            quantity=final.lots,
            risk_amount=_money(final.risk_amount),
            shadow_reason="BREAKER" if shadow else "NONE",
            bundle_version=answer.bundle_version,
        )
        return Decision(decision, intent_record, self.policy_input)


COUNTERFACTUAL_LOTS = 0.01  # the size does not matter: the learner reads R multiples


def _counterfactual(run: _Run, decision: Mapping[str, Any]) -> dict[str, Any] | None:
    sig, bot = run.sig, run.bot
    if sig.stop_loss is None or sig.direction not in ("BUY", "SELL"):
        return None  # no risk to measure an outcome in R against
    record = run.intent_record(
        follow_intent(sig, run.draft.confidence, run.draft.confidence_source),
        order_id=order_id_for(sig.signal_id, f"{bot.bot_id}:counterfactual"),
        decision=decision,
        quantity=COUNTERFACTUAL_LOTS,
        risk_amount=None,
        shadow_reason="COUNTERFACTUAL",
        bundle_version=decision.get("policy_bundle_version"),
    )
    return {**record, "mode": "PAPER", "venue": "paper"}  # simulated whatever the bot's mode


def _money(x: float) -> float:
    """An amount without binary noise (766.0799999999953 -> 766.08): 6 decimals."""
    return round(x, 6)


def _unit(x: float) -> float:
    return min(1.0, max(0.0, x))


def decide_exit(
    signal: ScoredSignal,
    bot: Bot,
    account: Mapping[str, Any] | AccountState | None,
    breaker_mode: str,
    policy: PolicyFn,
) -> Decision:
    """An order that closes or reduces a position: always allowed, whatever the breaker mode,
    the account's state or the policy says (a halt must still let positions be reduced), and
    even when the policy cannot be asked. The policy's reasons are kept as information."""
    mode = normalise_breaker_mode(breaker_mode)
    acct = account_state(bot, account)
    draft = _Draft(
        signal=signal,
        bot=bot,
        account=acct,
        breaker_mode=mode,
        card_name=bot.strategy_card,
        confidence=_unit(signal.parser_confidence),
        confidence_source="PARSER",
        model_version=None,
        reasons=[Reason.EXIT_ALWAYS_ALLOWED],
    )
    policy_input = build_policy_input(
        signal=signal,
        bot=bot,
        account=acct,
        order=OrderRisk(risk_amount=0.0, risk_pct=0.0, reduces_exposure=True),
        breaker_mode=mode,
        confidence=draft.confidence,
    )
    try:
        answer = read_policy_output(policy(policy_input))
        draft.bundle_version = answer.bundle_version
        draft.reasons.extend(answer.reasons)
    except PolicyOutputError:
        draft.reasons.append(Reason.POLICY_INVALID_OUTPUT)
    except Exception:
        draft.reasons.append(Reason.POLICY_UNAVAILABLE)
    return Decision(draft.record(allowed=True), None, policy_input)
