"""Operator commands on control.commands: the governor applies them (and audits its verdict),
the executor flattens, the risk gate stops opening. Who may send which command here mirrors
the governor's table (hive_governor.commands): every command needs an operator, UNLOCK an
admin; PAUSE / LOCK / UNLOCK name a bot; KILL_SWITCH is global.

A client may send its own `command_id` (a UUID): a retry with the same id is answered with the
first result and publishes nothing again."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from hive.topics import CONTROL_COMMANDS
from hive_hub import queries
from hive_hub.auth import Principal
from hive_hub.deps import AUTH_RESPONSES, Hub, HubDep, Operator, Refusal, SessionDep
from hive_hub.outbox import AuditEntry, Out

router = APIRouter(prefix="/v1", tags=["control"])

Command = Literal[
    "HALT", "RESUME", "FLATTEN", "PAUSE", "LOCK", "UNLOCK", "KILL_SWITCH", "RESET_BREAKER"
]
ScopeLevel = Literal["BOT", "CELL", "GLOBAL"]
BOT_ONLY = {"PAUSE", "LOCK", "UNLOCK"}
ADMIN_ONLY = {"UNLOCK"}
ScopeId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]

ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {"description": "No such bot or cell"},
    422: {"description": "Invalid command (scope, reason)"},
    503: {"description": "Kafka did not take the command; nothing was published"},
}


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    command_id: uuid.UUID | None = Field(None, description="Your id for this command (retries)")


class CommandIn(Reason):
    command: Command
    scope_level: ScopeLevel
    scope_id: str = Field("global", min_length=1, max_length=128)


class Issued(BaseModel):
    command_id: str
    command: str
    scope_level: str
    scope_id: str
    audit_event_id: str | None
    duplicate: bool = False


async def issue(
    hub: Hub,
    *,
    s: SessionDep,
    who: Principal,
    command: str,
    level: str,
    scope_id: str,
    body: Reason,
    parameters: dict[str, str] | None = None,
) -> Issued:
    if command in ADMIN_ONLY and not who.may("admin"):
        # Audited as every refusal is (ACCESS_DENIED), with the command it refused.
        raise Refusal(
            403,
            f"{command} needs an admin, {who.name!r} is {who.role}",
            audit={"command": command, "needs": "admin", "reason_given": body.reason[:500]},
            scope=(level, "global" if level == "GLOBAL" else scope_id[:128]),
        )
    if command == "KILL_SWITCH":
        level = "GLOBAL"
    if command in BOT_ONLY and level != "BOT":
        raise HTTPException(422, f"{command} applies to a bot, not to {level}")
    if level == "GLOBAL":
        scope_id = "global"
    elif level == "BOT" and await queries.bot(s, scope_id) is None:
        raise HTTPException(404, f"no bot {scope_id!r}")
    elif level == "CELL" and not await queries.cell_exists(s, scope_id):
        raise HTTPException(404, f"no cell {scope_id!r}")
    command_id = str(body.command_id or uuid.uuid4())
    if body.command_id is not None and await queries.command_seen(s, command_id):
        return Issued(
            command_id=command_id, command=command, scope_level=level, scope_id=scope_id,
            audit_event_id=None, duplicate=True,
        )  # fmt: skip
    now = hub.clock()
    record = {
        "event_id": command_id,
        "ts_event": now,
        "ts_init": now,
        "command_id": command_id,
        "command": command,
        "scope_level": level,
        "scope_id": scope_id,
        "actor": who.name,
        "role": who.record_role,
        "reason": body.reason,
        "parameters": parameters or {},
        "origin": "hub-api",
        "cause_event_id": None,
    }
    event = await hub.emit(
        [Out(CONTROL_COMMANDS, f"{level}:{scope_id}", record)],
        AuditEntry(
            ts=now,
            actor=who.name,
            role=who.record_role,
            action="COMMAND_ISSUED",
            scope_level=level,
            scope_id=scope_id,
            details={"command": command, "command_id": command_id, "reason": body.reason},
            cause_event_id=command_id,
        ),
    )
    return Issued(
        command_id=command_id, command=command, scope_level=level, scope_id=scope_id,
        audit_event_id=event["event_id"] if event else None,
    )  # fmt: skip


@router.post("/control/commands", status_code=202, responses=ERRORS, summary="Any command")
async def command(hub: HubDep, s: SessionDep, who: Operator, body: CommandIn) -> Issued:
    return await issue(
        hub,
        s=s,
        who=who,
        command=body.command,
        level=body.scope_level,
        scope_id=body.scope_id,
        body=body,
    )


def _bot_action(name: str, command: str, doc: str) -> None:
    async def run(
        hub: HubDep, s: SessionDep, who: Operator, bot_id: ScopeId, body: Reason
    ) -> Issued:
        return await issue(
            hub, s=s, who=who, command=command, level="BOT", scope_id=bot_id, body=body
        )

    run.__name__ = f"bot_{name}"
    router.post(f"/bots/{{bot_id}}/{name}", status_code=202, responses=ERRORS, summary=doc)(run)


_bot_action("pause", "PAUSE", "Pause a bot: no new positions until resumed (operator)")
_bot_action("resume", "RESUME", "Resume a paused or halted bot (operator)")
_bot_action("flatten", "FLATTEN", "Close every position of a bot (operator)")
_bot_action("lock", "LOCK", "Lock a bot until an admin unlocks it (operator)")
_bot_action("unlock", "UNLOCK", "Unlock a locked bot (admin)")
_bot_action("halt", "HALT", "Halt a bot: no new positions, exits allowed (operator)")


def _cell_action(name: str, command: str, doc: str) -> None:
    async def run(
        hub: HubDep, s: SessionDep, who: Operator, cell_id: ScopeId, body: Reason
    ) -> Issued:
        return await issue(
            hub, s=s, who=who, command=command, level="CELL", scope_id=cell_id, body=body
        )

    run.__name__ = f"cell_{name}"
    router.post(f"/cells/{{cell_id}}/{name}", status_code=202, responses=ERRORS, summary=doc)(run)


_cell_action("halt", "HALT", "Halt every bot of a cell (operator)")
_cell_action("resume", "RESUME", "Lift a cell's halt (operator)")
_cell_action("flatten", "FLATTEN", "Close every position in a cell (operator)")


@router.post("/control/kill-switch", status_code=202, responses=ERRORS, summary="Kill switch")
async def kill_switch(hub: HubDep, s: SessionDep, who: Operator, body: Reason) -> Issued:
    """Global halt and flatten: every position closed, nothing new anywhere until resumed."""
    return await issue(
        hub, s=s, who=who, command="KILL_SWITCH", level="GLOBAL", scope_id="global", body=body
    )


@router.post("/control/resume", status_code=202, responses=ERRORS, summary="Global resume")
async def resume_global(hub: HubDep, s: SessionDep, who: Operator, body: Reason) -> Issued:
    """Lift a global halt or kill switch."""
    return await issue(
        hub, s=s, who=who, command="RESUME", level="GLOBAL", scope_id="global", body=body
    )


@router.post(
    "/breakers/{scope_level}/{scope_id}/reset",
    status_code=202,
    responses=ERRORS,
    summary="Reset a breaker (operator)",
    tags=["breakers"],
)
async def reset_breaker(
    *,
    hub: HubDep,
    s: SessionDep,
    who: Operator,
    scope_level: ScopeLevel,
    scope_id: ScopeId,
    body: Reason,
) -> Issued:
    return await issue(
        hub, s=s, who=who, command="RESET_BREAKER", level=scope_level, scope_id=scope_id, body=body
    )
