"""CSV replay: the bundled EURUSD file, user files with other mappings, and errors that name
the line and the column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from hive.market import (
    EURUSD_H1_2017,
    BarReadError,
    ColumnMapping,
    FixedSpread,
    SessionSpreadModel,
    bundled_eurusd_path,
    load_bars,
    read_bars,
    read_bundled_eurusd,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
BARS_SCHEMA = fastavro.parse_schema(
    json.loads((ROOT / "schemas/avro/market_bars.avsc").read_text(encoding="utf-8"))
)
H = 3_600_000


@pytest.fixture(scope="module")
def eurusd() -> list[dict[str, Any]]:
    return list(read_bundled_eurusd(SessionSpreadModel()))


def _write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_bundled_file_gives_6225_bars_in_order(eurusd: list[dict[str, Any]]) -> None:
    assert bundled_eurusd_path() == ROOT / "data/market/eurusd-h1-2017-ask.csv"
    assert len(eurusd) == 6225
    first, last = eurusd[0], eurusd[-1]
    # 01.01.2017 22:00 UTC open, first row of the file
    assert first["open_time"] == 1483308000000
    assert first["ts_event"] == first["open_time"] + H  # event time = close time
    assert first["ts_init"] == first["ts_event"]
    assert first["event_id"] == "EURUSD:H1:1483308000000"
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        1.05236,
        1.05253,
        1.05221,
        1.05227,
    )
    assert first["volume"] == pytest.approx(143539993.3)
    assert first["price_basis"] == "ASK"
    assert first["feed"] == "csv:eurusd-h1-2017-ask.csv"
    # 29.12.2017 21:00 UTC open, last row
    assert last["open_time"] == 1514581200000
    opens = [b["open_time"] for b in eurusd]
    assert opens == sorted(opens)
    assert len(set(b["event_id"] for b in eurusd)) == 6225


def test_bundled_bars_validate_against_the_schema(eurusd: list[dict[str, Any]]) -> None:
    for bar in eurusd[:50] + eurusd[-50:]:
        assert validate(bar, BARS_SCHEMA, raise_errors=True)


def test_modelled_spread_is_the_catalogue_spread_widened_off_session(
    eurusd: list[dict[str, Any]],
) -> None:
    by_hour = {}
    for bar in eurusd:
        assert bar["spread_modelled"] is True
        by_hour.setdefault((bar["open_time"] // H) % 24, set()).add(round(bar["spread"], 12))
    assert by_hour[10] == {round(0.00008, 12)}  # LONDON: the catalogue's 0.8 pips
    assert by_hour[3] == {round(0.00012, 12)}  # ASIA x1.5
    assert by_hour[21] == {round(0.00024, 12)}  # OFF_HOURS x3
    # The preset itself has no spread column: without a model the spread is null.
    plain = next(read_bars(bundled_eurusd_path(), EURUSD_H1_2017, "EURUSD", "H1"))
    assert plain["spread"] is None
    assert plain["spread_modelled"] is False


def test_user_csv_with_another_mapping(tmp_path: Path) -> None:
    # Semicolon-separated, epoch seconds stamping the bar CLOSE, newest first, spread in points.
    text = (
        "ts;o;h;l;c;spr\n"
        "1497438000;1.1210;1.1220;1.1200;1.1215;12\n"
        "1497434400;1.1200;1.1212;1.1195;1.1210;\n"
        "1497430800;1.1208;1.1216;1.1195;1.1200;9\n"
    )
    mapping = ColumnMapping(
        time="ts",
        time_format="epoch_s",
        time_refers_to="close",
        open="o",
        high="h",
        low="l",
        close="c",
        volume=None,
        spread="spr",
        spread_unit="points",
        delimiter=";",
        price_basis="BID",
    )
    bars = list(read_bars(_write(tmp_path, text), mapping, "EURUSD", "1h", FixedSpread(0.0005)))
    assert [b["ts_event"] for b in bars] == [1497430800000, 1497434400000, 1497438000000]
    assert [b["open_time"] for b in bars] == [1497427200000, 1497430800000, 1497434400000]
    assert bars[0]["spread"] == pytest.approx(0.00009)  # 9 points of 0.00001
    assert bars[0]["spread_modelled"] is False
    assert bars[1]["spread"] == 0.0005  # empty cell: the model fills in
    assert bars[1]["spread_modelled"] is True
    assert all(b["volume"] is None and b["price_basis"] == "BID" for b in bars)
    assert bars[0]["feed"] == "csv:bars.csv"
    for b in bars:
        assert validate(b, BARS_SCHEMA, raise_errors=True)


def test_user_csv_with_date_and_time_columns_in_a_local_timezone(tmp_path: Path) -> None:
    text = "Date,Time,O,H,L,C,V\n2017.06.14,10:00,1.1,1.2,1.0,1.15,5\n2017.06.14,10:15,1.15,1.2,1.1,1.12,7\n"
    mapping = ColumnMapping(
        date="Date",
        time="Time",
        time_format="%Y.%m.%d %H:%M",
        timezone="Europe/Berlin",  # CEST, UTC+2 in June
        open="O",
        high="H",
        low="L",
        close="C",
        volume="V",
    )
    bars = load_bars(_write(tmp_path, text), mapping, "EURUSD", "M15")
    assert bars[0]["open_time"] == 1497427200000  # 2017-06-14 08:00 UTC
    assert bars[1]["open_time"] - bars[0]["open_time"] == 15 * 60_000
    assert bars[0]["event_id"] == "EURUSD:M15:1497427200000"
    assert bars[0]["volume"] == 5.0


def test_iso_and_epoch_ms_formats(tmp_path: Path) -> None:
    iso = "t,open,high,low,close\n2017-06-14T08:00:00Z,1,2,0.5,1.5\n2017-06-14T09:00:00+00:00,1,2,0.5,1.5\n"
    m = ColumnMapping(
        time="t", time_format="iso", open="open", high="high", low="low", close="close", volume=None
    )
    assert [b["open_time"] for b in load_bars(_write(tmp_path, iso), m, "X", "H1")] == [
        1497427200000,
        1497430800000,
    ]
    ms = "t,open,high,low,close\n1497427200000,1,2,0.5,1.5\n"
    m2 = m.with_(time_format="epoch_ms")
    assert load_bars(_write(tmp_path, ms, "b.csv"), m2, "X", "H1")[0]["ts_event"] == 1497430800000


@pytest.mark.parametrize(
    ("body", "line", "column", "fragment"),
    [
        (
            "01.01.2017 22:00:00.000,1.05,abc,1.04,1.05,1\n",
            2,
            "High",
            "'abc' is not a finite number",
        ),
        ("2017-01-01 22:00,1.05,1.06,1.04,1.05,1\n", 2, "Time", "does not match format"),
        (
            "01.01.2017 22:00:00.000,1.05,1.06,1.04,1.05,1\n"
            "01.01.2017 23:00:00.000,1.05,1.04,1.03,1.05,1\n",
            3,
            "High",
            "below open/close/low",
        ),
        ("01.01.2017 22:00:00.000,1.05,1.06,1.055,1.05,1\n", 2, "Low", "above open/close"),
        ("01.01.2017 22:00:00.000,-1.05,1.06,1.04,1.05,1\n", 2, "Open", "not positive"),
        ("01.01.2017 22:00:00.000,1.05,1.06,1.04,1.05,-3\n", 2, "Volume", "negative"),
        (
            "01.01.2017 22:00:00.000,1.05,1.06,1.04,1.05,1\n"
            "01.01.2017 23:00:00.000,1.05,1.06,1.04,1.05,1\n"
            "01.01.2017 22:00:00.000,1.05,1.06,1.04,1.05,1\n",
            4,
            "Time",
            "duplicate bar: lines 2 and 4",
        ),
        (
            "01.01.2017 22:00:00.000,1.05,1.06,1.04,1.05,1\n"
            "01.01.2017 22:30:00.000,1.05,1.06,1.04,1.05,1\n",
            3,
            "Time",
            "overlaps the bar of line 2",
        ),
    ],
)
def test_bad_rows_name_the_line_and_the_column(
    tmp_path: Path, body: str, line: int, column: str, fragment: str
) -> None:
    path = _write(tmp_path, "Time,Open,High,Low,Close,Volume\n" + body)
    with pytest.raises(BarReadError) as err:
        read_bars(path, EURUSD_H1_2017, "EURUSD", "H1")
    assert err.value.line == line
    assert err.value.column == column
    message = str(err.value)
    assert f"line {line}" in message and f"column {column!r}" in message
    assert fragment in message


def test_missing_column_and_short_row_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "Time,Open,High,Low,Last\n01.01.2017 22:00:00.000,1,1,1,1\n")
    with pytest.raises(
        BarReadError, match=r"line 1, column 'Close': no column 'Close' \(mapping.close\)"
    ):
        load_bars(path, EURUSD_H1_2017, "EURUSD", "H1")
    path = _write(tmp_path, "Time,Open,High,Low,Close,Volume\n01.01.2017 22:00:00.000,1,1\n")
    with pytest.raises(BarReadError, match="line 2: 3 fields"):
        load_bars(path, EURUSD_H1_2017, "EURUSD", "H1")
    with pytest.raises(BarReadError, match="cannot open"):
        load_bars(tmp_path / "missing.csv", EURUSD_H1_2017, "EURUSD", "H1")
    with pytest.raises(BarReadError, match="empty"):
        load_bars(_write(tmp_path, ""), EURUSD_H1_2017, "EURUSD", "H1")


def test_mapping_and_timeframe_are_checked_up_front() -> None:
    with pytest.raises(ValueError, match="time_format"):
        ColumnMapping(time_format="dd/mm/yyyy")
    with pytest.raises(ValueError, match="timezone"):
        ColumnMapping(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="price_basis"):
        ColumnMapping(price_basis="OFFER")
    with pytest.raises(ValueError, match="timeframe"):
        load_bars(bundled_eurusd_path(), EURUSD_H1_2017, "EURUSD", "2h")
