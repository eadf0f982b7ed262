"""The `signals.raw` record every intake path builds, with its deterministic id and key."""

from __future__ import annotations

import datetime as dt
from typing import Any


class IntakeError(ValueError):
    """A file cannot be read; the message says where (line or message id) and what is wrong."""


def to_millis(value: dt.datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("naive datetime: a timezone is required")
    return int(value.timestamp() * 1000)


def raw_record(
    *,
    source: str,
    channel_kind: str,
    message_id: str,
    text: str,
    posted_at_ms: int,
    revision: int = 0,
    edited_at_ms: int | None = None,
    reply_to: str | None = None,
    author: str | None = None,
    content_type: str = "TEXT",
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A signals.raw value. Event time is the message's own time (the edit's, for an edit)."""
    ts_event = edited_at_ms if edited_at_ms is not None else posted_at_ms
    return {
        "event_id": f"{source}:{message_id}:r{revision}",
        "ts_event": ts_event,
        "ts_init": ts_event,
        "source": source,
        "channel_kind": channel_kind,
        "message_id": message_id,
        "revision": revision,
        "posted_at": posted_at_ms,
        "edited_at": edited_at_ms,
        "reply_to_message_id": reply_to,
        "author": author,
        "content_type": content_type,
        "text": text,
        "attributes": attributes or {},
    }


def parse_time(text: str, default_tz: dt.tzinfo = dt.UTC) -> int:
    """ISO-8601 (with or without zone; none means `default_tz`) or epoch milliseconds."""
    s = text.strip()
    if s.isdigit():
        return int(s)
    try:
        value = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO-8601 time or epoch milliseconds: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return to_millis(value)
