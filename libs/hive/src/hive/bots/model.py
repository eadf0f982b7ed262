"""The bot: one trading account, its fields and their checks (the contract's single definition).

Keys are those of the bots file; the cell is `cell` there and `cell_id` here and on records.
`risk_per_trade` is a percent of equity (1.0 = 1 %); `risk_fraction` is the record's unit.
Validators raise `invalid(...)` with the message shown after "field: ".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from hive.bots.messages import invalid, show_value
from hive.bots.percent import percent_to_fraction
from hive.constitution import MAX_RISK_PER_POSITION_PCT, RULE_SETS, RuleSetName
from hive.instruments import InstrumentCatalogue, load_instruments

DEFAULT_DAY_BOUNDARY_TZ: Final = "Europe/Prague"
# Account currencies the gate can size in (it converts quote currencies into these).
ACCOUNT_CURRENCIES: Final = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD")
# Per-bot rule values the policies understand (the names of the policy output's `limits`).
RULE_OVERRIDE_KEYS: Final = (
    "daily_loss_pct",
    "max_loss_pct",
    "max_drawdown_pct",
    "max_risk_per_position_pct",
    "min_confidence",
)
# A bot or cell id: lower case, no ':' (a record's event_id is bot_id:config_version).
ID_PATTERN: Final = r"^[a-z0-9][a-z0-9._-]*$"
_ID = re.compile(ID_PATTERN)


def _parameter_string(value: Any) -> str:
    """A card parameter as the record carries it: numbers in decimal, lists and maps as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise invalid(f"must be a finite number, got {show_value(value)}")
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    raise invalid(f"must be a string, number, list or mapping, got {show_value(value)}")


