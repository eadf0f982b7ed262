"""`registry.bots` records (Avro BotDefinition) to and from the contract's `Bot`.

The record carries every field of `Bot` under the same name (the schema test checks it), so
the conversion is by name, with three exceptions: risk_per_trade is a fraction on the record
and a percent on `Bot` (the edge where units change); a null or empty value from an older
writer takes the contract's default; and the readers' rules from the schema apply (mode
UNKNOWN is PAPER, status UNKNOWN is PAUSED).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from hive.bots.messages import BotConfigError, problems_of, show_value
from hive.bots.model import BOT_FILE_KEYS, SOURCE_KEYS, Bot
from hive.bots.percent import fraction_to_percent
from hive.instruments import InstrumentCatalogue, load_instruments

TOPIC_LABEL = "registry.bots"  # how problems with a record start

# Fields of the record that are not the bot's own: the envelope and the registry's bookkeeping.
# Every other field of the record is a field of `Bot` with the same name, copied as it is, so
# a field added to `Bot` and to the schema needs no change here. The exceptions are below.
RECORD_ONLY_FIELDS: Final = ("event_id", "ts_event", "ts_init", "deleted", "updated_by")
# Readers' rules from the schema: a symbol from a newer writer.
_UNKNOWN_SYMBOL: Final = {"mode": "PAPER", "status": "PAUSED"}
_ABSENT: Final = object()  # a record value the contract does not take: its default applies


def _record_value(value: Any) -> Any:
    """A contract value as Avro takes it: sequences as lists, nested models as mappings."""
    if isinstance(value, tuple | list):
        return [_record_value(v) for v in value]
    if isinstance(value, BaseModel):
        return {name: _record_value(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return dict(value)
    return value


def to_record(
    bot: Bot,
    *,
    ts_event: int,
    ts_init: int | None = None,
    updated_by: str | None = None,
    deleted: bool = False,
) -> dict[str, Any]:
    """The `registry.bots` record (BotDefinition) of a bot."""
    own = {name: _record_value(getattr(bot, name)) for name in Bot.model_fields}
    own["risk_per_trade"] = bot.risk_fraction  # the one unit change: percent -> fraction
    return {
        "event_id": f"{bot.bot_id}:{bot.config_version}",
        "ts_event": int(ts_event),
        "ts_init": int(ts_event if ts_init is None else ts_init),
        **own,
        "deleted": deleted,
        "updated_by": updated_by,
    }


def _contract_value(name: str, value: Any, default: Any) -> Any:
    """A record value as the contract reads it; `_ABSENT` lets the contract's default apply."""
    if value is None and default is not PydanticUndefined:
        return _ABSENT  # null from an older writer: the default (the schema's as well)
    if value == "" and isinstance(default, str) and default:
        return _ABSENT  # an empty name where the contract has one (time zone, venue)
    if name in _UNKNOWN_SYMBOL and value == "UNKNOWN":
        return _UNKNOWN_SYMBOL[name]
    if name == "risk_per_trade" and isinstance(value, int | float):
        return fraction_to_percent(value)
    if isinstance(value, list | tuple):
        return list(value)
    return value


def from_record(record: Mapping[str, Any], *, catalogue: InstrumentCatalogue | None = None) -> Bot:
    """The bot a `registry.bots` record defines (raises `BotConfigError` when it is invalid).

    A LIVE record is accepted (the registry is authoritative; `allow_live` guards the local file
    only).
    """
    bot_id = record.get("bot_id")
    prefix = f"{TOPIC_LABEL}: {bot_id!r}" if bot_id else TOPIC_LABEL
    data: dict[str, Any] = {}
    for name, field in Bot.model_fields.items():
        default = (
            PydanticUndefined
            if field.is_required()
            else field.get_default(call_default_factory=True)
        )
        value = _contract_value(name, record.get(name), default)
        if value is not _ABSENT:
            data[field.alias or name] = value
    try:
        return Bot.model_validate(
            data, context={"allow_live": True, "catalogue": catalogue or load_instruments()}
        )
    except ValidationError as exc:
        raise BotConfigError(problems_of(prefix, exc, BOT_FILE_KEYS, SOURCE_KEYS)) from None


@dataclass(frozen=True)
class BotRecord:
    """A `registry.bots` record as a consumer reads it: the bot, and the record's own fields."""

    bot: Bot
    event_id: str | None
    ts_event: int
    deleted: bool


def read_record(record: Any, *, catalogue: InstrumentCatalogue | None = None) -> BotRecord:
    """Read a (non-tombstone) `registry.bots` record; `BotConfigError` says why it is refused.

    A deleted record is checked as fully as any other (the hub publishes the bot's last
    definition with `deleted: true`).
    """
    if not isinstance(record, Mapping):
        raise BotConfigError([f"{TOPIC_LABEL}: must be a mapping, got {show_value(record)}"])
    bot = from_record(record, catalogue=catalogue)
    prefix = f"{TOPIC_LABEL}: {bot.bot_id!r}"
    problems: list[str] = []
    ts_event = record.get("ts_event")
    if isinstance(ts_event, bool) or not isinstance(ts_event, int):
        got = show_value(ts_event)
        problems.append(f"{prefix}.ts_event: must be a whole number (epoch ms), got {got}")
        ts_event = 0
    deleted = record.get("deleted", False)
    if not isinstance(deleted, bool):
        problems.append(f"{prefix}.deleted: must be true or false, got {show_value(deleted)}")
    event_id = record.get("event_id")
    if event_id is not None and not isinstance(event_id, str):
        problems.append(f"{prefix}.event_id: must be a string, got {show_value(event_id)}")
    if problems:
        raise BotConfigError(problems)
    return BotRecord(bot=bot, event_id=event_id, ts_event=ts_event, deleted=deleted)
