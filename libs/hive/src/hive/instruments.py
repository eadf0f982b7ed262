"""The instrument catalogue: symbols, their trading properties and the names channels give them.

The data lives in `hive/data/instruments.yaml` (or the file named by $HIVE_INSTRUMENTS_FILE);
this module loads and checks it once and answers "which instrument is this name?":

>>> resolve("XAU/USD").symbol, resolve("gold").symbol, resolve("EURUSD.m").symbol
('XAUUSD', 'XAUUSD', 'EURUSD')

Matching ignores case, spaces, '/', '-', '.', '_', an exchange prefix (`OANDA:EURUSD`) and
broker suffixes (`.m`, `.pro`, `m`, `+`, `#`) when what remains is unambiguous.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast

import yaml

AssetClass = Literal["fx", "metal", "index", "crypto", "energy"]
ASSET_CLASSES: tuple[AssetClass, ...] = ("fx", "metal", "index", "crypto", "energy")

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "instruments.yaml"
ENV_PATH = "HIVE_INSTRUMENTS_FILE"

# Characters that never matter in a symbol name, and those a broker may append.
_SEPARATORS = str.maketrans("", "", " /-._\t\u00a0")
_TRAILING_MARKS = "+#!*"


class InstrumentCatalogueError(ValueError):
    """The catalogue file is missing, malformed or ambiguous (message names the entry)."""


def normalise_alias(name: str) -> str:
    """Upper case without separators: 'xau/usd' -> 'XAUUSD', 'S&P 500' -> 'S&P500'."""
    return name.upper().translate(_SEPARATORS)


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    asset_class: AssetClass
    pip_size: float
    digits: int
    contract_size: float
    quote_currency: str
    spread_pips: float
    price_min: float
    price_max: float
    max_level_distance: float
    aliases: tuple[str, ...] = ()

    @property
    def typical_spread(self) -> float:
        """Typical spread in price units (spread_pips * pip_size)."""
        return self.spread_pips * self.pip_size

    def in_range(self, price: float) -> bool:
        """True when `price` is a plausible price for this instrument."""
        return math.isfinite(price) and self.price_min <= price <= self.price_max

    def pips(self, distance: float) -> float:
        """A price distance expressed in pips."""
        return distance / self.pip_size

    def round_price(self, price: float) -> float:
        return round(price, self.digits)


@dataclass(frozen=True, eq=False)
class InstrumentCatalogue:
    version: str
    instruments: Mapping[str, Instrument]
    broker_suffixes: tuple[str, ...] = ()
    attached_suffixes: tuple[str, ...] = ()
    path: Path | None = None
    _index: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = self._index
        for sym, inst in self.instruments.items():
            for name in (sym, *inst.aliases):
                key = normalise_alias(name)
                other = index.get(key)
                if other is not None and other != sym:
                    raise InstrumentCatalogueError(
                        f"alias {name!r} names both {other} and {sym}: aliases must be unambiguous"
                    )
                index[key] = sym

    def __len__(self) -> int:
        return len(self.instruments)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self.instruments.values())

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.instruments

    def __getitem__(self, symbol: str) -> Instrument:
        return self.instruments[symbol]

    def get(self, symbol: str) -> Instrument | None:
        return self.instruments.get(symbol)

    @property
    def alias_index(self) -> Mapping[str, str]:
        """Normalised name -> canonical symbol (every symbol and alias)."""
        return self._index

    def lookup(self, key: str) -> Instrument | None:
        """Exact lookup of an already normalised name (no suffix handling): the fast path."""
        sym = self._index.get(key)
        return None if sym is None else self.instruments[sym]

    def resolve(self, name: str) -> Instrument | None:
        """The instrument a channel, broker or webhook means by `name`, or None."""
        raw = name.strip()
        if ":" in raw:  # exchange prefix: OANDA:EURUSD, BINANCE:BTCUSDT.P
            raw = raw.rsplit(":", 1)[1].strip()
        raw = raw.rstrip(_TRAILING_MARKS).strip()
        if not raw:
            return None
        key = normalise_alias(raw)
        found = self.lookup(key)
        if found is not None:
            return found
        # A suffix behind a separator: EURUSD.m, XAUUSD.pro, GER40-cash, BTCUSDT.P
        for sep in ".-_":
            head, s, tail = raw.rpartition(sep)
            if s and head and tail.lower() in self.broker_suffixes:
                found = self.lookup(normalise_alias(head))
                if found is not None:
                    return found
        # A suffix glued on: EURUSDm, XAUUSDpro (only when the rest is at least 4 characters)
        for suffix in self.attached_suffixes:
            cut = len(key) - len(suffix)
            if cut >= 4 and key.endswith(suffix.upper()):
                found = self.lookup(key[:cut])
                if found is not None:
                    return found
        return None


def _number(entry: Mapping[str, Any], name: str, where: str) -> float:
    value = entry.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InstrumentCatalogueError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def _instrument(symbol: str, entry: Any, distances: Mapping[str, float], where: str) -> Instrument:
    if not isinstance(entry, Mapping):
        raise InstrumentCatalogueError(f"{where}: expected a mapping")
    if symbol != symbol.upper() or normalise_alias(symbol) != symbol:
        raise InstrumentCatalogueError(f"{where}: symbol must be upper case without separators")
    cls = entry.get("asset_class")
    if cls not in ASSET_CLASSES:
        raise InstrumentCatalogueError(f"{where}: asset_class must be one of {ASSET_CLASSES}")
    if cls not in distances:
        raise InstrumentCatalogueError(f"{where}: asset class {cls} has no max_level_distance")
    rng = entry.get("price_range")
    if not (isinstance(rng, list) and len(rng) == 2):
        raise InstrumentCatalogueError(f"{where}: price_range must be [min, max]")
    lo, hi = _number({"v": rng[0]}, "v", where), _number({"v": rng[1]}, "v", where)
    if not 0 < lo < hi:
        raise InstrumentCatalogueError(f"{where}: price_range needs 0 < min < max")
    pip = _number(entry, "pip_size", where)
    if pip <= 0:
        raise InstrumentCatalogueError(f"{where}: pip_size must be positive")
    digits = entry.get("digits")
    if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 10:
        raise InstrumentCatalogueError(f"{where}: digits must be an integer 0..10")
    quote = entry.get("quote_currency")
    if not isinstance(quote, str) or not quote:
        raise InstrumentCatalogueError(f"{where}: quote_currency must be a string")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise InstrumentCatalogueError(f"{where}: aliases must be a list of names")
    return Instrument(
        symbol=symbol,
        asset_class=cast(AssetClass, cls),
        pip_size=pip,
        digits=digits,
        contract_size=_number(entry, "contract_size", where),
        quote_currency=quote,
        spread_pips=_number(entry, "spread_pips", where),
        price_min=lo,
        price_max=hi,
        max_level_distance=distances[cls],
        aliases=tuple(aliases),
    )


def parse_catalogue(data: Any, path: Path | None = None) -> InstrumentCatalogue:
    """Build a catalogue from the YAML structure (checked; errors name the entry)."""
    where = str(path) if path else "instrument catalogue"
    if not isinstance(data, Mapping):
        raise InstrumentCatalogueError(f"{where}: expected a mapping at the top level")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise InstrumentCatalogueError(f"{where}: 'version' must be a non-empty string")
    classes = data.get("asset_classes")
    if not isinstance(classes, Mapping):
        raise InstrumentCatalogueError(f"{where}: 'asset_classes' must be a mapping")
    distances: dict[str, float] = {}
    for cls, spec in classes.items():
        if cls not in ASSET_CLASSES or not isinstance(spec, Mapping):
            raise InstrumentCatalogueError(f"{where}: unknown asset class {cls!r}")
        d = _number(spec, "max_level_distance", f"{where}: asset class {cls}")
        if not 0 < d <= 1:
            raise InstrumentCatalogueError(f"{where}: {cls}.max_level_distance must be in (0, 1]")
        distances[str(cls)] = d
    entries = data.get("instruments")
    if not isinstance(entries, Mapping) or not entries:
        raise InstrumentCatalogueError(f"{where}: 'instruments' must be a non-empty mapping")
    instruments = {
        str(sym): _instrument(str(sym), entry, distances, f"{where}: {sym}")
        for sym, entry in entries.items()
    }
    suffixes = data.get("broker_suffixes", [])
    attached = data.get("attached_suffixes", [])
    for name, value in (("broker_suffixes", suffixes), ("attached_suffixes", attached)):
        if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
            raise InstrumentCatalogueError(f"{where}: {name} must be a list of strings")
    return InstrumentCatalogue(
        version=version,
        instruments=instruments,
        broker_suffixes=tuple(s.lower() for s in suffixes),
        attached_suffixes=tuple(sorted((s.lower() for s in attached), key=len, reverse=True)),
        path=path,
    )


def load_instruments(path: str | Path | None = None) -> InstrumentCatalogue:
    """The catalogue at `path`, else $HIVE_INSTRUMENTS_FILE, else the packaged one (cached)."""
    if path is None:
        path = os.environ.get(ENV_PATH) or DEFAULT_PATH
    return _load(Path(path).resolve())


@lru_cache(maxsize=8)
def _load(path: Path) -> InstrumentCatalogue:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstrumentCatalogueError(f"cannot read instrument catalogue {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InstrumentCatalogueError(f"{path}: not valid YAML: {exc}") from exc
    return parse_catalogue(data, path)


def resolve(alias: str) -> Instrument | None:
    """The instrument `alias` names in the default catalogue, or None."""
    return load_instruments().resolve(alias)
