"""Bots and cells: the YAML file for local use, `registry.bots` records, and the in-memory registry.

A bots file (see `bots.example.yaml` at the repository root)::

    allow_live: false          # optional; LIVE bots are refused unless this is true
    bots:
      - bot_id: ftmo-eurusd-01 # lower case, no ':'
        cell: ftmo
        account_size: 100000
        account_currency: USD
        rule_set: ftmo_2step   # ftmo_2step | strict | constitution
        sources:               # followed sources with their vote weights (> 0)
          - {source: fx-vip, weight: 1.0}
          - eurusd-alerts      # weight 1
        strategy_card: regime_filtered
        strategy_parameters: {skip_regimes: [CHAOS]}
        risk_per_trade: 1.0    # percent of equity, > 0 and <= 5 (the constitution)
        allowed_symbols: [EURUSD, XAUUSD]   # catalogue symbols; empty = all

Other optional keys: display_name, rule_overrides, day_boundary_tz (default Europe/Prague: the
FTMO day starts at midnight CE(S)T), mode (paper | live, default paper), venue (default paper),
status (active | paused | locked), status_reason, config_version (default 1).

In the file `risk_per_trade` is a percent (1 = 1 %); on `registry.bots` it is a fraction
(0.01), as the schema says. Invalid configuration raises `BotConfigError`, whose message names
the file, the bot and the field path, e.g.
``bots.yaml: bots[2] (ftmo-2).risk_per_trade: must be at most 5 (the constitution's max risk
per position), got 7``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from hive.constitution import MAX_RISK_PER_POSITION_PCT, RULE_SETS
from hive.constitution import RuleSetName as RuleSet
from hive.instruments import InstrumentCatalogue, load_instruments

DEFAULT_DAY_BOUNDARY_TZ = "Europe/Prague"
# Account currencies the gate can size in (it converts quote currencies into these).
ACCOUNT_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD")
# Per-bot rule values the policies understand (the names of the policy output's `limits`).
RULE_OVERRIDE_KEYS = (
    "daily_loss_pct",
    "max_loss_pct",
    "max_drawdown_pct",
    "max_risk_per_position_pct",
    "min_confidence",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TOP_KEYS = ("allow_live", "bots")


class BotConfigError(ValueError):
    """The bots configuration (a file or a record) is invalid; `problems` lists every message."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class CardValidator(Protocol):
    """What the loader needs to check a bot's card and parameters (a `CardLoader` is one)."""

    def validate(self, name: str, parameters: Mapping[str, str]) -> None:
        """Raise `UnknownCardError` or `CardParameterError` when the card cannot run so."""
        ...


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("hive_config", "{message}", {"message": message})


def _fmt(value: Any) -> str:
    """A value as a message shows it: numbers plainly (7, 0.5), everything else repr()."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return f"{value:g}"
    return repr(value)


def _parameter_string(value: Any) -> str:
    """A card parameter as the record carries it: numbers in decimal, lists and maps as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise _fail(f"must be a finite number, got {_fmt(value)}")
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    raise _fail(f"must be a string, number, list or mapping, got {_fmt(value)}")


