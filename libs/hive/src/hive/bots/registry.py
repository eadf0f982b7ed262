"""The current bots: the latest `registry.bots` record per bot_id (a compacted topic's view)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hive.bots.model import Bot
from hive.bots.records import from_record
from hive.instruments import InstrumentCatalogue


class BotRegistry:
    """The current bots: the latest `registry.bots` record per bot_id (a compacted topic's view).

    `apply` takes records in topic order; a record with `deleted: true`, or a tombstone (value
    None, with its key), removes the bot.
    """

    def __init__(self, bots: Iterable[Bot] = ()) -> None:
        self._bots: dict[str, Bot] = {}
        for bot in bots:
            self._bots[bot.bot_id] = bot

    def apply(
        self,
        record: Mapping[str, Any] | None,
        key: str | None = None,
        *,
        catalogue: InstrumentCatalogue | None = None,
    ) -> Bot | None:
        """Apply one record; returns the bot now defined, None when it was removed.

        Raises `BotConfigError` for an invalid record (the registry keeps the previous one).
        """
        if record is None:
            if key is not None:
                self._bots.pop(key, None)
            return None
        if record.get("deleted"):
            self._bots.pop(str(record.get("bot_id") or key), None)
            return None
        bot = from_record(record, catalogue=catalogue)
        self._bots[bot.bot_id] = bot
        return bot

    def put(self, bot: Bot) -> None:
        self._bots[bot.bot_id] = bot

    def remove(self, bot_id: str) -> None:
        self._bots.pop(bot_id, None)

    def get(self, bot_id: str) -> Bot | None:
        return self._bots.get(bot_id)

    def __contains__(self, bot_id: object) -> bool:
        return bot_id in self._bots

    def __len__(self) -> int:
        return len(self._bots)

    def bots(self) -> list[Bot]:
        """Every bot, sorted by bot_id."""
        return [self._bots[k] for k in sorted(self._bots)]

    def followers(self, source: str) -> list[Bot]:
        """The bots that follow `source`, sorted by bot_id (paused and locked ones included:
        they get a decision too, denied by the policies with the reason)."""
        return [b for b in self.bots() if b.follows(source)]

    def cells(self) -> dict[str, list[Bot]]:
        """cell_id -> its bots (sorted)."""
        out: dict[str, list[Bot]] = {}
        for bot in self.bots():
            out.setdefault(bot.cell_id, []).append(bot)
        return dict(sorted(out.items()))
