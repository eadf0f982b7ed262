"""`registry.bots` records (Avro BotDefinition) to and from the contract's `Bot`.

The edge where units change: risk_per_trade is a fraction on the record and a percent on `Bot`.
Readers' rules from the schema: mode UNKNOWN is PAPER, status UNKNOWN is PAUSED.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hive.bots.messages import BotConfigError, problems_of, show_value
from hive.bots.model import BOT_FILE_KEYS, DEFAULT_DAY_BOUNDARY_TZ, SOURCE_KEYS, Bot
from hive.bots.percent import fraction_to_percent
from hive.instruments import InstrumentCatalogue, load_instruments

TOPIC_LABEL = "registry.bots"  # how problems with a record start


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

    A LIVE record is accepted (the registry is authoritative; `allow_live` guards the local file
    only).
    """
    bot_id = record.get("bot_id")
    prefix = f"{TOPIC_LABEL}: {bot_id!r}" if bot_id else TOPIC_LABEL
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
        "risk_per_trade": fraction_to_percent(risk) if isinstance(risk, int | float) else risk,
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
