"""`hive parser …`: measure the signal parser on a labelled corpus of your own channel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The signal parser: evaluate it on a labelled corpus.")


@app.command("eval")
def evaluate(
    corpus: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the full report as JSON here")
    ] = None,
    max_misses: Annotated[int, typer.Option(min=0, help="Misses to list")] = 50,
    min_rate: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Exit 1 when the whole-message rate is below this"),
    ] = 0.0,
) -> None:
    """Per-field and whole-message exact-match rates and the misses (format: README)."""
    from hive_signal_parser.evaluate import CorpusError, evaluate_file

    try:
        report = evaluate_file(corpus)
    except CorpusError as exc:
        typer.echo(f"error: {corpus}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(report.format_text(max_misses=max_misses))
    if json_out is not None:
        json_out.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        typer.echo(f"report written to {json_out}")
    if report.exact_match_rate < min_rate:
        raise typer.Exit(1)
