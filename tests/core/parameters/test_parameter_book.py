"""The parameter book: what is in force, by scope precedence, from control.parameters records."""

from __future__ import annotations

from typing import Any

import pytest

from hive.contracts.readers import RecordError
from hive.parameters import EffectiveParameter, ParameterBook, parameter_key

pytestmark = pytest.mark.unit


def _record(
    level: str, scope_id: str, name: str, value: str | None, **extra: Any
) -> dict[str, Any]:
    return EffectiveParameter(
        event_id=f"c-{level}-{name}-{value}",
        ts=1_500_000_000_000,
        scope_level=level,
        scope_id=scope_id,
        name=name,
        kind=extra.pop("kind", "PARAMETER"),
        value=value,
        previous_value=None,
        change_id=None if value is None else f"c-{level}-{name}",
        actor="alice",
        reason="test",
    ).record()


def test_a_bot_value_wins_over_its_cell_which_wins_over_the_global_one() -> None:
    book = ParameterBook()
    book.apply(_record("GLOBAL", "global", "risk_per_trade", "0.004"))
    book.apply(_record("CELL", "c1", "risk_per_trade", "0.003"))
    book.apply(_record("BOT", "b1", "risk_per_trade", "0.002"))
    assert book.number("risk_per_trade", bot_id="b1", cell_id="c1") == 0.002
    assert book.number("risk_per_trade", bot_id="b2", cell_id="c1") == 0.003
    assert book.number("risk_per_trade", bot_id="b3", cell_id="c9") == 0.004
    assert book.value("min_confidence", bot_id="b1", cell_id="c1") is None


def test_a_null_value_or_a_tombstone_takes_the_key_out_of_force() -> None:
    book = ParameterBook()
    book.apply(_record("BOT", "b1", "risk_per_trade", "0.002"))
    book.apply(_record("BOT", "b1", "risk_per_trade", None))
    assert book.value("risk_per_trade", bot_id="b1") is None
    book.apply(_record("BOT", "b1", "min_confidence", "0.6"))
    book.apply(None, parameter_key("BOT", "b1", "min_confidence"))
    assert book.in_force() == []


def test_rules_are_listed_apart_by_key() -> None:
    book = ParameterBook()
    book.apply(_record("GLOBAL", "global", "rule.r2", '{"action": "skip"}', kind="RULE"))
    book.apply(_record("GLOBAL", "global", "rule.r1", '{"action": "skip"}', kind="RULE"))
    book.apply(_record("BOT", "b1", "risk_per_trade", "0.002"))
    assert [r.name for r in book.rules()] == ["rule.r1", "rule.r2"]
    assert [p.name for p in book.in_force()] == ["risk_per_trade", "rule.r1", "rule.r2"]


def test_an_unreadable_record_names_its_field() -> None:
    record = _record("BOT", "b1", "risk_per_trade", "0.002")
    record["scope_level"] = "UNIVERSE"
    with pytest.raises(RecordError, match="scope_level"):
        ParameterBook().apply(record)
