"""Register, update and remove bots: validated as the bots file is (hive_risk_gate.bots), then
published on registry.bots with the next config_version, audited on the hub's chain."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from hive.topics import REGISTRY_BOTS
from hive_hub.deps import AUTH_RESPONSES, Admin, HubDep, SessionDep
from hive_hub.models import BotRow
from hive_hub.outbox import AuditEntry, Out

router = APIRouter(prefix="/v1", tags=["bots"])

BotId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=128)]


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=128)
    weight: float = Field(1.0, gt=0, le=1000)


class BotIn(BaseModel):
    """A bot as in the bots file (bots.example.yaml): risk_per_trade in percent (1 = 1 %).
    LIVE mode is not accepted through the API: real money is never switched on by a request."""

    model_config = ConfigDict(extra="forbid")

    cell: str = Field(min_length=1, max_length=128)
    display_name: str | None = Field(None, max_length=300)
    account_size: float = Field(gt=0, le=1e12)
    account_currency: str = "USD"
    rule_set: str = "ftmo_2step"
    rule_overrides: dict[str, str] = Field(default_factory=dict)
    day_boundary_tz: str = "Europe/Prague"
    sources: list[SourceIn] = Field(min_length=1, max_length=100)
    strategy_card: str = Field(min_length=1, max_length=128)
    strategy_parameters: dict[str, Any] = Field(default_factory=dict)
    risk_per_trade: float = Field(gt=0, le=5)
    mode: Literal["paper"] = "paper"
    venue: str = Field("paper", min_length=1, max_length=64)
    allowed_symbols: list[str] = Field(default_factory=list, max_length=500)
    status: Literal["active", "paused", "locked"] = "active"
    status_reason: str | None = Field(None, max_length=1000)


class NewBotIn(BotIn):
    bot_id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=128)


class UpdateBotIn(BotIn):
    expected_version: int | None = Field(
        None, ge=1, description="Refuse (409) unless this is the bot's current config_version."
    )


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


def _validate(bot_id: str, body: BotIn, version: int) -> Any:
    from hive_risk_gate.bots import BotConfigError, parse_bots
    from hive_risk_gate.cards.loader import CardLoader

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
    bot: Any,
    action: str,
    *,
    deleted: bool = False,
    reason: str | None = None,
) -> Published:
    from hive_risk_gate.bots import to_record

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
    from hive_risk_gate.bots import BotConfigError, from_record

    row, version = await _current_version(hub, s, bot_id)
    if row is None or row.deleted:
        raise HTTPException(404, f"no bot {bot_id!r}")
    try:
        bot = from_record({**row.definition, "config_version": version + 1})
    except BotConfigError as exc:
        raise HTTPException(409, f"the stored definition is not valid: {exc}") from None
    return await _publish(hub, who, bot, "BOT_DELETED", deleted=True, reason=body.reason)
