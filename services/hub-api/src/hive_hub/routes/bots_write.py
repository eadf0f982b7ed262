"""Register, update and remove bots: validated by the bot contract as the bots file is (hive.bots),
then published on registry.bots with the next config_version, audited on the hub's chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from hive.bots import ID_PATTERN, Bot, BotConfigError, from_record, parse_bots, to_record
from hive.topics import REGISTRY_BOTS
from hive_hub.deps import AUTH_RESPONSES, Admin, HubDep, SessionDep
from hive_hub.models import BotRow
from hive_hub.outbox import AuditEntry, Out
from hive_hub.routes.bot_body import BotIn, NewBotIn, UpdateBotIn

router = APIRouter(prefix="/v1", tags=["bots"])

BotId = Annotated[str, Path(pattern=ID_PATTERN, max_length=128)]


class DeleteBotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class Published(BaseModel):
    bot_id: str
    config_version: int
    event_id: str
    audit_event_id: str | None


ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {"description": "No such bot"},
    409: {"description": "Version conflict or the bot exists already"},
    422: {"description": "Invalid definition (every problem listed)"},
    503: {"description": "Kafka did not take the record; nothing was published"},
}


def _validate(bot_id: str, body: BotIn, version: int) -> Bot:
    from hive_risk_gate.cards.loader import CardLoader  # the cards' owner checks them

    entry = body.model_dump(exclude={"expected_version"}, exclude_none=True)
    entry["sources"] = [s for s in entry["sources"]]
    entry.update(bot_id=bot_id, config_version=version)
    try:
        config = parse_bots({"bots": [entry]}, name="bot", cards=CardLoader())
    except BotConfigError as exc:
        problems = [p.removeprefix(f"bot: bots[0] ({bot_id})").lstrip(".: ") for p in exc.problems]
        raise HTTPException(
            422, {"message": "invalid bot definition", "problems": problems}
        ) from None
    return config.bots[0]


async def _current_version(hub: HubDep, s: SessionDep, bot_id: str) -> tuple[BotRow | None, int]:
    row = await s.get(BotRow, bot_id)
    stored = row.config_version if row is not None else 0
    return row, max(stored, hub.published_versions.get(bot_id, 0))


async def _publish(
    hub: HubDep,
    who: Any,
    bot: Bot,
    action: str,
    *,
    deleted: bool = False,
    reason: str | None = None,
) -> Published:
    now = hub.clock()
    record = to_record(bot, ts_event=now, updated_by=who.name, deleted=deleted)
    details: dict[str, Any] = {"config_version": bot.config_version, "event_id": record["event_id"]}
    if reason:
        details["reason"] = reason
    event = await hub.emit(
        [Out(REGISTRY_BOTS, bot.bot_id, record)],
        AuditEntry(
            ts=now,
            actor=who.name,
            role=who.record_role,
            action=action,
            scope_level="BOT",
            scope_id=bot.bot_id,
            details=details,
            cause_event_id=record["event_id"],
        ),
    )
    hub.published_versions[bot.bot_id] = bot.config_version
    return Published(
        bot_id=bot.bot_id,
        config_version=bot.config_version,
        event_id=record["event_id"],
        audit_event_id=event["event_id"] if event else None,
    )


@router.post("/bots", status_code=202, responses=ERRORS, summary="Register a bot (admin)")
async def register_bot(hub: HubDep, s: SessionDep, who: Admin, body: NewBotIn) -> Published:
    row, version = await _current_version(hub, s, body.bot_id)
    if version and (row is None or not row.deleted):
        raise HTTPException(409, f"bot {body.bot_id!r} exists (config_version {version}); use PUT")
    bot = _validate(body.bot_id, body, version + 1)
    return await _publish(hub, who, bot, "BOT_REGISTERED")


@router.put("/bots/{bot_id}", status_code=202, responses=ERRORS, summary="Update a bot (admin)")
async def update_bot(
    hub: HubDep, s: SessionDep, who: Admin, bot_id: BotId, body: UpdateBotIn
) -> Published:
    row, version = await _current_version(hub, s, bot_id)
    if row is None and not version:
        raise HTTPException(404, f"no bot {bot_id!r}")
    if body.expected_version is not None and body.expected_version != version:
        raise HTTPException(
            409, f"bot {bot_id!r} is at config_version {version}, not {body.expected_version}"
        )
    bot = _validate(bot_id, body, version + 1)
    return await _publish(hub, who, bot, "BOT_UPDATED")


@router.delete("/bots/{bot_id}", status_code=202, responses=ERRORS, summary="Remove a bot (admin)")
async def delete_bot(
    hub: HubDep, s: SessionDep, who: Admin, bot_id: BotId, body: Annotated[DeleteBotIn, Body()]
) -> Published:
    row, version = await _current_version(hub, s, bot_id)
    if row is None or row.deleted:
        raise HTTPException(404, f"no bot {bot_id!r}")
    try:
        bot = from_record({**row.definition, "config_version": version + 1})
    except BotConfigError as exc:
        raise HTTPException(409, f"the stored definition is not valid: {exc}") from None
    return await _publish(hub, who, bot, "BOT_DELETED", deleted=True, reason=body.reason)
