"""What the learner publishes: release records (learner.models) and its proposals of them to the
governor (control.commands), in the order they are to be produced."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Output:
    topic: str
    key: str
    value: dict[str, Any]
