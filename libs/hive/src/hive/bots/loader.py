"""The bots file (YAML, for local use and replays): read, validate, every problem collected.

A bots file (see `bots.example.yaml` at the repository root)::

    allow_live: false          # optional; LIVE bots are refused unless this is true
    bots:
      - bot_id: ftmo-eurusd-01 # lower case, no ':'
        cell: ftmo
        account_size: 100000
        account_currency: USD
        rule_set: ftmo_2step   # ftmo_2step | strict | constitution
        sources:               # followed sources with their vote weights (> 0)
          - {source: fx-vip, weight: 1.0}
          - eurusd-alerts      # weight 1
        strategy_card: regime_filtered
        strategy_parameters: {skip_regimes: [CHAOS]}
        risk_per_trade: 1.0    # percent of equity, > 0 and <= 5 (the constitution)
        allowed_symbols: [EURUSD, XAUUSD]   # catalogue symbols; empty = all

Other optional keys: display_name, rule_overrides, day_boundary_tz (default Europe/Prague: the
FTMO day starts at midnight CE(S)T), mode (paper | live, default paper), venue (default paper),
status (active | paused | locked), status_reason, config_version (default 1).

In the file `risk_per_trade` is a percent (1 = 1 %); on `registry.bots` it is a fraction
(0.01), as the schema says. Invalid configuration raises `BotConfigError`, whose message names
the file, the bot and the field path, e.g.
``bots.yaml: bots[2] (ftmo-2).risk_per_trade: must be at most 5 (the constitution's max risk
per position), got 7``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hive.bots.cards import CardValidator, card_problems
from hive.bots.messages import BotConfigError, problems_of, show_value
from hive.bots.model import BOT_FILE_KEYS, SOURCE_KEYS, Bot
from hive.bots.records import to_record
from hive.instruments import InstrumentCatalogue, load_instruments

_TOP_KEYS = ("allow_live", "bots")


@dataclass(frozen=True)
class BotsConfig:
    """A validated bots file."""

    bots: tuple[Bot, ...]
    allow_live: bool = False
    path: Path | None = None

    def __iter__(self) -> Iterator[Bot]:
        return iter(self.bots)

    def __len__(self) -> int:
        return len(self.bots)

    def get(self, bot_id: str) -> Bot | None:
        return next((b for b in self.bots if b.bot_id == bot_id), None)

    def cells(self) -> dict[str, tuple[Bot, ...]]:
        """cell_id -> its bots, cells and bots sorted by id."""
        out: dict[str, list[Bot]] = {}
        for bot in sorted(self.bots, key=lambda b: b.bot_id):
            out.setdefault(bot.cell_id, []).append(bot)
        return {cell: tuple(out[cell]) for cell in sorted(out)}

    def to_records(
        self, ts_event: int, updated_by: str | None = "bots-file"
    ) -> list[dict[str, Any]]:
        """The `registry.bots` records of every bot (a replay publishes them at its start time)."""
        return [to_record(b, ts_event=ts_event, updated_by=updated_by) for b in self.bots]


def parse_bots(
    data: Any,
    *,
    name: str = "bots.yaml",
    catalogue: InstrumentCatalogue | None = None,
    cards: CardValidator | None = None,
) -> BotsConfig:
    """Validate the structure of a bots file already read from YAML (see the module doc).

    Every problem is collected; `BotConfigError` lists them all, one per line. With `cards`,
    each bot's strategy card and parameters are checked as well (the owner of the cards, the
    risk gate, gives its `CardLoader`).
    """
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise BotConfigError(
            [f"{name}: must be a mapping with 'bots' (and optionally 'allow_live')"]
        )
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(f"{name}: {key}: unknown key (allowed: {', '.join(_TOP_KEYS)})")
    allow_live = data.get("allow_live", False)
    if not isinstance(allow_live, bool):
        problems.append(f"{name}: allow_live: must be true or false, got {show_value(allow_live)}")
        allow_live = False
    entries = data.get("bots")
    if not isinstance(entries, list) or not entries:
        problems.append(f"{name}: bots: must be a non-empty list of bots")
        raise BotConfigError(problems)
    context = {"allow_live": allow_live, "catalogue": catalogue or load_instruments()}
    bots: list[Bot] = []
    first_at: dict[str, int] = {}
    for i, entry in enumerate(entries):
        bot_id = entry.get("bot_id") if isinstance(entry, Mapping) else None
        label = f"bots[{i}] ({bot_id})" if isinstance(bot_id, str) and bot_id else f"bots[{i}]"
        prefix = f"{name}: {label}"
        if not isinstance(entry, Mapping):
            problems.append(f"{prefix}: must be a mapping, got {show_value(entry)}")
            continue
        try:
            bot = Bot.model_validate(dict(entry), context=context)
        except ValidationError as exc:
            problems.extend(problems_of(prefix, exc, BOT_FILE_KEYS, SOURCE_KEYS))
            continue
        if bot.bot_id in first_at:
            problems.append(
                f"{prefix}.bot_id: duplicate bot id, already defined at bots[{first_at[bot.bot_id]}]"
            )
            continue
        first_at[bot.bot_id] = i
        if cards is not None:
            problems.extend(card_problems(prefix, bot, cards))
        bots.append(bot)
    if problems:
        raise BotConfigError(problems)
    return BotsConfig(bots=tuple(bots), allow_live=allow_live)


def load_bots(
    path: str | Path,
    *,
    cards: CardValidator | None,
    catalogue: InstrumentCatalogue | None = None,
) -> BotsConfig:
    """Read and validate a bots YAML file.

    `cards` is required on purpose: the owner of the cards passes its validator (the risk
    gate's `CardLoader`); None, said explicitly, checks the file without its cards.
    """
    p = Path(path)
    name = p.name
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise BotConfigError([f"{name}: cannot read the file: {exc.strerror or exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BotConfigError([f"{name}: not valid YAML: {exc}"]) from exc
    config = parse_bots(data, name=name, catalogue=catalogue, cards=cards)
    return BotsConfig(bots=config.bots, allow_live=config.allow_live, path=p)