class SourceWeight(BaseModel):
    """A source the bot follows and its weight in conflict votes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    weight: float = 1.0

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not v.strip():
            raise invalid("must not be empty")
        return v

    @field_validator("weight")
    @classmethod
    def _weight(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise invalid(f"must be a number > 0, got {show_value(v)}")
        return v


class Bot(BaseModel):
    """One bot (trading account): the validated form of a bots-file entry or registry record.

    Validation context: `allow_live` (LIVE is refused without it) and `catalogue` (the
    instrument catalogue `allowed_symbols` are checked against; default: the packaged one).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    bot_id: str
    cell_id: str = Field(alias="cell")
    display_name: str | None = None
    account_size: float
    account_currency: str = "USD"
    rule_set: RuleSetName
    rule_overrides: dict[str, str] = Field(default_factory=dict)
    day_boundary_tz: str = DEFAULT_DAY_BOUNDARY_TZ
    sources: tuple[SourceWeight, ...]
    strategy_card: str
    strategy_parameters: dict[str, str] = Field(default_factory=dict)
    risk_per_trade: float
    mode: Literal["PAPER", "LIVE"] = "PAPER"
    venue: str = "paper"
    allowed_symbols: tuple[str, ...] = ()
    status: Literal["ACTIVE", "PAUSED", "LOCKED"] = "ACTIVE"
    status_reason: str | None = None
    config_version: int = Field(default=1, ge=1)

    # ---- validators (messages are the part after "field:") -------------------------------
    @field_validator("bot_id", "cell_id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise invalid(
                f"must be lower case letters, digits, '.', '_' or '-' (no ':'), got {show_value(v)}"
            )
        return v

    @field_validator("account_size")
    @classmethod
    def _account_size(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise invalid(f"must be a number > 0, got {show_value(v)}")
        return v

    @field_validator("account_currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if v not in ACCOUNT_CURRENCIES:
            raise invalid(f"must be one of {', '.join(ACCOUNT_CURRENCIES)}, got {show_value(v)}")
        return v

    @field_validator("rule_set", mode="before")
    @classmethod
    def _rule_set(cls, v: Any) -> Any:
        if v not in RULE_SETS:
            raise invalid(f"must be one of {', '.join(RULE_SETS)}, got {show_value(v)}")
        return v

    @field_validator("rule_overrides", mode="before")
    @classmethod
    def _overrides(cls, v: Any) -> Any:
        if v is None:
            return {}
        if not isinstance(v, Mapping):
            raise invalid(f"must be a mapping, got {show_value(v)}")
        out: dict[str, str] = {}
        for key, value in v.items():
            if key not in RULE_OVERRIDE_KEYS:
                raise invalid(
                    f"unknown rule {key!r} (known: {', '.join(RULE_OVERRIDE_KEYS)})",
                )
            text = value if isinstance(value, str) else _parameter_string(value)
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = Decimal("NaN")
            if not number.is_finite() or number <= 0:
                raise invalid(f"{key} must be a decimal number > 0, got {show_value(value)}")
            out[str(key)] = text
        return out

    @field_validator("day_boundary_tz")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(
                f"must be an IANA time zone such as Europe/Prague, got {show_value(v)}"
            ) from None
        return v

    @field_validator("sources", mode="before")
    @classmethod
    def _sources(cls, v: Any) -> Any:
        if not isinstance(v, list | tuple) or not v:
            raise invalid("must be a non-empty list of sources ({source, weight} or a name)")
        return [{"source": s} if isinstance(s, str) else s for s in v]

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, v: tuple[SourceWeight, ...]) -> tuple[SourceWeight, ...]:
        seen: set[str] = set()
        for s in v:
            if s.source in seen:
                raise invalid(f"source {s.source!r} is listed twice")
            seen.add(s.source)
        return v

    @field_validator("strategy_card")
    @classmethod
    def _card(cls, v: str) -> str:
        if not v.strip():
            raise invalid("must name a strategy card")
        return v

    @field_validator("strategy_parameters", mode="before")
    @classmethod
    def _parameters(cls, v: Any) -> Any:
        if v is None:
            return {}
        if not isinstance(v, Mapping):
            raise invalid(f"must be a mapping of parameter names to values, got {show_value(v)}")
        return {str(k): _parameter_string(val) for k, val in v.items()}

    @field_validator("risk_per_trade")
    @classmethod
    def _risk(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise invalid(f"must be greater than 0 (percent of equity), got {show_value(v)}")
        if v > MAX_RISK_PER_POSITION_PCT:
            raise invalid(
                f"must be at most {MAX_RISK_PER_POSITION_PCT:g} "
                f"(the constitution's max risk per position), got {show_value(v)}"
            )
        return v

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: Any, info: ValidationInfo) -> Any:
        if not isinstance(v, str) or v.upper() not in ("PAPER", "LIVE"):
            raise invalid(f"must be paper or live, got {show_value(v)}")
        mode = v.upper()
        ctx = info.context or {}
        if mode == "LIVE" and not ctx.get("allow_live", False):
            raise invalid("LIVE is refused unless the file sets allow_live: true at the top level")
        return mode

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        if not isinstance(v, str) or v.upper() not in ("ACTIVE", "PAUSED", "LOCKED"):
            raise invalid(f"must be active, paused or locked, got {show_value(v)}")
        return v.upper()

    @field_validator("allowed_symbols", mode="before")
    @classmethod
    def _symbols(cls, v: Any, info: ValidationInfo) -> Any:
        if v is None:
            return ()
        if not isinstance(v, list | tuple):
            raise invalid(f"must be a list of instrument symbols, got {show_value(v)}")
        ctx = info.context or {}
        catalogue: InstrumentCatalogue = ctx.get("catalogue") or load_instruments()
        seen: set[str] = set()
        for i, sym in enumerate(v):
            where = f"[{i}] "
            if not isinstance(sym, str):
                raise invalid(f"{where}must be a symbol name, got {show_value(sym)}")
            if sym not in catalogue:
                found = catalogue.resolve(sym)
                if found is not None:
                    raise invalid(
                        f"{where}{sym!r} is not a catalogue symbol; write {found.symbol}",
                    )
                raise invalid(
                    f"{where}unknown symbol {sym!r} "
                    f"(not in the instrument catalogue {catalogue.version})",
                )
            if sym in seen:
                raise invalid(f"{where}{sym!r} is listed twice")
            seen.add(sym)
        return tuple(v)

    # ---- views -----------------------------------------------------------------------------
    @property
    def cell(self) -> str:
        return self.cell_id

    @property
    def risk_fraction(self) -> float:
        """risk_per_trade as the record carries it (0.01 = 1 %)."""
        return percent_to_fraction(self.risk_per_trade)

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(s.source for s in self.sources)

    def weight_of(self, source: str) -> float | None:
        """The weight of `source` for this bot, None when the bot does not follow it."""
        for s in self.sources:
            if s.source == source:
                return s.weight
        return None

    def follows(self, source: str) -> bool:
        return self.weight_of(source) is not None


# The keys a bots-file entry (and the hub's request body) may have, and a source entry's.
BOT_FILE_KEYS: Final = tuple((f.alias or name) for name, f in Bot.model_fields.items())
SOURCE_KEYS: Final = tuple(SourceWeight.model_fields)
