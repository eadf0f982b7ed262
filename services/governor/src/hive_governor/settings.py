"""governor settings from the environment (prefix HIVE_).

Breakers, per level (BOT, CELL, GLOBAL), either one variable per value:

    HIVE_BREAKER_BOT_THRESHOLD=5            failures in the window that open the breaker
    HIVE_BREAKER_BOT_RESET_TIMEOUT_MS=30000 time OPEN before HALF_OPEN
    HIVE_BREAKER_BOT_WINDOW_MS=86400000     sliding failure window
    HIVE_BREAKER_BOT_FALLBACK=SHADOW_MODE   SHADOW_MODE, REDUCED_CAPACITY or SAFE_MODE
    (and HIVE_BREAKER_CELL_*, HIVE_BREAKER_GLOBAL_*)

or the whole block as one JSON variable, as the Helm ConfigMap carries it (any key may be left
out; unknown keys are refused):

    HIVE_BREAKERS='{"bot": {"threshold": 5, "reset_timeout_ms": 30000, "window_ms": 86400000,
                    "fallback": "SHADOW_MODE"}, "cell": {...}, "global": {...}}'

Precedence: default < HIVE_BREAKERS < the per-value variable (the more specific one wins, so one
value can be overridden on top of the ConfigMap). Defaults are DESIGN.md's: bot 5 / 30 s /
SHADOW_MODE, cell 10 / 60 s / REDUCED_CAPACITY, global 20 / 300 s / SAFE_MODE, window one day.

Also: HIVE_GOVERNOR_REQUIRED_SERVICES (comma-separated; default risk-gate,executor; empty for
none), HIVE_GOVERNOR_HEARTBEAT_TIMEOUT_MS (15000), HIVE_ESCALATION_WINDOW_MS (one day),
HIVE_ESCALATION_SHADOW_AT / _PAUSE_AT / _LOCK_AT (3 / 6 / 9 violations in the window).
A bad value fails at start with a message naming the variable (`hive.config.load_settings`).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import NoDecode

from hive.config import ServiceSettings
from hive.constitution import BreakerFallback
from hive_governor.breakers import DAY_MS, BreakerConfig, LevelConfig
from hive_governor.escalation import EscalationConfig

LEVELS = ("bot", "cell", "global")
LEVEL_FIELDS = ("threshold", "reset_timeout_ms", "window_ms", "fallback")
_SERVICE = re.compile(r"^[a-z][a-z0-9-]*$")


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class LevelBlock(BaseModel):
    """One level of HIVE_BREAKERS."""

    model_config = ConfigDict(extra="forbid")

    threshold: int | None = Field(default=None, ge=1)
    reset_timeout_ms: int | None = Field(default=None, ge=1)
    window_ms: int | None = Field(default=None, ge=1)
    fallback: BreakerFallback | None = None

    _fallback = field_validator("fallback", mode="before")(_upper)


class BreakersBlock(BaseModel):
    """HIVE_BREAKERS: {"bot": {...}, "cell": {...}, "global": {...}}."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    bot: LevelBlock = Field(default_factory=LevelBlock)
    cell: LevelBlock = Field(default_factory=LevelBlock)
    global_: LevelBlock = Field(default_factory=LevelBlock, alias="global")

    def level(self, name: str) -> LevelBlock:
        block: LevelBlock = getattr(self, "global_" if name == "global" else name)
        return block


class GovernorSettings(ServiceSettings):
    service_name: str = "governor"
    # Risk gate and executor fail closed 15 s after the last governor beat: beat well inside it.
    heartbeat_interval_s: float = Field(2.0, gt=0)
    # Breaker records, system commands, the audit chain and the offsets commit together.
    exactly_once: bool = True

    breakers: Annotated[BreakersBlock | None, NoDecode] = None

    breaker_bot_threshold: int = Field(5, ge=1)
    breaker_bot_reset_timeout_ms: int = Field(30_000, ge=1)
    breaker_bot_window_ms: int = Field(DAY_MS, ge=1)
    breaker_bot_fallback: BreakerFallback = "SHADOW_MODE"

    breaker_cell_threshold: int = Field(10, ge=1)
    breaker_cell_reset_timeout_ms: int = Field(60_000, ge=1)
    breaker_cell_window_ms: int = Field(DAY_MS, ge=1)
    breaker_cell_fallback: BreakerFallback = "REDUCED_CAPACITY"

    breaker_global_threshold: int = Field(20, ge=1)
    breaker_global_reset_timeout_ms: int = Field(300_000, ge=1)
    breaker_global_window_ms: int = Field(DAY_MS, ge=1)
    breaker_global_fallback: BreakerFallback = "SAFE_MODE"

    governor_required_services: str = "risk-gate,executor"
    governor_heartbeat_timeout_ms: int = Field(15_000, ge=1)

    escalation_window_ms: int = Field(DAY_MS, ge=1)
    escalation_shadow_at: int = Field(3, ge=1)
    escalation_pause_at: int = Field(6, ge=1)
    escalation_lock_at: int = Field(9, ge=1)

    _fallbacks = field_validator(
        "breaker_bot_fallback", "breaker_cell_fallback", "breaker_global_fallback", mode="before"
    )(_upper)

    @field_validator("breakers", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc})") from None
        return value

    @field_validator("governor_required_services")
    @classmethod
    def _services(cls, value: str) -> str:
        for name in _split(value):
            if not _SERVICE.match(name):
                raise ValueError(f"service names are lower-case words with dashes, got {name!r}")
        return value

    @field_validator("escalation_pause_at", "escalation_lock_at")
    @classmethod
    def _rising(cls, value: int, info: ValidationInfo) -> int:
        before = {
            "escalation_pause_at": "escalation_shadow_at",
            "escalation_lock_at": "escalation_pause_at",
        }
        other = before[str(info.field_name)]
        low = info.data.get(other)
        if isinstance(low, int) and value <= low:
            raise ValueError(f"must be greater than HIVE_{other.upper()} ({low})")
        return value

    @model_validator(mode="after")
    def _merge_block(self) -> GovernorSettings:
        # HIVE_BREAKERS fills what no per-value variable set.
        if self.breakers is not None:
            for level in LEVELS:
                block = self.breakers.level(level)
                for field in LEVEL_FIELDS:
                    name = f"breaker_{level}_{field}"
                    value = getattr(block, field)
                    if value is not None and name not in self.model_fields_set:
                        setattr(self, name, value)
        return self

    def level_config(self, level: str) -> LevelConfig:
        return LevelConfig(
            threshold=getattr(self, f"breaker_{level}_threshold"),
            reset_timeout_ms=getattr(self, f"breaker_{level}_reset_timeout_ms"),
            window_ms=getattr(self, f"breaker_{level}_window_ms"),
            fallback=getattr(self, f"breaker_{level}_fallback"),
        )

    def breaker_config(self) -> BreakerConfig:
        return BreakerConfig(
            bot=self.level_config("bot"),
            cell=self.level_config("cell"),
            global_=self.level_config("global"),
        )

    def escalation_config(self) -> EscalationConfig:
        return EscalationConfig(
            window_ms=self.escalation_window_ms,
            shadow_at=self.escalation_shadow_at,
            pause_at=self.escalation_pause_at,
            lock_at=self.escalation_lock_at,
        )

    def required_services(self) -> tuple[str, ...]:
        return _split(self.governor_required_services)


def _split(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.strip() for s in value.split(",") if s.strip()))