class SourceWeight(BaseModel):
    """A source the bot follows and its weight in conflict votes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    weight: float = 1.0

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not v.strip():
            raise _fail("must not be empty")
        return v

    @field_validator("weight")
    @classmethod
    def _weight(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise _fail(f"must be a number > 0, got {_fmt(v)}")
        return v


class Bot(BaseModel):
    """One bot (trading account): the validated form of a bots-file entry or registry record.

    `risk_per_trade` is a percent of equity (1.0 = 1 %). Keys are those of the bots file; the
    cell is `cell` there and `cell_id` here and on records.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    bot_id: str
    cell_id: str = Field(alias="cell")
    display_name: str | None = None
    account_size: float
    account_currency: str = "USD"
    rule_set: RuleSet
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
            raise _fail(
                f"must be lower case letters, digits, '.', '_' or '-' (no ':'), got {_fmt(v)}"
            )
        return v

    @field_validator("account_size")
    @classmethod
    def _account_size(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise _fail(f"must be a number > 0, got {_fmt(v)}")
        return v

    @field_validator("account_currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if v not in ACCOUNT_CURRENCIES:
            raise _fail(f"must be one of {', '.join(ACCOUNT_CURRENCIES)}, got {_fmt(v)}")
        return v

    @field_validator("rule_set", mode="before")
    @classmethod
    def _rule_set(cls, v: Any) -> Any:
        if v not in RULE_SETS:
            raise _fail(f"must be one of {', '.join(RULE_SETS)}, got {_fmt(v)}")
        return v

    @field_validator("rule_overrides", mode="before")
    @classmethod
    def _overrides(cls, v: Any) -> Any:
        if v is None:
            return {}
        if not isinstance(v, Mapping):
            raise _fail(f"must be a mapping, got {_fmt(v)}")
        out: dict[str, str] = {}
        for key, value in v.items():
            if key not in RULE_OVERRIDE_KEYS:
                raise _fail(
                    f"unknown rule {key!r} (known: {', '.join(RULE_OVERRIDE_KEYS)})",
                )
            text = value if isinstance(value, str) else _parameter_string(value)
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = Decimal("NaN")
            if not number.is_finite() or number <= 0:
                raise _fail(f"{key} must be a decimal number > 0, got {_fmt(value)}")
            out[str(key)] = text
        return out

    @field_validator("day_boundary_tz")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise _fail(f"must be an IANA time zone such as Europe/Prague, got {_fmt(v)}") from None
        return v

    @field_validator("sources", mode="before")
    @classmethod
    def _sources(cls, v: Any) -> Any:
        if not isinstance(v, list | tuple) or not v:
            raise _fail("must be a non-empty list of sources ({source, weight} or a name)")
        return [{"source": s} if isinstance(s, str) else s for s in v]

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, v: tuple[SourceWeight, ...]) -> tuple[SourceWeight, ...]:
        seen: set[str] = set()
        for s in v:
            if s.source in seen:
                raise _fail(f"source {s.source!r} is listed twice")
            seen.add(s.source)
        return v

    @field_validator("strategy_card")
    @classmethod
    def _card(cls, v: str) -> str:
        if not v.strip():
            raise _fail("must name a strategy card")
        return v

    @field_validator("strategy_parameters", mode="before")
    @classmethod
    def _parameters(cls, v: Any) -> Any:
        if v is None:
            return {}
        if not isinstance(v, Mapping):
            raise _fail(f"must be a mapping of parameter names to values, got {_fmt(v)}")
        return {str(k): _parameter_string(val) for k, val in v.items()}

    @field_validator("risk_per_trade")
    @classmethod
    def _risk(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise _fail(f"must be greater than 0 (percent of equity), got {_fmt(v)}")
        if v > MAX_RISK_PER_POSITION_PCT:
            raise _fail(
                f"must be at most {MAX_RISK_PER_POSITION_PCT:g} "
                f"(the constitution's max risk per position), got {_fmt(v)}"
            )
        return v

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: Any, info: ValidationInfo) -> Any:
        if not isinstance(v, str) or v.upper() not in ("PAPER", "LIVE"):
            raise _fail(f"must be paper or live, got {_fmt(v)}")
        mode = v.upper()
        ctx = info.context or {}
        if mode == "LIVE" and not ctx.get("allow_live", False):
            raise _fail("LIVE is refused unless the file sets allow_live: true at the top level")
        return mode

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        if not isinstance(v, str) or v.upper() not in ("ACTIVE", "PAUSED", "LOCKED"):
            raise _fail(f"must be active, paused or locked, got {_fmt(v)}")
        return v.upper()

    @field_validator("allowed_symbols", mode="before")
    @classmethod
    def _symbols(cls, v: Any, info: ValidationInfo) -> Any:
        if v is None:
            return ()
        if not isinstance(v, list | tuple):
            raise _fail(f"must be a list of instrument symbols, got {_fmt(v)}")
        ctx = info.context or {}
        catalogue: InstrumentCatalogue = ctx.get("catalogue") or load_instruments()
        seen: set[str] = set()
        for i, sym in enumerate(v):
            where = f"[{i}] "
            if not isinstance(sym, str):
                raise _fail(f"{where}must be a symbol name, got {_fmt(sym)}")
            if sym not in catalogue:
                found = catalogue.resolve(sym)
                if found is not None:
                    raise _fail(
                        f"{where}{sym!r} is not a catalogue symbol; write {found.symbol}",
                    )
                raise _fail(
                    f"{where}unknown symbol {sym!r} "
                    f"(not in the instrument catalogue {catalogue.version})",
                )
            if sym in seen:
                raise _fail(f"{where}{sym!r} is listed twice")
            seen.add(sym)
        return tuple(v)

    # ---- views -----------------------------------------------------------------------------
    @property
    def cell(self) -> str:
        return self.cell_id

    @property
    def risk_fraction(self) -> float:
        """risk_per_trade as the record carries it (0.01 = 1 %)."""
        return _round(self.risk_per_trade / 100.0)

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


def _round(x: float) -> float:
    """Drop binary noise from a percent/fraction conversion (0.07 * 100 -> 7.0, not 7.000...1)."""
    return float(f"{x:.12g}")


# ---- errors: pydantic's locations and messages -> "bots[2] (ftmo-2).risk_per_trade: ..." -------
_TYPE_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "literal_error": "has an invalid value",
    "greater_than_equal": "is too small",
}


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
    return out


