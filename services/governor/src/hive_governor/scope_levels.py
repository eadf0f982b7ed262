"""The scopes a breaker, a hold or a command applies to: one bot, one cell, or the whole hive."""

from __future__ import annotations

from typing import Final, Literal

ScopeLevel = Literal["BOT", "CELL", "GLOBAL"]
SCOPE_LEVELS: Final[tuple[ScopeLevel, ...]] = ("BOT", "CELL", "GLOBAL")
GLOBAL_ID: Final = "global"  # the scope_id of the GLOBAL scope
