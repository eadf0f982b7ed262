"""`hive models …`: the learner's releases (learner.models) as a table and a lineage plot.

Releases are read from the compacted learner.models topic, or with `--from-file` from a JSON
lines file of release records (one ModelRelease per line, as `hive models list --json-lines`
writes them) for offline use. Each version shows its latest status, as the topic keeps it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from hive.config import KafkaSettings, load_settings
from hive.topics import LEARNER_MODELS

models_app = typer.Typer(help="Learner models: list the releases, show and plot the lineage.")

REQUIRED = ("model_name", "version", "status", "ts_event")
STATUS_COLOURS = {
    "PROMOTED": "#2e7d32",  # green
    "REJECTED": "#c62828",  # red
    "CANDIDATE": "#9e9e9e",  # grey: not judged yet
    "ROLLED_BACK": "#ef6c00",  # orange
}

FromFile = Annotated[
    Path | None,
    typer.Option(
        "--from-file",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Read release records from this JSON-lines file instead of Kafka",
    ),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Only this model family")]


class ReleaseFileError(ValueError):
    pass


def read_release_file(path: Path) -> list[dict[str, Any]]:
    """Release records from a JSON-lines file; a bad line is named with its number."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ReleaseFileError(f"{path}: line {number}: not JSON: {exc}") from None
        if not isinstance(record, dict):
            raise ReleaseFileError(f"{path}: line {number}: not a JSON object")
        missing = [k for k in REQUIRED if k not in record]
        if missing:
            raise ReleaseFileError(f"{path}: line {number}: missing {', '.join(missing)}")
        out.append(record)
    return out


def _from_topic() -> list[dict[str, Any]]:
    from hive.contracts import CodecRegistry, load_catalogue
    from hive.contracts.serde import make_registry_client
    from hive.runtime.records import InboundRecord
    from hive.runtime.replay import end_offsets, read_until

    s = load_settings(KafkaSettings)
    codecs = CodecRegistry(make_registry_client(s.schema_registry_url), load_catalogue())
    found: list[dict[str, Any]] = []

    def keep(rec: InboundRecord) -> None:
        if not rec.tombstone:
            found.append(rec.value)

    read_until(s.kafka_bootstrap, end_offsets(s.kafka_bootstrap, [LEARNER_MODELS]), codecs, keep)
    return found


