"""Control records: the breaker mode held per scope, and the commands the executor acts on.

Breakers: the latest transition per scope (BOT, CELL, GLOBAL) wins by `transition_seq`; a bot
is under the most severe mode over its scopes. Commands are de-duplicated on command_id:
FLATTEN / KILL_SWITCH close and cancel everything in scope; RESUME (BOT scope, by an ADMIN
with a reason, as the governor requires) lifts a max-loss block. Other commands are for other
services.
"""

from __future__ import annotations

from hive.constitution import BREAKER_SEVERITY
from hive_executor.books import MAX_COMMANDS_REMEMBERED, Books
from hive_executor.closeout import Closeout
from hive_executor.inputs import Breaker, Command
from hive_executor.state import CONTROL_KEY, BotState, bot_key


class Control:
    """Breakers and commands (see the module docstring)."""

    def __init__(self, books: Books, closeout: Closeout) -> None:
        self._books = books
        self._closeout = closeout

    def breaker(self, b: Breaker) -> None:
        control = self._books.control
        key = "GLOBAL" if b.scope_level == "GLOBAL" else f"{b.scope_level}:{b.scope_id}"
        held = control.breakers.get(key)
        if held is None or b.transition_seq >= int(held[1]):
            control.breakers[key] = [b.fallback_mode, b.transition_seq]
            self._books.dirty.add(CONTROL_KEY)

    def breaker_mode(self, bot: BotState) -> str:
        """The most severe fallback mode over the bot: its own, its cell's, the global one."""
        worst, severity = "NONE", 0
        for key in (f"BOT:{bot.bot_id}", f"CELL:{bot.cell_id}", "GLOBAL"):
            held = self._books.control.breakers.get(key)
            if held is not None and BREAKER_SEVERITY.get(str(held[0]), 0) > severity:
                worst, severity = str(held[0]), BREAKER_SEVERITY[str(held[0])]
        return worst

    def command(self, cmd: Command) -> None:
        books = self._books
        if cmd.command_id in books.commands:
            return
        books.commands.add(cmd.command_id)
        books.control.commands.append(cmd.command_id)
        if len(books.control.commands) > MAX_COMMANDS_REMEMBERED:
            books.commands.discard(books.control.commands.pop(0))
        books.dirty.add(CONTROL_KEY)
        if cmd.command in ("FLATTEN", "KILL_SWITCH"):
            everyone = cmd.command == "KILL_SWITCH" or cmd.scope_level == "GLOBAL"
            for bot in books.bots_sorted():
                in_scope = (
                    everyone
                    or (cmd.scope_level == "BOT" and bot.bot_id == cmd.scope_id)
                    or (cmd.scope_level == "CELL" and bot.cell_id == cmd.scope_id)
                )
                if in_scope:
                    self._closeout.flatten(bot, cmd.command_id, "COMMAND_" + cmd.command)
        elif (
            cmd.command == "RESUME"
            and cmd.scope_level == "BOT"
            and cmd.role == "ADMIN"
            and cmd.reason.strip()
        ):
            target = books.bots.get(cmd.scope_id)
            if target is not None and target.block == "max_loss":
                target.block = None
                books.dirty.add(bot_key(target.bot_id))
