"""What the engine writes to the recovery store and reads back from it.

Export: the JSON text of every state key changed since the last export (`bot:<id>`,
`market:<symbol>`, `control`), and "" for bots forgotten since. Import: the texts, in any order
of keys, before any other input. The text formats are in `state`; the recovery topic and its
records are the service's (`service`).
"""

from __future__ import annotations

from hive_executor.books import Books
from hive_executor.state import (
    CONTROL_KEY,
    StateError,
    dump_bot,
    dump_control,
    dump_market,
    load_bot,
    load_control,
    load_market,
)


class Persistence:
    """Export and import of the books' persisted state (see the module docstring)."""

    def __init__(self, books: Books) -> None:
        self._books = books

    def export(self) -> dict[str, str]:
        """JSON texts of the state changed since the last export; "" for removed keys."""
        books = self._books
        texts: dict[str, str] = {}
        for key in sorted(books.dirty):
            if key == CONTROL_KEY:
                texts[key] = dump_control(books.control)
            elif key.startswith("bot:"):
                bot = books.bots.get(key[4:])
                if bot is not None:
                    texts[key] = dump_bot(bot)
            elif key.startswith("market:"):
                texts[key] = dump_market(books.markets[key[7:]])
        for key in sorted(books.removed):
            texts[key] = ""
        books.dirty.clear()
        books.removed.clear()
        return texts

    def load(self, key: str, text: str) -> None:
        """One exported text ("" : nothing to restore)."""
        books = self._books
        if text == "":
            return
        if key.startswith("bot:"):
            books.add_bot(load_bot(text))
        elif key.startswith("market:"):
            market = load_market(text)
            books.markets[market.symbol] = market
            last = market.last
            if last is not None:
                books.set_rate(last)
        elif key == CONTROL_KEY:
            books.control = load_control(text)
            books.commands = set(books.control.commands)
        else:
            raise StateError(f"unknown state key {key!r}")
        books.index = None  # rebuilt from the restored orders at the next input
