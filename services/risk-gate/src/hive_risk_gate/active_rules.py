"""The self-modification rules in force over a bot, from `control.parameters` (hive.rules).

A rule applies to a bot when it was set at the GLOBAL scope, at the bot's cell, or at the bot
itself. A rule record whose value is not a valid rule, or one the constitution would refuse
(it could only get there by a bug upstream), is left out with an error in the log: the gate
never applies a rule that adds risk.
"""

from __future__ import annotations

import logging

from hive.bots import Bot
from hive.parameters import GLOBAL_SCOPE_ID, ParameterBook
from hive.rules import Rule, RuleError, within_constitution

log = logging.getLogger(__name__)


class ActiveRules:
    """Reads the rules of a `ParameterBook` (fed from control.parameters), parsed once each."""

    def __init__(self, book: ParameterBook) -> None:
        self.book = book
        self._parsed: dict[tuple[str, str], Rule | None] = {}  # (key, value) -> rule

    def for_bot(self, bot: Bot) -> list[Rule]:
        """The rules over the bot, by rule_id (so their reasons come in a fixed order)."""
        scopes = {("GLOBAL", GLOBAL_SCOPE_ID), ("CELL", bot.cell_id), ("BOT", bot.bot_id)}
        rules = []
        for param in self.book.rules():
            if (param.scope_level, param.scope_id) not in scopes or param.value is None:
                continue
            rule = self._parse(param.key, param.value)
            if rule is not None:
                rules.append(rule)
        return sorted(rules, key=lambda r: r.rule_id)

    def _parse(self, key: str, value: str) -> Rule | None:
        if (key, value) not in self._parsed:
            rule: Rule | None
            try:
                rule = Rule.from_json(value)
                problem = within_constitution(rule)
            except RuleError as exc:
                rule, problem = None, str(exc)
            if problem is not None:
                log.error("rule %s in force is not applied: %s", key, problem)
                rule = None
            self._parsed[(key, value)] = rule
        return self._parsed[(key, value)]