def latest_per_version(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The latest record of each (model, version), in (model, version) order: what the
    compacted topic keeps. A CANDIDATE record does not undo a verdict already seen."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        key = (str(rec["model_name"]), str(rec["version"]))
        known = latest.get(key)
        if rec["status"] == "CANDIDATE" and known is not None and known["status"] != "CANDIDATE":
            continue
        latest[key] = dict(rec)
    return [latest[k] for k in sorted(latest)]


def current_version(records: Sequence[Mapping[str, Any]], model_name: str) -> str | None:
    """The family's model in use: PROMOTED with the greatest ts_event (as the gate picks it)."""
    promoted = [r for r in records if r["model_name"] == model_name and r["status"] == "PROMOTED"]
    if not promoted:
        return None
    return str(max(promoted, key=lambda r: (int(r["ts_event"]), str(r["version"])))["version"])


def _load(from_file: Path | None, model: str | None) -> list[dict[str, Any]]:
    try:
        raw = read_release_file(from_file) if from_file else _from_topic()
    except ReleaseFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return [r for r in latest_per_version(raw) if model is None or r["model_name"] == model]


def _day(ms: Any) -> str:
    if not isinstance(ms, int):
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _metric(rec: Mapping[str, Any], name: str) -> str:
    value = (rec.get("metrics") or {}).get(name)
    return "-" if value is None else f"{float(value):.4f}"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


@models_app.command("list")
def list_models(
    from_file: FromFile = None,
    model: ModelOpt = None,
    json_lines: Annotated[
        Path | None,
        typer.Option("--json-lines", help="Also write the records here (for --from-file)"),
    ] = None,
) -> None:
    """Every released version with its status, event time, hash and artifact."""
    records = _load(from_file, model)
    if not records:
        typer.echo("no model releases" + (f" for {model}" if model else ""))
    else:
        rows = [["MODEL", "VERSION", "STATUS", "EVENT TIME (UTC)", "TRADES", "SHA-256", "ARTIFACT"]]
        for r in records:
            rows.append(
                [
                    str(r["model_name"]),
                    str(r["version"]),
                    str(r["status"]),
                    _day(r["ts_event"]),
                    str(r.get("trade_count", "-")),
                    str(r.get("sha256", ""))[:12],
                    str(r.get("artifact_uri", "")),
                ]
            )
        typer.echo(_table(rows))
    if json_lines is not None:
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        json_lines.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {len(records)} record(s) to {json_lines}")


@models_app.command("lineage")
def lineage(
    from_file: FromFile = None,
    model: Annotated[str, typer.Option("--model", help="Model family")] = "win-prob",
    png: Annotated[
        Path | None, typer.Option("--png", help="Also save the lineage as a PNG plot here")
    ] = None,
) -> None:
    """The versions of one model family: parent, status, holdout metrics against the parent,
    and why each was promoted or rejected; `*` marks the model in use."""
    records = _load(from_file, model)
    if not records:
        typer.echo(f"error: no releases of {model!r}", err=True)
        raise typer.Exit(2)
    current = current_version(records, model)
    rows = [
        ["", "VERSION", "PARENT", "STATUS", "EVENT TIME (UTC)", "TRADES", "HOLDOUT",
         "LOG LOSS", "PARENT", "BRIER", "ECE", "KL"],
    ]  # fmt: skip
    for r in records:
        rows.append(
            [
                "*" if r["version"] == current else "",
                str(r["version"]),
                str(r.get("parent_version") or "-"),
                str(r["status"]),
                _day(r["ts_event"]),
                str(r.get("trade_count", "-")),
                str(r.get("holdout_count", "-")),
                _metric(r, "log_loss"),
                _metric(r, "parent_log_loss"),
                _metric(r, "brier"),
                _metric(r, "ece"),
                _metric(r, "kl_to_parent"),
            ]
        )
    typer.echo(_table(rows))
    for r in records:
        if r.get("reason"):
            guard = f" [change {r['change_id']}]" if r.get("change_id") else ""
            typer.echo(f"{r['version']}: {r['reason']}{guard}")
    if png is not None:
        path = plot_lineage(records, png, title=f"{model} lineage", current=current)
        typer.echo(f"wrote {path}")


def plot_lineage(
    records: Sequence[Mapping[str, Any]],
    path: Path,
    *,
    title: str,
    current: str | None = None,
    dpi: int = 120,
) -> Path:
    """Holdout log loss of each version over event time, coloured by status, each joined to
    its parent; the parent's log loss on the same holdout is drawn as a hollow marker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    by_version = {str(r["version"]): r for r in records}
    days = {v: int(r["ts_event"]) / 86_400_000 for v, r in by_version.items()}
    fig, (ax, ax2) = plt.subplots(
        2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    for version, rec in by_version.items():
        metrics = rec.get("metrics") or {}
        loss = metrics.get("log_loss")
        parent = by_version.get(str(rec.get("parent_version")))
        colour = STATUS_COLOURS.get(str(rec["status"]), "#000000")
        if loss is None:
            continue
        if parent is not None and (parent.get("metrics") or {}).get("log_loss") is not None:
            ax.plot(
                [days[str(parent["version"])], days[version]],
                [parent["metrics"]["log_loss"], loss],
                color="#bdbdbd",
                linewidth=1,
                zorder=1,
            )
        if metrics.get("parent_log_loss") is not None:
            ax.scatter(
                [days[version]], [metrics["parent_log_loss"]], facecolors="none",
                edgecolors=colour, s=30, zorder=2,
            )  # fmt: skip
        size = 90 if version == current else 50
        ax.scatter([days[version]], [loss], color=colour, s=size, zorder=3)
        ax.annotate(version, (days[version], loss), textcoords="offset points", xytext=(4, 4))
        if metrics.get("kl_to_parent") is not None:
            ax2.bar([days[version]], [metrics["kl_to_parent"]], width=0.4, color=colour)
    ax.set_ylabel("holdout log loss")
    ax.set_title(title + (f" (in use: {current})" if current else ""))
    ax.legend(
        handles=[
            Line2D([], [], marker="o", linestyle="", color=c, label=s.lower())
            for s, c in STATUS_COLOURS.items()
        ]
        + [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="none",
                color="k",
                label="parent on same holdout",
            )
        ],
        loc="best",
        fontsize="small",
    )
    ax2.set_ylabel("KL to parent")
    ax2.xaxis_date()
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