def _messages(prefix: str, exc: ValidationError, allowed_keys: Sequence[str]) -> list[str]:
    problems: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "hive_config":
            text = str(err["ctx"]["message"]) if "ctx" in err else err["msg"]
            # A list validator reports the item as "[i] ...": attach it to the path.
            m = re.match(r"^(\[\d+\]) (.*)$", text, re.DOTALL)
            if m:
                loc, text = (*loc, int(m.group(1)[1:-1])), m.group(2)
        elif kind == "extra_forbidden":
            keys = allowed_keys if len(loc) == 1 else ("source", "weight")
            text = f"unknown key (allowed: {', '.join(keys)})"
        else:
            base = _TYPE_MESSAGES.get(kind, err["msg"][:1].lower() + err["msg"][1:])
            text = base if kind == "missing" else f"{base}, got {_fmt(err.get('input'))}"
        problems.append(f"{prefix}{_path(loc)}: {text}")
    return problems


_BOT_KEYS = tuple(
    (f.alias or name) for name, f in Bot.model_fields.items()
)  # keys a bots-file entry may have


@dataclass(frozen=True)
class BotsConfig:
    """A validated bots file."""

    bots: tuple[Bot, ...]
    allow_live: bool = False
    path: Path | None = None

    def __iter__(self) -> Any:
        return iter(self.bots)

    def __len__(self) -> int:
        return len(self.bots)

    def get(self, bot_id: str) -> Bot | None:
        return next((b for b in self.bots if b.bot_id == bot_id), None)

    def cells(self) -> dict[str, tuple[Bot, ...]]:
        """cell_id -> its bots, cells and bots sorted by id."""
        out: dict[str, list[Bot]] = {}
        for bot in sorted(self.bots, key=lambda b: b.bot_id):
            out.setdefault(bot.cell_id, []).append(bot)
        return {cell: tuple(out[cell]) for cell in sorted(out)}

    def to_records(
        self, ts_event: int, updated_by: str | None = "bots-file"
    ) -> list[dict[str, Any]]:
        """The `registry.bots` records of every bot (a replay publishes them at its start time)."""
        return [to_record(b, ts_event=ts_event, updated_by=updated_by) for b in self.bots]


