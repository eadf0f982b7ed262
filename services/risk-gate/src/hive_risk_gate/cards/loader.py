"""Card plugins: the built-in cards plus every module of a directory, (re)loaded with importlib.

A plugin module (``<dir>/<name>.py``; files starting with ``_`` are ignored) exposes
``CARD_NAME`` (lower case, e.g. ``"breakout"``), optionally ``CARD_ALIASES`` (other names it
answers to) and a card class: ``CARD_CLASS`` if set, else the one class defined in the module
that implements `StrategyCard`. The class is instantiated without arguments.

Load errors never raise: each is reported (`LoadReport.errors`) with the file and the cause.
When a module that loaded before fails on a reload, its previous version stays in use (the
error says so), so a typo in a plugin being edited does not take a running card away.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import itertools
import pkgutil
import re
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from hive.bots.cards import CardParameterError, UnknownCardError
from hive_risk_gate.cards.base import StrategyCard

BUILTIN_PACKAGE = "hive_risk_gate.cards.builtin"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_METHODS = ("on_signal", "on_trade", "get_parameters", "set_parameters")
_module_counter = itertools.count(1)


@dataclass(frozen=True)
class CardLoadError:
    """A module that could not be loaded as a card, and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class CardSpec:
    """A loaded card class."""

    name: str
    cls: type[Any]
    origin: str  # the plugin file, or "builtin:<module>"
    aliases: tuple[str, ...] = ()


_Found = tuple[str, list[CardSpec] | None]  # origin, its cards (None: it failed to load)


