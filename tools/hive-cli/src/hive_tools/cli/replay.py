"""`hive replay`: a channel and a bars file through the whole hive, then a summary and a report.

With no arguments it replays the bundled sample: the EURUSD 2017 hourly year and the sample
channel in data/signals/ with its three bots (`make run`).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hive.topics import ORDERS_DECISIONS, TRADES_CLOSED
from hive_tools.cli.market import (
    SymbolOpt,
    TimeColOpt,
    TimeFormatOpt,
    TimeframeOpt,
    TzOpt,
    _load,
    _mapping,
)

if TYPE_CHECKING:
    from hive_tools.playback.driver import Progress
    from hive_tools.playback.session import Session


def replay(
    signals: Annotated[
        list[str] | None,
        typer.Option(
            "--signals",
            help="Channel file, repeatable: PATH or SOURCE=PATH. .jsonl = JSON lines, .json = "
            "Telegram Desktop export, other = text blocks with '@ time' headers "
            "(default: the bundled sample channel, data/signals/*.jsonl)",
        ),
    ] = None,
    bars: Annotated[
        Path | None,
        typer.Option(help="Bars CSV (default: the bundled EURUSD 2017 H1 year)", dir_okay=False),
    ] = None,
    symbol: SymbolOpt = "EURUSD",
    timeframe: TimeframeOpt = "H1",
    time_format: TimeFormatOpt = None,
    time_column: TimeColOpt = None,
    tz: TzOpt = None,
    bots: Annotated[
        Path | None,
        typer.Option(help="Bots YAML (default: data/signals/sample-bots.yaml)", dir_okay=False),
    ] = None,
    speed: Annotated[
        float, typer.Option(min=0, help="0 = as fast as the hive goes; N = N x market time")
    ] = 0.0,
    lockstep: Annotated[
        bool,
        typer.Option(
            help="Wait for the hive around every message so decisions never depend on machine "
            "speed (--no-lockstep: pour records in; faster, not reproducible)"
        ),
    ] = True,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh/--keep-state",
            help="Start from empty topics, groups, models and read models (--keep-state: "
            "replay on top of what the hive has seen; the same bars twice are ignored)",
        ),
    ] = True,
    report: Annotated[Path | None, typer.Option(help="HTML report to write at the end")] = Path(
        ".hive/reports/replay.html"
    ),
    serve: Annotated[
        bool,
        typer.Option(help="Keep the hive and its dashboard running after the summary (Ctrl-C)"),
    ] = True,
    hub_port: Annotated[int, typer.Option(envvar="HIVE_HUB_PORT", help="Hub REST port")] = 8080,
) -> None:
    """Replay a channel over bars through all eight services, print a summary, write a report."""
    from hive.intake import IntakeError
    from hive_tools.playback import inputs, merge

    specs = [inputs.parse_channel_spec(s) for s in signals] if signals else [
        inputs.ChannelSpec(p, None) for p in inputs.sample_channels()
    ]  # fmt: skip
    if not specs:
        typer.echo("error: no channel files (the sample is data/signals/*.jsonl)", err=True)
        raise typer.Exit(2)
    try:
        messages = inputs.read_channels(specs)
    except IntakeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if bars is not None and not bars.is_file():
        raise typer.BadParameter(f"{bars}: no such file", param_hint="--bars")
    bar_records = _load(bars, symbol, timeframe, _mapping(time_format, time_column, tz))
    bots_file = bots or inputs.sample_bots()
    bot_config = _load_bots(bots_file)
    items = merge(bar_records, messages)
    first = items[0].ts if items else 0
    typer.echo(
        f"replaying {len(bar_records):,} bars of {symbol} {timeframe} and {len(messages):,} "
        f"messages from {len(specs)} channel file(s) for {len(bot_config.bots)} bot(s) "
        f"({_day(items[0].ts)} .. {_day(items[-1].ts)})"
    )
    _run_session(
        items,
        bot_config.to_records(first),
        speed=speed,
        lockstep=lockstep,
        fresh=fresh,
        report=report,
        serve=serve,
        hub_port=hub_port,
    )


def _day(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d")


def _load_bots(path: Path) -> Any:
    from hive_tools.cli.bots import _load  # the same checks and messages as `hive bots check`

    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file", param_hint="--bots")
    return _load(path)


def _run_session(
    items: list[Any],
    bot_records: list[dict[str, Any]],
    *,
    speed: float,
    lockstep: bool,
    fresh: bool,
    report: Path | None,
    serve: bool,
    hub_port: int,
) -> None:
    from hive_tools import supervise
    from hive_tools.cli.run import _prepare_infra
    from hive_tools.infra import InfraSettings
    from hive_tools.playback.quiescence import NotSettledError
    from hive_tools.playback.session import ReplayInterruptedError, Session, SessionConfig

    env = dict(os.environ) | _prepare_infra()
    key, generated = supervise.admin_key(env)
    state = InfraSettings().state
    stop = threading.Event()
    previous = {s: signal.signal(s, _setter(stop)) for s in (signal.SIGINT, signal.SIGTERM)}
    session = Session(
        SessionConfig(
            env=env,
            log_dir=supervise.services_log_dir(state),
            model_store=state / "models",
            hub_port=hub_port,
            admin_key=key,
            fresh=fresh,
            lockstep=lockstep,
            speed=speed,
        ),
        stop,
    )
    try:
        if fresh:
            typer.echo("starting from a clean slate (topics, consumer groups, models, read models)")
            session.reset()
        session.publish_bots(bot_records)
        session.start_services()
        typer.echo(f"eight services starting; logs in {session.config.log_dir}")
        session.wait_ready()
        typer.echo(f"dashboard: http://127.0.0.1:{hub_port}/" + (
            f"  (admin key for this run: {key})" if generated else ""))  # fmt: skip
        progress = _play_with_bars(session, items)
        typer.echo("waiting for the hub's read models to catch up…")
        session.settle_all()
        _finish(session, progress, report)
        if serve:
            typer.echo(f"the hive keeps running: dashboard http://127.0.0.1:{hub_port}/ — "
                       "Ctrl-C stops everything")  # fmt: skip
            stop.wait()
    except ReplayInterruptedError:
        typer.echo("interrupted")
    except NotSettledError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        typer.echo("stopping the services…")
        codes = session.stop()
        typer.echo("  ".join(f"{n}={c}" for n, c in codes.items()))
        for sig, old in previous.items():
            signal.signal(sig, old)


def _setter(stop: threading.Event) -> Any:
    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    return handler


def _play_with_bars(session: Session, items: list[Any]) -> Progress:
    from rich import progress as rp

    with rp.Progress(
        rp.TextColumn("{task.description:<10}"),
        rp.BarColumn(),
        rp.MofNCompleteColumn(),
        rp.TextColumn("{task.fields[info]}"),
        rp.TimeElapsedColumn(),
    ) as bars:
        n_bars = sum(1 for i in items if i.kind == "bar")
        n_msgs = len(items) - n_bars
        t_bars = bars.add_task("bars", total=n_bars, info="")
        t_msgs = bars.add_task("messages", total=n_msgs, info="")
        tail = session.tail

        def show(p: Progress) -> None:
            counts = tail.counts if tail is not None else {}
            day = _day(p.ts) if p.ts else ""
            bars.update(t_bars, completed=p.bars, info=day)
            bars.update(
                t_msgs,
                completed=p.messages,
                info=f"decisions {counts.get(ORDERS_DECISIONS, 0):,}  "
                f"trades {counts.get(TRADES_CLOSED, 0):,}",
            )

        return session.play(items, show)


def _finish(session: Session, progress: Progress, report: Path | None) -> None:
    typer.echo(
        f"replayed {progress.bars:,} bars and {progress.messages:,} messages; "
        f"{progress.barriers:,} lockstep waits took {progress.barrier_seconds:.1f} s"
    )
    from hive_tools.report import collect_run, format_summary, summarize, write_report

    data = collect_run(
        session.bootstrap,
        session.env["HIVE_SCHEMA_REGISTRY_URL"],
        None if session.config.fresh else session.start_offsets,
    )
    typer.echo(format_summary(summarize(data)))
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        typer.echo(f"report: {write_report(data, report)}")
