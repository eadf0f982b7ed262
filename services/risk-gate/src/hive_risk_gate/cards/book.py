"""The active card of each bot, and swapping it at run time.

The card of a bot comes from its registry definition (`strategy_card`, `strategy_parameters`).
A swap (an operator's SWAP_CARD command) replaces it without a restart and returns the event
for the audit trail. A swapped card stays until the registry definition of the card changes
(the registry is the source of truth again from then on) or another swap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hive.bots import Bot
from hive.bots.cards import CardError
from hive_risk_gate.cards.base import CardContext, StrategyCard
from hive_risk_gate.cards.loader import CardLoader, CardLoadError, LoadReport

CARD_SWAPPED = "CARD_SWAPPED"
CARD_RELOADED = "CARD_RELOADED"


class CardSwapError(CardError, ValueError):
    """A swap was refused (unknown card, invalid parameters); nothing changed."""


@dataclass
class ActiveCard:
    """A bot's running card instance."""

    bot_id: str
    name: str
    card: StrategyCard
    registry_card: str  # the registry definition the book last synced from
    registry_parameters: dict[str, str] = field(default_factory=dict)
    swapped: bool = False

    def parameters(self) -> dict[str, str]:
        return dict(self.card.get_parameters())


class CardBook:
    """One card instance per bot, created from the `CardLoader`'s classes."""

    def __init__(self, loader: CardLoader) -> None:
        self.loader = loader
        self._active: dict[str, ActiveCard] = {}

    def card_for(self, bot: Bot) -> ActiveCard:
        """The bot's active card, (re)created when the registry's card definition changed.

        Raises `UnknownCardError` / `CardParameterError` when the registry names a card that is
        not loaded or parameters it refuses.
        """
        current = self._active.get(bot.bot_id)
        if (
            current is not None
            and current.registry_card == bot.strategy_card
            and current.registry_parameters == dict(bot.strategy_parameters)
        ):
            return current
        name = self.loader.canonical(bot.strategy_card)
        card = self.loader.create(name, bot.strategy_parameters)
        active = ActiveCard(
            bot_id=bot.bot_id,
            name=name,
            card=card,
            registry_card=bot.strategy_card,
            registry_parameters=dict(bot.strategy_parameters),
        )
        self._active[bot.bot_id] = active
        return active

    def get(self, bot_id: str) -> ActiveCard | None:
        return self._active.get(bot_id)

    def remove(self, bot_id: str) -> None:
        self._active.pop(bot_id, None)

    def swap(
        self,
        bot: Bot,
        card: str,
        parameters: Mapping[str, str] | None = None,
        *,
        ts_event: int,
        actor: str = "system",
        reason: str | None = None,
        cause_event_id: str | None = None,
    ) -> dict[str, Any]:
        """Replace the bot's card with `card` (and `parameters`); returns the swap event.

        The event (for the audit trail): action CARD_SWAPPED, scope BOT/bot_id, bot and cell,
        old and new card with their effective parameters, when (event time), who, why, cause.
        Raises `CardSwapError` and leaves the current card in place when the new one is
        unknown or refuses the parameters.
        """
        try:
            old = self.card_for(bot)
            old_name: str | None = old.name
            old_params: dict[str, str] | None = old.parameters()
        except CardError:
            old, old_name, old_params = None, None, None
        try:
            name = self.loader.canonical(card)
            instance = self.loader.create(name, parameters or {})
        except CardError as exc:
            raise CardSwapError(f"swap of {bot.bot_id}'s card refused: {exc}") from exc
        self._active[bot.bot_id] = ActiveCard(
            bot_id=bot.bot_id,
            name=name,
            card=instance,
            registry_card=bot.strategy_card,
            registry_parameters=dict(bot.strategy_parameters),
            swapped=True,
        )
        del old
        return {
            "action": CARD_SWAPPED,
            "scope_level": "BOT",
            "scope_id": bot.bot_id,
            "bot_id": bot.bot_id,
            "cell_id": bot.cell_id,
            "old_card": old_name,
            "old_parameters": old_params,
            "new_card": name,
            "parameters": dict(instance.get_parameters()),
            "ts_event": int(ts_event),
            "actor": actor,
            "reason": reason,
            "cause_event_id": cause_event_id,
        }

    def reload(self, *, ts_event: int) -> tuple[LoadReport, list[dict[str, Any]]]:
        """Reload the plugins and move every bot whose card class changed onto the new class,
        keeping its parameters. Returns the load report (plus bots that could not move, which
        keep their running instance) and one CARD_RELOADED event per bot moved."""
        report = self.loader.reload()
        errors = list(report.errors)
        events: list[dict[str, Any]] = []
        for bot_id in sorted(self._active):
            active = self._active[bot_id]
            spec = self.loader.cards.get(active.name)
            if spec is None or isinstance(active.card, spec.cls):
                continue
            params = active.parameters()
            try:
                active.card = self.loader.create(active.name, params)
            except CardError as exc:
                errors.append(
                    CardLoadError(spec.origin, f"{bot_id} keeps its running {active.name}: {exc}")
                )
                continue
            events.append(
                {
                    "action": CARD_RELOADED,
                    "scope_level": "BOT",
                    "scope_id": bot_id,
                    "bot_id": bot_id,
                    "card": active.name,
                    "origin": spec.origin,
                    "parameters": params,
                    "ts_event": int(ts_event),
                }
            )
        return LoadReport(loaded=report.loaded, errors=tuple(errors)), events

    def on_trade(self, bot: Bot, report: Mapping[str, Any], context: CardContext) -> None:
        """Pass a closed trade of the bot to its card (a card failure is swallowed)."""
        try:
            active = self.card_for(bot)
        except CardError:
            return
        try:
            active.card.on_trade(report, context)
        except Exception:  # a card must not break the gate's consumption of trades
            return
