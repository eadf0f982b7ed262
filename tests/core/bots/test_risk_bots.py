"""Bots and cells: the bots file, its error messages, registry.bots records and the registry."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest
import yaml
from fastavro.validation import validate

from hive.bots import (
    Bot,
    BotConfigError,
    BotRegistry,
    from_record,
    load_bots,
    parse_bots,
    to_record,
)
from hive_risk_gate.cards import CardLoader

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_FILE = ROOT / "bots.example.yaml"
BOTS_SCHEMA = fastavro.parse_schema(
    json.loads((ROOT / "schemas/avro/registry_bots.avsc").read_text(encoding="utf-8"))
)
EXAMPLE_RECORD: dict[str, Any] = json.loads(
    (ROOT / "schemas/examples/registry_bots.json").read_text(encoding="utf-8")
)

BASE: dict[str, Any] = {
    "bots": [
        {
            "bot_id": "ftmo-1",
            "cell": "ftmo",
            "account_size": 100000,
            "account_currency": "USD",
            "rule_set": "ftmo_2step",
            "sources": [{"source": "fx-vip", "weight": 1.0}, "swing-fx"],
            "strategy_card": "follow",
            "risk_per_trade": 1,
            "allowed_symbols": ["EURUSD"],
        },
        {
            "bot_id": "strict-1",
            "cell": "strict",
            "account_size": 50000,
            "rule_set": "strict",
            "sources": ["fx-vip"],
            "strategy_card": "confidence_threshold",
            "strategy_parameters": {"threshold": 0.6},
            "risk_per_trade": 0.5,
        },
        {
            "bot_id": "ftmo-2",
            "cell": "ftmo",
            "account_size": 100000,
            "rule_set": "ftmo_2step",
            "sources": ["goldpro"],
            "strategy_card": "regime_filtered",
            "strategy_parameters": {"skip_regimes": ["CHAOS", "UNKNOWN"]},
            "risk_per_trade": 2,
        },
    ]
}


def write(tmp_path: Path, data: Any, name: str = "bots.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, data: Any) -> list[str]:
    with pytest.raises(BotConfigError) as info:
        load_bots(write(tmp_path, data), cards=CardLoader())
    return list(info.value.problems)


# ---- the example file -------------------------------------------------------------------------
def test_example_file_loads_with_two_cells_and_paper_bots() -> None:
    config = load_bots(EXAMPLE_FILE, cards=CardLoader())
    assert len(config) >= 4
    cells = config.cells()
    assert len(cells) >= 2
    assert "ftmo" in cells and len(cells["ftmo"]) >= 2
    ftmo_sources = {b.sources[0].source for b in cells["ftmo"]}
    assert len(ftmo_sources) >= 2  # FTMO bots follow different sources
    assert any(b.rule_set == "strict" for b in config.bots)
    assert config.allow_live is False
    assert all(b.mode == "PAPER" for b in config.bots)
    loader = CardLoader()
    for bot in config.bots:
        loader.validate(bot.strategy_card, bot.strategy_parameters)


def test_defaults_paper_prague_and_parameters_as_strings(tmp_path: Path) -> None:
    config = load_bots(write(tmp_path, BASE), cards=CardLoader())
    ftmo1, strict1, ftmo2 = config.bots
    assert ftmo1.mode == "PAPER" and ftmo1.venue == "paper" and ftmo1.status == "ACTIVE"
    assert ftmo1.day_boundary_tz == "Europe/Prague"
    assert strict1.account_currency == "USD"
    assert [(s.source, s.weight) for s in ftmo1.sources] == [("fx-vip", 1.0), ("swing-fx", 1.0)]
    assert strict1.strategy_parameters == {"threshold": "0.6"}
    assert ftmo2.strategy_parameters == {"skip_regimes": '["CHAOS","UNKNOWN"]'}
    assert ftmo1.risk_per_trade == 1.0 and ftmo1.risk_fraction == 0.01
    assert ftmo1.weight_of("swing-fx") == 1.0 and ftmo1.weight_of("goldpro") is None


# ---- each kind of bad configuration: the exact message ---------------------------------------
def _set(path: list[Any], value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _delete(path: list[Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


P = "bots.yaml: "
BAD_CASES = [
    (
        _set(["bots", 2, "risk_per_trade"], 7),
        P + "bots[2] (ftmo-2).risk_per_trade: must be at most 5 "
        "(the constitution's max risk per position), got 7",
    ),
    (
        _set(["bots", 0, "risk_per_trade"], 0),
        P + "bots[0] (ftmo-1).risk_per_trade: must be greater than 0 (percent of equity), got 0",
    ),
    (
        _set(["bots", 0, "risk_per_trade"], "lots"),
        P + "bots[0] (ftmo-1).risk_per_trade: must be a number, got 'lots'",
    ),
    (
        _set(["bots", 1, "mode"], "live"),
        P + "bots[1] (strict-1).mode: LIVE is refused unless the file sets allow_live: true "
        "at the top level",
    ),
    (
        _set(["bots", 1, "mode"], "demo"),
        P + "bots[1] (strict-1).mode: must be paper or live, got 'demo'",
    ),
    (
        _set(["bots", 2, "bot_id"], "ftmo-1"),
        P + "bots[2] (ftmo-1).bot_id: duplicate bot id, already defined at bots[0]",
    ),
    (
        _set(["bots", 0, "bot_id"], "FTMO:1"),
        P + "bots[0] (FTMO:1).bot_id: must be lower case letters, digits, '.', '_' or '-' "
        "(no ':'), got 'FTMO:1'",
    ),
    (
        _set(["bots", 0, "colour"], "blue"),
        P + "bots[0] (ftmo-1).colour: unknown key (allowed: bot_id, cell, display_name, "
        "account_size, account_currency, rule_set, rule_overrides, day_boundary_tz, sources, "
        "strategy_card, strategy_parameters, risk_per_trade, mode, venue, allowed_symbols, "
        "status, status_reason, config_version)",
    ),
    (
        _set(["bots", 0, "sources", 0, "wieght"], 2),
        P + "bots[0] (ftmo-1).sources[0].wieght: unknown key (allowed: source, weight)",
    ),
    (_set(["live"], True), P + "live: unknown key (allowed: allow_live, bots)"),
    (_delete(["bots", 1, "cell"]), P + "bots[1] (strict-1).cell: is required"),
    (
        _set(["bots", 1, "rule_set"], "ftmo"),
        P + "bots[1] (strict-1).rule_set: must be one of ftmo_2step, ftmo_2step_swing, strict, "
        "constitution, got 'ftmo'",
    ),
    (
        _set(["bots", 0, "sources", 0, "weight"], -1),
        P + "bots[0] (ftmo-1).sources[0].weight: must be a number > 0, got -1",
    ),
    (
        _set(["bots", 0, "sources"], ["fx-vip", "fx-vip"]),
        P + "bots[0] (ftmo-1).sources: source 'fx-vip' is listed twice",
    ),
    (
        _set(["bots", 0, "sources"], []),
        P + "bots[0] (ftmo-1).sources: must be a non-empty list of sources "
        "({source, weight} or a name)",
    ),
    (
        _set(["bots", 0, "allowed_symbols"], ["EURUSD", "DOGECOINX"]),
        P + "bots[0] (ftmo-1).allowed_symbols[1]: unknown symbol 'DOGECOINX' "
        "(not in the instrument catalogue 2025.1)",
    ),
    (
        _set(["bots", 0, "allowed_symbols"], ["gold"]),
        P + "bots[0] (ftmo-1).allowed_symbols[0]: 'gold' is not a catalogue symbol; write XAUUSD",
    ),
    (
        _set(["bots", 0, "account_currency"], "BTC"),
        P + "bots[0] (ftmo-1).account_currency: must be one of USD, EUR, GBP, JPY, CHF, CAD, "
        "AUD, NZD, got 'BTC'",
    ),
    (
        _set(["bots", 0, "account_size"], 0),
        P + "bots[0] (ftmo-1).account_size: must be a number > 0, got 0",
    ),
    (
        _set(["bots", 0, "day_boundary_tz"], "CEST"),
        P + "bots[0] (ftmo-1).day_boundary_tz: must be an IANA time zone such as "
        "Europe/Prague, got 'CEST'",
    ),
    (
        _set(["bots", 0, "strategy_card"], "martingale"),
        P + "bots[0] (ftmo-1).strategy_card: unknown card 'martingale' "
        "(known: confidence_threshold, follow, regime_filtered)",
    ),
    (
        _set(["bots", 1, "strategy_parameters"], {"threshold": 1.5}),
        P + "bots[1] (strict-1).strategy_parameters.threshold: must be a number in [0, 1], "
        "got '1.5'",
    ),
    (
        _set(["bots", 1, "strategy_parameters"], {"treshold": 0.6}),
        P + "bots[1] (strict-1).strategy_parameters.treshold: unknown parameter "
        "(known: fallback, prior, priors, threshold)",
    ),
    (
        _set(["bots", 2, "strategy_parameters"], {"skip_regimes": ["STORM"]}),
        P + "bots[2] (ftmo-2).strategy_parameters.skip_regimes: unknown regime 'STORM' "
        "(known: UNKNOWN, CALM, TREND, CHAOS)",
    ),
    (
        _set(["bots", 0, "rule_overrides"], {"daily_loss": "4"}),
        P + "bots[0] (ftmo-1).rule_overrides: unknown rule 'daily_loss' (known: daily_loss_pct, "
        "max_loss_pct, max_drawdown_pct, max_risk_per_position_pct, min_confidence)",
    ),
    (
        _set(["allow_live"], "yes"),
        P + "allow_live: must be true or false, got 'yes'",
    ),
    (_set(["bots"], []), P + "bots: must be a non-empty list of bots"),
]


@pytest.mark.parametrize(("change", "message"), BAD_CASES, ids=[m for _, m in BAD_CASES])
def test_bad_configuration_gives_the_exact_message(
    tmp_path: Path, change: Any, message: str
) -> None:
    data = copy.deepcopy(BASE)
    change(data)
    assert problems_of(tmp_path, data) == [message]


def test_live_is_accepted_only_with_allow_live(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["bots"][1]["mode"] = "live"
    data["bots"][1]["venue"] = "ctrader"
    data["allow_live"] = True
    config = load_bots(write(tmp_path, data), cards=CardLoader())
    assert config.allow_live is True
    assert [b.mode for b in config.bots] == ["PAPER", "LIVE", "PAPER"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["bots"][0]["risk_per_trade"] = 9
    data["bots"][2]["cell"] = "Bad Cell"
    problems = problems_of(tmp_path, data)
    assert len(problems) == 2
    assert problems[0].startswith("bots.yaml: bots[0] (ftmo-1).risk_per_trade:")
    assert problems[1].startswith("bots.yaml: bots[2] (ftmo-2).cell:")


def test_file_level_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bots.yaml"
    bad.write_text("bots: [unclosed", encoding="utf-8")
    with pytest.raises(BotConfigError, match=r"^bots\.yaml: not valid YAML"):
        load_bots(bad, cards=CardLoader())
    with pytest.raises(BotConfigError, match=r"^nothere\.yaml: cannot read the file"):
        load_bots(tmp_path / "nothere.yaml", cards=CardLoader())
    with pytest.raises(BotConfigError) as info:
        parse_bots(["a list"])
    assert info.value.problems == (
        "bots.yaml: must be a mapping with 'bots' (and optionally 'allow_live')",
    )


def test_plugin_cards_are_accepted_when_the_loader_knows_them(tmp_path: Path) -> None:
    plugins = tmp_path / "cards"
    plugins.mkdir()
    (plugins / "always.py").write_text(
        "from hive_risk_gate.cards.base import BaseCard, follow_intent\n"
        "CARD_NAME = 'always'\n"
        "class Always(BaseCard):\n"
        "    CARD_NAME = 'always'\n"
        "    def on_signal(self, signal, context):\n"
        "        return follow_intent(signal, 0.9, 'PRIOR')\n",
        encoding="utf-8",
    )
    data = copy.deepcopy(BASE)
    data["bots"][0]["strategy_card"] = "always"
    with pytest.raises(BotConfigError, match="unknown card 'always'"):
        load_bots(write(tmp_path, data), cards=CardLoader())
    config = load_bots(write(tmp_path, data), cards=CardLoader(plugins))
    assert config.bots[0].strategy_card == "always"


# ---- records -----------------------------------------------------------------------------------
def test_records_round_trip_and_validate_against_the_schema() -> None:
    config = load_bots(EXAMPLE_FILE, cards=CardLoader())
    records = config.to_records(ts_event=1497225600000)
    assert len(records) == len(config)
    for bot, record in zip(config.bots, records, strict=True):
        assert validate(record, BOTS_SCHEMA, raise_errors=True)
        assert record["event_id"] == f"{bot.bot_id}:1"
        assert record["ts_event"] == record["ts_init"] == 1497225600000
        assert 0 < record["risk_per_trade"] <= 0.05  # a fraction on the topic
        assert from_record(record) == bot
        assert to_record(from_record(record), ts_event=1497225600000, updated_by="bots-file") == (
            record
        )


def test_the_schema_example_record_is_read() -> None:
    bot = from_record(EXAMPLE_RECORD)
    assert bot.bot_id == "ftmo-eurusd-01" and bot.cell_id == "ftmo"
    assert bot.risk_per_trade == 1.0  # 0.01 on the record = 1 %
    assert bot.config_version == 3
    assert bot.strategy_card == "regime_filtered_follow"  # an alias of regime_filtered
    assert CardLoader().canonical(bot.strategy_card) == "regime_filtered"
    again = to_record(bot, ts_event=EXAMPLE_RECORD["ts_event"], updated_by="alice")
    assert again == EXAMPLE_RECORD


def test_record_reader_rules_and_invalid_records() -> None:
    record = dict(EXAMPLE_RECORD, mode="UNKNOWN", status="UNKNOWN")
    bot = from_record(record)
    assert bot.mode == "PAPER" and bot.status == "PAUSED"
    assert from_record(dict(EXAMPLE_RECORD, mode="LIVE")).mode == "LIVE"
    with pytest.raises(BotConfigError) as info:
        from_record(dict(EXAMPLE_RECORD, risk_per_trade=0.07))
    assert info.value.problems == (
        "registry.bots: 'ftmo-eurusd-01'.risk_per_trade: must be at most 5 "
        "(the constitution's max risk per position), got 7",
    )


def test_registry_keeps_the_latest_record_per_bot_and_deletes() -> None:
    records = load_bots(EXAMPLE_FILE, cards=CardLoader()).to_records(ts_event=0)
    registry = BotRegistry()
    for record in records:
        registry.apply(record)
    assert len(registry) == len(records)
    followers = [b.bot_id for b in registry.followers("fx-vip")]
    assert followers == sorted(followers) and "ftmo-eurusd-01" in followers
    assert "ftmo-gold-02" not in followers
    assert registry.followers("nobody") == []
    assert set(registry.cells()) == {"ftmo", "strict"}

    changed = dict(records[0], config_version=2, event_id="ftmo-eurusd-01:2", risk_per_trade=0.02)
    bot = registry.apply(changed)
    assert isinstance(bot, Bot) and registry.get("ftmo-eurusd-01") == bot
    assert bot.risk_per_trade == 2.0

    assert registry.apply(dict(changed, deleted=True)) is None
    assert "ftmo-eurusd-01" not in registry
    assert "ftmo-eurusd-01" not in [b.bot_id for b in registry.followers("fx-vip")]

    assert registry.apply(None, key="ftmo-gold-02") is None  # a Kafka tombstone
    assert registry.get("ftmo-gold-02") is None

    before = registry.bots()
    with pytest.raises(BotConfigError):
        registry.apply(dict(records[3], risk_per_trade=0.5))
    assert registry.bots() == before  # an invalid record changes nothing
