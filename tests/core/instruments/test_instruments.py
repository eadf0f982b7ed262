"""The instrument catalogue: the data file is complete and consistent, aliases resolve."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hive.instruments import (
    DEFAULT_PATH,
    InstrumentCatalogueError,
    load_instruments,
    normalise_alias,
    parse_catalogue,
    resolve,
)

pytestmark = pytest.mark.unit

CATALOGUE = load_instruments()

REQUIRED = [
    "EURUSD", "GBPUSD", "USDJPY", "USDCHF", "USDCAD", "AUDUSD", "NZDUSD", "EURJPY", "GBPJPY",
    "EURGBP", "AUDJPY", "EURAUD", "GBPAUD", "CADJPY", "CHFJPY", "EURCHF", "XAUUSD", "XAGUSD",
    "US30", "NAS100", "SPX500", "GER40", "UK100", "USOIL", "BTCUSDT", "BTCUSD", "ETHUSDT",
    "SOLUSDT",
]  # fmt: skip


def test_catalogue_covers_the_instruments_channels_trade():
    missing = [s for s in REQUIRED if s not in CATALOGUE]
    assert not missing
    assert CATALOGUE.version


@pytest.mark.parametrize("symbol", sorted(CATALOGUE.instruments))
def test_every_instrument_is_consistent(symbol):
    inst = CATALOGUE[symbol]
    assert inst.asset_class in ("fx", "metal", "index", "crypto", "energy")
    assert 0 < inst.price_min < inst.price_max
    assert inst.pip_size > 0 and inst.contract_size > 0 and inst.spread_pips >= 0
    # the price precision can express a pip
    assert round(inst.pip_size, inst.digits) == pytest.approx(inst.pip_size)
    assert 0 < inst.max_level_distance <= 1
    assert inst.quote_currency
    assert inst.typical_spread == pytest.approx(inst.spread_pips * inst.pip_size)
    assert resolve(symbol) is inst


@pytest.mark.parametrize(
    ("alias", "symbol"),
    [
        ("Gold", "XAUUSD"),
        ("GOLD", "XAUUSD"),
        ("XAU USD", "XAUUSD"),
        ("XAU/USD", "XAUUSD"),
        ("xauusd", "XAUUSD"),
        ("Silver", "XAGUSD"),
        ("eur/usd", "EURUSD"),
        ("EUR-USD", "EURUSD"),
        ("EURUSD.m", "EURUSD"),
        ("EURUSDm", "EURUSD"),
        ("EURUSD.pro", "EURUSD"),
        ("EURUSD+", "EURUSD"),
        ("XAUUSD#", "XAUUSD"),
        ("OANDA:EURUSD", "EURUSD"),
        ("gbpjpy", "GBPJPY"),
        ("DJ30", "US30"),
        ("Dow", "US30"),
        ("US30 cash", "US30"),
        ("US30.cash", "US30"),
        ("Wall Street", "US30"),
        ("NASDAQ", "NAS100"),
        ("US100", "NAS100"),
        ("USTEC", "NAS100"),
        ("NDX", "NAS100"),
        ("US500", "SPX500"),
        ("S&P500", "SPX500"),
        ("S&P 500", "SPX500"),
        ("DAX", "GER40"),
        ("GER30", "GER40"),
        ("DE40", "GER40"),
        ("FTSE 100", "UK100"),
        ("WTI", "USOIL"),
        ("Crude", "USOIL"),
        ("Crude Oil", "USOIL"),
        ("BTC/USDT", "BTCUSDT"),
        ("BINANCE:BTCUSDT.P", "BTCUSDT"),
        ("BTC/USD", "BTCUSD"),
        ("Bitcoin", "BTCUSDT"),
        ("ETH/USDT", "ETHUSDT"),
        ("SOL", "SOLUSDT"),
    ],
)
def test_aliases_resolve(alias, symbol):
    found = resolve(alias)
    assert found is not None, alias
    assert found.symbol == symbol


@pytest.mark.parametrize("name", ["", "USDTRY", "DOWN", "GOLDEN", "hello", "EURUSDX1", "+", "M"])
def test_unknown_names_resolve_to_nothing(name):
    assert resolve(name) is None


def test_normalise_alias_ignores_case_and_separators():
    assert normalise_alias("xau / usd") == "XAUUSD"
    assert normalise_alias("btc-usdt") == "BTCUSDT"
    assert normalise_alias("S&P 500") == "S&P500"


def test_level_helpers():
    eurusd = CATALOGUE["EURUSD"]
    assert eurusd.in_range(1.0850)
    assert not eurusd.in_range(0.0700)
    assert not eurusd.in_range(float("nan"))
    assert eurusd.pips(0.0030) == pytest.approx(30)
    assert eurusd.round_price(1.0850123) == 1.08501


def test_load_is_cached_and_overridable(tmp_path, monkeypatch):
    assert load_instruments() is CATALOGUE
    data = yaml.safe_load(DEFAULT_PATH.read_text())
    data["version"] = "test.1"
    custom = tmp_path / "instruments.yaml"
    custom.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("HIVE_INSTRUMENTS_FILE", str(custom))
    assert load_instruments().version == "test.1"
    assert load_instruments(Path(DEFAULT_PATH)).version == CATALOGUE.version


def _data():
    return yaml.safe_load(DEFAULT_PATH.read_text())


def test_an_alias_naming_two_symbols_is_an_error():
    data = _data()
    data["instruments"]["GBPUSD"]["aliases"].append("FIBER")  # EURUSD's
    with pytest.raises(InstrumentCatalogueError, match="FIBER"):
        parse_catalogue(data)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("asset_class", "bond", "asset_class"),
        ("price_range", [2.0, 1.0], "price_range"),
        ("pip_size", 0, "pip_size"),
        ("digits", "five", "digits"),
        ("aliases", "EU", "aliases"),
    ],
)
def test_malformed_entries_are_named(field, value, message):
    data = _data()
    data["instruments"]["EURUSD"][field] = value
    with pytest.raises(InstrumentCatalogueError, match=message) as err:
        parse_catalogue(data)
    assert "EURUSD" in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InstrumentCatalogueError, match="cannot read"):
        load_instruments(tmp_path / "nope.yaml")
