"""The risk gate's state and handlers, without Kafka: one method per input topic.

The service feeds each consumed record to the matching `on_*` method and publishes what
`on_signal` returns (for every bot following the signal's source: the decision, and the intent
when approved) and what `on_update` returns (for every bot holding an order of the update's
signal: a MODIFICATION decision). Everything is in memory and rebuilt on start: the registry,
breakers, models and accounts from their topics, the held orders from the gate's own intents
and modification decisions (`restore_held`).

Every bot is judged as `effective` makes it: its registry definition with the values in force
from `control.parameters` overlaid (`hive.parameters.effective_bot`: risk per trade, rule
overrides such as min_confidence, card parameters, symbol allowlist), so the next signal after
a change uses the new value and a rollback restores the old one. Card parameters in force that
the bot's card refuses are not used: the card keeps the bot's own parameters.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hive.bots import Bot, BotRegistry
from hive.bots.cards import CardError
from hive.fx import RateBook
from hive.instruments import InstrumentCatalogue, load_instruments
from hive.parameters import ParameterBook, effective_bot, model_parameter
from hive_risk_gate.account import AccountBook, AccountState
from hive_risk_gate.active_rules import ActiveRules
from hive_risk_gate.cards.base import CardContext
from hive_risk_gate.cards.book import CardBook, CardSwapError
from hive_risk_gate.cards.loader import CardLoader
from hive_risk_gate.conflicts import DEFAULT_WINDOW_MS, ConflictResolver, Vote
from hive_risk_gate.control import BreakerBook, ModelBook, ModelInfo, ModelRelease, Predict
from hive_risk_gate.decide import Decision, decide
from hive_risk_gate.held import HeldOrders
from hive_risk_gate.modify import judge_modification
from hive_risk_gate.policy_input import PolicyFn
from hive_risk_gate.signals import ScoredSignal
from hive_risk_gate.sizing import DEFAULT_SIZING, SizingConfig
from hive_risk_gate.updates import INFORMATIONAL, SignalUpdate, UpdateInputError

log = logging.getLogger(__name__)


class RiskGate:
    """Registry, account, breaker and model views, the card book and the conflict window.

    `use_signal_rates`: convert crosses with the latest market price of other symbols' scored
    signals (`RateBook`). Off by default: those prices depend on how partitions interleave, so
    a replay could size differently; off, crosses use the signal's own price or the fixed
    approximation of `hive.fx` (deterministic).
    """

    def __init__(
        self,
        policy: PolicyFn,
        *,
        cards: CardBook | None = None,
        card_dir: str | Path | None = None,
        conflict_window_ms: int = DEFAULT_WINDOW_MS,
        sizing: SizingConfig = DEFAULT_SIZING,
        catalogue: InstrumentCatalogue | None = None,
        use_signal_rates: bool = False,
        model_name: str = "win-prob",
        counterfactuals: bool = False,
        load_model: Callable[[ModelRelease], Predict] | None = None,
        modification_policy: PolicyFn | None = None,
    ) -> None:
        self.policy = policy
        # The modification rule set; None: every stop moved away from the entry is denied.
        self.modification_policy = modification_policy
        self.held = HeldOrders()
        self.cards = cards if cards is not None else CardBook(CardLoader(card_dir))
        self.registry = BotRegistry()
        self.accounts = AccountBook()
        self.breakers = BreakerBook()
        self._card_accepts: dict[tuple[str, tuple[tuple[str, str], ...]], bool] = {}
        self.models = ModelBook()
        # What the governor's change guard has in force (control.parameters): among others, the
        # version of the learner's model the gate uses.
        self.parameters = ParameterBook()
        self.rules = ActiveRules(self.parameters)  # the self-modification rules in force
        self.model: ModelInfo | None = None  # the release in force, once it is loaded
        self.model_name = model_name
        self.counterfactuals = counterfactuals
        self.load_model = load_model
        # Set by the service from the governor's heartbeats (wall clock); False denies entries.
        self.governor_alive = True
        self.conflicts = ConflictResolver(conflict_window_ms)
        self.rate_book = RateBook()
        self.use_signal_rates = use_signal_rates
        self.sizing = sizing
        self.catalogue = catalogue or load_instruments()

    # ---- state topics ----------------------------------------------------------------------
    def on_bot(self, record: Mapping[str, Any] | None, key: str | None = None) -> Bot | None:
        """A `registry.bots` record or tombstone (raises `BotConfigError` if invalid)."""
        bot = self.registry.apply(record, key, catalogue=self.catalogue)
        if bot is None:
            gone = key if record is None else str(record.get("bot_id") or key)
            if gone:
                self.cards.remove(gone)
        return bot

    def on_snapshot(self, record: Mapping[str, Any]) -> None:
        self.accounts.apply(record)

    def on_breaker(self, record: Mapping[str, Any]) -> None:
        self.breakers.apply(record)

    def effective(self, bot: Bot) -> Bot:
        """The bot with the values in force over it (see the module doc)."""
        bot_now = effective_bot(bot, self.parameters)
        params = bot_now.strategy_parameters
        if params == bot.strategy_parameters:
            return bot_now
        check = (bot_now.strategy_card, tuple(sorted(params.items())))
        accepted = self._card_accepts.get(check)
        if accepted is None:
            try:
                self.cards.loader.validate(bot_now.strategy_card, params)
                accepted = True
            except CardError as exc:
                log.warning("card parameters in force for %s not used: %s", bot.bot_id, exc)
                accepted = False
            self._card_accepts[check] = accepted
        if accepted:
            return bot_now
        return bot_now.model_copy(update={"strategy_parameters": bot.strategy_parameters})

    def on_model(self, record: Mapping[str, Any]) -> None:
        """A `learner.models` record: the release is known (its artifact and hash), whatever
        its status; it is used when its version is the one in force (`on_parameter`)."""
        self.models.apply(record)
        self._use_model_in_force()

    def on_parameter(self, record: Mapping[str, Any] | None, key: str | None = None) -> None:
        """A `control.parameters` record or tombstone (raises `RecordError` if unreadable).
        The model in use is the release whose version is in force for `model.<model_name>`:
        a promotion or a rollback takes effect at the next decision."""
        self.parameters.apply(record, key)
        self._use_model_in_force()

    def _use_model_in_force(self) -> None:
        """Load the release in force when it changed (`load_model`, set by the service). None in
        force: no model, the cards use their prior. A release in force that is not known yet
        (its learner.models record comes on another topic) or cannot be loaded (file missing,
        SHA-256 mismatch) leaves the model in use as it is."""
        version = self.parameters.value(model_parameter(self.model_name))
        if version is None:
            self.model = None
            return
        if self.model is not None and self.model.version == version:
            return
        release = self.models.get(self.model_name, version)
        if release is None or self.load_model is None:
            return
        try:
            predict = self.load_model(release)
        except Exception as exc:  # a bad artifact must not stop decisions
            log.error("model %s:%s not loaded: %s", release.model_name, release.version, exc)
            return
        self.model = ModelInfo(release.model_name, release.version, predict)
        log.info("using model %s:%s", release.model_name, release.version)

    def on_command(self, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A `control.commands` record; SWAP_CARD swaps the card of the bots in scope and
        returns the swap events (others are not the gate's). Parameters: `card` and
        `parameters` (a JSON object). Raises `CardSwapError` when refused."""
        if record.get("command") != "SWAP_CARD":
            return []
        params = record.get("parameters") or {}
        card = params.get("card")
        if not isinstance(card, str) or not card:
            raise CardSwapError("SWAP_CARD needs parameters.card")
        try:
            raw = json.loads(params.get("parameters") or "{}")
        except json.JSONDecodeError as exc:
            raise CardSwapError(f"SWAP_CARD parameters.parameters is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise CardSwapError("SWAP_CARD parameters.parameters must be a JSON object")
        card_params = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
        level, scope = record.get("scope_level"), str(record.get("scope_id"))
        if level == "BOT":
            bot = self.registry.get(scope)
            if bot is None:
                raise CardSwapError(f"SWAP_CARD for unknown bot {scope!r}")
            bots = [bot]
        elif level == "CELL":
            bots = self.registry.cells().get(scope, [])
        elif level == "GLOBAL":
            bots = self.registry.bots()
        else:
            raise CardSwapError(f"SWAP_CARD with scope {level!r}")
        bots = [self.effective(b) for b in bots]
        return [
            self.cards.swap(
                bot,
                card,
                card_params,
                ts_event=int(record["ts_event"]),
                actor=str(record.get("actor") or "unknown"),
                reason=record.get("reason"),
                cause_event_id=str(record.get("event_id")),
            )
            for bot in bots
        ]

    def on_trade(self, record: Mapping[str, Any]) -> None:
        """A `trades.closed` record: passed to the bot's card."""
        registered = self.registry.get(str(record.get("bot_id")))
        if registered is None:
            return
        bot = self.effective(registered)
        ctx = CardContext(
            bot=bot,
            account=self.account_of(bot),
            breaker_mode=self.breakers.mode_for(bot),
            calibrated_confidence=None,
            model_version=self.model.version if self.model else None,
            regime=str((record.get("features") or {}).get("regime", "UNKNOWN")),
            ts_event=int(record.get("ts_event", 0)),
        )
        self.cards.on_trade(bot, record, ctx)

    def account_of(self, bot: Bot) -> AccountState:
        return self.accounts.get(bot.bot_id) or AccountState.opening(bot)

    # ---- signals ---------------------------------------------------------------------------
    def on_signal(self, record: Mapping[str, Any] | ScoredSignal) -> list[Decision]:
        """A `signals.scored` record: one decision per bot following its source (by bot_id).

        Raises `SignalInputError` for an unreadable record (the service dead-letters it).
        """
        sig = record if isinstance(record, ScoredSignal) else ScoredSignal.from_record(record)
        self.rate_book.observe(sig.symbol, sig.price, sig.ts_event)
        self.conflicts.observe(Vote.of(sig))
        rates = self.rate_book.rates if self.use_signal_rates else None
        decisions = [
            decide(
                sig,
                self.effective(bot),
                account=self.accounts.get(bot.bot_id),
                breaker_mode=self.breakers.mode_for(bot),
                model=self.model,
                cards=self.cards,
                policy=self.policy,
                conflicts=self.conflicts,
                rates=rates,
                catalogue=self.catalogue,
                sizing=self.sizing,
                governor_alive=self.governor_alive,
                counterfactual=self.counterfactuals,
                rules=self.rules.for_bot(bot),
            )
            for bot in self.registry.followers(sig.source)
        ]
        for d in decisions:
            for intent in (d.intent, d.counterfactual):
                if intent is not None:
                    self.held.apply_intent(intent)
        return decisions

    # ---- updates ---------------------------------------------------------------------------
    def on_update(self, record: Mapping[str, Any] | SignalUpdate) -> list[Decision]:
        """A `signals.updates` record: one MODIFICATION decision per bot holding an order of its
        signal (by bot_id); none for TP_HIT / SL_HIT (informational) or a signal no bot holds.

        Raises `UpdateInputError` for an unreadable update, and `foreign_signal` when the
        signal is another source's: an update applies only to its own source's signals.
        """
        upd = record if isinstance(record, SignalUpdate) else SignalUpdate.from_record(record)
        if upd.action in INFORMATIONAL:
            return []
        holders = self.held.holders(upd.target_signal_id)
        foreign = sorted({o.source for o in holders if o.source != upd.source})
        if foreign:
            raise UpdateInputError(
                "foreign_signal",
                f"update {upd.event_id} of source {upd.source!r} names signal "
                f"{upd.target_signal_id} of source {foreign[0]!r}",
            )
        decisions = []
        for order in holders:
            registered = self.registry.get(order.bot_id)
            # judged with the values in force, as an entry would be (risk per trade, caps)
            bot = None if registered is None else self.effective(registered)
            decision = judge_modification(
                upd,
                order,
                bot,
                account=self.accounts.get(order.bot_id),
                breaker_mode=self.breakers.mode_for(bot) if bot is not None else "NONE",
                policy=self.modification_policy,
                catalogue=self.catalogue,
                sizing=self.sizing,
                governor_alive=self.governor_alive,
            )
            self.held.apply_decision(decision.decision)
            decisions.append(decision)
        return decisions

    def restore_held(
        self, intents: Sequence[Mapping[str, Any]], decisions: Sequence[Mapping[str, Any]]
    ) -> None:
        """Rebuild the held orders at start from the gate's published intents and decisions
        (each list in topic order per partition): every order first, then what allowed
        modifications changed, in event time."""
        self.held = HeldOrders(self.held.horizon_ms)
        for intent in sorted(intents, key=lambda r: int(r["ts_event"])):
            self.held.apply_intent(intent)
        for decision in sorted(decisions, key=lambda r: int(r["ts_event"])):
            self.held.apply_decision(decision)