def parse_bots(
    data: Any,
    *,
    name: str = "bots.yaml",
    catalogue: InstrumentCatalogue | None = None,
    cards: CardValidator | None = None,
) -> BotsConfig:
    """Validate the structure of a bots file already read from YAML (see the module doc).

    Every problem is collected; `BotConfigError` lists them all, one per line. With `cards`,
    each bot's strategy card and parameters are checked as well (the service passes its
    `CardLoader`; `load_bots` defaults to the built-in cards).
    """
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise BotConfigError(
            [f"{name}: must be a mapping with 'bots' (and optionally 'allow_live')"]
        )
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(f"{name}: {key}: unknown key (allowed: {', '.join(_TOP_KEYS)})")
    allow_live = data.get("allow_live", False)
    if not isinstance(allow_live, bool):
        problems.append(f"{name}: allow_live: must be true or false, got {_fmt(allow_live)}")
        allow_live = False
    entries = data.get("bots")
    if not isinstance(entries, list) or not entries:
        problems.append(f"{name}: bots: must be a non-empty list of bots")
        raise BotConfigError(problems)
    context = {"allow_live": allow_live, "catalogue": catalogue or load_instruments()}
    bots: list[Bot] = []
    first_at: dict[str, int] = {}
    for i, entry in enumerate(entries):
        bot_id = entry.get("bot_id") if isinstance(entry, Mapping) else None
        label = f"bots[{i}] ({bot_id})" if isinstance(bot_id, str) and bot_id else f"bots[{i}]"
        prefix = f"{name}: {label}"
        if not isinstance(entry, Mapping):
            problems.append(f"{prefix}: must be a mapping, got {_fmt(entry)}")
            continue
        try:
            bot = Bot.model_validate(dict(entry), context=context)
        except ValidationError as exc:
            problems.extend(_messages(prefix, exc, _BOT_KEYS))
            continue
        if bot.bot_id in first_at:
            problems.append(
                f"{prefix}.bot_id: duplicate bot id, already defined at bots[{first_at[bot.bot_id]}]"
            )
            continue
        first_at[bot.bot_id] = i
        if cards is not None:
            problems.extend(_card_problems(prefix, bot, cards))
        bots.append(bot)
    if problems:
        raise BotConfigError(problems)
    return BotsConfig(bots=tuple(bots), allow_live=allow_live)


def _card_problems(prefix: str, bot: Bot, cards: CardValidator) -> list[str]:
    from hive_risk_gate.cards.base import CardParameterError, UnknownCardError

    try:
        cards.validate(bot.strategy_card, bot.strategy_parameters)
    except UnknownCardError as exc:
        return [f"{prefix}.strategy_card: {exc}"]
    except CardParameterError as exc:
        where = f".{exc.parameter}" if exc.parameter else ""
        return [f"{prefix}.strategy_parameters{where}: {exc.problem}"]
    return []


