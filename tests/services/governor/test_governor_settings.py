"""Governor settings: breakers per level from one variable per value or the HIVE_BREAKERS JSON
block (the per-value variable wins), failing fast with the variable named."""

from __future__ import annotations

import json
import os

import pytest

from hive.config import load_settings
from hive_governor.breakers import BreakerConfig, LevelConfig
from hive_governor.escalation import EscalationConfig
from hive_governor.settings import GovernorSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("HIVE_BREAKER", "HIVE_ESCALATION", "HIVE_GOVERNOR")):
            monkeypatch.delenv(name)


def test_defaults_are_the_design_brief() -> None:
    s = load_settings(GovernorSettings)
    assert s.service_name == "governor" and s.consumer_group == "hive.governor"
    assert s.breaker_config() == BreakerConfig()
    assert s.escalation_config() == EscalationConfig()
    assert s.required_services() == ("risk-gate", "executor")
    assert s.governor_heartbeat_timeout_ms == 15_000


def test_one_variable_per_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIVE_BREAKER_BOT_THRESHOLD", "3")
    monkeypatch.setenv("HIVE_BREAKER_CELL_RESET_TIMEOUT_MS", "120000")
    monkeypatch.setenv("HIVE_BREAKER_GLOBAL_WINDOW_MS", "3600000")
    monkeypatch.setenv("HIVE_BREAKER_CELL_FALLBACK", "safe_mode")
    c = load_settings(GovernorSettings).breaker_config()
    assert c.bot == LevelConfig(3, 30_000, 86_400_000, "SHADOW_MODE")
    assert c.cell == LevelConfig(10, 120_000, 86_400_000, "SAFE_MODE")
    assert c.global_.window_ms == 3_600_000


def test_the_json_block_and_its_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    block = {
        "bot": {
            "threshold": 7,
            "reset_timeout_ms": 45_000,
            "window_ms": 600_000,
            "fallback": "SHADOW_MODE",
        },
        "cell": {"threshold": 12},
        "global": {"fallback": "reduced_capacity", "reset_timeout_ms": 900_000},
    }
    monkeypatch.setenv("HIVE_BREAKERS", json.dumps(block))
    monkeypatch.setenv("HIVE_BREAKER_BOT_THRESHOLD", "4")  # the more specific variable wins
    c = load_settings(GovernorSettings).breaker_config()
    assert c.bot == LevelConfig(4, 45_000, 600_000, "SHADOW_MODE")
    assert c.cell == LevelConfig(12, 60_000, 86_400_000, "REDUCED_CAPACITY")
    assert c.global_ == LevelConfig(20, 900_000, 86_400_000, "REDUCED_CAPACITY")


@pytest.mark.parametrize(
    ("env", "named", "says"),
    [
        (
            {"HIVE_BREAKER_BOT_THRESHOLD": "0"},
            "HIVE_BREAKER_BOT_THRESHOLD",
            "greater than or equal to 1",
        ),
        (
            {"HIVE_BREAKER_CELL_RESET_TIMEOUT_MS": "soon"},
            "HIVE_BREAKER_CELL_RESET_TIMEOUT_MS",
            "integer",
        ),
        ({"HIVE_BREAKER_GLOBAL_FALLBACK": "HALTED"}, "HIVE_BREAKER_GLOBAL_FALLBACK", "SAFE_MODE"),
        ({"HIVE_BREAKERS": "{bot: 5}"}, "HIVE_BREAKERS", "not valid JSON"),
        ({"HIVE_BREAKERS": '{"bots": {}}'}, "HIVE_BREAKERS.BOTS", "Extra inputs"),
        (
            {"HIVE_BREAKERS": '{"bot": {"threshold": 0}}'},
            "HIVE_BREAKERS.BOT.THRESHOLD",
            "greater than",
        ),
        (
            {"HIVE_BREAKERS": '{"cell": {"fallback": "NONE"}}'},
            "HIVE_BREAKERS.CELL.FALLBACK",
            "SHADOW_MODE",
        ),
        (
            {"HIVE_ESCALATION_PAUSE_AT": "2"},
            "HIVE_ESCALATION_PAUSE_AT",
            "HIVE_ESCALATION_SHADOW_AT",
        ),
        ({"HIVE_ESCALATION_LOCK_AT": "6"}, "HIVE_ESCALATION_LOCK_AT", "greater than"),
        (
            {"HIVE_GOVERNOR_REQUIRED_SERVICES": "risk-gate,Executor"},
            "HIVE_GOVERNOR_REQUIRED_SERVICES",
            "Executor",
        ),
    ],
)
def test_a_bad_value_fails_fast_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    named: str,
    says: str,
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SystemExit) as exc:
        load_settings(GovernorSettings)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if named in line)
    assert says in line


def test_required_services_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "HIVE_GOVERNOR_REQUIRED_SERVICES", " risk-gate , executor,risk-gate,, enricher "
    )
    assert load_settings(GovernorSettings).required_services() == (
        "risk-gate",
        "executor",
        "enricher",
    )
    monkeypatch.setenv("HIVE_GOVERNOR_REQUIRED_SERVICES", "")
    assert load_settings(GovernorSettings).required_services() == ()
