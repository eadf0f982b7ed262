"""Who acts on the governor: the governor itself (a command's roles are the schema's Role enum)."""

from __future__ import annotations

from typing import Final

GOVERNOR: Final = "governor"  # actor, origin and audit chain id of the governor itself
