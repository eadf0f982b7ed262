"""Plain text (one message per blank-line separated block) and JSON lines to raw records.

Text blocks may start with a header line giving time, id and reply:
    @ 2017-03-01T08:15:00Z id=42 reply=40
Blocks without a time get `start + n * interval`; without an id, their block number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hive.intake.records import IntakeError, parse_time, raw_record

_HEADER = re.compile(r"^@\s*(?P<time>\S+)(?P<rest>(?:\s+\w+=\S+)*)\s*$")


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks as (number of their first line, their lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line.rstrip())
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _header(where: str, line: str) -> tuple[int, dict[str, str]] | None:
    """`@ <time> id=.. reply=..` -> (time, fields), or None when the line is message text."""
    match = _HEADER.match(line)
    if not match:
        return None
    try:
        posted = parse_time(match["time"])
    except ValueError as exc:
        raise IntakeError(f"{where}: {exc}") from None
    fields = dict(pair.partition("=")[::2] for pair in match["rest"].split())
    unknown = set(fields) - {"id", "reply"}
    if unknown:
        raise IntakeError(f"{where}: unknown header field(s) {sorted(unknown)} (id, reply)")
    return posted, fields


def read_text_blocks(
    path: Path,
    source: str,
    start_ms: int | None = None,
    interval_ms: int = 3_600_000,
) -> list[dict[str, Any]]:
    records = []
    for index, (line_no, block) in enumerate(_blocks(_read_lines(path))):
        where = f"{path}: line {line_no}"
        header = _header(where, block[0])
        posted, fields = header if header else (None, {})
        text = block[1:] if header else block
        if posted is None:
            if start_ms is None:
                raise IntakeError(f"{where}: the block has no '@ <time>' header; give --start")
            posted = start_ms + index * interval_ms
        if not text:
            raise IntakeError(f"{where}: header without a message")
        records.append(
            raw_record(
                source=source,
                channel_kind="TEXT",
                message_id=fields.get("id", str(index + 1)),
                text="\n".join(text),
                posted_at_ms=posted,
                reply_to=fields.get("reply"),
            )
        )
    _check_unique(path, records)
    return records


class _JsonLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: str | int
    text: str = Field(min_length=1)
    posted_at: str | int
    edited_at: str | int | None = None
    revision: int = Field(0, ge=0)
    reply_to: str | int | None = None
    author: str | None = None
    content_type: str = "TEXT"

    @field_validator("content_type")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in ("TEXT", "JSON"):
            raise ValueError("must be TEXT or JSON")
        return v


def read_json_lines(path: Path, source: str) -> list[dict[str, Any]]:
    """One JSON object per line: message_id, text, posted_at (ISO or epoch ms), optional
    edited_at, revision, reply_to, author, content_type (TEXT or JSON)."""
    records = []
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            obj = _JsonLine.model_validate(json.loads(line))
            posted = parse_time(str(obj.posted_at))
            edited = parse_time(str(obj.edited_at)) if obj.edited_at is not None else None
        except json.JSONDecodeError as exc:
            raise IntakeError(f"{path}: line {number}: invalid JSON: {exc.msg}") from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()
            )
            raise IntakeError(f"{path}: line {number}: {problems}") from None
        except ValueError as exc:
            raise IntakeError(f"{path}: line {number}: {exc}") from None
        records.append(
            raw_record(
                source=source,
                channel_kind="TEXT",
                message_id=str(obj.message_id),
                text=obj.text,
                posted_at_ms=posted,
                revision=obj.revision,
                edited_at_ms=edited,
                reply_to=str(obj.reply_to) if obj.reply_to is not None else None,
                author=obj.author,
                content_type=obj.content_type,
            )
        )
    _check_unique(path, records)
    return records


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise IntakeError(f"{path}: cannot read: {exc}") from None


def _check_unique(path: Path, records: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for r in records:
        if r["event_id"] in seen:
            raise IntakeError(
                f"{path}: message id {r['message_id']} revision {r['revision']} appears twice"
            )
        seen.add(r["event_id"])
