"""`hive report`: the summary and the HTML report of what is on the topics (a replay's run)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hive.config import KafkaSettings, load_settings


def report_cmd(
    out: Annotated[
        Path,
        typer.Option(
            "--out", dir_okay=False, help="HTML report to write (one self-contained file)"
        ),
    ] = Path("report.html"),
    summary_only: Annotated[
        bool, typer.Option("--summary-only", help="Print the summary, write no HTML")
    ] = False,
    max_points: Annotated[
        int, typer.Option(min=10, max=100_000, help="Equity chart points per bot at most")
    ] = 2000,
) -> None:
    """Read every run topic from the beginning, print the summary and write the HTML report
    (equity against the loss limits per bot, sources, regimes, decisions, dead letters,
    breakers)."""
    from hive_tools.report import ReportError, collect_run, format_summary, summarize, write_report

    if not summary_only and out.exists() and out.is_dir():
        typer.echo(f"error: --out {out} is a directory", err=True)
        raise typer.Exit(2)
    s = load_settings(KafkaSettings)
    try:
        data = collect_run(s.kafka_bootstrap, s.schema_registry_url)
    except ReportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    summary = summarize(data)
    typer.echo(format_summary(summary), nl=False)
    if data.missing_topics:
        typer.echo(f"note: topics not on the broker: {', '.join(data.missing_topics)}")
    if data.unreadable:
        typer.echo(f"note: {len(data.unreadable)} record(s) could not be decoded, first: "
                   f"{data.unreadable[0]}")  # fmt: skip
    if summary_only:
        return
    try:
        path = write_report(data, out, summary=summary, max_points=max_points)
    except OSError as exc:
        typer.echo(f"error: cannot write {out}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
