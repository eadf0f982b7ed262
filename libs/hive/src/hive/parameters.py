"""What the governor's change guard has put in force: `control.parameters` records, read once.

The governor publishes one record per (scope, name) whenever a change is applied or rolled
back; the topic is compacted, so its latest record per key is what is in force. Every service
that uses a changeable value (the risk gate's sizing, the governor's breakers, the executor's
limits) keeps a `ParameterBook` fed from the topic and asks it, never the record fields.

- Precedence: a BOT value wins over its CELL's, which wins over the GLOBAL one; no value at
  any level (None) means the owner's own value applies (e.g. the bot's registry value).
- A null value, or a Kafka tombstone, takes the key out of force.
- Rules (kind RULE, name "rule." + rule_id) are kept apart: `rules()` lists those in force.
- A learner model in use is a GLOBAL parameter too: `model.<model_name>` = its version
  (`model_parameter`), proposed by the learner and put in force by the change guard like any
  change; the risk gate sizes with the release of that version.
- `effective_bot(bot, book)` is the one place a bot's in-force values are overlaid on its
  registry definition (risk per trade, rule overrides, card parameters, symbol allowlist);
  every consumer asks it, so the next decision after a change uses the new value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from hive.bots.model import Bot
from hive.constitution import MIN_CONFIDENCE
from hive.contracts.readers import ErrorMap, read
from hive.topics import CONTROL_PARAMETERS

PARAMETER: Final = "PARAMETER"
RULE: Final = "RULE"
RULE_PREFIX: Final = "rule."
GLOBAL_SCOPE_ID: Final = "global"
MODEL_PREFIX: Final = "model."


def kind_of(name: str) -> str:
    """The record kind of a name in force: RULE for `rule.<rule_id>`, else PARAMETER (the gate
    applies only RULE records as rules)."""
    return RULE if name.startswith(RULE_PREFIX) else PARAMETER


# The changeable names (their bounds: the governor's change guard).
RISK_PER_TRADE: Final = "risk_per_trade"  # fraction of equity (0.01 = 1 %), the record's unit
ALLOWED_SYMBOLS: Final = "allowed_symbols"  # comma-separated catalogue symbols
CARD_PREFIX: Final = "card."  # card.<parameter>: one of the bot's strategy_parameters
# Values overlaid on the bot's rule_overrides (same names and units as the bots file).
RULE_OVERRIDE_NAMES: Final = (
    "max_risk_per_position_pct",
    "daily_loss_pct",
    "max_loss_pct",
    "min_confidence",
)
# The allowlist of a bot whose narrowing leaves none of its own symbols: an entry no signal
# can match (an empty list would mean "every symbol").
NO_SYMBOL: Final = "-"


def breaker_threshold_name(level: str) -> str:
    """`breaker.bot.threshold`, `breaker.cell.threshold`, `breaker.global.threshold`."""
    return f"breaker.{level.lower()}.threshold"


def symbol_list(text: str) -> tuple[str, ...]:
    """A comma-separated list of symbols, blanks dropped."""
    return tuple(s.strip() for s in text.split(",") if s.strip())


def parameter_key(scope_level: str, scope_id: str, name: str) -> str:
    """The record's Kafka key (schemas/topics.yaml)."""
    return f"{scope_level}:{scope_id}:{name}"


def model_parameter(model_name: str) -> str:
    """The parameter whose value is the version of `model_name` in use (e.g. model.win-prob)."""
    return MODEL_PREFIX + model_name


@dataclass(frozen=True)
class EffectiveParameter:
    """One `control.parameters` record."""

    event_id: str
    ts: int
    scope_level: str
    scope_id: str
    name: str
    kind: str
    value: str | None
    previous_value: str | None
    change_id: str | None
    actor: str
    reason: str

    @property
    def key(self) -> str:
        return parameter_key(self.scope_level, self.scope_id, self.name)

    @classmethod
    def read(cls, record: Any, errors: ErrorMap | None = None) -> EffectiveParameter:
        """Raises `RecordError` (or what `errors` makes of it) for a record the schema refuses."""
        r = (
            read(CONTROL_PARAMETERS, record)
            if errors is None
            else read(CONTROL_PARAMETERS, record, errors)
        )
        return cls(
            event_id=r.nonempty("event_id"),
            ts=r.integer("ts_event"),
            scope_level=r.symbol("scope_level", known=True),
            scope_id=r.nonempty("scope_id"),
            name=r.nonempty("name"),
            kind=r.symbol("kind", known=True),
            value=r.opt_string("value"),
            previous_value=r.opt_string("previous_value"),
            change_id=r.opt_string("change_id"),
            actor=r.string("actor"),
            reason=r.string("reason"),
        )

    def record(self) -> dict[str, Any]:
        """The Avro record (for producers and tests)."""
        return {
            "event_id": self.event_id,
            "ts_event": self.ts,
            "ts_init": self.ts,
            "scope_level": self.scope_level,
            "scope_id": self.scope_id,
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "previous_value": self.previous_value,
            "change_id": self.change_id,
            "actor": self.actor,
            "reason": self.reason,
        }


