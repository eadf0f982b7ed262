"""The bot contract: one definition of a bot for the bots file, the hub's API and `registry.bots`.

- `model`: the `Bot` and its checks (the single place a bot field is declared);
- `messages`: `BotConfigError` and the wording of every problem;
- `cards`: the card check the owner of the cards passes in (`CardValidator`) and its errors;
- `loader`: the bots YAML file (`load_bots`, `parse_bots`, `BotsConfig`);
- `records`: `registry.bots` records to and from a `Bot` (percent <-> fraction happens here);
- `registry`: `BotRegistry`, the current bots of the compacted topic.
"""

from hive.bots.cards import CardError, CardParameterError, CardValidator, UnknownCardError
from hive.bots.loader import BotsConfig, load_bots, parse_bots
from hive.bots.messages import BotConfigError
from hive.bots.model import (
    ACCOUNT_CURRENCIES,
    BOT_FILE_KEYS,
    DEFAULT_DAY_BOUNDARY_TZ,
    ID_PATTERN,
    RULE_OVERRIDE_KEYS,
    Bot,
    SourceWeight,
)
from hive.bots.records import BotRecord, from_record, read_record, to_record
from hive.bots.registry import BotRegistry

__all__ = [
    "ACCOUNT_CURRENCIES",
    "BOT_FILE_KEYS",
    "DEFAULT_DAY_BOUNDARY_TZ",
    "ID_PATTERN",
    "RULE_OVERRIDE_KEYS",
    "Bot",
    "BotConfigError",
    "BotRecord",
    "BotRegistry",
    "BotsConfig",
    "CardError",
    "CardParameterError",
    "CardValidator",
    "SourceWeight",
    "UnknownCardError",
    "from_record",
    "load_bots",
    "parse_bots",
    "read_record",
    "to_record",
]
