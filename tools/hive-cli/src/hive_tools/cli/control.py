"""`hive control …`: operator commands on control.commands (the governor applies and audits
them; the executor flattens, the risk gate swaps cards)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import typer

from hive.config import KafkaSettings, load_settings
from hive.topics import CONTROL_COMMANDS

control_app = typer.Typer(
    help="Halt, resume, flatten, pause, lock, unlock, kill switch, breaker reset, parameter "
    "changes and rollbacks, per bot, per cell or globally. Every command needs an actor and a "
    "reason; the governor audits it, and refuses (and audits) what the role may not do."
)

ROLES = ("viewer", "operator", "admin")

Bot = Annotated[str | None, typer.Option("--bot", help="Scope: one bot (bot_id).")]
Cell = Annotated[str | None, typer.Option("--cell", help="Scope: every bot of a cell.")]
Global = Annotated[bool, typer.Option("--global", help="Scope: the whole hive.")]
Actor = Annotated[str, typer.Option(help="Who gives the command (audited).")]
Reason = Annotated[str, typer.Option(help="Why (required, audited).")]
Role = Annotated[str, typer.Option(help="Role the actor acts in: viewer, operator or admin.")]
At = Annotated[
    str | None,
    typer.Option(help="Event time of the command (ISO-8601 or epoch ms); default: now."),
]


def _scope(bot: str | None, cell: str | None, everywhere: bool) -> tuple[str, str]:
    given = [
        s
        for s in (
            bot and ("BOT", bot),
            cell and ("CELL", cell),
            everywhere and ("GLOBAL", "global"),
        )
        if s
    ]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --bot, --cell or --global")
    level, scope_id = given[0]
    return str(level), str(scope_id)


def send(
    command: str,
    scope: tuple[str, str],
    *,
    actor: str,
    role: str,
    reason: str,
    at: str | None = None,
    parameters: dict[str, str] | None = None,
) -> str:
    """Validate and publish one command; returns its command_id."""
    from hive.intake.records import parse_time
    from hive_tools.publish import publish_records

    if role.lower() not in ROLES:
        raise typer.BadParameter(f"one of {', '.join(ROLES)}, got {role!r}", param_hint="--role")
    if not actor.strip():
        raise typer.BadParameter("an actor is required", param_hint="--actor")
    if not reason.strip():
        raise typer.BadParameter("a reason is required", param_hint="--reason")
    try:
        ts = parse_time(at) if at else int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from None
    command_id = str(uuid.uuid4())
    level, scope_id = scope
    record = {
        "event_id": command_id,
        "ts_event": ts,
        "ts_init": ts,
        "command_id": command_id,
        "command": command,
        "scope_level": level,
        "scope_id": scope_id,
        "actor": actor,
        "role": role.upper(),
        "reason": reason,
        "parameters": parameters or {},
        "origin": "cli",
        "cause_event_id": None,
    }
    s = load_settings(KafkaSettings)
    publish_records(
        [record],
        CONTROL_COMMANDS,
        lambda r: f"{r['scope_level']}:{r['scope_id']}",
        s.kafka_bootstrap,
        s.schema_registry_url,
    )
    typer.echo(f"{command} {level}:{scope_id} sent (command {command_id})")
    return command_id


def _simple(name: str, command: str, doc: str) -> None:
    def run(
        actor: Actor,
        reason: Reason,
        bot: Bot = None,
        cell: Cell = None,
        everywhere: Global = False,
        role: Role = "operator",
        at: At = None,
    ) -> None:
        send(command, _scope(bot, cell, everywhere), actor=actor, role=role, reason=reason, at=at)

    run.__doc__ = doc
    control_app.command(name)(run)


_simple("halt", "HALT", "No new positions in the scope; exits and reductions still go through.")
_simple("resume", "RESUME", "Lift a halt or pause (a max-loss halt needs --role admin).")
_simple("flatten", "FLATTEN", "Close every position and cancel every pending order in the scope.")
_simple("pause", "PAUSE", "Pause a bot: no new positions until resumed.")
_simple("lock", "LOCK", "Lock a bot: no new positions until an admin unlocks it.")
_simple("unlock", "UNLOCK", "Unlock a locked bot (--role admin and a reason).")
_simple("reset-breaker", "RESET_BREAKER", "Close the scope's breaker now.")


@control_app.command("kill-switch")
def kill_switch(actor: Actor, reason: Reason, role: Role = "operator", at: At = None) -> None:
    """Global halt and flatten: every position closed, nothing new anywhere until resumed."""
    send("KILL_SWITCH", ("GLOBAL", "global"), actor=actor, role=role, reason=reason, at=at)


@control_app.command("set-parameter")
def set_parameter(
    name: Annotated[str, typer.Argument(help="Parameter, e.g. risk_per_trade")],
    value: Annotated[str, typer.Argument(help="New value")],
    actor: Actor,
    reason: Reason,
    bot: Bot = None,
    cell: Cell = None,
    everywhere: Global = False,
    role: Role = "operator",
    at: At = None,
) -> None:
    """Propose a change through the governor's change guard (within the constitution, at most
    3 a day across the hive; max_drawdown and the constitution can never be changed; the
    value in force is published on control.parameters and used from the next decision on)."""
    scope = _scope(bot, cell, everywhere)
    params = {"name": name, "value": value}
    send("SET_PARAMETER", scope, actor=actor, role=role, reason=reason, at=at, parameters=params)


@control_app.command("rollback")
def rollback(
    change_id: Annotated[str, typer.Argument(help="The change's id (its command id)")],
    actor: Actor,
    reason: Reason,
    bot: Bot = None,
    cell: Cell = None,
    everywhere: Global = False,
    role: Role = "operator",
    at: At = None,
) -> None:
    """Undo a change accepted by the change guard."""
    scope = _scope(bot, cell, everywhere)
    params = {"change_id": change_id}
    send("ROLLBACK_CHANGE", scope, actor=actor, role=role, reason=reason, at=at, parameters=params)
