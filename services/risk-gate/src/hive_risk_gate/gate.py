"""The risk gate's state and handlers, without Kafka: one method per input topic.

The service feeds each consumed record to the matching `on_*` method and publishes what
`on_signal` returns (for every bot following the signal's source: the decision, and the intent
when approved). Everything is in memory and rebuilt from the compacted topics on start.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hive.bots import Bot, BotRegistry
from hive.fx import RateBook
from hive.instruments import InstrumentCatalogue, load_instruments
from hive.parameters import ParameterBook
from hive_risk_gate.account import AccountBook, AccountState
from hive_risk_gate.active_rules import ActiveRules
from hive_risk_gate.cards.base import CardContext
from hive_risk_gate.cards.book import CardBook, CardSwapError
from hive_risk_gate.cards.loader import CardLoader
from hive_risk_gate.conflicts import DEFAULT_WINDOW_MS, ConflictResolver, Vote
from hive_risk_gate.control import BreakerBook, ModelBook, ModelInfo, ModelRelease, Predict
from hive_risk_gate.decide import Decision, decide
from hive_risk_gate.policy_input import PolicyFn
from hive_risk_gate.signals import ScoredSignal
from hive_risk_gate.sizing import DEFAULT_SIZING, SizingConfig

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
    ) -> None:
        self.policy = policy
        self.cards = cards if cards is not None else CardBook(CardLoader(card_dir))
        self.registry = BotRegistry()
        self.accounts = AccountBook()
        self.breakers = BreakerBook()
        self.models = ModelBook()
        self.parameters = ParameterBook()  # control.parameters: values and rules in force
        self.rules = ActiveRules(self.parameters)
        self.model: ModelInfo | None = None  # the current release, once one is loaded
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

    def on_parameter(self, record: Mapping[str, Any] | None, key: str | None = None) -> None:
        """A `control.parameters` record or tombstone (raises `RecordError` if unreadable)."""
        self.parameters.apply(record, key)

    def on_model(self, record: Mapping[str, Any]) -> None:
        """A `learner.models` record: when the current release of the model family changes,
        the new one is loaded (`load_model`, set by the service) and used from then on. A
        release that cannot be loaded (file missing, SHA-256 mismatch) leaves the previous model
        in use, and the cards fall back to their prior when there is none."""
        self.models.apply(record)
        current = self.models.current(self.model_name)
        if current is None:
            self.model = None
            return
        if self.model is not None and self.model.version == current.version:
            return
        if self.load_model is None:
            return
        try:
            predict = self.load_model(current)
        except Exception as exc:  # a bad artifact must not stop decisions
            log.error("model %s:%s not loaded: %s", current.model_name, current.version, exc)
            return
        self.model = ModelInfo(current.model_name, current.version, predict)
        log.info("using model %s:%s", current.model_name, current.version)

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
        bot = self.registry.get(str(record.get("bot_id")))
        if bot is None:
            return
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
        return [
            decide(
                sig,
                bot,
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
