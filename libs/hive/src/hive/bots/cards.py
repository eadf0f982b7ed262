"""What the contract asks of whoever owns the strategy cards: `CardValidator` and its errors.

The core does not know the cards (the risk gate does: its `CardLoader` is a `CardValidator`). A
caller that checks a bots file passes its validator in; the errors are defined here so that
the loader can word them without importing the owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from hive.bots.model import Bot


class CardError(Exception):
    """Base of the card errors."""


class UnknownCardError(CardError, KeyError):
    """No card of that name is loaded."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown card"


class CardParameterError(CardError, ValueError):
    """A card parameter is unknown or invalid; `parameter` names it (None: the whole set)."""

    def __init__(self, card: str, parameter: str | None, problem: str) -> None:
        self.card = card
        self.parameter = parameter
        self.problem = problem
        where = f"{card}.{parameter}" if parameter else card
        super().__init__(f"{where}: {problem}")


class CardValidator(Protocol):
    """What the loader needs to check a bot's card and parameters (a `CardLoader` is one)."""

    def validate(self, name: str, parameters: Mapping[str, str]) -> None:
        """Raise `UnknownCardError` or `CardParameterError` when the card cannot run so."""
        ...


def card_problems(prefix: str, bot: Bot, cards: CardValidator) -> list[str]:
    """The problems of `bot`'s card and parameters, worded as the loader's other problems."""
    try:
        cards.validate(bot.strategy_card, bot.strategy_parameters)
    except UnknownCardError as exc:
        return [f"{prefix}.strategy_card: {exc}"]
    except CardParameterError as exc:
        where = f".{exc.parameter}" if exc.parameter else ""
        return [f"{prefix}.strategy_parameters{where}: {exc.problem}"]
    return []
