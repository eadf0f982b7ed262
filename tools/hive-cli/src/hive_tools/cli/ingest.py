"""`hive ingest …`: publish a channel's messages to signals.raw, all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from hive.config import KafkaSettings, load_settings
from hive.intake import IntakeError
from hive.topics import SIGNALS_RAW

app = typer.Typer(
    help="Publish signal messages to signals.raw (validated first, then all at once)."
)

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
SourceOpt = Annotated[
    str, typer.Option("--source", help="Name of the signal source (channel), e.g. fx-vip")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Read and validate only; publish nothing")
]


def _publish(records: list[dict[str, Any]], dry_run: bool) -> None:
    if dry_run:
        for r in records[:5]:
            first_line = r["text"].splitlines()[0][:60] if r["text"] else ""
            typer.echo(f"  {r['message_id']:>8} r{r['revision']} {first_line}")
        typer.echo(f"{len(records)} message(s) read; nothing published (--dry-run)")
        return
    from hive_tools.publish import publish_records

    s = load_settings(KafkaSettings)
    count = publish_records(
        records, SIGNALS_RAW, lambda r: str(r["source"]), s.kafka_bootstrap, s.schema_registry_url
    )
    typer.echo(f"published {count} message(s) to signals.raw.v1")


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def _check_source(source: str) -> str:
    if not source.strip() or any(c.isspace() for c in source):
        raise typer.BadParameter("must be a non-empty name without spaces", param_hint="--source")
    return source


@app.command("telegram-export")
def telegram_export(
    file: FileArg,
    source: SourceOpt,
    tz: Annotated[str, typer.Option(help="Zone of the export's local 'date' fields")] = "UTC",
    dry_run: DryRunOpt = False,
) -> None:
    """A Telegram Desktop chat export (result.json)."""
    from hive.intake.telegram import read_telegram_export

    try:
        zone = dt.UTC if tz == "UTC" else ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"unknown time zone {tz!r}", param_hint="--tz") from None
    try:
        records = read_telegram_export(file, _check_source(source), zone)
    except IntakeError as exc:
        raise _fail(exc) from None
    _publish(records, dry_run)


@app.command("text")
def text(
    file: FileArg,
    source: SourceOpt,
    start: Annotated[
        str | None, typer.Option(help="Time of the first block without '@ time' header (ISO-8601)")
    ] = None,
    interval: Annotated[
        int, typer.Option(help="Seconds between blocks without a header", min=1)
    ] = 3600,
    dry_run: DryRunOpt = False,
) -> None:
    """A text file, one message per blank-line separated block."""
    from hive.intake.records import parse_time
    from hive.intake.textfile import read_text_blocks

    try:
        start_ms = parse_time(start) if start else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--start") from None
    try:
        records = read_text_blocks(file, _check_source(source), start_ms, interval * 1000)
    except IntakeError as exc:
        raise _fail(exc) from None
    _publish(records, dry_run)


@app.command("jsonl")
def jsonl(file: FileArg, source: SourceOpt, dry_run: DryRunOpt = False) -> None:
    """JSON lines: message_id, text, posted_at[, edited_at, revision, reply_to, author, content_type]."""
    from hive.intake.textfile import read_json_lines

    try:
        records = read_json_lines(file, _check_source(source))
    except IntakeError as exc:
        raise _fail(exc) from None
    _publish(records, dry_run)
