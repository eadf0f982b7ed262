"""Who may give which command on `control.commands`, and where. What each does: handler.py.

Every command needs a non-empty reason. Roles:

| command                              | roles                    | scopes          |
|--------------------------------------|--------------------------|-----------------|
| HALT, FLATTEN                        | OPERATOR, ADMIN, SYSTEM  | BOT, CELL, GLOBAL |
| KILL_SWITCH                          | OPERATOR, ADMIN, SYSTEM  | always GLOBAL   |
| PAUSE, LOCK                          | OPERATOR, ADMIN, SYSTEM  | BOT             |
| RESUME, RESET_BREAKER                | OPERATOR, ADMIN          | BOT, CELL, GLOBAL |
| UNLOCK                               | ADMIN                    | BOT             |
| SET_PARAMETER, ROLLBACK_CHANGE       | OPERATOR, ADMIN, SYSTEM (the learner) | BOT, CELL, GLOBAL |

Commands that make things safer may come from a system; the ones that lift a protection need a
person. RESUME of a hard-limit halt (max loss, drawdown, daily loss) also needs ADMIN (checked
where the halt is known). SWAP_CARD is the risk gate's and is ignored here; the governor's own
commands (origin "governor") coming back are ignored too. A GLOBAL command's scope_id is always
"global" (whatever it said: the level is unambiguous); a KILL_SWITCH is always GLOBAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hive_governor.actors import GOVERNOR
from hive_governor.inputs import Command
from hive_governor.scope_levels import GLOBAL_ID, SCOPE_LEVELS

SAFER: Final = frozenset({"OPERATOR", "ADMIN", "SYSTEM"})
PEOPLE: Final = frozenset({"OPERATOR", "ADMIN"})
ADMIN_ONLY: Final = frozenset({"ADMIN"})

ROLES_FOR: Final[dict[str, frozenset[str]]] = {
    "HALT": SAFER,
    "FLATTEN": SAFER,
    "KILL_SWITCH": SAFER,
    "PAUSE": SAFER,
    "LOCK": SAFER,
    "RESUME": PEOPLE,
    "RESET_BREAKER": PEOPLE,
    "UNLOCK": ADMIN_ONLY,
    "SET_PARAMETER": SAFER,
    "ROLLBACK_CHANGE": SAFER,
}
BOT_ONLY: Final = frozenset({"PAUSE", "LOCK", "UNLOCK"})
IGNORED: Final = frozenset({"SWAP_CARD"})


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def is_ignored(cmd: Command) -> bool:
    """Commands that are not the governor's to act on (no audit, no output)."""
    return cmd.origin == GOVERNOR or cmd.command in IGNORED


def scope_of(cmd: Command) -> tuple[str, str]:
    # A kill switch is global by definition (control_commands.avsc), whatever scope it names;
    # the executor flattens everything on it too.
    if cmd.scope_level == "GLOBAL" or cmd.command == "KILL_SWITCH":
        return "GLOBAL", GLOBAL_ID
    return cmd.scope_level, cmd.scope_id


def refusal(cmd: Command) -> Refusal | None:  # noqa: PLR0911 - one return per rule
    """Why the command may not be applied at all, None if it may."""
    roles = ROLES_FOR.get(cmd.command)
    if roles is None:
        return Refusal("unknown_command", f"unknown command {cmd.command!r}")
    if not cmd.reason.strip():
        return Refusal("reason_required", f"{cmd.command} needs a reason")
    if cmd.role not in roles:
        return Refusal(
            "role_not_allowed",
            f"{cmd.command} needs role {' or '.join(sorted(roles))}, {cmd.actor!r} has {cmd.role}",
        )
    if cmd.command == "KILL_SWITCH":
        return None  # global whatever its scope says: never refused for the scope
    if cmd.scope_level not in SCOPE_LEVELS:
        return Refusal("unknown_scope", f"unknown scope level {cmd.scope_level!r}")
    if cmd.command in BOT_ONLY and cmd.scope_level != "BOT":
        return Refusal("bot_scope_only", f"{cmd.command} applies to a bot, not {cmd.scope_level}")
    if cmd.scope_level != "GLOBAL" and not cmd.scope_id:
        return Refusal("missing_scope_id", f"{cmd.command} at {cmd.scope_level} needs a scope_id")
    return None


def system_command(
    *,
    command: str,
    scope_level: str,
    scope_id: str,
    cause_event_id: str,
    ts: int,
    reason: str,
    parameters: dict[str, str] | None = None,
) -> dict[str, object]:
    """A control.commands record from the governor itself (deterministic id)."""
    command_id = f"{GOVERNOR}:{cause_event_id}:{command}"
    return {
        "event_id": command_id,
        "ts_event": ts,
        "ts_init": ts,
        "command_id": command_id,
        "command": command,
        "scope_level": scope_level,
        "scope_id": scope_id,
        "actor": GOVERNOR,
        "role": "SYSTEM",
        "reason": reason,
        "parameters": dict(parameters or {}),
        "origin": GOVERNOR,
        "cause_event_id": cause_event_id,
    }
