"""Telegram Desktop chat export (`result.json`) to raw records.

An export holds each message's final text only. An edited message is therefore published as
revision 1 at its edit time: publishing the final text at the original post time would let a
backtest see edits (a stop added later, "TP hit" appended) before they were made.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hive.intake.records import IntakeError, parse_time, raw_record


def flatten_text(text: Any) -> str:
    """`text` is a string or a list of strings and entity objects ({"type", "text"})."""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        parts = []
        for part in text:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                raise ValueError(f"text part is neither a string nor an entity: {part!r}")
        return "".join(parts)
    raise ValueError(f"text is neither a string nor a list: {type(text).__name__}")


def _time(msg: dict[str, Any], unix_key: str, iso_key: str, tz: dt.tzinfo) -> int | None:
    if msg.get(unix_key) is not None:
        return int(msg[unix_key]) * 1000
    if msg.get(iso_key) is not None:
        # Exports write local time without a zone in `date`; the caller says which zone.
        return parse_time(str(msg[iso_key]), tz)
    return None


def read_telegram_export(path: Path, source: str, tz: dt.tzinfo = dt.UTC) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise IntakeError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise IntakeError(
            f"{path}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise IntakeError(f"{path}: not a Telegram chat export (no 'messages' list at the top)")
    records = []
    for index, msg in enumerate(doc["messages"]):
        where = f"{path}: message #{index}"
        if not isinstance(msg, dict):
            raise IntakeError(f"{where}: not an object")
        if msg.get("type", "message") != "message":
            continue  # service messages (joins, pins) carry no signal
        try:
            if "id" not in msg:
                raise ValueError("no 'id'")
            where = f"{path}: message id {msg['id']}"
            posted = _time(msg, "date_unixtime", "date", tz)
            if posted is None:
                raise ValueError("no 'date' or 'date_unixtime'")
            edited = _time(msg, "edited_unixtime", "edited", tz)
            text = flatten_text(msg.get("text", ""))
        except ValueError as exc:
            raise IntakeError(f"{where}: {exc}") from None
        if not text.strip():
            continue  # photos/stickers without a caption
        reply = msg.get("reply_to_message_id")
        author = msg.get("from")
        records.append(
            raw_record(
                source=source,
                channel_kind="TELEGRAM",
                message_id=str(msg["id"]),
                text=text,
                posted_at_ms=posted,
                revision=1 if edited is not None else 0,
                edited_at_ms=edited,
                reply_to=str(reply) if reply is not None else None,
                author=str(author) if author is not None else None,
            )
        )
    return records
