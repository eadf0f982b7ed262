"""`hive feed …` (publish market bars) and `hive regimes …` (look at the regime detector)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hive.config import KafkaSettings, load_settings
from hive.topics import MARKET_BARS, MARKET_REGIMES

feed_app = typer.Typer(help="Market data: replay bars from CSV onto market.bars.")
regimes_app = typer.Typer(help="Market regimes (CALM / TREND / CHAOS) from the regime detector.")


def _mapping(time_format: str | None, time_col: str | None, tz: str | None) -> Any:
    from hive.market import EURUSD_H1_2017, ColumnMapping

    if time_format is None and time_col is None and tz is None:
        return EURUSD_H1_2017
    changes = {
        k: v for k, v in {"time_format": time_format, "time": time_col, "timezone": tz}.items() if v
    }
    try:
        return ColumnMapping().with_(**changes)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _load(csv: Path | None, symbol: str, timeframe: str, mapping: Any) -> list[dict[str, Any]]:
    from hive.market import BarReadError, bundled_eurusd_path, load_bars

    try:
        return load_bars(csv or bundled_eurusd_path(), mapping, symbol, timeframe)
    except (BarReadError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


CsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--csv", exists=True, dir_okay=False, help="Bars CSV (default: bundled EURUSD 2017 H1)"
    ),
]
SymbolOpt = Annotated[str, typer.Option(help="Instrument of the file")]
TimeframeOpt = Annotated[str, typer.Option(help="Bar timeframe: M1 M5 M15 M30 H1 H4 D1")]
TimeFormatOpt = Annotated[
    str | None, typer.Option(help="strptime format, or iso / epoch_ms / epoch_s")
]
TimeColOpt = Annotated[str | None, typer.Option("--time-column", help="Name of the time column")]
TzOpt = Annotated[str | None, typer.Option("--tz", help="Zone of times without an offset")]


@feed_app.command("replay")
def replay(
    csv: CsvOpt = None,
    symbol: SymbolOpt = "EURUSD",
    timeframe: TimeframeOpt = "H1",
    time_format: TimeFormatOpt = None,
    time_column: TimeColOpt = None,
    tz: TzOpt = None,
    speed: Annotated[
        float, typer.Option(min=0, help="0 = as fast as possible; N = N x real time")
    ] = 0.0,
) -> None:
    """Publish bars from a CSV file on market.bars (checked whole before the first is sent)."""
    from hive.market import pace
    from hive_tools.publish import publish_records

    bars = _load(csv, symbol, timeframe, _mapping(time_format, time_column, tz))
    s = load_settings(KafkaSettings)
    count = publish_records(
        pace(bars, speed),
        MARKET_BARS,
        lambda b: str(b["symbol"]),
        s.kafka_bootstrap,
        s.schema_registry_url,
        transactional=speed == 0,
    )
    typer.echo(f"published {count} bar(s) of {symbol} {timeframe} to {MARKET_BARS}")


@regimes_app.command("plot")
def plot(
    out: Annotated[Path, typer.Option(help="PNG file to write")] = Path("regimes.png"),
    symbol: SymbolOpt = "EURUSD",
    csv: CsvOpt = None,
    timeframe: TimeframeOpt = "H1",
    offline: Annotated[
        bool,
        typer.Option(help="Run the detector here on the CSV instead of reading the topics"),
    ] = False,
) -> None:
    """Price coloured by regime, with the state probabilities below, saved as PNG.

    By default bars and regimes are read from market.bars and market.regimes (what the running
    hive computed); with --offline the same detector runs here on the CSV.
    """
    from hive_regime.plot import plot_regimes

    if offline:
        from hive_regime.detector import RegimeDetector

        bars = _load(csv, symbol, timeframe, _mapping(None, None, None))
        detector = RegimeDetector()
        regimes = [r for r in (detector.on_bar(b) for b in bars) if r is not None]
    else:
        bars, regimes = _from_topics(symbol)
        if not bars:
            typer.echo(
                f"error: no {symbol} bars on {MARKET_BARS}; run `hive feed replay`", err=True
            )
            raise typer.Exit(2)
    path = plot_regimes(bars, regimes, out, title=f"{symbol} {timeframe} regimes")
    typer.echo(f"wrote {path} ({len(bars)} bars, {len(regimes)} regime records)")


def _from_topics(symbol: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from hive.contracts import CodecRegistry, load_catalogue
    from hive.contracts.serde import make_registry_client
    from hive.runtime.records import InboundRecord
    from hive.runtime.replay import end_offsets, read_until

    s = load_settings(KafkaSettings)
    codecs = CodecRegistry(make_registry_client(s.schema_registry_url), load_catalogue())
    found: dict[str, list[dict[str, Any]]] = {MARKET_BARS: [], MARKET_REGIMES: []}

    def keep(rec: InboundRecord) -> None:
        if rec.value.get("symbol") == symbol:
            found[rec.topic].append(rec.value)

    read_until(s.kafka_bootstrap, end_offsets(s.kafka_bootstrap, list(found)), codecs, keep)
    bars = {b["event_id"]: b for b in found[MARKET_BARS]}  # de-duplicate replays
    regimes = {r["event_id"]: r for r in found[MARKET_REGIMES]}
    order = lambda r: int(r["ts_event"])  # noqa: E731
    return sorted(bars.values(), key=order), sorted(regimes.values(), key=order)