def load_bots(
    path: str | Path,
    *,
    catalogue: InstrumentCatalogue | None = None,
    cards: CardValidator | None = None,
) -> BotsConfig:
    """Read and validate a bots YAML file; cards default to the built-in ones."""
    p = Path(path)
    name = p.name
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise BotConfigError([f"{name}: cannot read the file: {exc.strerror or exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BotConfigError([f"{name}: not valid YAML: {exc}"]) from exc
    if cards is None:
        from hive_risk_gate.cards.loader import CardLoader

        cards = CardLoader()
    config = parse_bots(data, name=name, catalogue=catalogue, cards=cards)
    return BotsConfig(bots=config.bots, allow_live=config.allow_live, path=p)


# ---- registry.bots records -----------------------------------------------------------------
def to_record(
    bot: Bot,
    *,
    ts_event: int,
    ts_init: int | None = None,
    updated_by: str | None = None,
    deleted: bool = False,
) -> dict[str, Any]:
    """The `registry.bots` record (BotDefinition) of a bot."""
    return {
        "event_id": f"{bot.bot_id}:{bot.config_version}",
        "ts_event": int(ts_event),
        "ts_init": int(ts_event if ts_init is None else ts_init),
        "bot_id": bot.bot_id,
        "cell_id": bot.cell_id,
        "display_name": bot.display_name,
        "config_version": bot.config_version,
        "account_size": float(bot.account_size),
        "account_currency": bot.account_currency,
        "rule_set": bot.rule_set,
        "rule_overrides": dict(bot.rule_overrides),
        "day_boundary_tz": bot.day_boundary_tz,
        "sources": [{"source": s.source, "weight": float(s.weight)} for s in bot.sources],
        "strategy_card": bot.strategy_card,
        "strategy_parameters": dict(bot.strategy_parameters),
        "risk_per_trade": bot.risk_fraction,
        "mode": bot.mode,
        "venue": bot.venue,
        "allowed_symbols": list(bot.allowed_symbols),
        "status": bot.status,
        "status_reason": bot.status_reason,
        "deleted": deleted,
        "updated_by": updated_by,
    }


def from_record(record: Mapping[str, Any], *, catalogue: InstrumentCatalogue | None = None) -> Bot:
    """The bot a `registry.bots` record defines (raises `BotConfigError` when it is invalid).

    Readers' rules from the schema: mode UNKNOWN is PAPER, status UNKNOWN is PAUSED. A LIVE
    record is accepted (the registry is authoritative; `allow_live` guards the local file only).
    """
    bot_id = record.get("bot_id")
    prefix = f"registry.bots: {bot_id!r}" if bot_id else "registry.bots"
    mode = record.get("mode") or "PAPER"
    status = record.get("status") or "ACTIVE"
    risk = record.get("risk_per_trade")
    data = {
        "bot_id": bot_id,
        "cell": record.get("cell_id"),
        "display_name": record.get("display_name"),
        "account_size": record.get("account_size"),
        "account_currency": record.get("account_currency"),
        "rule_set": record.get("rule_set"),
        "rule_overrides": record.get("rule_overrides") or {},
        "day_boundary_tz": record.get("day_boundary_tz") or DEFAULT_DAY_BOUNDARY_TZ,
        "sources": list(record.get("sources") or []),
        "strategy_card": record.get("strategy_card"),
        "strategy_parameters": record.get("strategy_parameters") or {},
        "risk_per_trade": _round(risk * 100.0) if isinstance(risk, int | float) else risk,
        "mode": "PAPER" if mode == "UNKNOWN" else mode,
        "venue": record.get("venue") or "paper",
        "allowed_symbols": list(record.get("allowed_symbols") or []),
        "status": "PAUSED" if status == "UNKNOWN" else status,
        "status_reason": record.get("status_reason"),
        "config_version": record.get("config_version"),
    }
    try:
        return Bot.model_validate(
            data, context={"allow_live": True, "catalogue": catalogue or load_instruments()}
        )
    except ValidationError as exc:
        raise BotConfigError(_messages(prefix, exc, _BOT_KEYS)) from None


class BotRegistry:
    """The current bots: the latest `registry.bots` record per bot_id (a compacted topic's view).

    `apply` takes records in topic order; a record with `deleted: true`, or a tombstone (value
    None, with its key), removes the bot.
    """

    def __init__(self, bots: Iterable[Bot] = ()) -> None:
        self._bots: dict[str, Bot] = {}
        for bot in bots:
            self._bots[bot.bot_id] = bot

    def apply(
        self,
        record: Mapping[str, Any] | None,
        key: str | None = None,
        *,
        catalogue: InstrumentCatalogue | None = None,
    ) -> Bot | None:
        """Apply one record; returns the bot now defined, None when it was removed.

        Raises `BotConfigError` for an invalid record (the registry keeps the previous one).
        """
        if record is None:
            if key is not None:
                self._bots.pop(key, None)
            return None
        if record.get("deleted"):
            self._bots.pop(str(record.get("bot_id") or key), None)
            return None
        bot = from_record(record, catalogue=catalogue)
        self._bots[bot.bot_id] = bot
        return bot

    def put(self, bot: Bot) -> None:
        self._bots[bot.bot_id] = bot

    def remove(self, bot_id: str) -> None:
        self._bots.pop(bot_id, None)

    def get(self, bot_id: str) -> Bot | None:
        return self._bots.get(bot_id)

    def __contains__(self, bot_id: object) -> bool:
        return bot_id in self._bots

    def __len__(self) -> int:
        return len(self._bots)

    def bots(self) -> list[Bot]:
        """Every bot, sorted by bot_id."""
        return [self._bots[k] for k in sorted(self._bots)]

    def followers(self, source: str) -> list[Bot]:
        """The bots that follow `source`, sorted by bot_id (paused and locked ones included:
        they get a decision too, denied by the policies with the reason)."""
        return [b for b in self.bots() if b.follows(source)]

    def cells(self) -> dict[str, list[Bot]]:
        """cell_id -> its bots (sorted)."""
        out: dict[str, list[Bot]] = {}
        for bot in self.bots():
            out.setdefault(bot.cell_id, []).append(bot)
        return dict(sorted(out.items()))
