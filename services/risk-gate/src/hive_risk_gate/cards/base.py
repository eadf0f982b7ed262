"""The strategy-card interface, the intent a card proposes and the context it decides in.

A card is a plugin: a module exposing `CARD_NAME` and a class implementing `StrategyCard` (the
protocol below; the `BaseCard` class gives parameter handling for free). For each signal of a
followed source the gate calls `on_signal(signal, context)`; the card returns an `Intent` (not
sized yet: the gate sizes it) or None to skip, saying why with `context.skip(code, reason)`.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from hive.bots import Bot
from hive.bots.cards import CardParameterError
from hive.constitution import BreakerMode
from hive_risk_gate.account import AccountState
from hive_risk_gate.record_enums import (
    CONFIDENCE_SOURCES,
    DIRECTIONS,
    ORDER_TYPES,
    ConfidenceSource,
)
from hive_risk_gate.signals import ScoredSignal


@dataclass(frozen=True)
class Intent:
    """What a card proposes for a signal, before sizing."""

    direction: str
    order_type: str
    entry: float | None
    stop_loss: float | None
    take_profits: tuple[float, ...]
    tp_fractions: tuple[float, ...]
    confidence: float
    confidence_source: ConfidenceSource
    note: str | None = None

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"intent direction must be BUY or SELL, got {self.direction!r}")
        if self.order_type not in ORDER_TYPES:
            raise ValueError(f"intent order_type must be one of {ORDER_TYPES}")
        if not (math.isfinite(self.confidence) and 0.0 <= self.confidence <= 1.0):
            raise ValueError(f"intent confidence must be in [0, 1], got {self.confidence!r}")
        if self.confidence_source not in CONFIDENCE_SOURCES:
            raise ValueError(f"intent confidence_source must be one of {CONFIDENCE_SOURCES}")
        if self.tp_fractions:
            if len(self.tp_fractions) != len(self.take_profits):
                raise ValueError("intent tp_fractions must have one fraction per take-profit")
            if any(f < 0 for f in self.tp_fractions) or not math.isclose(
                sum(self.tp_fractions), 1.0, abs_tol=1e-9
            ):
                raise ValueError("intent tp_fractions must be >= 0 and sum to 1")


def equal_fractions(n: int) -> tuple[float, ...]:
    return tuple(1.0 / n for _ in range(n)) if n else ()


def follow_intent(
    signal: ScoredSignal, confidence: float, source: ConfidenceSource, note: str | None = None
) -> Intent:
    """The signal as it is: its levels, its TPs in equal parts."""
    return Intent(
        direction=signal.direction,
        order_type=signal.order_type,
        entry=signal.entry,
        stop_loss=signal.stop_loss,
        take_profits=signal.take_profits,
        tp_fractions=equal_fractions(len(signal.take_profits)),
        confidence=confidence,
        confidence_source=source,
        note=note,
    )


@dataclass
class CardContext:
    """What a card knows besides the signal. `skip` records why the card said no."""

    bot: Bot
    account: AccountState
    breaker_mode: BreakerMode
    calibrated_confidence: float | None  # the learner's, when a model is released
    model_version: str | None
    regime: str
    ts_event: int
    skip_code: str | None = None
    skip_reason: str | None = None
    confidence_used: float | None = None
    confidence_source: ConfidenceSource | None = None
    details: dict[str, str] = field(default_factory=dict)

    def skip(self, code: str, reason: str) -> None:
        """Say why the card skips this signal (`code`: lower case, e.g. 'regime')."""
        self.skip_code = code
        self.skip_reason = reason

    def use_confidence(self, value: float, source: ConfidenceSource) -> float:
        """Record the confidence the card decided with (the decision reports it)."""
        self.confidence_used = value
        self.confidence_source = source
        return value


@runtime_checkable
class StrategyCard(Protocol):
    """The card interface every plugin class implements."""

    def on_signal(self, signal: ScoredSignal, context: CardContext) -> Intent | None: ...

    def on_trade(self, report: Mapping[str, Any], context: CardContext) -> None: ...

    def get_parameters(self) -> dict[str, str]: ...

    def set_parameters(self, params: Mapping[str, str]) -> None: ...


# ---- parameters ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """A card parameter: its default (as a string) and a parser that raises ValueError."""

    default: str
    parse: Callable[[str], Any]
    doc: str = ""


def unit_float(text: str) -> float:
    """A number in [0, 1]."""
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"must be a number in [0, 1], got {text!r}") from None
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise ValueError(f"must be a number in [0, 1], got {text!r}")
    return v


def source_priors(text: str) -> dict[str, float]:
    """A JSON object of source name -> prior confidence in [0, 1]."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f'must be a JSON object like {{"fx-vip": 0.6}}, got {text!r}') from None
    if not isinstance(data, dict):
        raise ValueError(f'must be a JSON object like {{"fx-vip": 0.6}}, got {text!r}')
    out: dict[str, float] = {}
    for k, v in data.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
            raise ValueError(f"prior of {k!r} must be a number in [0, 1], got {v!r}")
        out[str(k)] = float(v)
    return out


