"""Who acts on the governor: the roles a command's actor may have, and the governor itself."""

from __future__ import annotations

from typing import Final

ROLES: Final = ("VIEWER", "OPERATOR", "ADMIN", "SYSTEM")

GOVERNOR: Final = "governor"  # actor, origin and audit chain id of the governor itself