class ParameterBook:
    """The values and rules in force, by key, fed from `control.parameters`."""

    def __init__(self) -> None:
        self._in_force: dict[str, EffectiveParameter] = {}

    def apply(self, record: Mapping[str, Any] | None, key: str | None = None) -> None:
        """A record (raises `RecordError` if unreadable) or a tombstone for `key`."""
        if record is None:
            if key:
                self._in_force.pop(key, None)
            return
        param = EffectiveParameter.read(record)
        if param.value is None:
            self._in_force.pop(param.key, None)
        else:
            self._in_force[param.key] = param

    def value(
        self, name: str, *, bot_id: str | None = None, cell_id: str | None = None
    ) -> str | None:
        """The value in force for a bot (its own, else its cell's, else the global one)."""
        for level, scope_id in (("BOT", bot_id), ("CELL", cell_id), ("GLOBAL", GLOBAL_SCOPE_ID)):
            if scope_id is None:
                continue
            param = self._in_force.get(parameter_key(level, scope_id, name))
            if param is not None:
                return param.value
        return None

    def number(
        self, name: str, *, bot_id: str | None = None, cell_id: str | None = None
    ) -> float | None:
        """`value` as a number (the change guard only accepts decimal numbers for these)."""
        value = self.value(name, bot_id=bot_id, cell_id=cell_id)
        return None if value is None else float(value)

    def values(
        self, prefix: str, *, bot_id: str | None = None, cell_id: str | None = None
    ) -> dict[str, str]:
        """Every name starting with `prefix` in force for a bot (same precedence as `value`),
        by name without the prefix."""
        found: dict[str, str] = {}
        for level, scope_id in (("GLOBAL", GLOBAL_SCOPE_ID), ("CELL", cell_id), ("BOT", bot_id)):
            if scope_id is None:
                continue
            head = parameter_key(level, scope_id, prefix)
            for key, param in self._in_force.items():
                if key.startswith(head) and param.value is not None:
                    found[param.name[len(prefix) :]] = param.value
        return dict(sorted(found.items()))

    def in_force(self) -> list[EffectiveParameter]:
        """Everything in force, by key."""
        return [self._in_force[k] for k in sorted(self._in_force)]

    def rules(self) -> list[EffectiveParameter]:
        """The rules in force, by key."""
        return [p for p in self.in_force() if p.kind == RULE]


def effective_bot(bot: Bot, book: ParameterBook) -> Bot:
    """The bot with the values in force over it (its own, its cell's, the global ones):

    - `risk_per_trade` (a fraction on the topic, a percent on the bot), then capped at the
      bot's `max_risk_per_position_pct` rule override when one is lower: sizing never plans
      more than the per-position cap;
    - the rule overrides of RULE_OVERRIDE_NAMES;
    - `card.<parameter>`: the bot's strategy_parameters;
    - `allowed_symbols`: only narrows. The bot's own list keeps the symbols also in force (its
      order); a bot without a list (every symbol) takes the list in force; when nothing is
      left the list is (NO_SYMBOL,), which no signal matches.
    """
    ids = {"bot_id": bot.bot_id, "cell_id": bot.cell_id}
    update: dict[str, Any] = {}
    overrides = dict(bot.rule_overrides)
    for name in RULE_OVERRIDE_NAMES:
        value = book.value(name, **ids)
        if value is not None:
            overrides[name] = value
    if overrides != bot.rule_overrides:
        update["rule_overrides"] = overrides
    risk = book.value(RISK_PER_TRADE, **ids)
    risk_pct = float(Decimal(risk) * 100) if risk is not None else bot.risk_per_trade
    cap = overrides.get("max_risk_per_position_pct")
    if cap is not None and float(cap) < risk_pct:
        risk_pct = float(cap)
    if risk_pct != bot.risk_per_trade:
        update["risk_per_trade"] = risk_pct
    card = book.values(CARD_PREFIX, **ids)
    if card:
        update["strategy_parameters"] = {**bot.strategy_parameters, **card}
    symbols = book.value(ALLOWED_SYMBOLS, **ids)
    if symbols is not None:
        narrowed = symbol_list(symbols)
        if bot.allowed_symbols:
            narrowed = tuple(s for s in bot.allowed_symbols if s in narrowed)
        update["allowed_symbols"] = narrowed or (NO_SYMBOL,)
    return bot.model_copy(update=update) if update else bot


def min_confidence(bot: Bot) -> float:
    """The smallest confidence the bot may trade: its `min_confidence` rule override (as
    `effective_bot` leaves it), never below the constitution's."""
    value = bot.rule_overrides.get("min_confidence")
    return MIN_CONFIDENCE if value is None else max(MIN_CONFIDENCE, float(value))
