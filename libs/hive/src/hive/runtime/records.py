"""What a handler receives and returns, and the two ways it can refuse a record."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InboundRecord:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: dict[str, Any]
    headers: Mapping[str, bytes] = field(default_factory=dict)
    tombstone: bool = False  # a null value on a compacted topic: `key` was deleted


@dataclass(frozen=True)
class OutboundRecord:
    topic: str
    value: Mapping[str, Any]
    key: str | None = None
    headers: Mapping[str, str | bytes] = field(default_factory=dict)


class RejectRecord(Exception):  # noqa: N818 - it is a verdict, not an error of the service
    """The input is bad for a reason the handler can name: it goes to the dead-letter topic."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class TransientError(Exception):
    """A dependency is briefly unavailable: the loop retries the record with backoff."""


Handler = Callable[[InboundRecord], Iterable[OutboundRecord]]


def key_text(key: bytes | str | None) -> str | None:
    """Kafka keys are UTF-8 strings in the hive (schemas/README.md)."""
    if key is None:
        return None
    return key.decode("utf-8", errors="replace") if isinstance(key, bytes) else key
