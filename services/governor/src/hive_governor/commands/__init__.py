"""Commands on `control.commands`: who may give which (rules.py), what each does to the scopes
(handler.py), parameter changes through the change guard (changes.py)."""

from hive_governor.commands.changes import ChangeCommands
from hive_governor.commands.handler import CommandHandler
from hive_governor.commands.rules import (
    ADMIN_ONLY,
    BOT_ONLY,
    IGNORED,
    PEOPLE,
    ROLES_FOR,
    SAFER,
    Refusal,
    is_ignored,
    refusal,
    scope_of,
    system_command,
)

__all__ = [
    "ADMIN_ONLY",
    "BOT_ONLY",
    "IGNORED",
    "PEOPLE",
    "ROLES_FOR",
    "SAFER",
    "ChangeCommands",
    "CommandHandler",
    "Refusal",
    "is_ignored",
    "refusal",
    "scope_of",
    "system_command",
]
