"""What the engine hands back: records to publish, with their topic and key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Output:
    """One record for `topic`, keyed by `key` (the bot_id for all three executor topics)."""

    topic: str
    key: str
    value: dict[str, Any]