@dataclass(frozen=True)
class LoadReport:
    loaded: tuple[str, ...]
    errors: tuple[CardLoadError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


class CardLoader:
    """The card classes available to the gate (built-in ones and a plugin directory's).

    Loads on construction; `reload()` re-imports every plugin file (fresh module objects, so
    edited code takes effect). Running card instances are not touched: `CardBook.reload` moves
    bots onto the new classes.
    """

    def __init__(self, directory: str | Path | None = None, *, builtin: bool = True) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.builtin = builtin
        self._specs: dict[str, CardSpec] = {}
        self._aliases: dict[str, str] = {}
        self._by_origin: dict[str, list[CardSpec]] = {}
        self._modules: dict[str, str] = {}  # origin -> sys.modules name of its plugin module
        self.last_report = self.reload()

    # ---- loading ---------------------------------------------------------------------------
    def reload(self) -> LoadReport:
        """(Re)load every card; never raises for a bad plugin."""
        errors: list[CardLoadError] = []
        found = self._load_builtin(errors) + self._load_directory(errors)
        specs: dict[str, CardSpec] = {}
        aliases: dict[str, str] = {}
        by_origin: dict[str, list[CardSpec]] = {}
        for origin, loaded in found:
            chosen = loaded if loaded is not None else self._by_origin.get(origin, [])
            for spec in chosen:
                taken = [n for n in (spec.name, *spec.aliases) if n in specs or n in aliases]
                if taken:
                    owner = specs.get(taken[0]) or specs[aliases[taken[0]]]
                    errors.append(
                        CardLoadError(
                            origin,
                            f"card name {taken[0]!r} is already defined by {owner.origin}; "
                            "this module is ignored",
                        )
                    )
                    continue
                specs[spec.name] = spec
                aliases.update(dict.fromkeys(spec.aliases, spec.name))
                by_origin.setdefault(origin, []).append(spec)
        self._specs, self._aliases, self._by_origin = specs, aliases, by_origin
        self.last_report = LoadReport(loaded=tuple(sorted(specs)), errors=tuple(errors))
        return self.last_report

    def _load_builtin(self, errors: list[CardLoadError]) -> list[_Found]:
        found: list[_Found] = []
        if not self.builtin:
            return found
        builtin = importlib.import_module(BUILTIN_PACKAGE)
        for info in sorted(pkgutil.iter_modules(builtin.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            origin = f"builtin:{BUILTIN_PACKAGE}.{info.name}"
            try:
                module = importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}")
                found.append((origin, [self._spec_of(module, origin)]))
            except _PluginError as exc:
                errors.append(CardLoadError(origin, str(exc)))
                found.append((origin, None))
        return found

    def _load_directory(self, errors: list[CardLoadError]) -> list[_Found]:
        found: list[_Found] = []
        if self.directory is None:
            return found
        if not self.directory.is_dir():
            errors.append(CardLoadError(str(self.directory), "is not a directory"))
            return found
        for path in sorted(self.directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            origin = str(path)
            try:
                module = self._import_file(path)
                found.append((origin, [self._spec_of(module, origin)]))
            except _PluginError as exc:
                found.append((origin, None))
                kept = (
                    " (keeping the previously loaded version)" if origin in self._by_origin else ""
                )
                errors.append(CardLoadError(origin, f"{exc}{kept}"))
        return found

    load = reload

    def _import_file(self, path: Path) -> ModuleType:
        stem = re.sub(r"\W", "_", path.stem)
        name = f"hive_card_plugin_{next(_module_counter)}_{stem}"
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise _PluginError("cannot be imported as a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except _PluginError:
            sys.modules.pop(name, None)
            raise
        except (Exception, SystemExit) as exc:  # any failure of foreign code is reported
            sys.modules.pop(name, None)
            raise _PluginError(f"import failed: {_describe(exc)}") from exc
        old = self._modules.get(str(path))
        if old is not None:
            sys.modules.pop(old, None)
        self._modules[str(path)] = name
        return module

    def _spec_of(self, module: ModuleType, origin: str) -> CardSpec:
        name = getattr(module, "CARD_NAME", None)
        if not isinstance(name, str) or not _NAME.match(name):
            raise _PluginError(
                f"CARD_NAME must be a lower-case name (letters, digits, '_'), got {name!r}"
            )
        aliases = getattr(module, "CARD_ALIASES", ())
        if not isinstance(aliases, tuple | list) or not all(
            isinstance(a, str) and _NAME.match(a) for a in aliases
        ):
            raise _PluginError("CARD_ALIASES must be a list of lower-case names")
        cls = getattr(module, "CARD_CLASS", None)
        if cls is None:
            candidates = [
                obj
                for obj in vars(module).values()
                if inspect.isclass(obj)
                and obj.__module__ == module.__name__
                and not inspect.isabstract(obj)
                and all(callable(getattr(obj, m, None)) for m in _METHODS)
            ]
            if len(candidates) > 1:
                named = [c for c in candidates if getattr(c, "CARD_NAME", None) == name]
                candidates = named if len(named) == 1 else candidates
            if len(candidates) != 1:
                what = "no class" if not candidates else "several classes"
                raise _PluginError(
                    f"{what} implementing the card interface ({', '.join(_METHODS)}); "
                    "define one or set CARD_CLASS"
                )
            cls = candidates[0]
        if not inspect.isclass(cls):
            raise _PluginError("CARD_CLASS must be a class")
        missing = [m for m in _METHODS if not callable(getattr(cls, m, None))]
        if missing:
            raise _PluginError(f"card class {cls.__name__} lacks {', '.join(missing)}")
        try:
            instance: Any = cls()
            params = instance.get_parameters()
        except (Exception, SystemExit) as exc:
            raise _PluginError(
                f"card class {cls.__name__} cannot be created without arguments: {_describe(exc)}"
            ) from exc
        if not isinstance(params, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in params.items()
        ):
            raise _PluginError(
                f"card class {cls.__name__}.get_parameters() must return a dict of strings"
            )
        return CardSpec(name=name, cls=cls, origin=origin, aliases=tuple(aliases))

    # ---- lookup ----------------------------------------------------------------------------
    @property
    def cards(self) -> Mapping[str, CardSpec]:
        return dict(self._specs)

    def names(self) -> list[str]:
        return sorted(self._specs)

    def canonical(self, name: str) -> str:
        """The card's name for `name` or one of its aliases (raises `UnknownCardError`)."""
        if name in self._specs:
            return name
        if name in self._aliases:
            return self._aliases[name]
        known = ", ".join(self.names()) or "none loaded"
        raise UnknownCardError(f"unknown card {name!r} (known: {known})")

    def spec(self, name: str) -> CardSpec:
        return self._specs[self.canonical(name)]

    def create(self, name: str, parameters: Mapping[str, str] | None = None) -> StrategyCard:
        """A new instance of card `name` with `parameters` set (raises `CardParameterError`)."""
        spec = self.spec(name)
        try:
            card: StrategyCard = spec.cls()
        except Exception as exc:
            raise CardParameterError(
                spec.name, None, f"the card cannot be created: {_describe(exc)}"
            ) from exc
        if parameters:
            try:
                card.set_parameters(dict(parameters))
            except CardParameterError:
                raise
            except Exception as exc:  # a plugin's own validation error
                raise CardParameterError(spec.name, None, _describe(exc)) from exc
        return card

    def validate(self, name: str, parameters: Mapping[str, str]) -> None:
        """Raise `UnknownCardError` / `CardParameterError` unless the card accepts them."""
        self.create(name, parameters)


class _PluginError(Exception):
    pass


def _describe(exc: BaseException) -> str:
    """An exception in one line, with the plugin line it came from when there is one."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError):
        return text  # its message names the file and line already
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        text += f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})"
    return text
