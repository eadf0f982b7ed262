"""The bot contract, the `registry.bots` schema and the record conversion agree field by field,
so a field added to `Bot` and to the schema reaches every consumer with no other change."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pytest

from hive.bots import Bot, from_record, to_record
from hive.bots.records import RECORD_ONLY_FIELDS
from hive.contracts import load_catalogue
from hive.topics import REGISTRY_BOTS

pytestmark = pytest.mark.unit

SCHEMA = json.loads(load_catalogue()[REGISTRY_BOTS].schema_str())


def _avro_round_trip(record: dict[str, Any]) -> dict[str, Any]:
    parsed = fastavro.parse_schema(SCHEMA)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed, record)
    buf.seek(0)
    out: dict[str, Any] = fastavro.schemaless_reader(buf, parsed, parsed)
    return out


def _bot(**changes: Any) -> Bot:
    data: dict[str, Any] = {
        "bot_id": "ftmo-01",
        "cell": "ftmo",
        "display_name": "FTMO one",
        "account_size": 100000,
        "account_currency": "USD",
        "rule_set": "ftmo_2step",
        "rule_overrides": {"daily_loss_pct": 4},
        "day_boundary_tz": "Europe/London",
        "sources": [{"source": "fx-vip", "weight": 2.0}, "eurusd-alerts"],
        "strategy_card": "regime_filtered",
        "strategy_parameters": {"skip_regimes": ["CHAOS"]},
        "risk_per_trade": 1.5,
        "venue": "paper",
        "allowed_symbols": ["EURUSD", "XAUUSD"],
        "status": "paused",
        "status_reason": "holiday",
        "config_version": 3,
    }
    data.update(changes)
    return Bot.model_validate(data, context={"allow_live": False})


def test_every_schema_field_is_a_bot_field_or_a_record_only_field() -> None:
    schema_fields = [f["name"] for f in SCHEMA["fields"]]
    assert sorted(schema_fields) == sorted([*Bot.model_fields, *RECORD_ONLY_FIELDS])


def test_a_record_has_exactly_the_schema_fields() -> None:
    record = to_record(_bot(), ts_event=1_000, updated_by="hub")
    assert sorted(record) == sorted(f["name"] for f in SCHEMA["fields"])


def test_a_bot_survives_the_record_and_real_avro_unchanged() -> None:
    bot = _bot()
    record = _avro_round_trip(to_record(bot, ts_event=1_000, updated_by="hub"))
    assert record["risk_per_trade"] == 0.015  # a fraction on the wire
    assert record["cell_id"] == "ftmo"
    assert record["sources"] == [
        {"source": "fx-vip", "weight": 2.0},
        {"source": "eurusd-alerts", "weight": 1.0},
    ]
    assert record["strategy_parameters"] == {"skip_regimes": '["CHAOS"]'}
    assert from_record(record) == bot


def test_nulls_and_unknown_symbols_from_older_or_newer_writers_take_the_readers_rules() -> None:
    record = to_record(_bot(), ts_event=1_000)
    record.update(day_boundary_tz="", venue=None, mode="UNKNOWN", status="UNKNOWN")
    bot = from_record(record)
    assert (bot.day_boundary_tz, bot.venue, bot.mode, bot.status) == (
        "Europe/Prague",
        "paper",
        "PAPER",
        "PAUSED",
    )
