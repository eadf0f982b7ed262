"""The fields of a signals.raw record the parser reads, checked and defaulted once.

Timestamps arrive as epoch ms or as datetimes (playback, tests); a message id may be an int; a
record without a source, message id or time is refused with the reason `invalid_record`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from hive_signal_parser.linking import to_millis
from hive_signal_parser.validate import Rejection

CONTENT_TYPES = frozenset({"TEXT", "JSON"})
MIN_MS, MAX_MS = -62_135_596_800_000, 253_402_300_799_999  # 0001-01-01 .. 9999-12-31 UTC


class Meta(NamedTuple):
    source: str
    message_id: str
    revision: int
    posted: int
    ts_event: int
    reply_to: str | None
    text: str
    content_type: str


def read_meta(raw: Mapping[str, Any]) -> Meta | Rejection:
    get = raw.get
    source = get("source")
    message_id = get("message_id")
    if type(source) is not str or not source:
        return Rejection("invalid_record", "the record has no source")
    if type(message_id) is not str:
        if type(message_id) is not int:
            return Rejection("invalid_record", "the record has no message_id")
        message_id = str(message_id)
    elif not message_id:
        return Rejection("invalid_record", "the record has no message_id")
    posted = get("posted_at")
    if type(posted) is not int:
        posted = to_millis(posted)
        if posted is None:
            posted = to_millis(get("ts_event"))
            if posted is None:
                return Rejection("invalid_record", "the record has no posted_at time")
    edited = get("edited_at")
    if edited is not None and type(edited) is not int:
        edited = to_millis(edited)
    for name, ms in (("posted_at", posted), ("edited_at", edited)):
        # Times a calendar can hold: an expiry computed from one outside (e.g. the largest long)
        # would itself not be a long, and the signal would be refused by its own schema.
        if ms is not None and not MIN_MS <= ms <= MAX_MS:
            return Rejection("invalid_record", f"{name} {ms} is not a date (epoch ms)")
    revision = get("revision", 0)
    if type(revision) is not int or revision < 0:
        revision = 0
    reply = get("reply_to_message_id")
    if reply is not None:
        reply = str(reply) if reply != "" else None
    text = get("text")
    ctype = get("content_type")
    return Meta(
        source,
        message_id,
        revision,
        posted,
        edited if edited is not None else posted,
        reply,
        text if type(text) is str else "",
        ctype if ctype in CONTENT_TYPES else content_type_of(ctype),
    )


def content_type_of(value: object) -> str:
    return value.upper() if isinstance(value, str) else "UNKNOWN"
