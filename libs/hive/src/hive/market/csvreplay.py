"""Replay of OHLCV bars from a CSV file as `market.bars` records.

A `ColumnMapping` says where the columns are and how time is written; `read_bars` reads and
checks the whole file, sorts the bars by time, refuses duplicates and overlapping bars, and
yields one `market.bars` record (a dict that validates against `market_bars.avsc`) per bar:

- `event_id` = f"{symbol}:{timeframe}:{open_time_ms}", deterministic;
- `ts_event` = the bar's CLOSE time (open time + timeframe), when the bar becomes known, and
  `ts_init` = `ts_event` (replay);
- `spread` from the spread column when the mapping has one, else from the spread model
  (`spread_modelled` = true), else null.

Every problem raises `BarReadError` naming the file, the line (1 = the header) and the column.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hive.market.instrument_info import instrument_spec
from hive.market.spread import SpreadModel
from hive.market.timeframes import Timeframe, parse_timeframe
from hive.paths import repo_root

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_DAY_MS = 86_400_000
PRICE_BASES = ("UNKNOWN", "BID", "ASK", "MID", "LAST")
SPECIAL_TIME_FORMATS = ("epoch_ms", "epoch_s", "iso")


def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timezone {name!r} is not a known IANA time zone") from exc


class BarReadError(ValueError):
    """A CSV file could not be read as bars; the message names the file, line and column."""

    def __init__(
        self, path: Path, message: str, line: int | None = None, column: str | None = None
    ):
        where = str(path)
        if line is not None:
            where += f" line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ColumnMapping:
    """How a CSV file's columns map to a bar.

    time_format: a `datetime.strptime` format ("%d.%m.%Y %H:%M:%S.%f"), or "epoch_ms",
        "epoch_s" (numbers since 1970-01-01 UTC) or "iso" (ISO 8601, e.g. 2017-01-02T10:00Z).
    timezone: IANA name for times written without an offset ("UTC", "Europe/London",
        "America/New_York"); ambiguous local times at a DST change take the first occurrence.
    date: when date and time are in two columns (MetaTrader exports), the date column; its
        value and the time column's are joined with a space before parsing.
    time_refers_to: "open" when the time column is the bar's open time (the usual case),
        "close" when it stamps the bar's close.
    volume / spread: column names, or None when the file has none.
    spread_unit: "price" (quote currency), "pips" or "points" (10 ** -digits, MetaTrader).
    price_basis: which side of the book the prices are (BID, ASK, MID, LAST or UNKNOWN).
    """

    time: str = "Time"
    time_format: str = "iso"
    timezone: str = "UTC"
    date: str | None = None
    time_refers_to: Literal["open", "close"] = "open"
    open: str = "Open"
    high: str = "High"
    low: str = "Low"
    close: str = "Close"
    volume: str | None = "Volume"
    spread: str | None = None
    spread_unit: Literal["price", "pips", "points"] = "price"
    delimiter: str = ","
    price_basis: str = "UNKNOWN"

    def __post_init__(self) -> None:
        if self.price_basis not in PRICE_BASES:
            raise ValueError(f"price_basis {self.price_basis!r} is not one of {PRICE_BASES}")
        if self.time_refers_to not in ("open", "close"):
            raise ValueError(
                f"time_refers_to must be 'open' or 'close', not {self.time_refers_to!r}"
            )
        if self.spread_unit not in ("price", "pips", "points"):
            raise ValueError(f"spread_unit {self.spread_unit!r} is not price, pips or points")
        if self.time_format not in SPECIAL_TIME_FORMATS and "%" not in self.time_format:
            raise ValueError(
                f"time_format {self.time_format!r} is neither a strptime format "
                f"nor one of {SPECIAL_TIME_FORMATS}"
            )
        _zone(self.timezone)

    def with_(self, **changes: Any) -> ColumnMapping:
        """A copy with some fields changed."""
        return replace(self, **changes)


# The bundled EURUSD 2017 hourly ask bars (data/market/README.md).
EURUSD_H1_2017 = ColumnMapping(
    time="Time",
    time_format="%d.%m.%Y %H:%M:%S.%f",
    timezone="UTC",
    open="Open",
    high="High",
    low="Low",
    close="Close",
    volume="Volume",
    price_basis="ASK",
)
EURUSD_H1_2017_FILE = "data/market/eurusd-h1-2017-ask.csv"


def bundled_eurusd_path() -> Path:
    """Path of the bundled EURUSD 2017 H1 ask file in the checkout (or under $HIVE_HOME)."""
    return repo_root() / EURUSD_H1_2017_FILE


def _epoch_ms(dt: datetime) -> int:
    return (dt - _EPOCH) // _MS


class _TimeParser:
    def __init__(self, mapping: ColumnMapping) -> None:
        self.fmt = mapping.time_format
        self.tz = _zone(mapping.timezone)

    def __call__(self, text: str) -> int:
        value = text.strip()
        if not value:
            raise ValueError("empty time")
        if self.fmt == "epoch_ms":
            return int(value) if value.lstrip("-").isdigit() else round(float(value))
        if self.fmt == "epoch_s":
            return round(float(value) * 1000)
        dt = (
            datetime.fromisoformat(value)
            if self.fmt == "iso"
            else datetime.strptime(value, self.fmt)
        )
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tz)
        return _epoch_ms(dt)


def _number(text: str) -> float:
    value = float(text.strip())
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def _iso(ms: int) -> str:
    return (_EPOCH + ms * _MS).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Reader:
    """Reads one file with one mapping; every error names the file, line and column."""

    def __init__(
        self,
        path: Path,
        mapping: ColumnMapping,
        symbol: str,
        tf: Timeframe,
        *,
        spread_model: SpreadModel | None,
        feed: str,
    ) -> None:
        self.path = path
        self.m = mapping
        self.symbol = symbol
        self.tf = tf
        self.spread_model = spread_model
        self.feed = feed
        self.parse_time = _TimeParser(mapping)
        self.spread_scale = 1.0
        if mapping.spread is not None and mapping.spread_unit != "price":
            spec = instrument_spec(symbol)
            self.spread_scale = spec.pip_size if mapping.spread_unit == "pips" else spec.point
        self.columns = {
            "time": mapping.time,
            "open": mapping.open,
            "high": mapping.high,
            "low": mapping.low,
            "close": mapping.close,
        }
        for opt in ("date", "volume", "spread"):
            col = getattr(mapping, opt)
            if col is not None:
                self.columns[opt] = col
        self.index: dict[str, int] = {}
        self.width = 0

    def error(
        self, message: str, line: int | None = None, column: str | None = None
    ) -> BarReadError:
        return BarReadError(self.path, message, line=line, column=column)

    def header(self, header: list[str]) -> None:
        for field_name, col in self.columns.items():
            if col not in header:
                raise self.error(
                    f"no column {col!r} (mapping.{field_name}) in the header {header}", 1, col
                )
            self.index[field_name] = header.index(col)
        self.width = max(self.index.values()) + 1

    def number(self, row: list[str], key: str, line: int) -> float:
        text = row[self.index[key]].strip()
        try:
            return _number(text)
        except ValueError:
            raise self.error(f"{text!r} is not a finite number", line, self.columns[key]) from None

    def open_time(self, row: list[str], line: int) -> int:
        text = row[self.index["time"]]
        if "date" in self.index:
            text = f"{row[self.index['date']].strip()} {text.strip()}"
        try:
            stamp = self.parse_time(text)
        except (ValueError, OverflowError) as exc:
            raise self.error(
                f"time {text!r} does not match format {self.m.time_format!r} ({exc})",
                line,
                self.m.time,
            ) from None
        return stamp if self.m.time_refers_to == "open" else stamp - self.tf.ms

    def prices(self, row: list[str], line: int) -> tuple[float, float, float, float]:
        o, h, lo, c = (self.number(row, k, line) for k in ("open", "high", "low", "close"))
        for key, value in zip(("open", "high", "low", "close"), (o, h, lo, c), strict=True):
            if value <= 0:
                raise self.error(f"price {value} is not positive", line, self.columns[key])
        if h < max(o, c, lo):
            raise self.error(
                f"high {h} is below open/close/low ({o}, {c}, {lo})", line, self.m.high
            )
        if lo > min(o, c):
            raise self.error(f"low {lo} is above open/close ({o}, {c})", line, self.m.low)
        return o, h, lo, c

    def optional(self, row: list[str], key: str, line: int) -> float | None:
        if key not in self.index or not row[self.index[key]].strip():
            return None
        value = self.number(row, key, line)
        if value < 0:
            raise self.error(f"{key} {value} is negative", line, self.columns[key])
        return value

    def record(self, row: list[str], line: int) -> dict[str, Any]:
        if len(row) < self.width:
            raise self.error(f"{len(row)} fields, the mapping needs at least {self.width}", line)
        open_time = self.open_time(row, line)
        o, h, lo, c = self.prices(row, line)
        spread = self.optional(row, "spread", line)
        modelled = False
        if spread is not None:
            spread *= self.spread_scale
        elif self.spread_model is not None:
            spread = self.spread_model.spread(self.symbol, open_time)
            modelled = spread is not None
        close_time = open_time + self.tf.ms
        return {
            "event_id": f"{self.symbol}:{self.tf.name}:{open_time}",
            "ts_event": close_time,
            "ts_init": close_time,
            "symbol": self.symbol,
            "timeframe": self.tf.name,
            "open_time": open_time,
            "open": o,
            "high": h,
            "low": lo,
            "close": c,
            "volume": self.optional(row, "volume", line),
            "spread": spread,
            "spread_modelled": modelled,
            "price_basis": self.m.price_basis,
            "feed": self.feed,
        }

    def read(self) -> list[tuple[int, dict[str, Any]]]:
        try:
            handle = self.path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise self.error(f"cannot open: {exc.strerror or exc}") from exc
        out: list[tuple[int, dict[str, Any]]] = []  # (line, record)
        with handle:
            reader = csv.reader(handle, delimiter=self.m.delimiter)
            try:
                self.header([h.strip() for h in next(reader)])
                for row in reader:
                    if row and any(c.strip() for c in row):
                        out.append((reader.line_num, self.record(row, reader.line_num)))
            except StopIteration:
                raise self.error("the file is empty (no header line)", 1) from None
            except csv.Error as exc:
                raise self.error(f"not CSV: {exc}", reader.line_num) from exc
        return out

    def check_order(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        tf = self.tf
        for (prev_line, prev), (cur_line, cur) in itertools.pairwise(rows):
            prev_open, cur_open = prev["open_time"], cur["open_time"]
            if cur_open == prev_open:
                raise self.error(
                    f"duplicate bar: lines {prev_line} and {cur_line} both open at {_iso(cur_open)}",
                    cur_line,
                    self.m.time,
                )
            # Daily bars may shift by an hour at DST changes (a day starting at the New York
            # close), so only intraday bars are checked for overlap.
            if cur_open - prev_open < tf.ms and tf.ms < _DAY_MS:
                raise self.error(
                    f"bar opening at {_iso(cur_open)} overlaps the bar of line {prev_line} "
                    f"opening at {_iso(prev_open)} (timeframe {tf.name} is {tf.ms // 60_000} min)",
                    cur_line,
                    self.m.time,
                )


def load_bars(
    path: str | Path,
    mapping: ColumnMapping,
    symbol: str,
    timeframe: str | Timeframe,
    *,
    spread_model: SpreadModel | None = None,
    feed: str | None = None,
) -> list[dict[str, Any]]:
    """All bars of the file as `market.bars` records, sorted by time (see `read_bars`)."""
    path = Path(path)
    reader = _Reader(
        path,
        mapping,
        symbol,
        parse_timeframe(timeframe),
        spread_model=spread_model,
        feed=feed if feed is not None else f"csv:{path.name}",
    )
    rows = reader.read()
    rows.sort(key=lambda r: int(r[1]["open_time"]))
    reader.check_order(rows)
    return [r[1] for r in rows]


def read_bars(
    path: str | Path,
    mapping: ColumnMapping,
    symbol: str,
    timeframe: str | Timeframe,
    spread_model: SpreadModel | None = None,
    *,
    feed: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Bars of a CSV file as `market.bars` records in time order.

    The file is read and checked completely before the first record is yielded, so a bad line
    anywhere raises `BarReadError` from this call and nothing half-read is replayed.
    """
    return iter(load_bars(path, mapping, symbol, timeframe, spread_model=spread_model, feed=feed))


def read_bundled_eurusd(spread_model: SpreadModel | None = None) -> Iterator[dict[str, Any]]:
    """The bundled EURUSD 2017 H1 ask bars (6,225 records)."""
    return read_bars(bundled_eurusd_path(), EURUSD_H1_2017, "EURUSD", "H1", spread_model)
