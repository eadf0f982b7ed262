"""The overlay every consumer uses: a bot's registry definition with the values in force."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hive.bots import Bot, from_record
from hive.parameters import (
    NO_SYMBOL,
    EffectiveParameter,
    ParameterBook,
    effective_bot,
    min_confidence,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
BOT_RECORD: dict[str, Any] = json.loads(
    (ROOT / "schemas/examples/registry_bots.json").read_text(encoding="utf-8")
)


def make_bot(**fields: Any) -> Bot:
    return from_record({**BOT_RECORD, **fields})


def book(*entries: tuple[str, str, str, str | None]) -> ParameterBook:
    b = ParameterBook()
    for i, (level, scope_id, name, value) in enumerate(entries):
        b.apply(
            EffectiveParameter(
                event_id=f"c{i}",
                ts=1_500_000_000_000 + i,
                scope_level=level,
                scope_id=scope_id,
                name=name,
                kind="PARAMETER",
                value=value,
                previous_value=None,
                change_id=f"c{i}",
                actor="alice",
                reason="test",
            ).record()
        )
    return b


BOT_ID, CELL_ID = "ftmo-eurusd-01", "ftmo"


def test_nothing_in_force_leaves_the_bot_as_registered() -> None:
    bot = make_bot()
    assert effective_bot(bot, ParameterBook()) is bot
    assert effective_bot(bot, book(("BOT", "other", "risk_per_trade", "0.002"))) is bot


def test_risk_per_trade_is_a_fraction_on_the_topic_and_a_percent_on_the_bot() -> None:
    bot = make_bot(risk_per_trade=0.01)  # the record's fraction: 1 %
    assert bot.risk_per_trade == 1.0
    half = effective_bot(bot, book(("BOT", BOT_ID, "risk_per_trade", "0.005")))
    assert half.risk_per_trade == 0.5
    cell = effective_bot(bot, book(("CELL", CELL_ID, "risk_per_trade", "0.003")))
    assert cell.risk_per_trade == 0.3


def test_the_per_position_cap_bounds_the_risk_per_trade() -> None:
    bot = make_bot(risk_per_trade=0.02)
    capped = effective_bot(bot, book(("GLOBAL", "global", "max_risk_per_position_pct", "1.5")))
    assert capped.risk_per_trade == 1.5
    assert capped.rule_overrides == {"daily_loss_pct": "2.5", "max_risk_per_position_pct": "1.5"}
    registry_cap = make_bot(risk_per_trade=0.02, rule_overrides={"max_risk_per_position_pct": "1"})
    assert effective_bot(registry_cap, book()).risk_per_trade == 1.0  # the registry's cap too
    assert (
        effective_bot(registry_cap, book(("BOT", BOT_ID, "risk_per_trade", "0.03"))).risk_per_trade
        == 1.0
    )


def test_rule_overrides_take_the_value_in_force() -> None:
    bot = make_bot()
    eff = effective_bot(
        bot,
        book(
            ("GLOBAL", "global", "daily_loss_pct", "2"),
            ("BOT", BOT_ID, "daily_loss_pct", "1.5"),
            ("CELL", CELL_ID, "min_confidence", "0.6"),
            ("BOT", BOT_ID, "max_loss_pct", "8"),
        ),
    )
    assert eff.rule_overrides == {
        "daily_loss_pct": "1.5",
        "max_loss_pct": "8",
        "min_confidence": "0.6",
    }
    assert min_confidence(eff) == 0.6
    assert min_confidence(bot) == 0.40  # the constitution's floor


def test_card_parameters_overlay_the_strategy_parameters_by_precedence() -> None:
    bot = make_bot()
    eff = effective_bot(
        bot,
        book(
            ("GLOBAL", "global", "card.min_confidence", "0.5"),
            ("GLOBAL", "global", "card.prior", "0.6"),
            ("BOT", BOT_ID, "card.min_confidence", "0.7"),
        ),
    )
    assert eff.strategy_parameters == {
        "skip_regimes": '["CHAOS"]',
        "min_confidence": "0.7",
        "prior": "0.6",
    }


@pytest.mark.parametrize(
    ("registered", "in_force", "effective"),
    [
        (["EURUSD", "GBPUSD", "XAUUSD"], "XAUUSD,EURUSD", ("EURUSD", "XAUUSD")),  # the bot's order
        (["EURUSD", "GBPUSD"], "EURUSD,USDJPY", ("EURUSD",)),  # only narrows
        ([], "USDJPY", ("USDJPY",)),  # a bot without a list takes the one in force
        (["EURUSD"], "USDJPY", (NO_SYMBOL,)),  # nothing left: no signal matches
    ],
)
def test_the_allowlist_only_narrows(
    registered: list[str], in_force: str, effective: tuple[str, ...]
) -> None:
    bot = make_bot(allowed_symbols=registered)
    eff = effective_bot(bot, book(("CELL", CELL_ID, "allowed_symbols", in_force)))
    assert eff.allowed_symbols == effective


def test_a_value_taken_out_of_force_restores_the_registry_value() -> None:
    b = book(("BOT", BOT_ID, "risk_per_trade", "0.005"), ("BOT", BOT_ID, "risk_per_trade", None))
    assert effective_bot(make_bot(risk_per_trade=0.01), b).risk_per_trade == 1.0
