"""Breaker modes over a bot and the learner's releases: the gate's views of control topics.

Both read their records with the shared typed reader (a bad record raises its RecordError).

- `BreakerBook`: the latest `control.breakers` record per scope; `mode_for(bot)` is the most
  severe fallback mode in force over the bot (its own, its cell's, the global breaker).
- `ModelBook`: the learner's releases from `learner.models`, by family and version. Which one
  is used is not the learner's to say: it is the version the governor's change guard has in
  force on control.parameters (`model.<model_name>`, see `RiskGate.on_parameter`).
- `ModelInfo`: a released model the decision can ask for a calibrated confidence. Loading the
  weights is not the gate's domain: the service passes a `predict` callable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hive.bots import Bot
from hive.constitution import BreakerMode, most_severe, normalise_breaker_mode
from hive.contracts.readers import read
from hive.topics import CONTROL_BREAKERS, LEARNER_MODELS


class BreakerBook:
    """Latest breaker state per scope (`BOT:<bot_id>`, `CELL:<cell_id>`, `GLOBAL:global`)."""

    def __init__(self) -> None:
        self._modes: dict[str, BreakerMode] = {}
        self._seq: dict[str, int] = {}

    def apply(self, record: Mapping[str, Any]) -> None:
        """Take one `control.breakers` record (an older transition_seq than seen is ignored)."""
        r = read(CONTROL_BREAKERS, record)
        key = f"{r.symbol('scope_level')}:{r.string('scope_id')}"
        seq = r.integer("transition_seq")
        if seq < self._seq.get(key, -1):
            return
        self._seq[key] = seq
        self._modes[key] = normalise_breaker_mode(r.symbol("fallback_mode"))

    def set(self, scope_level: str, scope_id: str, mode: str) -> None:
        self._modes[f"{scope_level}:{scope_id}"] = normalise_breaker_mode(mode)

    def mode_for(self, bot: Bot) -> BreakerMode:
        return most_severe(
            [
                self._modes.get(f"BOT:{bot.bot_id}", "NONE"),
                self._modes.get(f"CELL:{bot.cell_id}", "NONE"),
                self._modes.get("GLOBAL:global", "NONE"),
            ]
        )


Predict = Callable[[Mapping[str, Any]], float]


@dataclass(frozen=True)
class ModelInfo:
    """A released learner model: its version and a function from signal features to the
    calibrated probability that the trade wins (0..1)."""

    model_name: str
    version: str
    predict: Predict

    def confidence(self, features: Mapping[str, Any]) -> float | None:
        """The calibrated confidence for these features, None if the model cannot give one."""
        try:
            value = float(self.predict(features))
        except Exception:  # a model failure must not stop decisions: fall back to the prior
            return None
        if not math.isfinite(value):
            return None
        return min(1.0, max(0.0, value))


@dataclass(frozen=True)
class ModelRelease:
    model_name: str
    version: str
    status: str
    ts_event: int
    sha256: str
    artifact_uri: str


class ModelBook:
    """The learner's releases (every status: the version in force may still be a CANDIDATE here
    when control.parameters is read before the learner's PROMOTED record)."""

    def __init__(self) -> None:
        self._releases: dict[tuple[str, str], ModelRelease] = {}

    def apply(self, record: Mapping[str, Any]) -> None:
        r = read(LEARNER_MODELS, record)
        rel = ModelRelease(
            model_name=r.string("model_name"),
            version=r.string("version"),
            status=r.symbol("status"),
            ts_event=r.integer("ts_event"),
            sha256=r.string("sha256"),
            artifact_uri=r.string("artifact_uri"),
        )
        self._releases[(rel.model_name, rel.version)] = rel

    def get(self, model_name: str, version: str) -> ModelRelease | None:
        return self._releases.get((model_name, version))