def string_list(text: str) -> tuple[str, ...]:
    """A JSON list of strings, or a comma-separated list."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            raise ValueError(f"must be a JSON list of names, got {text!r}") from None
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise ValueError(f"must be a JSON list of names, got {text!r}")
        return tuple(data)
    return tuple(x.strip() for x in stripped.split(",") if x.strip())


def choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {text!r}")
        return text

    return parse


# Every built-in card resolves its confidence the same way (see `BaseCard.confidence`).
CONFIDENCE_PARAMS: dict[str, Param] = {
    "prior": Param("0.5", unit_float, "confidence when no model is released (cold start)"),
    "priors": Param("{}", source_priors, "per-source priors, JSON {source: confidence}"),
    "fallback": Param(
        "prior", choice("prior", "parser"), "without a model: 'prior' or the parser's confidence"
    ),
}


class BaseCard(ABC):
    """A card with declared parameters: `PARAMETERS` maps name -> `Param`.

    `set_parameters` checks every given name and value first and changes nothing when one is
    wrong; names not given keep their current values. `get_parameters` returns every
    parameter as a string, defaults included.
    """

    CARD_NAME: ClassVar[str] = "card"
    PARAMETERS: ClassVar[Mapping[str, Param]] = {}

    def __init__(self) -> None:
        self._raw: dict[str, str] = {name: p.default for name, p in self.PARAMETERS.items()}
        self._values: dict[str, Any] = {
            name: p.parse(p.default) for name, p in self.PARAMETERS.items()
        }

    @abstractmethod
    def on_signal(self, signal: ScoredSignal, context: CardContext) -> Intent | None: ...

    def on_trade(self, report: Mapping[str, Any], context: CardContext) -> None:  # noqa: B027
        """Closed trades of the bot; the built-in cards keep no state from them."""

    def get_parameters(self) -> dict[str, str]:
        return dict(self._raw)

    def set_parameters(self, params: Mapping[str, str]) -> None:
        raw: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name, text in params.items():
            spec = self.PARAMETERS.get(name)
            if spec is None:
                known = ", ".join(sorted(self.PARAMETERS)) or "none"
                raise CardParameterError(
                    self.CARD_NAME, name, f"unknown parameter (known: {known})"
                )
            if not isinstance(text, str):
                raise CardParameterError(
                    self.CARD_NAME, name, f"must be given as a string, got {text!r}"
                )
            try:
                values[name] = spec.parse(text)
            except ValueError as exc:
                raise CardParameterError(self.CARD_NAME, name, str(exc)) from None
            raw[name] = text
        self._raw.update(raw)
        self._values.update(values)

    def param(self, name: str) -> Any:
        return self._values[name]

    def confidence(self, signal: ScoredSignal, context: CardContext) -> float:
        """The trading confidence for this signal, recorded on the context with its source:
        the learner's calibrated confidence when a model is released; otherwise the source's
        prior (`priors`, else `prior`), or the parser's confidence with `fallback: parser`."""
        if context.calibrated_confidence is not None:
            return context.use_confidence(context.calibrated_confidence, "MODEL")
        if self._values.get("fallback") == "parser":
            return context.use_confidence(min(1.0, max(0.0, signal.parser_confidence)), "PARSER")
        priors: Mapping[str, float] = self._values.get("priors", {})
        prior = priors.get(signal.source, self._values.get("prior", 0.5))
        return context.use_confidence(float(prior), "PRIOR")
